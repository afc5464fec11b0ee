//! The code the interpreter runs. A run that counts fuel (it has a fuel limit, or an
//! interrupt flag to poll) runs each function's code as the verifier accepted it: every
//! `Call`, `CallClosure` and taken `Loop…` jump uses a unit of fuel. Any other run runs a
//! copy, made at instantiation, in which those are their twins that use none:
//! `CallNoFuel`, `CallClosureNoFuel` and the `Jmp…` twin of each loop jump. The dispatch
//! loop is one and the same for both, so every other instruction runs the same machine
//! code either way: fuel costs its decrements and nothing else.
//!
//! The copy has the verified code's length, operands and jump targets, and each twin means
//! what its original means apart from fuel (the interpreter's `Jmp…` arms jump by any
//! offset), so every verifier rule the interpreter relies on holds of the copy too.

use super::FuncMeta;
use crate::bytecode::{Instr, Module, Op};

/// Both versions of every function's code, and which one `FuncMeta::code` points at.
pub(crate) struct Code {
    /// Per function, the copy that uses no fuel.
    no_fuel: Vec<Box<[Instr]>>,
    /// Whether `FuncMeta::code` points at the module's code (which counts fuel).
    counting: bool,
}

impl Code {
    /// Makes the copies; `FuncMeta::code` starts at the module's code.
    pub(crate) fn new(m: &Module) -> Code {
        let no_fuel = m.functions.iter().map(|f| f.code.iter().map(|&ins| without_fuel(ins)).collect()).collect();
        Code { no_fuel, counting: true }
    }

    /// Points every function's `code` at the version for a run that counts fuel or not.
    /// Only between runs of the outermost call, or from a nested run that wants the same
    /// version (a run's need for counting does not change while it runs).
    pub(crate) fn select(&mut self, counting: bool, module: &Module, meta: &mut [FuncMeta]) {
        if counting == self.counting {
            return;
        }
        for ((fm, f), copy) in meta.iter_mut().zip(&module.functions).zip(&self.no_fuel) {
            fm.code = if counting { f.code.as_ptr() } else { copy.as_ptr() };
        }
        self.counting = counting;
    }
}

/// The twin of `ins` that uses no fuel (itself if it uses none).
fn without_fuel(ins: Instr) -> Instr {
    let op = match ins.op {
        Op::Call => Op::CallNoFuel,
        Op::CallClosure => Op::CallClosureNoFuel,
        op => op.forward(),
    };
    Instr { op, ..ins }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_differs_only_in_the_opcodes_that_use_fuel() {
        for &op in Op::ALL.iter().filter(|op| !op.is_internal()) {
            let ins = Instr::new(op, 1, 2, 3);
            let free = without_fuel(ins);
            assert_eq!((free.a, free.b, free.c), (1, 2, 3));
            let uses_fuel = op.is_loop() || matches!(op, Op::Call | Op::CallClosure);
            assert_eq!(free.op != op, uses_fuel, "{op:?}");
            assert_eq!(free.op.format(), op.format());
        }
    }
}
