//! Calls through a typed handle allocate nothing on the host side: this test binary counts
//! every allocation the calling thread makes (its own global allocator) around a loop of
//! calls. (The engine's clock thread, which advances deadlines for all stores, is not the
//! call's and is not counted.)

use kite::{Capabilities, Engine, EngineExt, Limits, Linker, Store, Tier};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The system allocator, counting the allocations of a thread while its `COUNTING` is set.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

// Safety: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // Safety: the caller's promise, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // Safety: the caller's promise, passed on.
        unsafe { System.dealloc(p, layout) }
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        if counting() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // Safety: the caller's promise, passed on.
        unsafe { System.realloc(p, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn typed_calls_allocate_nothing_in_any_tier_with_or_without_limits() {
    let src = "fn add(a: int, b: int) -> int { return a + b; }\nfn nop() {}\nfn half(x: float) -> float { return x / 2.0; }\n";
    for tier in [Tier::Interp, Tier::Jit, Tier::Auto] {
        for limits in
            [Limits::default(), Limits::default().fuel(1 << 40), Limits::default().timeout(Duration::from_secs(3600))]
        {
            let engine = Engine::new(kite::Config::default().tier(tier).jit_threshold(1));
            let module = engine.compile_source("calls.kite", src).unwrap_or_else(|e| panic!("{e}"));
            let mut store = Store::new(&engine, Capabilities::none(), limits.clone());
            let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
            let add = inst.typed_func::<(i64, i64), i64>(&store, "add").unwrap();
            let nop = inst.typed_func::<(), ()>(&store, "nop").unwrap();
            let half = inst.typed_func::<f64, f64>(&store, "half").unwrap();
            // Warm up: the JIT compiles, the clock thread starts, lazy state is made.
            for i in 0..100 {
                add.call(&mut store, (i, 1)).unwrap();
                nop.call(&mut store, ()).unwrap();
                half.call(&mut store, 1.0).unwrap();
            }
            ALLOCATIONS.store(0, Ordering::Relaxed);
            COUNTING.with(|c| c.set(true));
            let mut total = 0;
            for i in 0..10_000 {
                total = add.call(&mut store, (total, i)).unwrap();
                nop.call(&mut store, ()).unwrap();
                half.call(&mut store, 3.0).unwrap();
            }
            COUNTING.with(|c| c.set(false));
            assert_eq!(total, 49_995_000);
            let n = ALLOCATIONS.load(Ordering::Relaxed);
            assert_eq!(n, 0, "{tier:?} {limits:?}: {n} allocations in 30,000 typed calls");
        }
    }
}
