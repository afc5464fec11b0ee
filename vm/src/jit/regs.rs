//! What native code must write back to its frame, and when: the registers each
//! instruction reads and writes, which registers are live, and which may differ from their
//! slots in VM memory. Native code keeps registers in variables; at a *spill point* (a call,
//! a runtime function that may collect or read the frame, a fuel refill) it writes back
//! exactly the registers that are dirty (the variable may differ from memory) and live
//! (something may still read them: this instruction through memory, or any later one), so
//! the frame in memory is current for everything that can still be observed.
//!
//! A dead dirty register is left as it is in memory: its slot holds an older value of the
//! same register (or the 0 a reference register gets at entry), which the collector may
//! keep alive a little longer but never mistakes for anything else.

use crate::bytecode::{Builtin, Format, Instr, Module, Op, Type, TypeId};
use crate::runtime::code::FuncMeta;

/// A set of registers, one bit each.
pub(crate) type RegSet = Vec<u64>;

fn add(s: &mut RegSet, r: usize) {
    s[r / 64] |= 1 << (r % 64);
}
fn remove(s: &mut RegSet, r: usize) {
    s[r / 64] &= !(1 << (r % 64));
}

/// Whether the translation of `op` is a spill point on its main path: a call, or a
/// runtime function that may collect or read the frame.
pub(crate) fn spills(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        Call | CallClosure
            | CallHost
            | CallBuiltin
            | Print
            | MakeClosure
            | NewArray
            | ArrayRepeat
            | NewMap
            | MapGet
            | MapSet
            | MapGetOpt
            | NewStruct
            | WrapOpt
            | Concat
            | ToStr
    )
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
fn successors(code: &[Instr], pc: usize) -> Vec<usize> {
    let ins = &code[pc];
    if ins.op.is_jump() {
        let mut next = vec![(pc as i64 + 1 + ins.jump_offset()) as usize];
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

/// Whether `ins` leaves its result in a variable only (not in memory): everything that
/// writes a register but a runtime function (which writes memory, read back).
fn writes_var(op: Op) -> bool {
    matches!(op, Op::Call | Op::CallClosure) || !spills(op)
}

/// The analysis of one function.
pub(crate) struct Spills {
    /// Per pc: the registers to write back at a spill point there.
    pub at: Vec<RegSet>,
}

/// Computes what to spill where in function `fi` (see the module docs). At a call's entry
/// the arguments and captures are in memory, and so are the reference registers (zeroed by
/// the prologue); the other registers are 0 in their variables but hold whatever an earlier
/// frame left in memory. At an on-stack replacement every register is in memory.
pub(crate) fn analyze(m: &Module, meta: &[FuncMeta], fi: u32) -> Spills {
    let f = &m.functions[fi as usize];
    let fm = &meta[fi as usize];
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

    // Liveness, backward.
    let mut live_in = vec![empty.clone(); code.len() + 1];
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..code.len()).rev() {
            let mut s = empty.clone();
            for &t in &succ[pc] {
                if t < code.len() {
                    for (x, y) in s.iter_mut().zip(&live_in[t]) {
                        *x |= y;
                    }
                }
            }
            if let Some(d) = ud[pc].1 {
                remove(&mut s, d as usize);
            }
            for &u in &ud[pc].0 {
                add(&mut s, u as usize);
            }
            if s != live_in[pc] {
                live_in[pc] = s;
                changed = true;
            }
        }
    }

    // Dirtiness, forward.
    let filled = fm.nparams + fm.ncaptures;
    let mut entry = empty.clone();
    for r in filled..n {
        if !fm.ref_regs.contains(&(r as u16)) {
            add(&mut entry, r);
        }
    }
    let mut dirty_in: Vec<Option<RegSet>> = vec![None; code.len() + 1];
    dirty_in[0] = Some(entry);
    let mut work = vec![0usize];
    while let Some(pc) = work.pop() {
        if pc >= code.len() {
            continue;
        }
        let mut out = dirty_in[pc].clone().expect("reached");
        if spills(code[pc].op) {
            out.iter_mut().for_each(|w| *w = 0);
        }
        if let Some(d) = ud[pc].1 {
            if writes_var(code[pc].op) {
                add(&mut out, d as usize);
            }
        }
        for &t in &succ[pc] {
            let grew = match &mut dirty_in[t] {
                Some(cur) => {
                    let mut grew = false;
                    for (x, y) in cur.iter_mut().zip(&out) {
                        grew |= (*x | y) != *x;
                        *x |= y;
                    }
                    grew
                }
                slot @ None => {
                    *slot = Some(out.clone());
                    true
                }
            };
            if grew {
                work.push(t);
            }
        }
    }

    // Spill: dirty, and live before the instruction (read through memory) or after it —
    // but for the register it defines, whose old value nothing reads again (if the
    // instruction reads it, it is live before).
    let at = (0..code.len())
        .map(|pc| {
            let Some(dirty) = &dirty_in[pc] else { return empty.clone() };
            let mut after = empty.clone();
            for &t in &succ[pc] {
                if t < code.len() {
                    for (x, y) in after.iter_mut().zip(&live_in[t]) {
                        *x |= y;
                    }
                }
            }
            if let Some(d) = ud[pc].1 {
                remove(&mut after, d as usize);
            }
            // A `Call` copies its arguments from their variables into the callee's frame,
            // so they need to be in memory only if they are live after it.
            let before = if code[pc].op == Op::Call { &empty } else { &live_in[pc] };
            let live: Vec<u64> = before.iter().zip(&after).map(|(x, y)| x | y).collect();
            dirty.iter().zip(&live).map(|(d, l)| d & l).collect()
        })
        .collect();
    Spills { at }
}
