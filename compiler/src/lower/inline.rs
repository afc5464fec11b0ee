//! Inlining of small leaf functions: a call to a function whose body is a short,
//! straight-line run of instructions that cannot trap, allocate or call is replaced by
//! that body, with the callee's registers renamed into fresh registers of the caller.
//!
//! What may not change does not: no inlined instruction can trap (so stack traces are the
//! same), allocate (so collections happen at the same points) or call (so depth limits are
//! the same). Fuel is counted on the bytecode that runs, the same in every tier.

use kite_vm::bytecode::{Function, Instr, Module, Op};
use std::collections::HashSet;

/// Callees longer than this are not inlined.
const MAX_BODY: usize = 16;

/// Inlines every call to a small leaf function, in every function of `m`.
pub fn inline_leaf_calls(m: &mut Module) {
    let inlinable: Vec<bool> = m.functions.iter().map(is_inlinable).collect();
    for i in 0..m.functions.len() {
        if let Some(f) = inline_into(&m.functions[i], &m.functions, &inlinable) {
            m.functions[i] = f;
        }
    }
}

/// Whether `f` is a leaf whose body cannot trap, allocate or call, ending in its only
/// return.
fn is_inlinable(f: &Function) -> bool {
    if !f.captures.is_empty() || f.code.is_empty() || f.code.len() > MAX_BODY {
        return false;
    }
    let (last, body) = f.code.split_last().expect("non-empty");
    if !matches!(last.op, Op::Ret | Op::RetVoid) {
        return false;
    }
    // Registers known to hold a non-zero int (a divisor that cannot trap).
    let mut nonzero: HashSet<u16> = HashSet::new();
    for ins in body {
        let ok = match ins.op {
            Op::LoadInt => {
                if ins.sbc() != 0 {
                    nonzero.insert(ins.a);
                    continue;
                }
                true
            }
            // Division traps only on a zero divisor.
            Op::DivI | Op::RemI => nonzero.contains(&ins.c),
            // What the opcode table says cannot trap, allocate, call, jump or return.
            op => op.is_plain(),
        };
        if !ok {
            return false;
        }
        nonzero.remove(&ins.a);
    }
    true
}

/// `caller` with its calls to inlinable functions replaced by their bodies, or `None`
/// when nothing was inlined (or a jump would no longer fit its operand).
fn inline_into(caller: &Function, all: &[Function], inlinable: &[bool]) -> Option<Function> {
    let is_site = |ins: &Instr| ins.op == Op::Call && inlinable.get(ins.b as usize).copied().unwrap_or(false);
    if !caller.code.iter().any(is_site) {
        return None;
    }
    let mut regs = caller.regs.clone();
    let mut code = Vec::with_capacity(caller.code.len() * 2);
    let mut locs = Vec::with_capacity(caller.code.len() * 2);
    // new_pc[old] = where old instruction `old` (or its inlined body) starts.
    let mut new_pc = Vec::with_capacity(caller.code.len() + 1);
    // For each new instruction that is a jump of the caller: its old index.
    let mut jumps: Vec<(usize, usize)> = Vec::new();
    for (old, ins) in caller.code.iter().enumerate() {
        new_pc.push(code.len());
        let loc = caller.locs[old];
        if !is_site(ins) {
            if ins.op.is_jump() {
                jumps.push((code.len(), old));
            }
            code.push(*ins);
            locs.push(loc);
            continue;
        }
        let callee = &all[ins.b as usize];
        let np = callee.params.len() as u16;
        // Parameters read the caller's argument window; other registers are fresh.
        let fresh = regs.len();
        if fresh + callee.regs.len() > u16::MAX as usize {
            return None;
        }
        regs.extend_from_slice(&callee.regs);
        let map = |r: u16| if r < np { ins.c + r } else { (fresh + r as usize) as u16 };
        let (body, last) = callee.code.split_at(callee.code.len() - 1);
        for b in body {
            let (ra, rb, rc) = b.op.format().register_operands();
            let mut n = *b;
            if ra {
                n.a = map(b.a);
            }
            if rb {
                n.b = map(b.b);
            }
            if rc {
                n.c = map(b.c);
            }
            code.push(n);
            locs.push(loc);
        }
        if last[0].op == Op::Ret && callee.ret.is_some() {
            code.push(Instr::new(Op::Move, ins.a, map(last[0].a), 0));
            locs.push(loc);
        }
    }
    new_pc.push(code.len());
    if code.len() > super::limits::MAX_CODE {
        return None;
    }
    for (at, old) in jumps {
        let ins = code[at];
        let old_target = ins.jump_target(old);
        let off = new_pc[old_target] as i64 - (at as i64 + 1);
        code[at] = ins.with_jump_offset(off)?;
    }
    Some(Function { regs, code, locs, ..caller.clone() })
}
