//! Fuel and the interrupt flag.
//!
//! Fuel is deterministic: one unit per call (`Call`, `CallClosure`, a built-in calling a
//! closure) and per taken loop jump (`Loop…`, the only jumps that go backward), and, inside
//! built-ins, one unit per [`WORK_PER_FUEL`] elements or bytes of work proportional to
//! their input. A counted run keeps a countdown (`Exec::ticks`) of units taken from the
//! budget in chunks; when it runs out, `Vm::refill` polls the interrupt flag and takes
//! the next chunk, or traps with `out of fuel`. So the flag costs nothing per instruction,
//! and is polled at least every `TICK_CHUNK` units.

use super::trap::{Trap, TrapCode};
use super::vm::Vm;

/// The most fuel `refill` moves to the countdown at once: the interrupt flag is polled at
/// least this often (in calls and taken backward jumps).
pub(crate) const TICK_CHUNK: u64 = 1024;

/// Elements or bytes of work inside a built-in (copying, searching, formatting) that one
/// unit of fuel pays for.
pub const WORK_PER_FUEL: usize = 1024;

impl Vm {
    /// Whether runs count fuel (and so poll the interrupt flag): with a fuel limit or an
    /// interrupt flag. Other runs run the interpreter's copy of the code that uses no fuel
    /// (`code.rs`), so calls and loop jumps cost them nothing extra.
    #[inline]
    pub(crate) fn metered(&self) -> bool {
        self.opts.fuel.is_some() || self.interrupt.is_some() || self.sampling || self.suspend_at.is_some()
    }

    /// The countdown reached 0: stops the run if the interrupt flag is set or the fuel is
    /// gone, else moves the next chunk of fuel to the countdown.
    #[cold]
    #[inline(never)]
    pub(crate) fn refill(&mut self) -> Result<(), Trap> {
        self.poll_interrupt()?;
        if self.fuel == 0 {
            return Err(TrapCode::OutOfFuel.into());
        }
        let mut n = self.fuel.min(self.tick_chunk);
        if let Some(at) = self.suspend_at {
            // Run out exactly where the suspension point is (and one unit at a time past
            // it, until a safepoint suspends).
            n = n.min(at.saturating_sub(self.fuel_used()).max(1));
        }
        self.fuel -= n;
        self.ex.ticks = n;
        Ok(())
    }

    /// The countdown wrapped below 0: refills it (or stops) and uses one unit. When the
    /// tier compiles as the program runs, this is also where it hears of hot spots; the
    /// result says whether the innermost frame's function has native code now (a loop
    /// jump then enters it).
    #[cold]
    #[inline(never)]
    pub(crate) fn refill_one(&mut self) -> Result<bool, Trap> {
        self.ex.ticks = 0;
        if self.native_depth == 0 && self.suspend_requested() {
            // A safepoint: every frame is in VM memory, the innermost one at the call or
            // loop jump that needs this unit (it runs again when the snapshot resumes).
            return Err(TrapCode::Suspended.into());
        }
        self.refill()?;
        self.ex.ticks -= 1;
        Ok(match self.on_hot {
            Some(hot) if self.depth() > 0 => hot(self, super::vm::Hot::Sample),
            _ => false,
        })
    }

    /// Whether the run is to suspend here: its suspension point is reached, or a snapshot
    /// was asked for (clearing the request).
    fn suspend_requested(&self) -> bool {
        self.suspend_at.is_some_and(|at| self.fuel_used() >= at)
            || self.interrupt.as_ref().is_some_and(|i| i.take_suspend())
    }

    /// Uses one unit of fuel (metered runs only).
    #[inline]
    pub(crate) fn burn(&mut self) -> Result<(), Trap> {
        if self.metered() {
            if self.ex.ticks == 0 {
                self.refill()?;
            }
            self.ex.ticks -= 1;
        }
        Ok(())
    }

    /// Pays for `work` elements or bytes of work inside a built-in: one unit of fuel per
    /// [`WORK_PER_FUEL`] (rounded down, so small work is free), and a poll of the
    /// interrupt flag. Metered runs only; deterministic.
    pub(crate) fn burn_work(&mut self, work: usize) -> Result<(), Trap> {
        if !self.metered() {
            return Ok(());
        }
        let mut units = (work / WORK_PER_FUEL) as u64;
        if units == 0 {
            return Ok(());
        }
        self.poll_interrupt()?;
        while units > 0 {
            if self.ex.ticks == 0 {
                self.refill()?;
            }
            let n = units.min(self.ex.ticks);
            self.ex.ticks -= n;
            units -= n;
        }
        Ok(())
    }

    /// Stops the run if the interrupt flag is set (`timeout` or `interrupted`).
    #[inline]
    pub(crate) fn poll_interrupt(&self) -> Result<(), Trap> {
        match self.interrupt.as_ref().and_then(|i| i.take()) {
            Some(why) => Err(why.into()),
            None => Ok(()),
        }
    }
}
