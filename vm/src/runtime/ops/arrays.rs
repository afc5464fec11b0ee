//! Arrays: literals, `[x; n]`, `push`, and the traps of element access.

use crate::heap::array_of;
use crate::runtime::code::Shape;
use crate::runtime::trap::{Trap, TrapCode};
use crate::runtime::vm::Vm;

impl Vm {
    /// Whether the array type of register `r` of the innermost frame holds references.
    ///
    /// # Safety
    /// A frame is pushed and `r` is one of its registers.
    #[inline]
    unsafe fn elem_is_ref(&self, r: u16) -> bool {
        // Safety: the caller's promise.
        let f = unsafe { self.top() };
        matches!(self.funcs.meta[f.func as usize].regs[r as usize].1, Shape::Array { elem_ref: true })
    }

    /// `NewArray`: `R[A] := [R[B], ..., R[B+n-1]]`.
    ///
    /// # Safety
    /// The instruction passed the verifier and its frame is the innermost.
    #[inline(never)]
    pub(crate) unsafe fn op_new_array(&mut self, regs: *mut u64, a: u16, b: u16, n: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: the window `B..B+n` and `A` are registers of the frame (Frames).
        unsafe {
            let elem_ref = self.elem_is_ref(a);
            let base = self.top().base + b as usize;
            let items = self.regs()[base..base + n as usize].to_vec();
            let arr = self.heap.alloc_array(items, elem_ref);
            *regs.add(a as usize) = arr;
        }
        Ok(())
    }

    /// `ArrayRepeat`: `R[A] := [R[B]; R[C]]`, trapping on a negative count.
    ///
    /// # Safety
    /// As [`Vm::op_new_array`].
    #[inline(never)]
    pub(crate) unsafe fn op_array_repeat(&mut self, regs: *mut u64, a: u16, b: u16, c: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: A, B and C are registers of the frame; C is an int.
        let (v, n, elem_ref) = unsafe { (*regs.add(b as usize), *regs.add(c as usize) as i64, self.elem_is_ref(a)) };
        if n < 0 {
            return Err(TrapCode::NegativeArrayLength(n).into());
        }
        let n = n as usize;
        self.reserve_heap(n.saturating_mul(8))?;
        self.burn_work(n)?;
        let mut items: Vec<u64> = Vec::new();
        if items.try_reserve_exact(n).is_err() {
            return Err(TrapCode::OutOfMemory.into());
        }
        items.resize(n, v);
        let arr = self.heap.alloc_array(items, elem_ref);
        // Safety: A is an array register of the frame.
        unsafe { *regs.add(a as usize) = arr };
        Ok(())
    }

    /// `ArrayPush`: `R[A].push(R[B])`. Growing the array is a safepoint, counted against
    /// the memory limit before it is made.
    ///
    /// # Safety
    /// As [`Vm::op_new_array`].
    #[inline(never)]
    pub(crate) unsafe fn op_array_push(&mut self, regs: *mut u64, a: u16, b: u16) -> Result<(), Trap> {
        // Safety: A is an array register, written (Types, Definite assignment): a live array.
        let arr = unsafe { array_of(*regs.add(a as usize)) };
        if arr.len() == arr.capacity() {
            self.grow_for_push(regs, a)?;
        }
        // Safety: as above (collecting does not move objects); B is a register of the frame.
        unsafe {
            let v = *regs.add(b as usize);
            array_of(*regs.add(a as usize)).vec_mut().push(v);
        }
        Ok(())
    }

    /// Makes room for one more element in the array of register `a` (full now).
    #[cold]
    #[inline(never)]
    unsafe fn grow_for_push(&mut self, regs: *mut u64, a: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: as in `op_array_push`.
        let cap = unsafe { array_of(*regs.add(a as usize)) }.capacity();
        self.reserve_heap(cap.max(4) * 8)?;
        // Safety: as in `op_array_push`; collecting does not move objects.
        let arr = unsafe { array_of(*regs.add(a as usize)) };
        let before = arr.capacity();
        let mut v = arr.vec_mut();
        if v.try_reserve(1).is_err() {
            return Err(TrapCode::OutOfMemory.into());
        }
        let grown = v.capacity() - before;
        drop(v);
        self.heap.account(grown * 8);
        Ok(())
    }
}

/// `index out of bounds: index I, length N`, for element access in any tier.
#[cold]
#[inline(never)]
pub fn index_trap(index: i64, len: usize) -> Trap {
    TrapCode::IndexOutOfBounds { index, len }.into()
}
