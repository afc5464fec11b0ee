//! Structs.

use crate::runtime::trap::Trap;
use crate::runtime::vm::Vm;

impl Vm {
    /// `NewStruct`: `R[A] := S[s] { R[C], ... }`, the fields in declaration order.
    ///
    /// # Safety
    /// The instruction passed the verifier and its frame is the innermost.
    #[inline(never)]
    pub(crate) unsafe fn op_new_struct(&mut self, regs: *mut u64, a: u16, s: u32, c: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: struct `s` exists (Indices) and its fields' window `C..C+n` is inside the
        // frame (Frames).
        unsafe {
            let n = self.module.structs.get_unchecked(s as usize).fields.len();
            let base = self.top().base + c as usize;
            let fields = std::slice::from_raw_parts(self.ex.regs.add(base), n);
            let obj = self.heap.alloc_struct(s, fields);
            *regs.add(a as usize) = obj;
        }
        Ok(())
    }
}
