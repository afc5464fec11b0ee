//! Resource limits and the interrupt flag.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::runtime::trap::TrapCode;

/// The default call depth limit.
pub const DEFAULT_MAX_DEPTH: usize = 100_000;

/// Bounds on what a program may use. Hitting one is a clean trap of kind
/// [`TrapKind::Limit`](crate::runtime::trap::TrapKind) (`vm run` exits with 3); the
/// host and other stores are unaffected.
///
/// The default has no fuel, memory or time limit and the default call depth
/// ([`DEFAULT_MAX_DEPTH`]), so unbounded recursion still ends in `stack overflow`.
///
/// ```
/// use kite_vm::sandbox::Limits;
/// use std::time::Duration;
/// let limits = Limits::default().fuel(1_000_000).max_memory(64 << 20).timeout(Duration::from_secs(2));
/// assert_eq!(limits.get_fuel(), Some(1_000_000));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    fuel: Option<u64>,
    max_memory: Option<usize>,
    max_depth: usize,
    timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { fuel: None, max_memory: None, max_depth: DEFAULT_MAX_DEPTH, timeout: None }
    }
}

impl Limits {
    /// No limits but the default call depth (the same as [`Limits::default`]).
    pub fn none() -> Limits {
        Limits::default()
    }

    /// A deterministic instruction budget for the store: every call and every taken
    /// backward jump (each loop iteration) uses one unit, and the call that needs a unit
    /// when none is left traps with `out of fuel`. The same program with the same input
    /// and fuel always stops at the same instruction.
    pub fn fuel(mut self, units: u64) -> Limits {
        self.fuel = Some(units);
        self
    }

    /// The most heap memory the store's program may hold, in bytes (counted as the
    /// collector counts: object headers and contents). Going past it, after a collection,
    /// traps with `out of memory`.
    pub fn max_memory(mut self, bytes: usize) -> Limits {
        self.max_memory = Some(bytes);
        self
    }

    /// The deepest call nesting before `stack overflow`.
    pub fn max_depth(mut self, frames: usize) -> Limits {
        self.max_depth = frames;
        self
    }

    /// Wall-clock time for each call into the program (and for its global initializers
    /// at instantiation); past it the call traps with `timeout`. Not deterministic: use
    /// fuel for that.
    pub fn timeout(mut self, t: Duration) -> Limits {
        self.timeout = Some(t);
        self
    }

    /// The fuel budget, if any.
    pub fn get_fuel(&self) -> Option<u64> {
        self.fuel
    }

    /// The memory limit in bytes, if any.
    pub fn get_max_memory(&self) -> Option<usize> {
        self.max_memory
    }

    /// The call depth limit.
    pub fn get_max_depth(&self) -> usize {
        self.max_depth
    }

    /// The time limit of each call, if any.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }
}

/// What a running program polls (with its fuel, every ~1000 calls and loop iterations, and
/// while it waits for input) to learn it must stop: an interrupt request, set from another
/// thread by an [`InterruptHandle`](crate::embed::InterruptHandle), and the running
/// call's deadline, a point on the engine's clock.
///
/// The clock is a counter that a thread of the engine advances every millisecond while
/// some call's deadline lies ahead (see `embed/epoch.rs`); arming a deadline is reading
/// that counter, so a call with a timeout costs what one without does. The clock is an
/// epoch count, as in wasmtime's epoch interruption.
#[derive(Debug)]
pub struct Interrupt {
    bits: AtomicU8,
    /// The clock value at which the running call times out (`u64::MAX`: none).
    deadline: AtomicU64,
    /// The engine's clock (a private counter at 0 when the flag has none).
    clock: Arc<AtomicU64>,
}

impl Default for Interrupt {
    fn default() -> Interrupt {
        Interrupt::new()
    }
}

impl Interrupt {
    const INTERRUPTED: u8 = 1;
    /// A snapshot was asked for: not a stop by itself (see [`Interrupt::request_suspend`]).
    const SUSPEND: u8 = 4;

    /// A flag with nothing set and no clock (deadlines never pass).
    pub fn new() -> Interrupt {
        Interrupt::with_clock(Arc::default())
    }

    /// A flag whose deadlines are points on `clock`.
    pub fn with_clock(clock: Arc<AtomicU64>) -> Interrupt {
        Interrupt { bits: AtomicU8::new(0), deadline: AtomicU64::new(u64::MAX), clock }
    }

    /// Asks the running (or next) call to stop with `interrupted`.
    pub fn interrupt(&self) {
        self.bits.fetch_or(Self::INTERRUPTED, Ordering::Relaxed);
    }

    /// The running call times out when the clock reaches `at`.
    #[inline]
    pub fn set_deadline(&self, at: u64) {
        self.deadline.store(at, Ordering::Relaxed);
    }

    /// Asks the running call to suspend at its next safepoint (a call or loop jump that
    /// refills the fuel countdown, outside any built-in) so that a snapshot can be taken.
    /// One atomic operation: safe to call from a signal handler.
    pub fn request_suspend(&self) {
        self.bits.fetch_or(Self::SUSPEND, Ordering::Relaxed);
    }

    /// Whether a suspension was asked for, clearing the request.
    #[inline]
    pub fn take_suspend(&self) -> bool {
        self.bits.load(Ordering::Relaxed) & Self::SUSPEND != 0
            && self.bits.fetch_and(!Self::SUSPEND, Ordering::Relaxed) & Self::SUSPEND != 0
    }

    /// The running call has no deadline.
    #[inline]
    pub fn clear_deadline(&self) {
        self.deadline.store(u64::MAX, Ordering::Relaxed);
    }

    /// The trap if a stop is due, clearing what caused it: `timeout` when the deadline
    /// has passed (an interrupt asked for as well is then forgotten), else `interrupted`
    /// when an interrupt was asked for. (A suspension request stays for
    /// [`Interrupt::take_suspend`].)
    #[inline]
    pub fn take(&self) -> Option<TrapCode> {
        if self.clock.load(Ordering::Relaxed) >= self.deadline.load(Ordering::Relaxed) {
            self.clear_deadline();
            self.bits.fetch_and(Self::SUSPEND, Ordering::Relaxed);
            return Some(TrapCode::Timeout);
        }
        if self.bits.load(Ordering::Relaxed) & Self::INTERRUPTED == 0 {
            return None;
        }
        (self.bits.fetch_and(!Self::INTERRUPTED, Ordering::Relaxed) & Self::INTERRUPTED != 0)
            .then_some(TrapCode::Interrupted)
    }

    /// Whether an interrupt was asked for and not yet taken (a passed deadline aside).
    pub fn is_set(&self) -> bool {
        self.bits.load(Ordering::Relaxed) & Self::INTERRUPTED != 0
    }
}
