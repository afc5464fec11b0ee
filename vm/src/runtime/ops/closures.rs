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

    /// Pushes the frame of a call of the closure in `R[b]` (of the innermost frame, whose
    /// registers are `regs`), returning into `R[a]`, with the arguments from `R[c..]` and
    /// the closure's captures after them; its other registers are zero.
    ///
    /// # Safety
    /// The `CallClosure` instruction passed the verifier, its frame is the innermost and
    /// `regs` points at that frame's registers.
    pub(crate) unsafe fn push_closure_frame(&mut self, regs: *mut u64, a: u16, b: u16, c: u16) -> Result<(), Trap> {
        // Safety: B holds a live closure of a `fn` type whose parameters are the window's
        // types (CallClosure's rule; definite assignment); the window is in the frame.
        unsafe {
            let clo = *regs.add(b as usize);
            let callee = closure_func(clo);
            let m = self.funcs.meta.get_unchecked(callee as usize);
            let (np, nc) = (m.nparams, m.ncaptures);
            let caller = self.top();
            let base = caller.base + self.funcs.meta.get_unchecked(caller.func as usize).nregs;
            self.push_frame(callee, base, a, np + nc)?;
            // The stack may have moved: address the caller's window by index.
            let src = caller.base + c as usize;
            let dst = self.ex.regs.add(base);
            for i in 0..np {
                *dst.add(i) = *self.ex.regs.add(src + i);
            }
            let caps = &(*(clo as *const ClosureObj)).captures;
            for (i, &v) in caps.iter().enumerate().take(nc) {
                *dst.add(np + i) = v;
            }
        }
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
