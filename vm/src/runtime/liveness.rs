//! Which registers of a function are live before each instruction: read by it or by some
//! instruction after it before being written. Both tiers' views of a frame agree on live
//! registers only, so native code writes back live registers (`jit/regs.rs`), and a
//! snapshot keeps live registers and writes every other one as 0 — the same bytes whatever
//! tier ran the frame. The verifier's definite assignment makes every live register of a
//! non-optional reference type hold an object, which a snapshot's loader checks again.

use crate::bytecode::{Builtin, Format, Instr, Module, Op, Type, TypeId};
use crate::runtime::code::FuncMeta;

/// A set of registers, one bit each.
pub(crate) type RegSet = Vec<u64>;

pub(crate) fn add(s: &mut RegSet, r: usize) {
    s[r / 64] |= 1 << (r % 64);
}
fn remove(s: &mut RegSet, r: usize) {
    s[r / 64] &= !(1 << (r % 64));
}

/// Whether `r` is in `s`.
pub(crate) fn contains(s: &RegSet, r: usize) -> bool {
    s[r / 64] & (1 << (r % 64)) != 0
}

/// The registers `ins` (of a function whose register types are `regs`) reads, and the one
/// it writes (if any).
pub(crate) fn uses_def(m: &Module, meta: &[FuncMeta], regs: &[TypeId], ins: &Instr) -> (Vec<u16>, Option<u16>) {
    use Op::*;
    let (a, b, c) = (ins.a, ins.b, ins.c);
    let window = |first: u16, n: usize| (0..n).map(move |i| first + i as u16);
    match ins.op {
        Nop | Jmp | Loop => (vec![], None),
        LoadNil | LoadInt | LoadBool | LoadConst | GetGlobal | NewMap => (vec![], Some(a)),
        SetGlobal | Ret => (vec![a], None),
        RetVoid => (vec![], None),
        ArrayPush => (vec![a, b], None),
        SetIndex | MapSet => (vec![a, b, c], None),
        SetField => (vec![a, c], None),
        Call => {
            let f = &meta[b as usize];
            (window(c, f.nparams).collect(), f.has_ret.then_some(a))
        }
        CallClosure => match m.ty(regs[b as usize]) {
            Type::Fn(ps, r) => (std::iter::once(b).chain(window(c, ps.len())).collect(), r.map(|_| a)),
            _ => (vec![b], None),
        },
        CallHost => {
            let imp = &m.imports[b as usize];
            (window(c, imp.params.len()).collect(), imp.ret.map(|_| a))
        }
        CallBuiltin => match Builtin::from_u16(b) {
            Some(bi) if bi.variadic() => (window(c, a as usize).collect(), None),
            Some(bi) => (window(c, bi.arity()).collect(), bi.sig().ret.map(|_| a)),
            None => (vec![], None),
        },
        MakeClosure => (window(c, meta[b as usize].ncaptures).collect(), Some(a)),
        NewStruct => (window(c, m.structs[b as usize].fields.len()).collect(), Some(a)),
        NewArray => (window(b, c as usize).collect(), Some(a)),
        Print => (window(b, c as usize).collect(), None),
        op => {
            let (ra, rb, rc) = op.format().register_operands();
            let mut uses = Vec::new();
            if rb {
                uses.push(b);
            }
            if rc {
                uses.push(c);
            }
            if op.is_jump() {
                // A conditional jump reads A (and B for the register-register compares).
                if ra && op.format() != Format::J {
                    uses.push(a);
                }
                (uses, None)
            } else {
                (uses, ra.then_some(a))
            }
        }
    }
}

/// The successors of instruction `pc`.
pub(crate) fn successors(code: &[Instr], pc: usize) -> Vec<usize> {
    let ins = &code[pc];
    if ins.op.is_jump() {
        let mut next = vec![ins.jump_target(pc)];
        if !matches!(ins.op, Op::Jmp | Op::Loop) {
            next.push(pc + 1);
        }
        next
    } else if matches!(ins.op, Op::Ret | Op::RetVoid) || (ins.op == Op::CallBuiltin && ins.b == Builtin::Panic as u16) {
        vec![]
    } else {
        vec![pc + 1]
    }
}

/// Per instruction, the registers live before it (one more entry, empty, for the end of
/// the code), with each instruction's uses and definition (`uses_def`) and successors.
pub(crate) struct Liveness {
    pub live_in: Vec<RegSet>,
    pub ud: Vec<(Vec<u16>, Option<u16>)>,
    pub succ: Vec<Vec<usize>>,
}

/// The registers live after instruction `pc` but for the one it defines: the union of its
/// successors' `live_in` (`empty` sized for the function), without its definition.
fn live_after_but_def(
    live_in: &[RegSet],
    ud: &[(Vec<u16>, Option<u16>)],
    succ: &[Vec<usize>],
    empty: &RegSet,
    pc: usize,
) -> RegSet {
    let mut s = empty.clone();
    for &t in &succ[pc] {
        if let Some(l) = live_in.get(t) {
            for (x, y) in s.iter_mut().zip(l) {
                *x |= y;
            }
        }
    }
    if let Some(d) = ud[pc].1 {
        remove(&mut s, d as usize);
    }
    s
}

impl Liveness {
    /// The registers live after instruction `pc` but for the one it defines (whose old
    /// value nothing reads again).
    pub fn live_after_but_def(&self, pc: usize, empty: &RegSet) -> RegSet {
        live_after_but_def(&self.live_in, &self.ud, &self.succ, empty, pc)
    }
}

/// The liveness of function `fi`'s registers.
pub(crate) fn analyze(m: &Module, meta: &[FuncMeta], fi: u32) -> Liveness {
    let f = &m.functions[fi as usize];
    let (code, n) = (&f.code, f.regs.len());
    let words = n.div_ceil(64).max(1);
    let empty = vec![0u64; words];
    let ud: Vec<(Vec<u16>, Option<u16>)> = code
        .iter()
        .map(|ins| uses_def(m, meta, &f.regs, ins))
        .map(|(uses, def)| {
            (uses.into_iter().filter(|&r| (r as usize) < n).collect(), def.filter(|&r| (r as usize) < n))
        })
        .collect();
    let succ: Vec<Vec<usize>> = (0..code.len()).map(|pc| successors(code, pc)).collect();

    let mut live_in = vec![empty.clone(); code.len() + 1];
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..code.len()).rev() {
            let mut s = live_after_but_def(&live_in, &ud, &succ, &empty, pc);
            for &u in &ud[pc].0 {
                add(&mut s, u as usize);
            }
            if s != live_in[pc] {
                live_in[pc] = s;
                changed = true;
            }
        }
    }

    Liveness { live_in, ud, succ }
}
