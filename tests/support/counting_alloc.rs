//! A global allocator that counts, per thread, the bytes held, the peak of that and the
//! number of allocations, so a test can measure what one piece of work allocates while
//! other tests run on other threads. Counting only: every allocation goes to `System`.
//!
//! A test binary installs it with
//! `#[global_allocator] static ALLOC: counting_alloc::Counting = counting_alloc::Counting;`
//! and calls [`measure`].

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Counting;

thread_local! {
    /// Bytes held by this thread's allocations (frees of memory allocated elsewhere
    /// count too, so it may dip below zero).
    static HELD: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn grow(bytes: usize) {
    let _ = HELD.try_with(|h| {
        let now = h.get() + bytes as isize;
        h.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
    let _ = COUNT.try_with(|c| c.set(c.get() + 1));
}

fn shrink(bytes: usize) {
    let _ = HELD.try_with(|h| h.set(h.get() - bytes as isize));
}

// Safety: every call is delegated to `System` with the same arguments; the thread-local
// counters are plain `Cell`s with constant initializers (no allocation, no destructor),
// and `try_with` makes them a no-op while a thread is being torn down.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Safety: the caller's layout is passed on unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // Safety: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Safety: `ptr` was allocated by `System` (through this allocator) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Safety: `ptr` and `layout` come from this allocator, as `realloc` requires.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            shrink(layout.size());
            grow(new_size);
        }
        p
    }
}

/// What a piece of work allocated on the calling thread.
#[derive(Clone, Copy, Debug)]
pub struct Usage {
    /// The most bytes held at once during the work, above what was held before it.
    pub peak_bytes: usize,
    /// How many allocations (and growing reallocations) it made.
    pub allocations: u64,
}

/// Runs `f` on this thread and measures its allocations.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Usage) {
    let base = HELD.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let count = COUNT.with(Cell::get);
    let out = f();
    let peak = PEAK.with(Cell::get);
    let usage = Usage { peak_bytes: (peak - base).max(0) as usize, allocations: COUNT.with(Cell::get) - count };
    (out, usage)
}
