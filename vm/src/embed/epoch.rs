//! The engine's clock for timeouts: a counter of milliseconds that one thread per engine
//! advances while some call's deadline lies ahead, as wasmtime's epochs are advanced.
//!
//! A call with a timeout arms its deadline by reading the counter and storing
//! `now + ticks` in its store's [`Interrupt`](crate::sandbox::Interrupt), which the
//! program compares with the counter when it polls (at each fuel refill). So arming costs
//! a load and a store: no lock, no allocation, no message to the thread.
//!
//! The thread runs until the clock reaches the furthest deadline armed (the *horizon*),
//! then parks; the call that arms a deadline past the horizon wakes it (the only arming
//! that takes a lock). The counter is the time since the clock started, so deadlines are
//! measured in real time even when the thread's sleeps run long; while the thread is
//! parked the counter stands still, and the call that wakes it brings it up to date
//! before reading it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One tick of the clock.
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// The ticks of a timeout: enough that the deadline cannot pass before `t` has (the
/// counter read when arming may be up to a tick behind), at least one.
pub(crate) fn ticks_of(t: Duration) -> u64 {
    let ms = t.as_nanos().div_ceil(TICK.as_nanos());
    u64::try_from(ms).unwrap_or(u64::MAX).saturating_add(1)
}

struct Shared {
    /// Ticks since `start`, as of the last update.
    now: Arc<AtomicU64>,
    /// The furthest deadline armed.
    horizon: AtomicU64,
    /// Whether the thread is ticking (false: parked, or not started).
    awake: AtomicBool,
    shutdown: AtomicBool,
    /// Whether the thread was started; held while waking it.
    state: Mutex<bool>,
    wake: Condvar,
    start: Instant,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, bool> {
        // The flag stays consistent if a holder panicked: it is one value.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings the counter up to the time since the clock started.
    fn update(&self) -> u64 {
        let t = u64::try_from(self.start.elapsed().as_nanos() / TICK.as_nanos()).unwrap_or(u64::MAX);
        self.now.fetch_max(t, Ordering::SeqCst).max(t)
    }
}

pub(crate) struct Clock {
    shared: Arc<Shared>,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            shared: Arc::new(Shared {
                now: Arc::new(AtomicU64::new(0)),
                horizon: AtomicU64::new(0),
                awake: AtomicBool::new(false),
                shutdown: AtomicBool::new(false),
                state: Mutex::new(false),
                wake: Condvar::new(),
                start: Instant::now(),
            }),
        }
    }

    /// The counter, for the interrupt flags of the engine's stores.
    pub(crate) fn counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.shared.now)
    }

    /// A deadline `ticks` from now (see [`ticks_of`]), with the clock running until it.
    #[inline]
    pub(crate) fn deadline(&self, ticks: u64) -> u64 {
        let s = &self.shared;
        let at = s.now.load(Ordering::Relaxed).saturating_add(ticks);
        if at <= s.horizon.load(Ordering::Relaxed) {
            // The thread ticks at least until the horizon, so until `at`.
            return at;
        }
        self.extend(ticks)
    }

    /// A deadline past the horizon: moves the horizon, and wakes (or starts) the thread
    /// if it is parked.
    #[cold]
    #[inline(never)]
    fn extend(&self, ticks: u64) -> u64 {
        let s = &self.shared;
        let at = s.now.load(Ordering::SeqCst).saturating_add(ticks);
        s.horizon.fetch_max(at, Ordering::SeqCst);
        // Paired with the thread's store of `awake = false` before it reads the horizon:
        // either it sees the new horizon and goes on ticking, or this sees it parked.
        if s.awake.load(Ordering::SeqCst) {
            return at;
        }
        let mut started = s.lock();
        // The counter stood still while the thread was parked: take the time now.
        let at = s.update().saturating_add(ticks);
        s.horizon.fetch_max(at, Ordering::SeqCst);
        s.awake.store(true, Ordering::SeqCst);
        if !*started {
            let shared = Arc::clone(s);
            let spawned = std::thread::Builder::new().name("kite-clock".into()).spawn(move || run(&shared));
            if spawned.is_err() {
                // No thread: the deadline passes at once rather than never.
                s.awake.store(false, Ordering::SeqCst);
                return 0;
            }
            *started = true;
        }
        s.wake.notify_one();
        at
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        let s = &self.shared;
        let _guard = s.lock();
        s.shutdown.store(true, Ordering::SeqCst);
        s.wake.notify_one();
    }
}

fn run(s: &Shared) {
    while !s.shutdown.load(Ordering::SeqCst) {
        std::thread::sleep(TICK);
        let now = s.update();
        if now < s.horizon.load(Ordering::SeqCst) {
            continue;
        }
        // Every deadline armed has passed: park until a call arms a later one.
        s.awake.store(false, Ordering::SeqCst);
        if s.horizon.load(Ordering::SeqCst) > s.now.load(Ordering::SeqCst) {
            s.awake.store(true, Ordering::SeqCst);
            continue;
        }
        let mut guard = s.lock();
        while !s.awake.load(Ordering::SeqCst) && !s.shutdown.load(Ordering::SeqCst) {
            guard = s.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
        drop(guard);
        s.update();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_is_at_least_its_ticks() {
        assert_eq!(ticks_of(Duration::from_millis(1)), 2);
        assert_eq!(ticks_of(Duration::from_micros(1500)), 3);
        assert_eq!(ticks_of(Duration::ZERO), 1);
        assert_eq!(ticks_of(Duration::MAX), u64::MAX);
    }

    #[test]
    fn the_clock_runs_until_the_deadline_and_parks_after_it() {
        let clock = Clock::new();
        let counter = clock.counter();
        let at = clock.deadline(ticks_of(Duration::from_millis(20)));
        while counter.load(Ordering::SeqCst) < at {
            std::thread::sleep(Duration::from_millis(1));
        }
        // It parks once the horizon has passed; a later deadline wakes it again.
        while clock.shared.awake.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let again = clock.deadline(ticks_of(Duration::from_millis(5)));
        assert!(again > at);
        while counter.load(Ordering::SeqCst) < again {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
