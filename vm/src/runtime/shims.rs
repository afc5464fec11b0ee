//! The `extern "C"` shims through which native code calls the runtime functions: a state
//! pointer, register indices or raw words in, a status word out. A shim never unwinds: a
//! trap (or, should one happen, a panic) is stored in the VM's pending-trap slot and the
//! shim returns [`TRAPPED`]; native code then returns to its caller with the same status,
//! frames untouched, until Rust code takes the trap ([`take_pending`]).
//!
//! Register-operand shims work on the innermost frame's registers in VM memory: native
//! code writes the operands an instruction reads to its frame before the call, and reads
//! `R[A]` back after it.

use super::code::OptInner;
use super::ops;
use super::trap::{Trap, TrapCode};
use super::vm::{NativeRet, Vm, NATIVE_TRAPPED};
use crate::bytecode::MathFn;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The status of a shim: carry on.
pub const OK: u32 = 0;
/// The status of a shim: a trap is pending in the VM; return to Rust.
pub const TRAPPED: u32 = 1;

/// Stores `t` as the pending trap.
fn pend(vm: &mut Vm, t: Trap) -> u32 {
    vm.pending = Some(t);
    TRAPPED
}

/// Runs `f` on the VM behind `vm`, turning a trap or a panic into a pending trap.
///
/// # Safety
/// `vm` points to a live `Vm` that nothing else uses during the call.
#[inline(always)]
unsafe fn run(vm: *mut Vm, f: impl FnOnce(&mut Vm) -> Result<(), Trap>) -> u32 {
    // Safety: the caller's promise.
    let vm = unsafe { &mut *vm };
    match catch_unwind(AssertUnwindSafe(|| f(vm))) {
        Ok(Ok(())) => OK,
        Ok(Err(t)) => pend(vm, t),
        Err(_) => pend(vm, Trap::new("internal error: a runtime function panicked")),
    }
}

/// Takes the pending trap (after a shim or native code returned [`TRAPPED`]).
pub fn take_pending(vm: &mut Vm) -> Trap {
    vm.pending.take().unwrap_or_else(|| Trap::new("internal error: no pending trap"))
}

/// Defines a shim for each register-operand runtime function `Vm::$op(regs, a, b, c)`:
/// `regs` is the innermost frame's register 0 in VM memory.
macro_rules! op_shims {
    ($($shim:ident => $op:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[doc = concat!("Native code's `", stringify!($op), "`: see `Vm::", stringify!($op), "`.")]
        ///
        /// # Safety
        /// `vm` is live and unused elsewhere; the instruction passed the verifier, its frame
        /// is the innermost, `regs` points at that frame's registers, and the registers it
        /// reads are current in VM memory.
        pub unsafe extern "C" fn $shim(vm: *mut Vm, regs: *mut u64, $($arg: u32),*) -> u32 {
            // Safety: the caller's promise, which is the op's.
            unsafe { run(vm, |vm| vm.$op(regs, $($arg as $ty),*)) }
        }
    )*};
}

/// Defines a shim for each runtime function `Vm::$op(a, b, c)` that finds the frame
/// itself (it may run the program, which can move the register stack).
macro_rules! frame_shims {
    ($($shim:ident => $op:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[doc = concat!("Native code's `", stringify!($op), "`: see `Vm::", stringify!($op), "`.")]
        ///
        /// # Safety
        /// `vm` is live and unused elsewhere; the instruction passed the verifier, its frame
        /// is the innermost, and the registers it reads are current in VM memory.
        pub unsafe extern "C" fn $shim(vm: *mut Vm, $($arg: u32),*) -> u32 {
            // Safety: the caller's promise, which is the op's.
            unsafe { run(vm, |vm| vm.$op($($arg as $ty),*)) }
        }
    )*};
}

op_shims! {
    rt_get_global => op_get_global(a: u16, g: u32);
    rt_concat => op_concat(a: u16, b: u16, c: u16);
    rt_to_str => op_to_str(a: u16, b: u16);
    rt_new_array => op_new_array(a: u16, b: u16, n: u16);
    rt_array_repeat => op_array_repeat(a: u16, b: u16, c: u16);
    rt_array_push => op_array_push(a: u16, b: u16);
    rt_new_map => op_new_map(a: u16);
    rt_map_get => op_map_get(a: u16, b: u16, c: u16);
    rt_map_set => op_map_set(a: u16, b: u16, c: u16);
    rt_map_get_opt => op_map_get_opt(a: u16, b: u16, c: u16);
    rt_wrap_opt => op_wrap_opt(a: u16, b: u16);
    rt_make_closure => op_make_closure(a: u16, f: u32, c: u16);
    rt_new_struct => op_new_struct(a: u16, s: u32, c: u16);
}

frame_shims! {
    rt_print => op_print(first: u16, n: u16);
    rt_call_builtin => op_call_builtin(a: u16, b: u16, c: u16);
    rt_call_host => op_call_host(a: u16, b: u16, c: u16);
}

/// Native code's `EqOpt`: see `Vm::op_eq_opt`.
///
/// # Safety
/// As the register-operand shims.
pub unsafe extern "C" fn rt_eq_opt(vm: *mut Vm, regs: *mut u64, a: u32, b: u32, c: u32) -> u32 {
    // Safety: the caller's promise, which is the op's.
    unsafe {
        run(vm, |vm| {
            vm.op_eq_opt(regs, a as u16, b as u16, c as u16);
            Ok(())
        })
    }
}

/// A trap raised by native code's inline checks: `code` is one of the `TRAP_*`
/// constants, `x` and `y` its operands (the index and the length of an out-of-bounds
/// access). Always returns [`TRAPPED`].
///
/// # Safety
/// `vm` is live and unused elsewhere.
pub unsafe extern "C" fn rt_trap(vm: *mut Vm, code: u32, x: i64, y: i64) -> u32 {
    let t: Trap = match code {
        TRAP_DIVISION_BY_ZERO => TrapCode::DivisionByZero.into(),
        TRAP_INDEX => ops::index_trap(x, y as usize),
        TRAP_UNWRAPPED_NIL => TrapCode::UnwrappedNil.into(),
        TRAP_STACK_OVERFLOW => TrapCode::StackOverflow.into(),
        _ => Trap::new("internal error: unknown trap code"),
    };
    // Safety: the caller's promise.
    pend(unsafe { &mut *vm }, t)
}

/// `division by zero`.
pub const TRAP_DIVISION_BY_ZERO: u32 = 1;
/// `index out of bounds: index X, length Y`.
pub const TRAP_INDEX: u32 = 2;
/// `unwrapped nil`.
pub const TRAP_UNWRAPPED_NIL: u32 = 3;
/// `stack overflow`.
pub const TRAP_STACK_OVERFLOW: u32 = 4;

/// The fuel countdown ran out: polls the interrupt flag and refills it (see `fuel.rs`),
/// using one unit.
///
/// # Safety
/// `vm` is live and unused elsewhere.
pub unsafe extern "C" fn rt_refill_one(vm: *mut Vm) -> u32 {
    // Safety: the caller's promise.
    unsafe {
        run(vm, |vm| {
            vm.tier_stats.native_samples += 1;
            vm.refill_one().map(|_| ())
        })
    }
}

/// Pushes a frame for `func` at register `base` returning into the caller's `ret_dst`,
/// when native code's inline push found no room (see `Vm::push_frame`): grows the stacks
/// or traps (`stack overflow`, `out of memory`). The new frame's registers are all zero.
///
/// # Safety
/// `vm` is live and unused elsewhere; `func` is a function of the module; the caller's
/// registers are current in VM memory (growing may collect).
pub unsafe extern "C" fn rt_push_frame(vm: *mut Vm, func: u32, base: u64, ret_dst: u32) -> u32 {
    // Safety: the caller's promise.
    unsafe { run(vm, |vm| vm.push_frame(func, base as usize, ret_dst as u16, 0)) }
}

/// `CallClosure`'s frame: pushes a frame for the closure in `R[b]` of the innermost frame
/// (`regs`), returning into `R[a]`, with the arguments from `R[c..]` and the closure's
/// captures; its other registers are zero. Native code then runs it (or
/// [`rt_call_pushed`]).
///
/// # Safety
/// As the register-operand shims; `R[b]` and the arguments are current in VM memory, and
/// so is every reference register (growing may collect).
pub unsafe extern "C" fn rt_push_closure(vm: *mut Vm, regs: *mut u64, a: u32, b: u32, c: u32) -> u32 {
    // Safety: the caller's promise, which is what `push_closure_frame` asks.
    unsafe { run(vm, |vm| vm.push_closure_frame(regs, a as u16, b as u16, c as u16)) }
}

/// Runs the innermost frame, which native code pushed and filled with `filled` arguments
/// and captures, in the interpreter (its function has no native code, or the machine
/// stack is too deep for more native frames): zeroes its other registers, runs it to its
/// return, and returns its result. The frame is popped on return, as native code's are.
/// Its signature is a [`NativeFn`](super::vm::NativeFn)'s, `filled` in place of the pc,
/// so that native code calls either the same way.
///
/// # Safety
/// `vm` is live and unused elsewhere; the innermost frame was pushed by native code and
/// its first `filled` registers hold the callee's arguments and captures.
pub unsafe extern "C" fn rt_call_pushed(
    vm: *mut Vm,
    _regs: *mut u64,
    filled: u32,
    ticks: u64,
    _index: usize,
    _base: usize,
) -> NativeRet {
    // Safety: the caller's promise.
    let vm = unsafe { &mut *vm };
    vm.ex.ticks = ticks;
    let r = catch_unwind(AssertUnwindSafe(|| {
        let f = vm.frames()[vm.depth() - 1];
        if let Some(hot) = vm.on_hot {
            hot(vm, super::vm::Hot::Call(f.func));
        }
        let n = vm.funcs.meta[f.func as usize].nregs;
        let from = (filled as usize).min(n);
        vm.regs_mut()[f.base + from..f.base + n].fill(0);
        let entry = vm.depth() - 1;
        let interpret = vm.interpret;
        interpret(vm, entry)
    }));
    let trapped = |vm: &mut Vm, t: Trap| {
        pend(vm, t);
        NativeRet { value: 0, ticks: NATIVE_TRAPPED }
    };
    match r {
        Ok(Ok(value)) => NativeRet { value, ticks: vm.ex.ticks },
        Ok(Err(t)) => trapped(vm, t),
        Err(_) => trapped(vm, Trap::new("internal error: a runtime function panicked")),
    }
}

/// `x == y` on strings (by content): 1 or 0.
///
/// # Safety
/// `x` and `y` are live string objects.
pub unsafe extern "C" fn rt_str_eq(x: u64, y: u64) -> u64 {
    // Safety: the caller's promise.
    unsafe { ops::str_eq(x, y) as u64 }
}

/// `x < y` on strings (byte-wise): 1 or 0.
///
/// # Safety
/// As [`rt_str_eq`].
pub unsafe extern "C" fn rt_str_lt(x: u64, y: u64) -> u64 {
    // Safety: the caller's promise.
    unsafe { ops::str_lt(x, y) as u64 }
}

/// `x <= y` on strings (byte-wise): 1 or 0.
///
/// # Safety
/// As [`rt_str_eq`].
pub unsafe extern "C" fn rt_str_le(x: u64, y: u64) -> u64 {
    // Safety: the caller's promise.
    unsafe { ops::str_le(x, y) as u64 }
}

/// `x == y` on optionals whose present values are held as `inner` says (0: an int or bool
/// box, 1: a float box, 2: a string, 3: another reference): 1 or 0.
///
/// # Safety
/// As `ops::opt_eq`.
pub unsafe extern "C" fn rt_opt_eq(x: u64, y: u64, inner: u32) -> u64 {
    let inner = match inner {
        0 => OptInner::Word,
        1 => OptInner::Float,
        2 => OptInner::Str,
        _ => OptInner::Ref,
    };
    // Safety: the caller's promise.
    unsafe { ops::opt_eq(x, y, inner) as u64 }
}

/// Math function `f` (a [`MathFn`] index) of `x`, exactly as the interpreter computes it.
pub extern "C" fn rt_math(f: u32, x: f64) -> f64 {
    match MathFn::from_u16(f as u16) {
        Some(f) => f.apply(x),
        None => f64::NAN,
    }
}

/// `pow(x, y)`.
pub extern "C" fn rt_pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// `atan2(x, y)`.
pub extern "C" fn rt_atan2(x: f64, y: f64) -> f64 {
    x.atan2(y)
}

/// `fmod(x, y)`: the float `%`.
pub extern "C" fn rt_fmod(x: f64, y: f64) -> f64 {
    x % y
}

/// `math.min` on floats.
pub extern "C" fn rt_fmin(x: f64, y: f64) -> f64 {
    ops::fmin(x, y)
}

/// `math.max` on floats.
pub extern "C" fn rt_fmax(x: f64, y: f64) -> f64 {
    ops::fmax(x, y)
}
