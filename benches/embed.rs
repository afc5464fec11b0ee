//! Embedding benchmarks: the cost of a call from the host into a script, with and
//! without limits, and of passing arrays across the boundary.
//!
//! `cargo bench --bench embed`, or one group: `cargo bench --bench embed -- calls`. A run
//! of every benchmark (no filter) writes the table of its means to benches/EMBED.md.
//!
//! The bench allocates with mimalloc, as the `vm` binary does. (With the system allocator
//! of glibc, a loop that passes large arrays in also measures the kernel: the collector
//! frees megabytes at once, glibc returns them to the system, and the next arrays fault
//! their pages in again.)

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
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

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo bench` passes `--bench`; any other word is a filter, and a filtered run
    // leaves the table of the last full one.
    if std::env::args().skip(1).all(|a| a.starts_with("--")) {
        write_table();
    }
}

/// The mean time of benchmark `group/name/id` in nanoseconds, from criterion's estimates.
fn mean_ns(group: &str, name: &str, id: &str) -> Option<f64> {
    let target =
        std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target").into());
    let path = format!("{target}/criterion/{group}/{name}/{}/new/estimates.json", id.replace('/', "_"));
    let json = std::fs::read_to_string(path).ok()?;
    // {"mean":{"confidence_interval":{...},"point_estimate":27.93,...
    let mean = &json[json.find("\"mean\"")?..];
    let at = mean.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let end = mean[at..].find([',', '}'])?;
    mean[at..at + end].parse().ok()
}

/// benches/EMBED.md: calls per second by tier and limit, and the cost per array element.
fn write_table() {
    let mut doc = String::from(
        "# Embedding: the cost of crossing the host boundary\n\n\
         Written by `cargo bench --bench embed` (criterion means; do not edit). A call from the\n\
         host runs `fn nop() {}` or `fn add(a: int, b: int) -> int` by name (`Instance::call`:\n\
         lookup and signature check on every call) or through a typed handle\n\
         (`Instance::typed_func`, checked once). \"fuel\" and \"timeout\" are stores with a fuel\n\
         limit or a timeout that is never reached.\n\n\
         | call | tier | no limit | fuel | timeout | timeout / no limit |\n|---|---|---|---|---|---|\n",
    );
    for name in ["nop_typed", "add_typed", "nop_by_name", "add_by_name"] {
        for tier in TIERS {
            let t: Vec<Option<f64>> = [Limited::None, Limited::Fuel, Limited::Timeout]
                .iter()
                .map(|l| mean_ns("calls", name, &format!("{}/{}", tier.name(), l.name())))
                .collect();
            let cell = |x: Option<f64>| match x {
                Some(ns) => format!("{ns:.1} ns ({:.1}M/s)", 1e3 / ns),
                None => "-".into(),
            };
            let ratio = match (t[0], t[2]) {
                (Some(a), Some(b)) => format!("{:.2}×", b / a),
                _ => "-".into(),
            };
            doc +=
                &format!("| {name} | {} | {} | {} | {} | {ratio} |\n", tier.name(), cell(t[0]), cell(t[1]), cell(t[2]));
        }
    }
    doc += "\nArrays of 1,000 `int`s into a call (`fn len(xs: [int]) -> int`) and out of one (`fn data() -> [int]`, a \
            global array); the time of one call divided by 1,000.\n\n| transfer | tier | per element |\n|---|---|---|\n";
    for name in ["slice_in_typed", "vec_out_typed", "vec_in_by_name", "vec_out_by_name"] {
        for tier in [Tier::Interp, Tier::Auto] {
            if let Some(ns) = mean_ns("arrays", name, tier.name()) {
                doc += &format!("| {name} | {} | {:.2} ns |\n", tier.name(), ns / 1000.0);
            }
        }
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/EMBED.md");
    std::fs::write(path, doc).expect("benches/EMBED.md");
    println!("wrote {path}");
}
