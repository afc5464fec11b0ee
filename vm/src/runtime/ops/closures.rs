//! Closures and function values.

use crate::heap::ClosureObj;
use crate::runtime::trap::Trap;
use crate::runtime::vm::Vm;

impl Vm {
    /// `MakeClosure`: `R[A] :=` a closure of function `f` capturing registers `c..`; a
    /// function without captures is one value (`f == f` holds).
    ///
    /// # Safety
    /// The instruction passed the verifier and its frame is the innermost.
    #[inline(never)]
    pub(crate) unsafe fn op_make_closure(&mut self, regs: *mut u64, a: u16, f: u32, c: u16) -> Result<(), Trap> {
        // Safety: `f` is a function of the module (Indices).
        let n = unsafe { self.funcs.meta.get_unchecked(f as usize) }.ncaptures;
        let v = if n == 0 {
            self.function_value(f)
        } else {
            self.safepoint()?;
            // Safety: the captures window `c..c+n` is inside the frame (Frames).
            let caps: Box<[u64]> = unsafe {
                let base = self.top().base + c as usize;
                self.regs()[base..base + n].into()
            };
            self.heap.alloc_closure(f, caps)
        };
        // Safety: A is a register of the frame.
        unsafe { *regs.add(a as usize) = v };
        Ok(())
    }

    /// The one closure object of function `f`, which has no captures.
    pub(crate) fn function_value(&mut self, f: u32) -> u64 {
        let v = self.fn_values[f as usize];
        if v != 0 {
            return v;
        }
        let v = self.heap.alloc_closure(f, Box::new([]));
        self.fn_values[f as usize] = v;
        v
    }
}

/// The function a closure object runs.
///
/// # Safety
/// `clo` is a live closure object.
#[inline(always)]
pub unsafe fn closure_func(clo: u64) -> u32 {
    // Safety: the caller's promise.
    unsafe { (*(clo as *const ClosureObj)).hdr.aux }
}
