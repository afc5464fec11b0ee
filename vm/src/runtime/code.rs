//! The function table of an instance: what every tier needs to know of each function
//! (register counts, which registers hold references, what each register's type means to
//! the runtime), and the code the interpreter runs.
//!
//! **Two versions of the code.** A run that counts fuel (it has a fuel limit, or an
//! interrupt flag to poll) runs each function's code as the verifier accepted it: every
//! `Call`, `CallClosure` and taken `Loop…` jump uses a unit of fuel. Any other run runs a
//! copy, made at instantiation, in which those are their fuel-free twins (the opcode
//! table's `=> TWIN`): `CallNoFuel`, `CallClosureNoFuel` and the `Jmp…` twin of each loop
//! jump. The copy has the verified code's length, operands and jump targets, and each twin
//! means what its original means apart from fuel, so every verifier rule the interpreter
//! relies on holds of the copy too.

use crate::bytecode::{Instr, Kind, Module, Type, TypeId};
use crate::heap::map::{key_kind_of, KeyKind};
use crate::heap::ArrayKind;

/// What a register's type means to the runtime, worked out once at instantiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `int`, `float` or `bool`: not a reference.
    Prim,
    /// `str`.
    Str,
    /// `[E]`, and how an array of `E` holds its elements.
    Array { kind: ArrayKind },
    /// `{K: V}`: the key kind, and how an array of `V` holds them.
    Map { key: KeyKind, vals: ArrayKind },
    /// `T?`, and how a present `T` is held.
    Opt(OptInner),
    /// A struct or a function value.
    Other,
}

/// How the value inside a present optional is held and compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OptInner {
    /// A box holding an int or a bool (compared as words).
    Word,
    /// A box holding a float (compared as floats).
    Float,
    /// A string (compared by content).
    Str,
    /// Another reference (compared by identity).
    Ref,
}

/// How an array with elements of type `e` holds them.
pub(crate) fn array_kind(m: &Module, e: TypeId) -> ArrayKind {
    match m.kind(e) {
        Kind::Ref => ArrayKind::Refs,
        Kind::Bool => ArrayKind::Bytes,
        _ => ArrayKind::Words,
    }
}

/// The shape of type `t` in module `m`.
fn shape_of(m: &Module, t: TypeId) -> Shape {
    match m.ty(t) {
        Type::Int | Type::Float | Type::Bool => Shape::Prim,
        Type::Str => Shape::Str,
        Type::Array(e) => Shape::Array { kind: array_kind(m, *e) },
        Type::Map(k, v) => Shape::Map { key: key_kind_of(m.ty(*k)), vals: array_kind(m, *v) },
        Type::Optional(inner) => Shape::Opt(match m.ty(*inner) {
            Type::Int | Type::Bool => OptInner::Word,
            Type::Float => OptInner::Float,
            Type::Str => OptInner::Str,
            _ => OptInner::Ref,
        }),
        Type::Struct(_) | Type::Fn(..) => Shape::Other,
    }
}

/// Per-function facts every tier reads at calls and at instructions whose meaning
/// depends on a register's type.
pub(crate) struct FuncMeta {
    /// The code the interpreter runs: the module's (owned by the VM's module) or its copy
    /// that uses no fuel (owned by [`Funcs`]).
    pub code: *const Instr,
    pub nregs: usize,
    pub nparams: usize,
    pub ncaptures: usize,
    /// Whether the function returns a value (a call writes its `A` register).
    pub has_ret: bool,
    /// The registers of reference type: the collector's roots in a frame of this function.
    pub ref_regs: Box<[u16]>,
    /// The type and shape of every register.
    pub regs: Box<[(TypeId, Shape)]>,
}

// Safety: `code` points into the module the VM holds through an `Arc`, or into `Funcs`'
// own copy, for the whole life of the table; the code is never mutated, so the pointer may
// move to another thread with the VM.
unsafe impl Send for FuncMeta {}

/// The function table: [`FuncMeta`] for every function, and both versions of the code.
pub(crate) struct Funcs {
    pub meta: Vec<FuncMeta>,
    /// Per function, the copy of its code that uses no fuel.
    no_fuel: Vec<Box<[Instr]>>,
    /// Whether `FuncMeta::code` points at the module's code (which counts fuel).
    counting: bool,
}

impl Funcs {
    /// The table for module `m`; `FuncMeta::code` starts at the module's code.
    pub(crate) fn new(m: &Module) -> Funcs {
        let meta = m
            .functions
            .iter()
            .map(|f| FuncMeta {
                code: f.code.as_ptr(),
                nregs: f.regs.len(),
                nparams: f.params.len(),
                ncaptures: f.captures.len(),
                has_ret: f.ret.is_some(),
                ref_regs: f
                    .regs
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| m.kind(**t) == Kind::Ref)
                    .map(|(i, _)| i as u16)
                    .collect(),
                regs: f.regs.iter().map(|&t| (t, shape_of(m, t))).collect(),
            })
            .collect();
        let no_fuel = m.functions.iter().map(|f| f.code.iter().map(|&ins| without_fuel(ins)).collect()).collect();
        Funcs { meta, no_fuel, counting: true }
    }

    /// Points every function's `code` at the version for a run that counts fuel or not.
    /// Only between runs of the outermost call, or from a nested run that wants the same
    /// version (a run's need for counting does not change while it runs).
    pub(crate) fn select(&mut self, counting: bool, module: &Module) {
        if counting == self.counting {
            return;
        }
        for ((fm, f), copy) in self.meta.iter_mut().zip(&module.functions).zip(&self.no_fuel) {
            fm.code = if counting { f.code.as_ptr() } else { copy.as_ptr() };
        }
        self.counting = counting;
    }
}

/// The twin of `ins` that uses no fuel (itself if it uses none).
fn without_fuel(ins: Instr) -> Instr {
    Instr { op: ins.op.fuel_free(), ..ins }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytecode::opcodes::props;
    use crate::bytecode::Op;

    #[test]
    fn the_copy_differs_only_in_the_opcodes_that_use_fuel() {
        for &op in Op::ALL.iter().filter(|op| !op.is_internal()) {
            let ins = Instr::new(op, 1, 2, 3);
            let free = without_fuel(ins);
            assert_eq!((free.a, free.b, free.c), (1, 2, 3));
            assert_eq!(free.op != op, op.has(props::F), "{op:?}");
            assert!(!free.op.has(props::F), "{op:?}");
            assert_eq!(free.op.format(), op.format());
        }
    }
}
