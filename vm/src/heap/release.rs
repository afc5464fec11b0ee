//! Giving the memory a collection freed back to the operating system.
//!
//! The heap frees dead objects through the process allocator, which may keep the freed
//! pages for later and return them only after a delay (mimalloc does). While the live data
//! is small that costs little: collections come after at most 16 MiB of new objects and
//! the pages are taken again at once. Once the live data is large, a program's peak
//! resident memory can include pages that sweeps freed and the allocator still holds.
//! The embedder that owns the allocator (the `vm` tool, with mimalloc) sets a *release
//! hook*; after a collection that leaves at least [`RELEASE_FROM_LIVE`] bytes live, the
//! heap calls it. What the heap counts (and so `--max-memory`) does not depend on it.

use std::sync::OnceLock;

/// The live data, in bytes, from which a collection calls the release hook: the size
/// from which the next collection waits for the heap to grow by half (see
/// `GROWTH_STEP`), so collections, and releases, are at most one per 8 MiB made.
pub const RELEASE_FROM_LIVE: usize = super::GROWTH_STEP;

static HOOK: OnceLock<fn()> = OnceLock::new();

/// Sets the function a collection calls to have the allocator return freed memory to the
/// operating system (for mimalloc, `mi_collect(true)`). The allocator belongs to the
/// process, so the hook does too: only the first call sets it; it returns whether this one
/// did.
pub fn set_release_hook(hook: fn()) -> bool {
    HOOK.set(hook).is_ok()
}

/// Called by the collector after each collection with the bytes still in use.
pub(super) fn after_collection(live: usize) {
    if live >= RELEASE_FROM_LIVE {
        if let Some(hook) = HOOK.get() {
            hook();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Heap, Layouts};
    use super::*;
    use std::cell::Cell;

    thread_local! {
        // Calls of the hook on this thread (tests run on threads of their own).
        static CALLS: Cell<usize> = const { Cell::new(0) };
    }

    fn count() {
        CALLS.with(|c| c.set(c.get() + 1));
    }

    #[test]
    fn a_collection_calls_the_hook_only_when_much_stays_live() {
        // This is the only test that sets the hook; a hook set by another would not count.
        assert!(set_release_hook(count));
        assert!(!set_release_hook(|| {}), "the first hook stays");
        let mut h = Heap::new(Layouts { struct_refs: vec![], closure_refs: vec![] });
        let small = h.alloc_string("x".repeat(1 << 20));
        h.collect([small].into_iter());
        assert_eq!(CALLS.with(Cell::get), 0, "1 MiB live: nothing to release");
        let large = h.alloc_string("y".repeat(RELEASE_FROM_LIVE));
        h.collect([small, large].into_iter());
        assert_eq!(CALLS.with(Cell::get), 1, "over 16 MiB live: the hook runs once");
        h.collect([small].into_iter());
        assert_eq!(CALLS.with(Cell::get), 1, "the large string died: the heap is small again");
    }
}
