//! Frames and the register stack: the one implementation of pushing a frame, returning,
//! unwinding after a trap and the stack trace, for every tier.
//!
//! All frames share one register stack; a frame is a window of it, starting where its
//! caller's registers end. Both buffers grow geometrically, and their memory counts
//! against the memory limit (it is VM memory the program's recursion chose): growing past
//! what the limit leaves is `out of memory`, and a frame deeper than the depth limit is
//! `stack overflow`. See `vm.rs` for when the register stack may move.

use super::trap::{TraceFrame, Trap, TrapCode};
use super::vm::{Frame, Vm};

/// Registers and frames a new `Vm` starts with.
const INITIAL_REGS: usize = 1 << 12;
const INITIAL_FRAMES: usize = 64;
/// No register stack may have more words than this (32 GiB), whatever the memory limit:
/// frame bases are kept in 64 bits, but a run that deep has long been a mistake.
const MAX_REGS: usize = 1 << 32;

/// A buffer of `len` initialized `T`s allocated as a `Vec`, given up as raw parts so that
/// native code can hold its address. `len` is always the allocation's whole capacity.
fn alloc_buf<T: Copy + Default>(len: usize) -> (*mut T, usize) {
    let mut v = std::mem::ManuallyDrop::new(vec![T::default(); len]);
    let len = v.capacity();
    v.resize(len, T::default());
    (v.as_mut_ptr(), len)
}

/// Grows the buffer `(ptr, len)` made by [`alloc_buf`] to at least `want` elements, the
/// new ones `T::default()`. `Err` if the allocator refuses (the buffer is unchanged).
///
/// # Safety
/// `(ptr, len)` came from `alloc_buf` or this function and was not freed.
unsafe fn grow_buf<T: Copy + Default>(ptr: &mut *mut T, len: &mut usize, want: usize) -> Result<(), ()> {
    // Safety: the parts are those of a live `Vec<T>` whose length is its capacity.
    let mut v = std::mem::ManuallyDrop::new(unsafe { Vec::from_raw_parts(*ptr, *len, *len) });
    let r = v.try_reserve_exact(want.saturating_sub(*len));
    if r.is_ok() {
        let cap = v.capacity();
        v.resize(cap, T::default());
    }
    *ptr = v.as_mut_ptr();
    *len = v.len();
    r.map_err(|_| ())
}

/// Frees a buffer made by [`alloc_buf`].
///
/// # Safety
/// `(ptr, len)` came from `alloc_buf` or `grow_buf`, was not freed, and nothing uses it
/// again.
unsafe fn free_buf<T>(ptr: *mut T, len: usize) {
    // Safety: the parts are those of a live `Vec<T>` whose length is its capacity.
    drop(unsafe { Vec::from_raw_parts(ptr, len, len) });
}

impl Vm {
    /// Allocates the register stack and the frames of a new `Vm` (its `ex` fields), and
    /// counts them as VM memory.
    pub(crate) fn alloc_stacks(&mut self) {
        let (regs, regs_len) = alloc_buf::<u64>(INITIAL_REGS);
        let (frames, frames_cap) = alloc_buf::<Frame>(INITIAL_FRAMES);
        self.ex.regs = regs;
        self.ex.regs_len = regs_len;
        self.ex.frames = frames;
        self.ex.frames_cap = frames_cap;
        self.ex.depth = 0;
        self.ex.depth_limit = self.ex.max_depth.min(frames_cap);
        self.heap.account_vm(self.stacks_bytes());
    }

    /// Bytes the register stack and the frames hold.
    fn stacks_bytes(&self) -> usize {
        self.ex.regs_len * 8 + self.ex.frames_cap * std::mem::size_of::<Frame>()
    }

    /// Where the registers of a frame pushed now start: right after the innermost frame's.
    #[inline(always)]
    pub(crate) fn next_base(&self) -> usize {
        if self.ex.depth == 0 {
            return 0;
        }
        // Safety: a frame is pushed; its function index was checked when it was pushed.
        unsafe {
            let f = self.top();
            f.base + self.funcs.meta.get_unchecked(f.func as usize).nregs
        }
    }

    /// Pushes a frame for `func` whose registers start at `base` (see [`Vm::next_base`]),
    /// returning its result to the caller's register `ret_dst`. Registers `keep..` of the
    /// new frame are zeroed (a reference register never holds a stale pointer); the first
    /// `keep` (arguments the caller already wrote) are left alone. `stack overflow` past
    /// the depth limit; `out of memory` if the stacks cannot grow within the memory limit.
    ///
    /// `func` must be a function of the module (an index the verifier checked).
    #[inline(always)]
    pub(crate) fn push_frame(&mut self, func: u32, base: usize, ret_dst: u16, keep: usize) -> Result<(), Trap> {
        // Safety: `func` is a verified function index (the caller's promise).
        let n = unsafe { self.funcs.meta.get_unchecked(func as usize).nregs };
        self.push_frame_sized(func, n, base, ret_dst, keep).map(|_| ())
    }

    /// [`Vm::push_frame`] for a function of `nregs` registers (the caller looked it up);
    /// returns the new frame, which stays where it is until the next frame is pushed.
    #[inline(always)]
    pub(crate) fn push_frame_sized(
        &mut self,
        func: u32,
        nregs: usize,
        base: usize,
        ret_dst: u16,
        keep: usize,
    ) -> Result<*mut Frame, Trap> {
        let top = base + nregs;
        if top > self.ex.regs_len || self.ex.depth >= self.ex.depth_limit {
            self.make_room(top)?;
        }
        // Safety: `make_room` (or the checks above) made `regs[..top]` and frame `depth`
        // exist, and `keep <= nregs` (arguments are registers of the frame).
        unsafe {
            let regs = self.ex.regs.add(base);
            for i in keep..nregs {
                *regs.add(i) = 0;
            }
            let fp = self.ex.frames.add(self.ex.depth);
            *fp = Frame { base, func, pc: 0, ret_dst: ret_dst as u32, _pad: 0 };
            self.ex.depth += 1;
            Ok(fp)
        }
    }

    /// The slow path of [`Vm::push_frame`]: checks the depth, grows the stacks.
    #[cold]
    #[inline(never)]
    pub(crate) fn make_room(&mut self, top: usize) -> Result<(), Trap> {
        if self.ex.depth >= self.ex.max_depth {
            return Err(TrapCode::StackOverflow.into());
        }
        if top > self.ex.regs_len {
            self.grow_regs(top)?;
        }
        if self.ex.depth >= self.ex.frames_cap {
            let want = self.ex.frames_cap * 2;
            let before = self.stacks_bytes();
            self.reserve_vm((want - self.ex.frames_cap) * std::mem::size_of::<Frame>())?;
            // Safety: the frames buffer is `alloc_buf`'s.
            if unsafe { grow_buf(&mut self.ex.frames, &mut self.ex.frames_cap, want) }.is_err() {
                return Err(TrapCode::OutOfMemory.into());
            }
            self.ex.depth_limit = self.ex.max_depth.min(self.ex.frames_cap);
            self.heap.account_vm(self.stacks_bytes() - before);
        }
        Ok(())
    }

    /// Grows the register stack to at least `top` words: to twice its size, or to all the
    /// memory limit leaves if that is less (so a program at the limit does not grow it one
    /// frame at a time), and never past the limit (`out of memory`).
    fn grow_regs(&mut self, top: usize) -> Result<(), Trap> {
        if top > MAX_REGS {
            return Err(TrapCode::StackOverflow.into());
        }
        let len = self.ex.regs_len;
        let need = (top - len) * 8;
        self.reserve_vm(need)?;
        let room_words = self.heap.room() / 8;
        let want = top.max((len * 2).min(len + room_words)).min(MAX_REGS);
        let before = self.stacks_bytes();
        // Safety: the register buffer is `alloc_buf`'s.
        if unsafe { grow_buf(&mut self.ex.regs, &mut self.ex.regs_len, want) }.is_err() {
            return Err(TrapCode::OutOfMemory.into());
        }
        self.heap.account_vm(self.stacks_bytes() - before);
        Ok(())
    }

    /// Makes sure `bytes` more VM memory fit under the memory limit, collecting first if
    /// that helps; else `out of memory`.
    fn reserve_vm(&mut self, bytes: usize) -> Result<(), Trap> {
        self.reserve_heap(bytes)
    }

    /// Drops every frame above `entry`.
    pub(crate) fn truncate_frames(&mut self, entry: usize) {
        self.ex.depth = self.ex.depth.min(entry);
    }

    /// Fills in the stack trace of a trap raised in the innermost frame (if not done yet)
    /// and unwinds to `entry` frames.
    pub(crate) fn unwind(&mut self, mut t: Trap, entry: usize) -> Trap {
        if t.trace.is_empty() {
            t.trace = self.trace();
        }
        self.truncate_frames(entry);
        t
    }

    /// The stack trace, innermost frame first. Each frame's `pc` is one past the
    /// instruction it is executing.
    pub(crate) fn trace(&self) -> Vec<TraceFrame> {
        let m = &self.module;
        self.frames().iter().rev().map(|fr| TraceFrame::at(m, fr.func, (fr.pc as usize).saturating_sub(1))).collect()
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        // Safety: the buffers are `alloc_buf`'s (made in `alloc_stacks`; null if it never
        // ran), and the `Vm` is going away, so nothing uses them again.
        unsafe {
            if !self.ex.regs.is_null() {
                free_buf(self.ex.regs, self.ex.regs_len);
            }
            if !self.ex.frames.is_null() {
                free_buf(self.ex.frames, self.ex.frames_cap);
            }
        }
    }
}
