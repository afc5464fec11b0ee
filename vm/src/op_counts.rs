//! How often each opcode ran, per tier (feature `op-counts`, for measuring what a corpus of
//! programs exercises; off in normal builds, where it costs nothing).
//!
//! The interpreter counts each instruction it dispatches; native code counts each
//! instruction at the start of its translation, so an instruction native code ran is
//! counted for the native tier however it was carried out (inline or through a runtime
//! function). Counters are shared by every VM of the process and only ever grow.

use crate::bytecode::Op;
use std::sync::atomic::{AtomicU64, Ordering};

/// One counter per opcode, indexed by `Op as usize`.
pub struct Counts([AtomicU64; 256]);

impl Counts {
    const fn new() -> Counts {
        Counts([const { AtomicU64::new(0) }; 256])
    }

    /// Counts one execution of `op`.
    #[inline(always)]
    pub fn hit(&self, op: Op) {
        self.0[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The address of `op`'s counter (native code adds to it directly).
    pub fn addr(&self, op: Op) -> usize {
        self.0[op as usize].as_ptr() as usize
    }

    /// Executions of each opcode of the table so far.
    pub fn get(&self) -> Vec<(Op, u64)> {
        Op::ALL.iter().map(|&op| (op, self.0[op as usize].load(Ordering::Relaxed))).collect()
    }
}

/// Instructions the interpreter dispatched.
pub static INTERP: Counts = Counts::new();
/// Instructions native code ran.
pub static NATIVE: Counts = Counts::new();
