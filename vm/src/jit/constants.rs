//! Registers that hold one constant for the rest of the function.
//!
//! The compiler loads the constants a loop uses into registers once, before the loop (`let
//! t = true` in the entry code, or its own hoisting). Native code reading such a register
//! would keep it in a machine register through every loop of the function (on-stack
//! replacement at a loop header is one more way in, so it is a value merged at every
//! header); rematerialized, it is an immediate operand and a machine register is left for
//! the loop's own values.
//!
//! A register qualifies when its only write in the whole function is a `LoadInt`,
//! `LoadBool`, `LoadNil` or a number `LoadConst` in the function's *entry line*: the
//! instructions from pc 0 up to the first jump target or the first instruction after a
//! jump or return. Every path to a later instruction passes that load (a jump into the
//! entry line would end it), and an on-stack replacement starts in a frame that ran it; a
//! parameter or capture is written by its caller, so it never qualifies.

use crate::bytecode::{Const, Instr, Module, Op};
use crate::runtime::code::FuncMeta;
use crate::runtime::liveness;

/// A register's constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Constant {
    /// An integer, a bool (0 or 1) or nil (0).
    Word(i64),
    Float(f64),
}

/// Per register of function `fi`: its constant and the pc of its load, if it has one.
pub(crate) fn analyze(m: &Module, meta: &[FuncMeta], fi: u32) -> Vec<Option<(Constant, usize)>> {
    let f = &m.functions[fi as usize];
    let fm = &meta[fi as usize];
    let code = &f.code;
    let mut writes = vec![0u32; f.regs.len()];
    let mut target = vec![false; code.len() + 1];
    for (pc, ins) in code.iter().enumerate() {
        if let (_, Some(r)) = liveness::uses_def(m, meta, &f.regs, ins) {
            writes[r as usize] += 1;
        }
        if ins.op.is_jump() {
            target[ins.jump_target(pc)] = true;
        }
    }
    let mut out = vec![None; f.regs.len()];
    for (pc, ins) in code.iter().enumerate() {
        if target[pc] {
            break;
        }
        let r = ins.a as usize;
        if r >= fm.nparams + fm.ncaptures && writes.get(r) == Some(&1) {
            out[r] = constant(m, ins).map(|k| (k, pc));
        }
        if ins.op.is_jump() || matches!(ins.op, Op::Ret | Op::RetVoid) {
            break;
        }
    }
    out
}

/// The constant `ins` loads, if it is a load of one.
fn constant(m: &Module, ins: &Instr) -> Option<Constant> {
    match ins.op {
        Op::LoadInt => Some(Constant::Word(ins.sbc() as i64)),
        Op::LoadBool => Some(Constant::Word((ins.bc() != 0) as i64)),
        Op::LoadNil => Some(Constant::Word(0)),
        Op::LoadConst => match m.consts.get(ins.bc() as usize)? {
            Const::Int(i) => Some(Constant::Word(*i)),
            Const::Float(x) => Some(Constant::Float(*x)),
            Const::Str(_) => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytecode::{Function, Loc, Type};
    use crate::runtime::code::Funcs;

    /// `f(p: int)`: its registers' constants, for `code` (registers: `p`, then six ints
    /// and a float).
    fn constants_of(code: Vec<Instr>) -> Vec<Option<(Constant, usize)>> {
        let locs = vec![Loc { file: 0, line: 1, col: 1 }; code.len()];
        let f = Function {
            name: "f".into(),
            params: vec![0],
            captures: vec![],
            ret: None,
            regs: vec![0, 0, 0, 0, 0, 0, 0, 1],
            code,
            locs,
        };
        let m = Module {
            types: vec![Type::Int, Type::Float],
            consts: vec![Const::Float(2.5), Const::Int(1 << 40)],
            functions: vec![f],
            files: vec!["f.kite".into()],
            ..Module::default()
        };
        analyze(&m, &Funcs::new(&m).meta, 0)
    }

    #[test]
    fn loads_of_the_entry_line_written_nowhere_else_are_constants() {
        let ins = Instr::new;
        let k = constants_of(vec![
            Instr::with_bc(Op::LoadInt, 1, 7),
            Instr::with_bc(Op::LoadConst, 7, 0),
            Instr::with_bc(Op::LoadConst, 2, 1),
            Instr::with_bc(Op::LoadInt, 3, 1), // written again at 6
            Instr::with_bc(Op::LoadInt, 0, 5), // the parameter
            ins(Op::AddI, 4, 1, 1),            // not a load
            ins(Op::AddIImm, 3, 3, 1),         // 6: loop header
            ins(Op::LoopIfLtI, 3, 1, (-2i16) as u16),
            Instr::with_bc(Op::LoadInt, 5, 9), // after the entry line
            ins(Op::RetVoid, 0, 0, 0),
        ]);
        assert_eq!(k[1], Some((Constant::Word(7), 0)));
        assert_eq!(k[7], Some((Constant::Float(2.5), 1)));
        assert_eq!(k[2], Some((Constant::Word(1 << 40), 2)));
        assert_eq!((k[0], k[3], k[4], k[5], k[6]), (None, None, None, None, None));
    }

    #[test]
    fn the_entry_line_ends_at_the_first_jump_target() {
        let ins = Instr::new;
        let k = constants_of(vec![
            Instr::with_bc(Op::LoadInt, 1, 7),
            ins(Op::AddIImm, 0, 0, 1), // 1: loop header
            Instr::with_bc(Op::LoadBool, 2, 1),
            ins(Op::LoopIfLtI, 0, 1, (-3i16) as u16),
            ins(Op::RetVoid, 0, 0, 0),
        ]);
        assert_eq!(k[1], Some((Constant::Word(7), 0)));
        assert_eq!(k[2], None);
    }
}
