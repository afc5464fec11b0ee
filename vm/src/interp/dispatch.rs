//! The dispatch loop. Hot state (code pointer, pc, register pointer) lives in locals; the
//! pc is written back to the frame only when control leaves the loop body (calls, runtime
//! functions that may trap, traps). Everything beyond a word operation is a runtime
//! function (`crate::runtime`), the same one native code calls.

use crate::bytecode::{Instr, MathFn, Op};
use crate::heap::{array_of, str_of, BoxObj, StructObj};
use crate::runtime::ops::{closure_func, div_int, fmax, fmin, index_trap, rem_int, str_eq, str_le, str_lt};
use crate::runtime::trap::{Trap, TrapCode};
use crate::runtime::{Frame, Vm};

/// The state of the executing frame that every instruction uses, cached in locals. The
/// rest (base, function) is read from the frame where it is needed: fewer values live
/// across the loop leaves the hot ones in machine registers.
struct Cur {
    code: *const Instr,
    pc: usize,
}

/// Runs `vm`'s frames above `entry` until the frame count drops back to `entry`; returns
/// the last popped frame's result. (The interpreter as a `Vm`'s runner.)
pub fn run(vm: &mut Vm, entry: usize) -> Result<u64, Trap> {
    // Runs that count fuel run the verified code; the others its copy without fuel (see
    // `runtime::code`). Both are the same loop.
    let metered = vm.metered();
    vm.funcs.select(metered, &vm.module);
    // Safety: `entry` is below the depth: the caller pushed the frame to run.
    unsafe { vm.run_inner(entry) }
}

impl Vm {
    #[inline(always)]
    unsafe fn load_cur(&self) -> Cur {
        // Safety: a frame is pushed (the loop runs only while one above `entry` is).
        unsafe {
            let f = self.top();
            Cur { code: self.funcs.meta.get_unchecked(f.func as usize).code, pc: f.pc as usize }
        }
    }

    // `!(x < y)` is deliberate in the float branches: it is true for NaN operands.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    #[inline(never)]
    unsafe fn run_inner(&mut self, entry: usize) -> Result<u64, Trap> {
        // Safety: see below; a frame is pushed.
        let mut cur = unsafe { self.load_cur() };
        // The running frame, and its registers.
        let mut fp: *mut Frame = unsafe { self.ex.frames.add(self.ex.depth - 1) };
        let mut regs: *mut u64 = unsafe { self.ex.regs.add((*fp).base) };

        // Safety (for every `unsafe` in this loop): the module passed `verify::verify`
        // (Vm::new runs it), and this loop relies on exactly these of its rules (the names
        // are the headings of the verifier's module docs and of docs/bytecode.md):
        // - Frames: every register operand an instruction uses, and the end of every
        //   register window (call arguments, literals, captures, Print), is below the
        //   function's register count. push_frame made `regs[base..base + nregs]` exist, and
        //   `regs` is re-derived after anything that can grow the register stack (calls,
        //   built-ins, host calls), so `regs.add(i)` stays inside the frame.
        // - Control: every jump target is an instruction of the function and no reachable
        //   instruction falls off its end, so `code.add(pc)` is in bounds. Calls start at
        //   pc 0 of a function with at least one instruction; returns resume after the call.
        // - Types and definite assignment: each register holds a value of its declared type,
        //   and one of a non-optional reference type is written before it is read. So
        //   `str_of`, `array_of`, `map_of`, `BoxObj`, `StructObj::field` and `ClosureObj`
        //   reads see live objects of the kind the type says (the collector keeps them alive:
        //   every reference register of every frame is a root). Struct objects are made only
        //   by NewStruct with every field of their struct, so a field index the verifier
        //   accepted for the type is inside the object; closures of a `fn(P..) -> R` type are
        //   made only from functions with those parameter and result types.
        // - Indices: constants, globals, functions, structs, built-ins and math functions
        //   named by operands exist, so `get_unchecked` is in bounds and the
        //   `unreachable_unchecked` arms cannot be reached.
        // The copy of the code that counts no fuel (`runtime::code`) has the verified code's
        // operands and jump targets, and its twins mean the same apart from fuel, so the
        // rules hold of it too. The runtime functions (`op_*`) rely on the same rules, and
        // on the instruction's frame being the innermost, which it is. And on this loop's
        // own invariant: it runs only while the frame it entered with (or one it pushed) is
        // on the stack, so `self.top()` has a frame, and `fp` points at it (derived again
        // after anything that can push frames, which may move them).
        macro_rules! r {
            ($i:expr) => {
                *regs.add($i as usize)
            };
        }
        macro_rules! ri {
            ($i:expr) => {
                (*regs.add($i as usize) as i64)
            };
        }
        macro_rules! rf {
            ($i:expr) => {
                f64::from_bits(*regs.add($i as usize))
            };
        }
        macro_rules! reload {
            () => {{
                fp = self.ex.frames.add(self.ex.depth - 1);
                cur = Cur { code: self.funcs.meta.get_unchecked((*fp).func as usize).code, pc: (*fp).pc as usize };
                regs = self.ex.regs.add((*fp).base);
            }};
        }
        macro_rules! save_pc {
            () => {
                (*fp).pc = cur.pc as u32
            };
        }
        macro_rules! trap {
            ($t:expr) => {{
                save_pc!();
                return Err($t);
            }};
        }
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(t) => trap!(t),
                }
            };
        }
        // One unit of fuel per `Call`, `CallClosure` and taken `Loop…` jump (every cycle has
        // one): a countdown whose refill (every ~1000 units) also polls the interrupt flag.
        // Runs without fuel or interrupts run the copy of the code without these (their
        // `…NoFuel` and `Jmp…` twins), so they never get here.
        macro_rules! burn_fuel {
            () => {{
                // One decrement and a branch on its borrow.
                let (left, empty) = self.ex.ticks.overflowing_sub(1);
                self.ex.ticks = left;
                if empty {
                    self.tier_stats.interp_samples += 1;
                    tri!(self.refill_one())
                } else {
                    false
                }
            }};
        }
        macro_rules! jump {
            ($off:expr) => {
                cur.pc = (cur.pc as isize + $off as isize) as usize
            };
        }
        // After the frame at `fp` returned `$v` (popped by whoever ran it): back to its
        // caller, or out of the loop if it was the frame this run entered with.
        macro_rules! returned {
            ($v:expr, $ret_dst:expr, $write:expr) => {{
                if self.ex.depth == entry {
                    return Ok($v);
                }
                reload!();
                if $write {
                    r!($ret_dst) = $v;
                }
            }};
        }
        // The machine stack still has room for native frames (see `Exec::stack_limit`).
        macro_rules! stack_ok {
            () => {{
                let probe = 0u8;
                (&probe as *const u8 as usize) > self.ex.stack_limit
            }};
        }
        // A taken loop jump whose refill said the function now has native code: the rest
        // of this frame runs natively from the loop header (on-stack replacement).
        macro_rules! osr {
            () => {{
                let nf = *self.ex.natives.add((*fp).func as usize);
                if nf != 0 && stack_ok!() {
                    self.tier_stats.osr_entries += 1;
                    let done = *fp;
                    let has_ret = self.funcs.meta.get_unchecked(done.func as usize).has_ret;
                    // On a trap the frames (and their pcs) are as native code left them.
                    let v = self.enter_native(nf, regs, cur.pc as u32)?;
                    returned!(v, done.ret_dst, has_ret);
                }
            }};
        }
        macro_rules! loop_jump {
            ($off:expr) => {{
                let hot = burn_fuel!();
                jump!($off);
                if hot {
                    osr!();
                }
            }};
        }
        macro_rules! jump_if {
            ($cond:expr, $off:expr) => {
                if $cond {
                    jump!($off)
                }
            };
        }
        macro_rules! loop_if {
            ($cond:expr, $off:expr) => {
                if $cond {
                    loop_jump!($off)
                }
            };
        }

        // The bodies of `Call` and `CallClosure`, which their no-fuel twins share. The
        // callee's frame starts right after the caller's registers; its arguments come from
        // the caller's window `R[C..]`.
        macro_rules! call {
            ($a:ident, $b:ident, $c:ident) => {{
                let callee = $b as u32;
                let m = self.funcs.meta.get_unchecked(callee as usize);
                let (np, n, code) = (m.nparams, m.nregs, m.code);
                let caller = *fp;
                let new_base = caller.base + self.funcs.meta.get_unchecked(caller.func as usize).nregs;
                save_pc!();
                fp = tri!(self.push_frame_sized(callee, n, new_base, $a, np));
                let src = self.ex.regs.add(caller.base + $c as usize);
                let dst = self.ex.regs.add(new_base);
                for i in 0..np {
                    *dst.add(i) = *src.add(i);
                }
                enter!(callee, $a, code, dst);
            }};
        }
        // The callee's frame is pushed and filled: run it natively if it has native code
        // (and the machine stack has room), else here.
        macro_rules! enter {
            ($callee:expr, $a:expr, $code:expr, $dst:expr) => {{
                let nf = *self.ex.natives.add($callee as usize);
                if nf != 0 && stack_ok!() {
                    let has_ret = self.funcs.meta.get_unchecked($callee as usize).has_ret;
                    let v = self.enter_native(nf, $dst, 0)?;
                    // The callee popped its frame: back in this one.
                    reload!();
                    if has_ret {
                        r!($a) = v;
                    }
                } else {
                    cur = Cur { code: $code, pc: 0 };
                    regs = $dst;
                }
            }};
        }
        macro_rules! call_closure {
            ($a:ident, $b:ident, $c:ident) => {{
                let clo = r!($b);
                let callee = closure_func(clo);
                let m = self.funcs.meta.get_unchecked(callee as usize);
                let (np, nc, n, code) = (m.nparams, m.ncaptures, m.nregs, m.code);
                let caller = *fp;
                let new_base = caller.base + self.funcs.meta.get_unchecked(caller.func as usize).nregs;
                save_pc!();
                fp = tri!(self.push_frame_sized(callee, n, new_base, $a, np + nc));
                let src = self.ex.regs.add(caller.base + $c as usize);
                let dst = self.ex.regs.add(new_base);
                for i in 0..np {
                    *dst.add(i) = *src.add(i);
                }
                let caps = &(*(clo as *const crate::heap::ClosureObj)).captures;
                for i in 0..nc {
                    *dst.add(np + i) = *caps.get_unchecked(i);
                }
                enter!(callee, $a, code, dst);
            }};
        }

        loop {
            unsafe {
                let ins = *cur.code.add(cur.pc);
                cur.pc += 1;
                #[cfg(feature = "op-counts")]
                crate::op_counts::INTERP.hit(ins.op);
                let (a, b, c) = (ins.a, ins.b, ins.c);
                match ins.op {
                    Op::Nop => {}
                    Op::Move => r!(a) = r!(b),
                    Op::LoadInt => r!(a) = ins.sbc() as i64 as u64,
                    Op::LoadConst => r!(a) = *self.ex.consts.add(ins.bc() as usize),
                    Op::LoadBool => r!(a) = (ins.bc() != 0) as u64,
                    Op::LoadNil => r!(a) = 0,
                    Op::GetGlobal => tri!(self.op_get_global(regs, a, ins.bc())),
                    Op::SetGlobal => *self.ex.globals.add(ins.bc() as usize) = r!(a),

                    Op::AddI => r!(a) = ri!(b).wrapping_add(ri!(c)) as u64,
                    Op::SubI => r!(a) = ri!(b).wrapping_sub(ri!(c)) as u64,
                    Op::MulI => r!(a) = ri!(b).wrapping_mul(ri!(c)) as u64,
                    Op::DivI => r!(a) = tri!(div_int(ri!(b), ri!(c))) as u64,
                    Op::RemI => r!(a) = tri!(rem_int(ri!(b), ri!(c))) as u64,
                    Op::AndI => r!(a) = r!(b) & r!(c),
                    Op::OrI => r!(a) = r!(b) | r!(c),
                    Op::XorI => r!(a) = r!(b) ^ r!(c),
                    Op::ShlI => r!(a) = r!(b) << (r!(c) & 63),
                    Op::ShrI => r!(a) = (ri!(b) >> (r!(c) & 63)) as u64,
                    Op::AddIImm => r!(a) = ri!(b).wrapping_add(ins.sc() as i64) as u64,
                    Op::NegI => r!(a) = ri!(b).wrapping_neg() as u64,
                    Op::BitNotI => r!(a) = !r!(b),

                    Op::AddF => r!(a) = (rf!(b) + rf!(c)).to_bits(),
                    Op::SubF => r!(a) = (rf!(b) - rf!(c)).to_bits(),
                    Op::MulF => r!(a) = (rf!(b) * rf!(c)).to_bits(),
                    Op::DivF => r!(a) = (rf!(b) / rf!(c)).to_bits(),
                    Op::RemF => r!(a) = (rf!(b) % rf!(c)).to_bits(),
                    Op::NegF => r!(a) = (-rf!(b)).to_bits(),
                    Op::IntToFloat => r!(a) = (ri!(b) as f64).to_bits(),
                    Op::FloatToInt => r!(a) = (rf!(b) as i64) as u64,
                    Op::Math => {
                        let f = match MathFn::from_u16(c) {
                            Some(f) => f,
                            None => std::hint::unreachable_unchecked(),
                        };
                        r!(a) = f.apply(rf!(b)).to_bits();
                    }
                    Op::Pow => r!(a) = rf!(b).powf(rf!(c)).to_bits(),
                    Op::Atan2 => r!(a) = rf!(b).atan2(rf!(c)).to_bits(),
                    Op::MinI => r!(a) = ri!(b).min(ri!(c)) as u64,
                    Op::MaxI => r!(a) = ri!(b).max(ri!(c)) as u64,
                    Op::MinF => r!(a) = fmin(rf!(b), rf!(c)).to_bits(),
                    Op::MaxF => r!(a) = fmax(rf!(b), rf!(c)).to_bits(),
                    Op::AbsI => r!(a) = ri!(b).wrapping_abs() as u64,

                    Op::EqI => r!(a) = (r!(b) == r!(c)) as u64,
                    Op::NeI => r!(a) = (r!(b) != r!(c)) as u64,
                    Op::LtI => r!(a) = (ri!(b) < ri!(c)) as u64,
                    Op::LeI => r!(a) = (ri!(b) <= ri!(c)) as u64,
                    Op::EqF => r!(a) = (rf!(b) == rf!(c)) as u64,
                    Op::NeF => r!(a) = (rf!(b) != rf!(c)) as u64,
                    Op::LtF => r!(a) = (rf!(b) < rf!(c)) as u64,
                    Op::LeF => r!(a) = (rf!(b) <= rf!(c)) as u64,
                    Op::EqB => r!(a) = (r!(b) == r!(c)) as u64,
                    Op::NeB => r!(a) = (r!(b) != r!(c)) as u64,
                    Op::EqS => r!(a) = str_eq(r!(b), r!(c)) as u64,
                    Op::NeS => r!(a) = !str_eq(r!(b), r!(c)) as u64,
                    Op::LtS => r!(a) = str_lt(r!(b), r!(c)) as u64,
                    Op::LeS => r!(a) = str_le(r!(b), r!(c)) as u64,
                    Op::EqRef => r!(a) = (r!(b) == r!(c)) as u64,
                    Op::EqOpt => self.op_eq_opt(regs, a, b, c),
                    Op::IsNil => r!(a) = (r!(b) == 0) as u64,
                    Op::Not => r!(a) = (r!(b) == 0) as u64,

                    // Each jump next to its loop twin: the same test; the twin jumps back and
                    // uses fuel. The verifier made the directions so (Control).
                    Op::Jmp => jump!(ins.sbc()),
                    Op::Loop => loop_jump!(ins.sbc()),
                    Op::JmpIf => jump_if!(r!(a) != 0, ins.sbc()),
                    Op::LoopIf => loop_if!(r!(a) != 0, ins.sbc()),
                    Op::JmpIfNot => jump_if!(r!(a) == 0, ins.sbc()),
                    Op::LoopIfNot => loop_if!(r!(a) == 0, ins.sbc()),
                    Op::JmpIfNil => jump_if!(r!(a) == 0, ins.sbc()),
                    Op::LoopIfNil => loop_if!(r!(a) == 0, ins.sbc()),
                    Op::JmpIfNotNil => jump_if!(r!(a) != 0, ins.sbc()),
                    Op::LoopIfNotNil => loop_if!(r!(a) != 0, ins.sbc()),
                    Op::JmpIfLtI => jump_if!(ri!(a) < ri!(b), ins.sc()),
                    Op::LoopIfLtI => loop_if!(ri!(a) < ri!(b), ins.sc()),
                    Op::JmpIfNotLtI => jump_if!(ri!(a) >= ri!(b), ins.sc()),
                    Op::LoopIfNotLtI => loop_if!(ri!(a) >= ri!(b), ins.sc()),
                    Op::JmpIfLeI => jump_if!(ri!(a) <= ri!(b), ins.sc()),
                    Op::LoopIfLeI => loop_if!(ri!(a) <= ri!(b), ins.sc()),
                    Op::JmpIfNotLeI => jump_if!(ri!(a) > ri!(b), ins.sc()),
                    Op::LoopIfNotLeI => loop_if!(ri!(a) > ri!(b), ins.sc()),
                    Op::JmpIfEqI => jump_if!(r!(a) == r!(b), ins.sc()),
                    Op::LoopIfEqI => loop_if!(r!(a) == r!(b), ins.sc()),
                    Op::JmpIfNeI => jump_if!(r!(a) != r!(b), ins.sc()),
                    Op::LoopIfNeI => loop_if!(r!(a) != r!(b), ins.sc()),
                    Op::JmpIfLtF => jump_if!(rf!(a) < rf!(b), ins.sc()),
                    Op::LoopIfLtF => loop_if!(rf!(a) < rf!(b), ins.sc()),
                    Op::JmpIfLeF => jump_if!(rf!(a) <= rf!(b), ins.sc()),
                    Op::LoopIfLeF => loop_if!(rf!(a) <= rf!(b), ins.sc()),
                    Op::JmpIfNotLtF => jump_if!(!(rf!(a) < rf!(b)), ins.sc()),
                    Op::LoopIfNotLtF => loop_if!(!(rf!(a) < rf!(b)), ins.sc()),
                    Op::JmpIfNotLeF => jump_if!(!(rf!(a) <= rf!(b)), ins.sc()),
                    Op::LoopIfNotLeF => loop_if!(!(rf!(a) <= rf!(b)), ins.sc()),
                    Op::JmpIfLtIK => jump_if!(ri!(a) < ins.sb() as i64, ins.sc()),
                    Op::LoopIfLtIK => loop_if!(ri!(a) < ins.sb() as i64, ins.sc()),
                    Op::JmpIfNotLtIK => jump_if!(ri!(a) >= ins.sb() as i64, ins.sc()),
                    Op::LoopIfNotLtIK => loop_if!(ri!(a) >= ins.sb() as i64, ins.sc()),
                    Op::JmpIfLeIK => jump_if!(ri!(a) <= ins.sb() as i64, ins.sc()),
                    Op::LoopIfLeIK => loop_if!(ri!(a) <= ins.sb() as i64, ins.sc()),
                    Op::JmpIfNotLeIK => jump_if!(ri!(a) > ins.sb() as i64, ins.sc()),
                    Op::LoopIfNotLeIK => loop_if!(ri!(a) > ins.sb() as i64, ins.sc()),
                    Op::JmpIfEqIK => jump_if!(ri!(a) == ins.sb() as i64, ins.sc()),
                    Op::LoopIfEqIK => loop_if!(ri!(a) == ins.sb() as i64, ins.sc()),
                    Op::JmpIfNeIK => jump_if!(ri!(a) != ins.sb() as i64, ins.sc()),
                    Op::LoopIfNeIK => loop_if!(ri!(a) != ins.sb() as i64, ins.sc()),

                    Op::Call => {
                        burn_fuel!();
                        call!(a, b, c)
                    }
                    Op::CallNoFuel => call!(a, b, c),
                    Op::CallClosure => {
                        burn_fuel!();
                        call_closure!(a, b, c)
                    }
                    Op::CallClosureNoFuel => call_closure!(a, b, c),
                    Op::CallHost => {
                        save_pc!();
                        tri!(self.op_call_host(a, b, c));
                        reload!();
                    }
                    Op::CallBuiltin => {
                        // A built-in may run guest code (sort_by's comparator), which may
                        // grow the register stack.
                        save_pc!();
                        tri!(self.op_call_builtin(a, b, c));
                        reload!();
                    }
                    Op::Ret | Op::RetVoid => {
                        let v = if ins.op == Op::Ret { r!(a) } else { 0 };
                        let done = *fp;
                        self.ex.depth -= 1;
                        if self.ex.depth == entry {
                            return Ok(v);
                        }
                        fp = fp.sub(1);
                        cur = Cur {
                            code: self.funcs.meta.get_unchecked((*fp).func as usize).code,
                            pc: (*fp).pc as usize,
                        };
                        regs = self.ex.regs.add((*fp).base);
                        if ins.op == Op::Ret {
                            r!(done.ret_dst) = v;
                        }
                    }
                    Op::MakeClosure => tri!(self.op_make_closure(regs, a, b as u32, c)),

                    Op::NewArray => tri!(self.op_new_array(regs, a, b, c)),
                    Op::ArrayRepeat => tri!(self.op_array_repeat(regs, a, b, c)),
                    Op::GetIndex => {
                        let arr = array_of(r!(b));
                        let i = ri!(c);
                        match arr.get(i as usize) {
                            Some(v) => r!(a) = v,
                            None => trap!(index_trap(i, arr.len())),
                        }
                    }
                    Op::SetIndex => {
                        let arr = array_of(r!(a));
                        let i = ri!(b);
                        if !arr.set(i as usize, r!(c)) {
                            trap!(index_trap(i, arr.len()));
                        }
                    }
                    Op::ArrayLen => r!(a) = array_of(r!(b)).len() as u64,
                    Op::ArrayPush => tri!(self.op_array_push(regs, a, b)),
                    Op::NewMap => tri!(self.op_new_map(regs, a)),
                    Op::MapGet => tri!(self.op_map_get(regs, a, b, c)),
                    Op::MapSet => tri!(self.op_map_set(regs, a, b, c)),
                    Op::MapGetOpt => tri!(self.op_map_get_opt(regs, a, b, c)),
                    Op::NewStruct => tri!(self.op_new_struct(regs, a, b as u32, c)),
                    Op::GetField => r!(a) = *StructObj::field(r!(b) as *mut StructObj, c as usize),
                    Op::SetField => *StructObj::field(r!(a) as *mut StructObj, b as usize) = r!(c),

                    Op::WrapOpt => tri!(self.op_wrap_opt(regs, a, b)),
                    Op::UnwrapBox => {
                        let p = r!(b);
                        if p == 0 {
                            trap!(TrapCode::UnwrappedNil.into());
                        }
                        r!(a) = (*(p as *const BoxObj)).value;
                    }
                    Op::UnwrapRef => {
                        let p = r!(b);
                        if p == 0 {
                            trap!(TrapCode::UnwrappedNil.into());
                        }
                        r!(a) = p;
                    }

                    Op::StrLen => r!(a) = str_of(r!(b)).len() as u64,
                    Op::Concat => tri!(self.op_concat(regs, a, b, c)),
                    Op::ToStr => tri!(self.op_to_str(regs, a, b)),
                    Op::Print => {
                        save_pc!();
                        tri!(self.op_print(b, c));
                    }
                }
            }
        }
    }
}
