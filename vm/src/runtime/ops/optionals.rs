//! Optionals: equality, boxing.

use crate::heap::{str_of, BoxObj};
use crate::runtime::code::{OptInner, Shape};
use crate::runtime::trap::Trap;
use crate::runtime::vm::Vm;

/// `x == y` on two optionals whose present values are held as `inner` says: both nil, or
/// both present and equal.
///
/// # Safety
/// `x` and `y` are nil or live values of an optional type whose inner type is `inner`: a
/// box for an int, float or bool, the object itself otherwise.
#[inline]
pub(crate) unsafe fn opt_eq(x: u64, y: u64, inner: OptInner) -> bool {
    if x == 0 || y == 0 {
        return x == y;
    }
    // Safety: the caller's promise.
    unsafe {
        match inner {
            OptInner::Word => (*(x as *const BoxObj)).value == (*(y as *const BoxObj)).value,
            OptInner::Float => {
                f64::from_bits((*(x as *const BoxObj)).value) == f64::from_bits((*(y as *const BoxObj)).value)
            }
            OptInner::Str => str_of(x) == str_of(y),
            OptInner::Ref => x == y,
        }
    }
}

impl Vm {
    /// `EqOpt`: `R[A] := R[B] == R[C]` on optionals.
    ///
    /// # Safety
    /// The instruction passed the verifier and its frame is the innermost.
    #[inline(never)]
    pub(crate) unsafe fn op_eq_opt(&mut self, regs: *mut u64, a: u16, b: u16, c: u16) {
        // Safety: B and C are registers of the same optional type (EqOpt's rule), whose
        // non-nil values are boxes (WrapOpt, MapGetOpt and the built-ins with optional
        // results make them for int, float and bool) or objects of the inner type.
        unsafe {
            let f = self.top();
            let Shape::Opt(inner) = self.funcs.meta[f.func as usize].regs[b as usize].1 else {
                std::hint::unreachable_unchecked()
            };
            let eq = opt_eq(*regs.add(b as usize), *regs.add(c as usize), inner);
            *regs.add(a as usize) = eq as u64;
        }
    }

    /// `WrapOpt`: `R[A] := box(R[B])`.
    ///
    /// # Safety
    /// As [`Vm::op_eq_opt`].
    #[inline(never)]
    pub(crate) unsafe fn op_wrap_opt(&mut self, regs: *mut u64, a: u16, b: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: A and B are registers of the frame.
        unsafe {
            let v = self.heap.alloc_box(*regs.add(b as usize));
            *regs.add(a as usize) = v;
        }
        Ok(())
    }
}
