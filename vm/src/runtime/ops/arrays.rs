//! Arrays: literals, `[x; n]`, `push`, and the traps of element access.

use crate::heap::{array_of, ArrayKind};
use crate::runtime::code::Shape;
use crate::runtime::trap::{Trap, TrapCode};
use crate::runtime::vm::Vm;

impl Vm {
    /// How an array of the array type of register `r` of the innermost frame holds its
    /// elements.
    ///
    /// # Safety
    /// A frame is pushed and `r` is one of its registers, of an array type.
    #[inline]
    unsafe fn array_kind(&self, r: u16) -> ArrayKind {
        // Safety: the caller's promise.
        let f = unsafe { self.top() };
        match self.funcs.meta[f.func as usize].regs[r as usize].1 {
            Shape::Array { kind } => kind,
            _ => ArrayKind::Words,
        }
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
            let kind = self.array_kind(a);
            let base = self.top().base + b as usize;
            let items = self.regs()[base..base + n as usize].to_vec();
            let arr = self.heap.alloc_array(items, kind);
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
        let (v, n, kind) = unsafe { (*regs.add(b as usize), *regs.add(c as usize) as i64, self.array_kind(a)) };
        if n < 0 {
            return Err(TrapCode::NegativeArrayLength(n).into());
        }
        let n = n as usize;
        self.reserve_heap(n.saturating_mul(kind.elem_size()))?;
        self.burn_work(n)?;
        let arr = self.heap.try_alloc_array_filled(kind, n, v).ok_or(TrapCode::OutOfMemory)?;
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
            array_of(*regs.add(a as usize)).push(v);
        }
        Ok(())
    }

    /// Makes room for one more element in the array of register `a` (full now).
    #[cold]
    #[inline(never)]
    unsafe fn grow_for_push(&mut self, regs: *mut u64, a: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: as in `op_array_push`.
        let arr = unsafe { array_of(*regs.add(a as usize)) };
        self.reserve_heap(arr.capacity().max(4) * arr.kind().elem_size())?;
        // Safety: as in `op_array_push`; collecting does not move objects.
        let arr = unsafe { array_of(*regs.add(a as usize)) };
        let grown = arr.try_reserve(1).ok_or(TrapCode::OutOfMemory)?;
        self.heap.account(grown);
        Ok(())
    }
}

/// `index out of bounds: index I, length N`, for element access in any tier.
#[cold]
#[inline(never)]
pub fn index_trap(index: i64, len: usize) -> Trap {
    TrapCode::IndexOutOfBounds { index, len }.into()
}
