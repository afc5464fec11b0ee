//! The dispatch loop. Hot state (code pointer, pc, register base) lives in locals; it is
//! written back to the frame only when control leaves the loop body (calls, built-ins,
//! collections, traps). Slow paths are out-of-line methods.

use super::Vm;
use crate::bytecode::{Builtin, Instr, Kind, MathFn, Op, Type};
use crate::heap::map::{key_kind_of, KeyKind};
use crate::heap::{array_of, map_of, str_of, BoxObj, ClosureObj, MapObj, StructObj};
use crate::runtime::format::{key_text, write_value};
use crate::runtime::trap::Trap;

/// The state of the executing frame that every instruction uses, cached in locals. The
/// rest (base, function) is read from the frame where it is needed: fewer values live
/// across the loop leaves the hot ones in machine registers.
struct Cur {
    code: *const Instr,
    pc: usize,
}

impl Vm {
    /// Runs until the frame count drops back to `entry`; returns the last frame's result.
    pub(crate) fn run(&mut self, entry: usize) -> Result<u64, Trap> {
        // Runs that count fuel run the verified code; the others its copy without fuel
        // (see `code.rs`). Both are the same loop.
        self.code.select(self.metered(), &self.module, &mut self.meta);
        match self.run_inner(entry) {
            Ok(v) => Ok(v),
            Err(t) => Err(self.unwind(t, entry)),
        }
    }

    #[inline(always)]
    fn load_cur(&self) -> Cur {
        let f = *self.frames.last().expect("a frame");
        let m = &self.meta[f.func as usize];
        Cur { code: m.code, pc: f.pc }
    }

    #[inline(always)]
    fn save_pc(&mut self, pc: usize) {
        if let Some(f) = self.frames.last_mut() {
            f.pc = pc;
        }
    }

    // `!(x < y)` is deliberate in the float branches: it is true for NaN operands.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    #[inline(never)]
    fn run_inner(&mut self, entry: usize) -> Result<u64, Trap> {
        let mut cur = self.load_cur();
        let mut regs: *mut u64 = self.stack.as_mut_ptr().wrapping_add(self.frames.last().expect("a frame").base);

        // Safety (for every `unsafe` in this loop): the module passed `verify::verify`
        // (Vm::new runs it), and this loop relies on exactly these of its rules (the names
        // are the headings of the verifier's module docs and of docs/bytecode.md):
        // - Frames: every register operand an instruction uses, and the end of every
        //   register window (call arguments, literals, captures, Print), is below the
        //   function's register count. push_frame made `stack[base..base + nregs]` exist, and
        //   `regs` is re-derived after anything that can grow `stack`, so `regs.add(i)` and
        //   the `from_raw_parts` windows stay inside the frame.
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
        // The copy of the code that counts no fuel (`code.rs`) has the verified code's
        // operands and jump targets, and its twins mean the same apart from fuel, so the
        // rules hold of it too. And on this loop's own invariant: it runs only while the
        // frame it entered with (or one it pushed) is on the stack, so `frame!()` has a frame.
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
        // The running frame (its function and register base).
        macro_rules! frame {
            () => {
                *self.frames.last().unwrap_unchecked()
            };
        }
        macro_rules! reload {
            () => {{
                cur = self.load_cur();
                regs = self.stack.as_mut_ptr().add(frame!().base);
            }};
        }
        macro_rules! trap {
            ($t:expr) => {{
                self.save_pc(cur.pc);
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
        // Collects when the heap passed its threshold; past the memory limit even after
        // collecting, `out of memory`.
        macro_rules! gc_point {
            () => {
                if self.heap.should_collect() {
                    self.save_pc(cur.pc);
                    tri!(self.collect_at_safepoint());
                }
            };
        }
        // One unit of fuel per `Call`, `CallClosure` and taken `Loop…` jump (every cycle has
        // one): a countdown whose refill (every ~1000 units) also polls the interrupt flag.
        // Runs without fuel or interrupts run the copy of the code without these (their
        // `…NoFuel` and `Jmp…` twins), so they never get here.
        macro_rules! burn_fuel {
            () => {
                // One decrement and a branch on its borrow.
                let (left, empty) = self.ticks.overflowing_sub(1);
                self.ticks = left;
                if empty {
                    tri!(self.refill_one());
                }
            };
        }
        macro_rules! jump {
            ($off:expr) => {
                cur.pc = (cur.pc as isize + $off as isize) as usize
            };
        }
        macro_rules! loop_jump {
            ($off:expr) => {{
                burn_fuel!();
                jump!($off)
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

        // The bodies of `Call` and `CallClosure`, which their no-fuel twins share.
        macro_rules! call {
            ($a:ident, $b:ident, $c:ident) => {{
                let callee = $b as u32;
                let m = self.meta.get_unchecked(callee as usize);
                let (np, n, code) = (m.nparams, m.nregs, m.code);
                let caller = frame!();
                let new_base = caller.base + self.meta.get_unchecked(caller.func as usize).nregs;
                if new_base + n > self.stack.len() || self.frames.len() >= self.opts.max_depth {
                    self.save_pc(cur.pc);
                    tri!(self.push_frame(callee, new_base, $a));
                    let src = caller.base + $c as usize;
                    self.stack.copy_within(src..src + np, new_base);
                    reload!();
                    continue;
                }
                self.frames.last_mut().unwrap_unchecked().pc = cur.pc;
                self.frames.push(super::Frame { func: callee, base: new_base, pc: 0, ret_dst: $a });
                let src = regs.add($c as usize);
                let dst = self.stack.as_mut_ptr().add(new_base);
                for i in 0..np {
                    *dst.add(i) = *src.add(i);
                }
                for i in np..n {
                    *dst.add(i) = 0;
                }
                cur = Cur { code, pc: 0 };
                regs = dst;
            }};
        }
        macro_rules! call_closure {
            ($a:ident, $b:ident, $c:ident) => {{
                let clo = r!($b) as *const ClosureObj;
                let callee = (*clo).hdr.aux;
                let caller = frame!();
                let new_base = caller.base + self.meta.get_unchecked(caller.func as usize).nregs;
                self.save_pc(cur.pc);
                tri!(self.push_frame(callee, new_base, $a));
                let m = self.meta.get_unchecked(callee as usize);
                let (np, nc) = (m.nparams, m.ncaptures);
                let src = caller.base + $c as usize;
                self.stack.copy_within(src..src + np, new_base);
                let caps = &(*clo).captures;
                self.stack[new_base + np..new_base + np + nc].copy_from_slice(&caps[..nc]);
                reload!();
            }};
        }

        loop {
            unsafe {
                let ins = *cur.code.add(cur.pc);
                cur.pc += 1;
                let (a, b, c) = (ins.a, ins.b, ins.c);
                match ins.op {
                    Op::Nop => {}
                    Op::Move => r!(a) = r!(b),
                    Op::LoadInt => r!(a) = ins.sbc() as i64 as u64,
                    Op::LoadConst => r!(a) = *self.consts.get_unchecked(ins.bc() as usize),
                    Op::LoadBool => r!(a) = (ins.bc() != 0) as u64,
                    Op::LoadNil => r!(a) = 0,
                    Op::GetGlobal => {
                        let g = ins.bc() as usize;
                        let v = *self.globals.get_unchecked(g);
                        if v == 0 && self.global_needs_init[g] {
                            trap!(Trap::new(format!(
                                "global '{}' is used before it is initialized",
                                self.module.globals[g].name
                            )));
                        }
                        r!(a) = v;
                    }
                    Op::SetGlobal => *self.globals.get_unchecked_mut(ins.bc() as usize) = r!(a),

                    Op::AddI => r!(a) = ri!(b).wrapping_add(ri!(c)) as u64,
                    Op::SubI => r!(a) = ri!(b).wrapping_sub(ri!(c)) as u64,
                    Op::MulI => r!(a) = ri!(b).wrapping_mul(ri!(c)) as u64,
                    Op::DivI => {
                        let d = ri!(c);
                        if d == 0 {
                            trap!(Trap::new("division by zero"));
                        }
                        r!(a) = ri!(b).wrapping_div(d) as u64;
                    }
                    Op::RemI => {
                        let d = ri!(c);
                        if d == 0 {
                            trap!(Trap::new("division by zero"));
                        }
                        r!(a) = ri!(b).wrapping_rem(d) as u64;
                    }
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
                    Op::EqS => r!(a) = (str_of(r!(b)) == str_of(r!(c))) as u64,
                    Op::NeS => r!(a) = (str_of(r!(b)) != str_of(r!(c))) as u64,
                    Op::LtS => r!(a) = (str_of(r!(b)).as_bytes() < str_of(r!(c)).as_bytes()) as u64,
                    Op::LeS => r!(a) = (str_of(r!(b)).as_bytes() <= str_of(r!(c)).as_bytes()) as u64,
                    Op::EqRef => r!(a) = (r!(b) == r!(c)) as u64,
                    Op::EqOpt => {
                        let ty = self.reg_type(frame!().func, b);
                        r!(a) = self.opt_eq(r!(b), r!(c), ty) as u64;
                    }
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
                        self.save_pc(cur.pc);
                        let f = frame!();
                        let v = tri!(self.call_host(f.func, f.base, b, c));
                        regs = self.stack.as_mut_ptr().add(f.base);
                        if self.module.imports[b as usize].ret.is_some() {
                            r!(a) = v;
                        }
                        gc_point!();
                    }
                    Op::CallBuiltin => {
                        self.save_pc(cur.pc);
                        gc_point!();
                        let bi = match Builtin::from_u16(b) {
                            Some(x) => x,
                            None => std::hint::unreachable_unchecked(),
                        };
                        // A built-in may run guest code (sort_by's comparator), which uses
                        // `self.ticks`.
                        let f = frame!();
                        let v = self.builtin(bi, f.func, f.base, a, c);
                        let v = tri!(v);
                        regs = self.stack.as_mut_ptr().add(f.base);
                        if let Some(v) = v {
                            r!(a) = v;
                        }
                    }
                    Op::Ret | Op::RetVoid => {
                        let v = if ins.op == Op::Ret { r!(a) } else { 0 };
                        let done = self.frames.pop().unwrap_unchecked();
                        if self.frames.len() == entry {
                            return Ok(v);
                        }
                        let f = *self.frames.last().unwrap_unchecked();
                        let m = self.meta.get_unchecked(f.func as usize);
                        cur = Cur { code: m.code, pc: f.pc };
                        regs = self.stack.as_mut_ptr().add(f.base);
                        if ins.op == Op::Ret {
                            r!(done.ret_dst) = v;
                        }
                    }
                    Op::MakeClosure => {
                        let n = self.meta.get_unchecked(b as usize).ncaptures;
                        if n == 0 {
                            // A function without captures is one value: `f == f` holds.
                            r!(a) = self.function_value(b as u32);
                            continue;
                        }
                        gc_point!();
                        let caps: Box<[u64]> = std::slice::from_raw_parts(regs.add(c as usize), n).into();
                        r!(a) = self.heap.alloc_closure(b as u32, caps);
                    }

                    Op::NewArray => {
                        gc_point!();
                        let elem_ref = self.elem_is_ref(frame!().func, a);
                        let items = std::slice::from_raw_parts(regs.add(b as usize), c as usize).to_vec();
                        r!(a) = self.heap.alloc_array(items, elem_ref);
                    }
                    Op::ArrayRepeat => {
                        gc_point!();
                        let n = ri!(c);
                        let elem_ref = self.elem_is_ref(frame!().func, a);
                        let v = tri!(self.repeat_array(r!(b), n, elem_ref));
                        r!(a) = v;
                    }
                    Op::GetIndex => {
                        let arr = array_of(r!(b));
                        let i = ri!(c);
                        match arr.items.get(i as usize) {
                            Some(&v) if i >= 0 => r!(a) = v,
                            _ => trap!(Trap::index_out_of_bounds(i, arr.items.len())),
                        }
                    }
                    Op::SetIndex => {
                        let arr = array_of(r!(a));
                        let i = ri!(b);
                        let len = arr.items.len();
                        match arr.items.get_mut(i as usize) {
                            Some(slot) if i >= 0 => *slot = r!(c),
                            _ => trap!(Trap::index_out_of_bounds(i, len)),
                        }
                    }
                    Op::ArrayLen => r!(a) = array_of(r!(b)).items.len() as u64,
                    Op::ArrayPush => {
                        let arr = array_of(r!(a));
                        if arr.items.len() == arr.items.capacity() {
                            gc_point!();
                            let grow = array_of(r!(a)).items.capacity().max(4) * 8;
                            tri!(self.reserve_heap(grow));
                            let arr = array_of(r!(a));
                            let before = arr.items.capacity();
                            if arr.items.try_reserve(1).is_err() {
                                trap!(Trap::limit("out of memory"));
                            }
                            let grown = arr.items.capacity() - before;
                            self.heap.account(grown * 8);
                        }
                        array_of(r!(a)).items.push(r!(b));
                    }
                    Op::NewMap => {
                        gc_point!();
                        let (kk, vref) = self.map_kinds(frame!().func, a);
                        r!(a) = self.heap.alloc_map(MapObj::new(kk, vref));
                    }
                    Op::MapGet => {
                        let m = map_of(r!(b));
                        let k = m.key(r!(c));
                        match m.map.get(&k) {
                            Some(&v) => r!(a) = v,
                            None => {
                                let kt = self.reg_type(frame!().func, c);
                                trap!(Trap::new(format!("key not found: {}", key_text(&self.module, r!(c), kt))));
                            }
                        }
                    }
                    Op::MapSet => {
                        let m = map_of(r!(a));
                        let k = m.key(r!(b));
                        let before = m.map.capacity();
                        m.map.insert(k, r!(c));
                        let after = m.map.capacity();
                        if after != before {
                            self.heap.account((after - before) * 40);
                            gc_point!();
                        }
                    }
                    Op::MapGetOpt => {
                        let m = map_of(r!(b));
                        let k = m.key(r!(c));
                        match m.map.get(&k).copied() {
                            None => r!(a) = 0,
                            Some(v) if m.val_is_ref => r!(a) = v,
                            Some(v) => {
                                gc_point!();
                                r!(a) = self.heap.alloc_box(v);
                            }
                        }
                    }
                    Op::NewStruct => {
                        gc_point!();
                        let n = self.module.structs.get_unchecked(b as usize).fields.len();
                        let fields = std::slice::from_raw_parts(regs.add(c as usize), n);
                        r!(a) = self.heap.alloc_struct(b as u32, fields);
                    }
                    Op::GetField => r!(a) = *StructObj::field(r!(b) as *mut StructObj, c as usize),
                    Op::SetField => *StructObj::field(r!(a) as *mut StructObj, b as usize) = r!(c),

                    Op::WrapOpt => {
                        gc_point!();
                        r!(a) = self.heap.alloc_box(r!(b));
                    }
                    Op::UnwrapBox => {
                        let p = r!(b);
                        if p == 0 {
                            trap!(Trap::new("unwrapped nil"));
                        }
                        r!(a) = (*(p as *const BoxObj)).value;
                    }
                    Op::UnwrapRef => {
                        let p = r!(b);
                        if p == 0 {
                            trap!(Trap::new("unwrapped nil"));
                        }
                        r!(a) = p;
                    }

                    Op::StrLen => r!(a) = str_of(r!(b)).len() as u64,
                    Op::Concat => {
                        gc_point!();
                        let (x, y) = (str_of(r!(b)), str_of(r!(c)));
                        tri!(self.reserve_heap(x.len().saturating_add(y.len())));
                        match self.heap.try_alloc_str_parts(&[x, y]) {
                            Some(s) => r!(a) = s,
                            None => trap!(Trap::limit("out of memory")),
                        }
                    }
                    Op::ToStr => {
                        gc_point!();
                        let ty = self.reg_type(frame!().func, b);
                        let mut s = String::new();
                        write_value(&mut s, &self.module, r!(b), ty);
                        r!(a) = self.heap.alloc_string(s);
                    }
                    Op::Print => {
                        self.save_pc(cur.pc);
                        let f = frame!();
                        tri!(self.print_line(f.func, f.base, b, c, false));
                    }
                }
            }
        }
    }

    /// The declared type of register `r` of function `func`.
    #[inline]
    pub(crate) fn reg_type(&self, func: u32, r: u16) -> u32 {
        self.module.functions[func as usize].regs[r as usize]
    }

    /// Whether the array in register `r` holds references.
    fn elem_is_ref(&self, func: u32, r: u16) -> bool {
        match self.module.ty(self.reg_type(func, r)) {
            Type::Array(e) => self.module.kind(*e) == Kind::Ref,
            _ => false,
        }
    }

    fn map_kinds(&self, func: u32, r: u16) -> (KeyKind, bool) {
        match self.module.ty(self.reg_type(func, r)) {
            Type::Map(k, v) => (key_kind_of(self.module.ty(*k)), self.module.kind(*v) == Kind::Ref),
            _ => (KeyKind::Int, false),
        }
    }

    fn repeat_array(&mut self, v: u64, n: i64, elem_ref: bool) -> Result<u64, Trap> {
        if n < 0 {
            return Err(Trap::new(format!("negative array length: {n}")));
        }
        self.reserve_heap((n as usize).saturating_mul(8))?;
        let mut items: Vec<u64> = Vec::new();
        if items.try_reserve_exact(n as usize).is_err() {
            return Err(Trap::limit("out of memory"));
        }
        items.resize(n as usize, v);
        Ok(self.heap.alloc_array(items, elem_ref))
    }

    /// `==` on two optionals of the register's type.
    fn opt_eq(&self, x: u64, y: u64, ty: u32) -> bool {
        if x == 0 || y == 0 {
            return x == y;
        }
        let Type::Optional(inner) = self.module.ty(ty) else {
            return x == y;
        };
        // Safety: `ty` is the verified type of the registers `x` and `y` came from (EqOpt's
        // rule: both T?), and a non-nil T? holds a box when T is int, float or bool (only
        // WrapOpt, MapGetOpt and the built-ins with `int?`/`float?`/`V?` results make them)
        // and a T otherwise (Move from a T register); a str is a live string object.
        unsafe {
            match self.module.ty(*inner) {
                Type::Int | Type::Bool => (*(x as *const BoxObj)).value == (*(y as *const BoxObj)).value,
                Type::Float => {
                    f64::from_bits((*(x as *const BoxObj)).value) == f64::from_bits((*(y as *const BoxObj)).value)
                }
                Type::Str => str_of(x) == str_of(y),
                _ => x == y,
            }
        }
    }

    /// Writes the values in registers `first..first+n` of the current frame, space separated.
    pub(crate) fn print_line(&mut self, func: u32, base: usize, first: u16, n: u16, to_err: bool) -> Result<(), Trap> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        for i in 0..n {
            if i > 0 {
                line.push(' ');
            }
            let r = first + i;
            let ty = self.reg_type(func, r);
            write_value(&mut line, &self.module, self.stack[base + r as usize], ty);
        }
        line.push('\n');
        let res = if to_err {
            let _ = self.out.flush();
            self.err.write_all(line.as_bytes())
        } else {
            self.out.write_all(line.as_bytes())
        };
        self.line = line;
        res.map_err(|e| Trap::new(format!("cannot write output: {e}")))
    }
}

/// `math.min` on floats: NaN if either is NaN, else the smaller (the first when equal).
fn fmin(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if y < x {
        y
    } else {
        x
    }
}

/// `math.max` on floats: NaN if either is NaN, else the larger (the first when equal).
fn fmax(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if y > x {
        y
    } else {
        x
    }
}
