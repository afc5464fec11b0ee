//! VM benchmarks for what whole programs don't show apart: start-up of `vm run hello.bc`,
//! instruction dispatch, call overhead, allocation and GC, string concatenation, and map
//! insert/lookup.
//!
//! Each program of benches/micro/ is compiled once; one iteration instantiates it in a fresh
//! store (through the embedding API, as `vm run` does) and runs `main` with its output going
//! to a sink. Throughput is counted in the unit each program
//! names (iterations, calls, allocations, concatenations, map operations).
//!
//! `cargo bench --bench vm`, or one group: `cargo bench --bench vm -- dispatch`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kite::{Capabilities, Config, Engine, EngineExt, Limits, Linker, Module, Store};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const HELLO: &str = include_str!("../examples/hello.kite");

fn compile(engine: &Engine, name: &str, src: &str) -> Module {
    engine.compile_source(name, src).unwrap_or_else(|e| panic!("{name} does not compile:\n{e}"))
}

/// Instantiates and runs a module in a fresh store, as `vm run` does, output discarded;
/// returns main's exit code.
fn run(engine: &Engine, linker: &Linker, module: &Module, args: &[String]) -> i32 {
    let mut store = Store::new(engine, Capabilities::none(), Limits::default());
    store.set_args(args.iter().cloned());
    store.set_stdout(std::io::sink());
    store.set_stderr(std::io::sink());
    let code = linker
        .instantiate(&mut store, module)
        .and_then(|inst| inst.run_main(&mut store))
        .unwrap_or_else(|e| panic!("run failed: {e}"));
    let _ = store.flush();
    code
}

/// Start-up: the `vm` process on hello.bc, and the same work in-process (load and verify
/// the bytecode, instantiate, run), and compiling hello from source first.
fn startup(c: &mut Criterion) {
    let engine = Engine::new(Config::default());
    let linker = Linker::new(&engine);
    let bytes = compile(&engine, "hello.kite", HELLO).to_bytes();
    let mut g = c.benchmark_group("startup");

    // CARGO_BIN_EXE_vm is the `vm` built with this bench's profile (target/release/vm
    // under `cargo bench`).
    let vm_bin = PathBuf::from(env!("CARGO_BIN_EXE_vm"));
    if vm_bin.is_file() {
        let bc = std::env::temp_dir().join(format!("kite-bench-hello-{}.bc", std::process::id()));
        std::fs::write(&bc, &bytes).expect("write hello.bc");
        g.bench_function("process_vm_run_hello_bc", |b| {
            b.iter(|| {
                let out = Command::new(&vm_bin).arg("run").arg(&bc).output().expect("spawn vm");
                assert!(out.status.success(), "vm run hello.bc failed");
                out.stdout.len()
            })
        });
        let _ = std::fs::remove_file(&bc);
    } else {
        eprintln!("startup/process_vm_run_hello_bc skipped: no binary at {}", vm_bin.display());
    }

    g.bench_function("in_process_hello_bc", |b| {
        b.iter(|| {
            let m = Module::from_bytes(&engine, black_box(&bytes)).unwrap_or_else(|e| panic!("load: {e}"));
            run(&engine, &linker, &m, &[])
        })
    });
    g.bench_function("in_process_hello_kite", |b| {
        b.iter(|| run(&engine, &linker, &compile(&engine, "hello.kite", black_box(HELLO)), &[]))
    });
    g.finish();
}

/// One micro program from benches/micro/, run with `n` as its argument; `per_n` units of
/// work per unit of `n` make its throughput.
struct Micro {
    group: &'static str,
    name: &'static str,
    file: &'static str,
    n: u64,
    per_n: u64,
}

const MICROS: &[Micro] = &[
    Micro { group: "dispatch", name: "int_loop_iterations", file: "dispatch.kite", n: 1_000_000, per_n: 1 },
    Micro { group: "calls", name: "small_calls", file: "calls.kite", n: 200_000, per_n: 5 },
    Micro { group: "alloc", name: "struct_churn_allocations", file: "alloc.kite", n: 400_000, per_n: 1 },
    Micro { group: "strings", name: "concatenations", file: "strings.kite", n: 20_000, per_n: 21 },
    Micro { group: "maps", name: "int_keys_operations", file: "map_int.kite", n: 100_000, per_n: 3 },
    Micro { group: "maps", name: "str_keys_operations", file: "map_str.kite", n: 200_000, per_n: 2 },
];

fn micro(c: &mut Criterion, group: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/micro");
    let engine = Engine::new(Config::default());
    let linker = Linker::new(&engine);
    let mut g = c.benchmark_group(group);
    for m in MICROS.iter().filter(|m| m.group == group) {
        let path = dir.join(m.file);
        let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let module = compile(&engine, &path.display().to_string(), &src);
        let args = [m.n.to_string()];
        g.throughput(Throughput::Elements(m.n * m.per_n));
        g.bench_function(m.name, |b| b.iter(|| run(&engine, &linker, &module, &args)));
    }
    g.finish();
}

fn dispatch(c: &mut Criterion) {
    micro(c, "dispatch");
}

fn calls(c: &mut Criterion) {
    micro(c, "calls");
}

fn alloc(c: &mut Criterion) {
    micro(c, "alloc");
}

fn strings(c: &mut Criterion) {
    micro(c, "strings");
}

fn maps(c: &mut Criterion) {
    micro(c, "maps");
}

fn config() -> Criterion {
    Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = startup, dispatch, calls, alloc, strings, maps
}
criterion_main!(benches);
