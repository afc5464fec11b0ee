//! Globals.

use crate::runtime::trap::{Trap, TrapCode};
use crate::runtime::vm::Vm;

impl Vm {
    /// `GetGlobal`: `R[A] := G[g]`, trapping if `G[g]` is a reference global whose
    /// initializer has not run yet.
    ///
    /// # Safety
    /// The instruction passed the verifier and its frame is the innermost.
    #[inline(never)]
    pub(crate) unsafe fn op_get_global(&mut self, regs: *mut u64, a: u16, g: u32) -> Result<(), Trap> {
        // Safety: the verifier checked that global `g` exists and that `A` is a register of
        // the frame (Indices, Frames).
        unsafe {
            let v = *self.ex.globals.add(g as usize);
            if v == 0 && *self.global_needs_init.get_unchecked(g as usize) {
                return Err(self.global_uninitialized(g));
            }
            *regs.add(a as usize) = v;
        }
        Ok(())
    }

    #[cold]
    fn global_uninitialized(&self, g: u32) -> Trap {
        TrapCode::GlobalUninitialized(self.module.globals[g as usize].name.clone()).into()
    }
}
