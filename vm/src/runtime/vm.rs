//! The state of an instantiated program, shared by every tier: the register stack and
//! frames, globals and constants, fuel and the interrupt flag, the pending trap, the heap,
//! and the per-function facts every tier reads. What native code reads and writes is the
//! [`Exec`] part, whose layout is fixed (`#[repr(C)]`) and whose field offsets are exported
//! ([`offsets`]).
//!
//! **The register stack may move.** It grows (and so may move) when a frame is pushed that
//! does not fit. Any code holding a pointer into it (the interpreter's register pointer,
//! native code's frame pointer) derives it again after anything that can push a frame: a
//! call, a built-in that calls a closure (`sort_by`), or a host call. Allocation and
//! collection never move it (nor any heap object: the collector does not move objects).

use super::trap::Trap;
use crate::bytecode::VerifiedModule;
use crate::heap::Heap;
use crate::host::{HostContext, HostFunc};
use crate::sandbox::Interrupt;
use std::io::Write;
use std::sync::Arc;

/// One activation of a function: which one, where its registers start, where it is.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    /// Index of its register 0 in the register stack.
    pub base: usize,
    /// The function.
    pub func: u32,
    /// The next instruction to run, saved when the frame calls out or traps (a trace
    /// shows the instruction before it).
    pub pc: u32,
    /// Where the caller wants the result: a register of the caller's frame.
    pub ret_dst: u32,
    pub(crate) _pad: u32,
}

/// The part of a [`Vm`] that native code reads and writes directly. The buffers it points
/// into are owned by the `Vm`; see the module docs for when they move.
#[repr(C)]
pub struct Exec {
    /// The register stack: `regs[..regs_len]`, every word initialized.
    pub regs: *mut u64,
    pub regs_len: usize,
    /// The frames, innermost last: `frames[..depth]` of `frames[..frames_cap]`.
    pub frames: *mut Frame,
    pub depth: usize,
    pub frames_cap: usize,
    /// Pushing a frame at this depth is `stack overflow`.
    pub max_depth: usize,
    /// `min(max_depth, frames_cap)`: a frame can be pushed without the slow path (which
    /// grows the frames or traps) while `depth < depth_limit`.
    pub depth_limit: usize,
    /// The fuel countdown: units taken from the budget and not used yet (see `fuel.rs`).
    pub ticks: u64,
    /// The globals, by index.
    pub globals: *mut u64,
    /// The constants' values, by index (string constants are objects of the heap).
    pub consts: *const u64,
    /// Per function, the address of its native code ([`NativeFn`]), or 0.
    pub natives: *const usize,
    /// Native code calls native code only while the machine stack pointer is above this
    /// address; below it, calls run in the interpreter, which does not use the machine
    /// stack for calls. (Depth is bounded by `max_depth` either way.)
    pub stack_limit: usize,
    /// The status of the last runtime call made through a trampoline that returns nothing
    /// (see `jit::code`): `shims::OK` or `shims::TRAPPED`.
    pub status: u64,
}

/// What native code returns: the function's result (it popped its frame), and the fuel
/// countdown after it — or [`NATIVE_TRAPPED`] in its place when a trap is pending (the
/// frames are as they were when it happened, and `Exec::ticks` is current).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct NativeRet {
    pub value: u64,
    pub ticks: u64,
}

/// [`NativeRet::ticks`] of a call that trapped.
pub const NATIVE_TRAPPED: u64 = u64::MAX;

/// A function's native code: `(vm, regs, pc, ticks, index, base)` where the frame is the
/// innermost, at `index` in the frames, its register 0 at `base` in the register stack and
/// at `regs` in memory; `ticks` is the fuel countdown (kept in a machine register from here
/// on: `Exec::ticks` is not current while native code runs, except around runtime calls);
/// `pc` is 0 for a call (the arguments and captures are in their registers) or a loop
/// header to enter at (every register is in memory: on-stack replacement of an interpreter
/// frame).
pub type NativeFn = unsafe extern "C" fn(*mut Vm, *mut u64, u32, u64, usize, usize) -> NativeRet;

impl Vm {
    /// Runs the innermost frame in native code `f` (a [`NativeFn`] of this VM's function
    /// table) from `pc`, with `regs` its registers; the frame's result, or its trap.
    ///
    /// # Safety
    /// `f` is the native code of the innermost frame's function, and `regs` points at that
    /// frame's registers; at `pc` 0 its arguments and captures are in place, at another pc
    /// (a loop header) every register is.
    #[inline]
    pub(crate) unsafe fn enter_native(&mut self, f: usize, regs: *mut u64, pc: u32) -> Result<u64, Trap> {
        let index = self.ex.depth - 1;
        // Safety: the caller's promise; the table holds `NativeFn` addresses.
        let r = unsafe {
            let base = (*self.ex.frames.add(index)).base;
            let native = std::mem::transmute::<usize, NativeFn>(f);
            native(self, regs, pc, self.ex.ticks, index, base)
        };
        if r.ticks == NATIVE_TRAPPED {
            return Err(super::shims::take_pending(self));
        }
        self.ex.ticks = r.ticks;
        Ok(r.value)
    }
}

/// Byte offsets of [`Exec`]'s fields within a [`Vm`], for native code.
pub mod offsets {
    use super::{Exec, Frame, Vm};
    use std::mem::offset_of;
    const E: usize = offset_of!(Vm, ex);
    pub const REGS: usize = E + offset_of!(Exec, regs);
    pub const REGS_LEN: usize = E + offset_of!(Exec, regs_len);
    pub const FRAMES: usize = E + offset_of!(Exec, frames);
    pub const DEPTH: usize = E + offset_of!(Exec, depth);
    pub const FRAMES_CAP: usize = E + offset_of!(Exec, frames_cap);
    pub const MAX_DEPTH: usize = E + offset_of!(Exec, max_depth);
    pub const DEPTH_LIMIT: usize = E + offset_of!(Exec, depth_limit);
    pub const TICKS: usize = E + offset_of!(Exec, ticks);
    pub const GLOBALS: usize = E + offset_of!(Exec, globals);
    pub const CONSTS: usize = E + offset_of!(Exec, consts);
    pub const NATIVES: usize = E + offset_of!(Exec, natives);
    pub const STACK_LIMIT: usize = E + offset_of!(Exec, stack_limit);
    pub const STATUS: usize = E + offset_of!(Exec, status);
    /// A frame's size and its fields' offsets.
    pub const FRAME_SIZE: usize = std::mem::size_of::<Frame>();
    pub const FRAME_BASE: usize = offset_of!(Frame, base);
    pub const FRAME_FUNC: usize = offset_of!(Frame, func);
    pub const FRAME_PC: usize = offset_of!(Frame, pc);
    pub const FRAME_RET_DST: usize = offset_of!(Frame, ret_dst);
}

/// Options of one run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Frames deeper than this trap with `stack overflow`.
    pub max_depth: usize,
    /// An instruction budget: one unit is used by every call (`Call`, `CallClosure`, and a
    /// built-in calling a closure, as `sort_by` does), every taken backward jump, and work
    /// inside built-ins in proportion to its size (see `fuel.rs`); the run traps with `out
    /// of fuel` (a resource limit) when a unit is needed and none is left. Deterministic:
    /// the same program and input use the same fuel. `None`: no limit.
    pub fuel: Option<u64>,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions { max_depth: crate::sandbox::DEFAULT_MAX_DEPTH, fuel: None }
    }
}

/// A program instantiated and ready to run: its heap, globals and stacks.
pub struct Vm {
    /// What native code reads and writes (offsets in [`offsets`]).
    pub(crate) ex: Exec,
    pub module: VerifiedModule,
    pub heap: Heap,
    /// The globals' and constants' memory (`ex` points into it; every access goes through
    /// `ex`). The register stack and the frames are allocated by `frames.rs`.
    pub(crate) global_store: Vec<u64>,
    pub(crate) global_refs: Vec<usize>,
    /// Globals of non-optional reference type: reading one before its initializer ran traps.
    pub(crate) global_needs_init: Vec<bool>,
    pub(crate) const_store: Vec<u64>,
    /// Per-function facts and the code each tier runs.
    pub(crate) funcs: super::code::Funcs,
    pub(crate) host: Vec<HostFunc>,
    pub out: Box<dyn Write + Send>,
    pub err: Box<dyn Write + Send>,
    /// References held by built-ins across a re-entrant call.
    pub(crate) temp_roots: Vec<u64>,
    pub(crate) opts: RunOptions,
    /// Fuel left (`u64::MAX` when the run has no limit, which cannot run out in practice),
    /// apart from what was moved to `ex.ticks`.
    pub(crate) fuel: u64,
    /// Set from another thread (an interrupt handle, the timeout watchdog) to stop the run.
    pub(crate) interrupt: Option<Arc<Interrupt>>,
    /// A trap raised where it cannot be returned (inside native code) until it can.
    pub(crate) pending: Option<Trap>,
    /// What host functions reach through their `Caller`: the sandbox, arguments, seed.
    pub(crate) ctx: Box<HostContext>,
    /// How deeply built-ins have re-entered the program (`sort_by` comparators).
    pub(crate) native_depth: u32,
    /// The text of the line `print` is writing, reused between calls.
    pub(crate) line: String,
    /// The value of each function without captures, made on first use.
    pub(crate) fn_values: Vec<u64>,
    /// Runs frames until the depth drops back to `entry`: the tier that executes code.
    /// Set by whoever makes the `Vm` (the runtime itself never runs code).
    pub(crate) runner: Runner,
    /// The interpreter as a runner: what runs a frame that has no native code.
    pub(crate) interpret: Runner,
    /// Per function, its native code's address or 0 (`ex.natives` points here).
    pub(crate) native_table: Vec<usize>,
    /// The tier's own state (the JIT's compiled code), kept alive with the `Vm`.
    pub(crate) tier_state: Option<Box<dyn std::any::Any + Send>>,
    /// Told of hot spots (fuel refills, interpreted calls from native code) when the tier
    /// compiles as the program runs; returns whether the innermost frame's function has
    /// native code now.
    pub(crate) on_hot: Option<fn(&mut Vm, Hot) -> bool>,
    /// Fuel counted even without a limit (to find hot spots): the interpreter runs its
    /// counting code.
    pub(crate) sampling: bool,
    /// Units of fuel moved to the countdown at once (at most `fuel::TICK_CHUNK`).
    pub(crate) tick_chunk: u64,
    /// Bytes of machine stack native code may use below the point where a call from the
    /// host entered the program.
    pub(crate) native_stack: usize,
    /// Counters of the tiers.
    pub tier_stats: TierStats,
    /// Fuel used before this run started (by earlier calls of the store, or before the
    /// snapshot it resumed), and the budget it started with (`u64::MAX` without a limit):
    /// fuel used so far is `fuel_base + fuel_start - fuel - ex.ticks`.
    pub(crate) fuel_base: u64,
    pub(crate) fuel_start: u64,
    /// Suspend at the first safepoint once this much fuel is used in all (`--snapshot-on=fuel:N`).
    pub(crate) suspend_at: Option<u64>,
    /// The frames running are `<init>`'s, and `main` is to run after them (`run_main`).
    pub(crate) then_main: bool,
    /// The snapshot of a run that suspended (taken before its frames were dropped).
    pub(crate) suspension: Option<Vec<u8>>,
}

/// A hot spot reported to the tier (see `Vm::on_hot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hot {
    /// The fuel countdown ran out in the innermost frame (at a call or a loop jump).
    Sample,
    /// Native code called this function, which has no native code.
    Call(u32),
}

/// Counters of the execution tiers, for `--stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TierStats {
    /// Functions compiled to native code.
    pub functions_compiled: u64,
    /// Functions native code could not be made for (they run in the interpreter).
    pub compile_failures: u64,
    /// Functions too large to be worth compiling (they run in the interpreter).
    pub too_large: u64,
    /// Entries into native code in the middle of an interpreted frame (at a loop header).
    pub osr_entries: u64,
    /// Time spent compiling, in nanoseconds; and the longest single compile.
    pub compile_ns: u64,
    pub max_compile_ns: u64,
    /// Each compile's time, in nanoseconds, in the order they happened.
    pub compile_ns_each: Vec<u64>,
    /// Where the fuel countdown ran out (every `tick_chunk` units, 1024 by default): in
    /// native code or in the interpreter. Their ratio estimates the share of the run's
    /// time each tier took.
    pub native_samples: u64,
    pub interp_samples: u64,
}

impl TierStats {
    /// The median time of one function's compile, in nanoseconds (0 if none).
    pub fn median_compile_ns(&self) -> u64 {
        let mut each = self.compile_ns_each.clone();
        each.sort_unstable();
        each.get(each.len() / 2).copied().unwrap_or(0)
    }
}

/// Runs the frames above `entry` to completion and returns the result of the frame at
/// `entry` (see [`Vm::runner`]).
pub(crate) type Runner = fn(&mut Vm, usize) -> Result<u64, Trap>;

// Safety: the raw pointers of `Exec` point into buffers the `Vm` owns (the register stack
// and frames it allocated, `global_store`, `const_store`), which move with it; nothing is
// shared with other `Vm`s, so moving a `Vm` to another thread is sound.
unsafe impl Send for Vm {}

impl Vm {
    /// The innermost frame.
    ///
    /// # Safety
    /// At least one frame is pushed.
    #[inline(always)]
    pub(crate) unsafe fn top(&self) -> Frame {
        // Safety: `frames[..depth]` are initialized frames, and depth > 0 (the caller's promise).
        unsafe { *self.ex.frames.add(self.ex.depth - 1) }
    }

    /// The frames, outermost first.
    pub(crate) fn frames(&self) -> &[Frame] {
        // Safety: `frames[..depth]` are initialized frames of the buffer `frames.rs` owns.
        unsafe { std::slice::from_raw_parts(self.ex.frames, self.ex.depth) }
    }

    /// The number of frames pushed.
    #[inline(always)]
    pub(crate) fn depth(&self) -> usize {
        self.ex.depth
    }

    /// The register stack.
    pub(crate) fn regs(&self) -> &[u64] {
        // Safety: `regs[..regs_len]` are initialized words of the buffer `frames.rs` owns.
        unsafe { std::slice::from_raw_parts(self.ex.regs, self.ex.regs_len) }
    }

    /// The register stack, to change.
    pub(crate) fn regs_mut(&mut self) -> &mut [u64] {
        // Safety: as in `regs`; `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.ex.regs, self.ex.regs_len) }
    }

    /// Register `r` of the frame at `base`.
    #[inline(always)]
    pub(crate) fn reg(&self, base: usize, r: u16) -> u64 {
        self.regs()[base + r as usize]
    }

    /// Sets register `r` of the frame at `base`.
    #[inline(always)]
    pub(crate) fn set_reg(&mut self, base: usize, r: u16, v: u64) {
        self.regs_mut()[base + r as usize] = v;
    }

    /// What host functions see of the world: the sandbox, `env.args()`, the `rand` seed.
    /// (A `Store` manages this; code that drives a `Vm` directly sets it here.)
    pub fn host_context_mut(&mut self) -> &mut HostContext {
        &mut self.ctx
    }

    /// Fuel used in all: by this run so far, and before it (see [`Vm::set_fuel_base`]).
    /// Counted only by runs that count fuel (a fuel limit, an interrupt flag, a suspension
    /// point, or the `auto` tier).
    pub fn fuel_used(&self) -> u64 {
        self.fuel_base.wrapping_add(self.fuel_start.wrapping_sub(self.fuel).wrapping_sub(self.ex.ticks))
    }

    /// Fuel used before the next run (by earlier runs of the store, or before a snapshot):
    /// [`Vm::fuel_used`] and the suspension point count from the program's start.
    pub fn set_fuel_base(&mut self, used: u64) {
        self.fuel_base = used;
    }

    /// Suspends the run at its first safepoint (a call or loop jump, outside any built-in)
    /// once `used` units of fuel are used in all; the run ends with the trap `suspended`
    /// and [`Vm::take_suspension`] has its snapshot. `None`: never.
    pub fn suspend_at_fuel(&mut self, used: Option<u64>) {
        self.suspend_at = used;
    }

    /// The snapshot of the run that ended with `suspended`, once.
    pub fn take_suspension(&mut self) -> Option<Vec<u8>> {
        self.suspension.take()
    }

    /// Fuel left, if the run has a fuel limit.
    pub fn fuel_left(&self) -> Option<u64> {
        self.opts.fuel.map(|_| self.fuel + self.ex.ticks)
    }

    /// The run's options.
    pub fn options(&self) -> &RunOptions {
        &self.opts
    }

    /// Sets the options of the next run (the fuel budget starts again at `opts.fuel`).
    pub fn set_options(&mut self, opts: RunOptions) {
        self.fuel = opts.fuel.unwrap_or(u64::MAX);
        self.fuel_start = self.fuel;
        self.ex.ticks = 0;
        self.ex.max_depth = opts.max_depth;
        self.ex.depth_limit = opts.max_depth.min(self.ex.frames_cap);
        self.opts = opts;
    }

    /// Flushes the program's output streams; an error says output was lost.
    pub fn flush(&mut self) -> std::io::Result<()> {
        let out = self.out.flush();
        let err = self.err.flush();
        out.and(err)
    }
}
