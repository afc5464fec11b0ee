//! Embedding benchmarks: the cost of a call from the host into a script, with and
//! without limits, and of passing arrays across the boundary.
//!
//! `cargo bench --bench embed`, or one group: `cargo bench --bench embed -- calls`
//!
//! The bench allocates with mimalloc, as the `vm` binary does. (With the system allocator
//! of glibc, a loop that passes large arrays in also measures the kernel: the collector
//! frees megabytes at once, glibc returns them to the system, and the next arrays fault
//! their pages in again.)

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kite::{Capabilities, Config, Engine, EngineExt, Instance, Limits, Linker, Store, Tier};
use std::hint::black_box;
use std::time::Duration;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SCRIPT: &str = r#"
let DATA: [int] = make(1000);
fn make(n: int) -> [int] { let xs: [int] = []; for i in 0..n { xs.push(i); } return xs; }
fn nop() {}
fn add(a: int, b: int) -> int { return a + b; }
fn len(xs: [int]) -> int { return xs.len(); }
fn data() -> [int] { return DATA; }
"#;

/// The limits a call runs under.
#[derive(Clone, Copy)]
enum Limited {
    None,
    Fuel,
    Timeout,
}

impl Limited {
    fn name(self) -> &'static str {
        match self {
            Limited::None => "no_limit",
            Limited::Fuel => "fuel",
            Limited::Timeout => "timeout",
        }
    }
    fn limits(self) -> Limits {
        match self {
            Limited::None => Limits::default(),
            // Far more than any run of the bench uses.
            Limited::Fuel => Limits::default().fuel(u64::MAX / 2),
            Limited::Timeout => Limits::default().timeout(Duration::from_secs(3600)),
        }
    }
}

fn setup(tier: Tier, limited: Limited) -> (Store, Instance) {
    let engine = Engine::new(Config::default().tier(tier));
    let module = engine.compile_source("bench.kite", SCRIPT).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::new(&engine, Capabilities::none(), limited.limits());
    store.set_stdout(std::io::sink());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap_or_else(|e| panic!("{e}"));
    (store, inst)
}

const TIERS: [Tier; 3] = [Tier::Interp, Tier::Jit, Tier::Auto];

/// `nop()` and `add(a, b)`, called by name (`Instance::call`: the export looked up and its
/// signature checked on every call) and through a typed handle (`TypedFunc`), in every
/// tier, without limits, with fuel and with a timeout (neither ever reached).
fn calls(c: &mut Criterion) {
    let mut g = c.benchmark_group("calls");
    g.throughput(Throughput::Elements(1));
    for tier in TIERS {
        for limited in [Limited::None, Limited::Fuel, Limited::Timeout] {
            let (mut store, inst) = setup(tier, limited);
            let id = format!("{}/{}", tier.name(), limited.name());
            g.bench_function(BenchmarkId::new("nop_by_name", &id), |b| {
                b.iter(|| inst.call::<_, ()>(&mut store, "nop", ()).unwrap())
            });
            g.bench_function(BenchmarkId::new("add_by_name", &id), |b| {
                b.iter(|| inst.call::<_, i64>(&mut store, "add", (black_box(1i64), black_box(2i64))).unwrap())
            });
            let nop = inst.typed_func::<(), ()>(&store, "nop").unwrap();
            g.bench_function(BenchmarkId::new("nop_typed", &id), |b| b.iter(|| nop.call(&mut store, ()).unwrap()));
            let add = inst.typed_func::<(i64, i64), i64>(&store, "add").unwrap();
            g.bench_function(BenchmarkId::new("add_typed", &id), |b| {
                b.iter(|| add.call(&mut store, (black_box(1), black_box(2))).unwrap())
            });
        }
    }
    g.finish();
}

/// Arrays of 1,000 ints into a call (`len`, which only reads the length) and out of one
/// (`data`, which returns a global array); throughput in elements, so the time per
/// element is the marshalling cost (plus a call's cost spread over 1,000 elements).
fn arrays(c: &mut Criterion) {
    let mut g = c.benchmark_group("arrays");
    let xs: Vec<i64> = (0..1000).collect();
    g.throughput(Throughput::Elements(1000));
    for tier in [Tier::Interp, Tier::Auto] {
        let (mut store, inst) = setup(tier, Limited::None);
        g.bench_function(BenchmarkId::new("vec_in_by_name", tier.name()), |b| {
            b.iter(|| inst.call::<_, i64>(&mut store, "len", black_box(&xs[..])).unwrap())
        });
        g.bench_function(BenchmarkId::new("vec_out_by_name", tier.name()), |b| {
            b.iter(|| inst.call::<_, Vec<i64>>(&mut store, "data", ()).unwrap())
        });
        let len = inst.typed_func::<&[i64], i64>(&store, "len").unwrap();
        g.bench_function(BenchmarkId::new("slice_in_typed", tier.name()), |b| {
            b.iter(|| len.call(&mut store, black_box(&xs[..])).unwrap())
        });
        let data = inst.typed_func::<(), Vec<i64>>(&store, "data").unwrap();
        g.bench_function(BenchmarkId::new("vec_out_typed", tier.name()), |b| {
            b.iter(|| data.call(&mut store, ()).unwrap())
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = calls, arrays
}
criterion_main!(benches);
