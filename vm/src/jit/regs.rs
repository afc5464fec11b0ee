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

use crate::bytecode::{Module, Op};
use crate::runtime::code::FuncMeta;
use crate::runtime::liveness::{self, add, RegSet};

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

/// Whether `ins` leaves its result in a variable only (not in memory): everything that
/// writes a register but a runtime function (which writes memory, read back).
fn writes_var(op: Op) -> bool {
    matches!(op, Op::Call | Op::CallClosure) || !spills(op)
}

/// The analysis of one function.
pub(crate) struct Spills {
    /// Per pc: the registers to write back at a spill point there.
    pub at: Vec<RegSet>,
    /// Per pc: the registers to write back before the instruction runs (the fuel refill
    /// of a call or loop jump: the frame may be snapshot and resumed at that instruction).
    pub before: Vec<RegSet>,
}

/// Computes what to spill where in function `fi` (see the module docs). At a call's entry
/// the arguments and captures are in memory, and so are the reference registers (zeroed by
/// the prologue); the other registers are 0 in their variables but hold whatever an earlier
/// frame left in memory. At an on-stack replacement every register is in memory.
pub(crate) fn analyze(m: &Module, meta: &[FuncMeta], fi: u32) -> Spills {
    let f = &m.functions[fi as usize];
    let fm = &meta[fi as usize];
    let (code, n) = (&f.code, f.regs.len());
    let empty = vec![0u64; n.div_ceil(64).max(1)];
    let lv = liveness::analyze(m, meta, fi);
    let liveness::Liveness { live_in, ud, succ } = &lv;

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

    // At a spill point: dirty, and live before the instruction (read through memory) or
    // after it — but for the register it defines, whose old value nothing reads again (if
    // the instruction reads it, it is live before). Before the instruction (a fuel refill,
    // where a snapshot may resume the frame at this instruction): dirty and live before it.
    let mut at = Vec::with_capacity(code.len());
    let mut before = Vec::with_capacity(code.len());
    for pc in 0..code.len() {
        let Some(dirty) = &dirty_in[pc] else {
            at.push(empty.clone());
            before.push(empty.clone());
            continue;
        };
        let and = |x: &RegSet| -> RegSet { dirty.iter().zip(x).map(|(d, l)| d & l).collect() };
        before.push(and(&live_in[pc]));
        if code[pc].op == Op::Call {
            // A `Call` copies its arguments from their variables into the callee's frame,
            // so they need to be in memory only if they are live after it.
            at.push(and(&lv.live_after_but_def(pc, &empty)));
        } else {
            // Live before = used here, or live after and not defined here.
            at.push(and(&live_in[pc]));
        }
    }
    Spills { at, before }
}
