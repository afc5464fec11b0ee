//! The memory limit and the collector's roots.
//!
//! **Collection happens only at safepoints**: an allocating operation checks the heap
//! budget ([`Vm::safepoint`]) *before* it allocates, when every live reference is in a
//! register of some frame, a global, a constant, a function value or a built-in's
//! temporary roots. Allocation itself never collects, so Rust code holding a raw reference
//! across an allocation is safe.

use super::trap::{Trap, TrapCode};
use super::vm::Vm;
use crate::bytecode::Const;

impl Vm {
    /// Makes sure `bytes` more fit under the memory limit, collecting first if that
    /// helps; else `out of memory`. Only at a safepoint.
    pub(crate) fn reserve_heap(&mut self, bytes: usize) -> Result<(), Trap> {
        if self.heap.fits(bytes) {
            return Ok(());
        }
        self.collect_garbage();
        if self.heap.fits(bytes) {
            Ok(())
        } else {
            Err(TrapCode::OutOfMemory.into())
        }
    }

    /// A safepoint: collects if the heap passed its threshold, and traps with `out of
    /// memory` if it is still over the limit afterwards.
    #[inline(always)]
    pub(crate) fn safepoint(&mut self) -> Result<(), Trap> {
        if self.heap.should_collect() {
            self.collect_at_safepoint()
        } else {
            Ok(())
        }
    }

    /// Collects at a safepoint because the heap passed its threshold; `out of memory` if
    /// it is still over the limit afterwards.
    #[cold]
    #[inline(never)]
    pub(crate) fn collect_at_safepoint(&mut self) -> Result<(), Trap> {
        self.collect_garbage();
        if self.heap.used() > self.heap.limit() {
            Err(TrapCode::OutOfMemory.into())
        } else {
            Ok(())
        }
    }

    /// Collects garbage. Every frame's `pc` need not be current; registers must be.
    pub(crate) fn collect_garbage(&mut self) {
        // Safety: `ex` describes the live register stack, frames and globals (`vm.rs`);
        // nothing changes them while the collector runs.
        let (regs, frames, globals) = unsafe {
            (
                std::slice::from_raw_parts(self.ex.regs, self.ex.regs_len),
                std::slice::from_raw_parts(self.ex.frames, self.ex.depth),
                std::slice::from_raw_parts(self.ex.globals, self.global_store.len()),
            )
        };
        let meta = &self.funcs.meta;
        let frame_roots =
            frames.iter().flat_map(|f| meta[f.func as usize].ref_regs.iter().map(move |&r| regs[f.base + r as usize]));
        let global_roots = self.global_refs.iter().map(|&g| globals[g]);
        let const_roots = self
            .module
            .consts
            .iter()
            .zip(&self.const_store)
            .filter(|(c, _)| matches!(c, Const::Str(_)))
            .map(|(_, v)| *v);
        let temp = self.temp_roots.iter().chain(&self.fn_values).copied();
        self.heap.collect(frame_roots.chain(global_roots).chain(const_roots).chain(temp));
    }
}
