//! Compile throughput, in source lines per second: a generated 20,000-line program with
//! many functions, structs, methods, loops, maps and closures, and the benchmark suite.
//!
//! `cargo bench --bench compile`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kite::{Capabilities, Config, Engine, EngineExt, Limits, Linker, Store};
use kite_vm::bytecode::encode::encode;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// Lines in the generated program.
const LINES: usize = 20_000;

/// One block of the generated program; `@` is replaced by the block's number.
const BLOCK: &str = r#"// Block @: a struct, its methods and a function that loops over them.
struct Vec@ { x: float, y: float, hits: int }

impl Vec@ {
    fn len2(self) -> float {
        return self.x * self.x + self.y * self.y;
    }
    fn bump(self, k: int) {
        self.hits += k;
        self.x = self.x * 0.5 + float(k);
    }
}

fn work@(n: int) -> int {
    var total = 0;
    let v = Vec@ { x: 1.5, y: 2.5, hits: 0 };
    for j in 0..n {
        if j % 3 == 0 {
            total += j * @;
        } else if j % 3 == 1 {
            total -= j;
        } else {
            v.bump(j);
        }
    }
    var k = 0;
    while k < 4 {
        k += 1;
        total = total ^ (k << 2);
    }
    let words: [str] = ["a@", "b", "c", "b"];
    let counts: {str: int} = {};
    for w in words {
        counts[w] = (counts.get(w) ?? 0) + 1;
    }
    let scale = fn(x: int) -> int { return x * 2 + n; };
    return total + v.hits + counts.len() + scale(3) + int(v.len2());
}

"#;

/// A program of exactly `lines` lines: blocks of BLOCK, one-line functions to fill up,
/// and a `main` that calls every block's function.
fn generate(lines: usize) -> String {
    let block_lines = BLOCK.lines().count();
    let main_fixed = 4; // fn main() {, var t = 0;, print(t);, }
    let mut blocks = 0;
    while (blocks + 1) * (block_lines + 1) + main_fixed <= lines {
        blocks += 1;
    }
    let pad = lines - blocks * (block_lines + 1) - main_fixed;
    let mut src = String::with_capacity(lines * 32);
    for b in 0..blocks {
        src.push_str(&BLOCK.replace('@', &b.to_string()));
    }
    for p in 0..pad {
        writeln!(src, "fn pad{p}(a: int) -> int {{ return a * {p} + {}; }}", p % 7).unwrap();
    }
    src.push_str("fn main() {\n    var t = 0;\n");
    for b in 0..blocks {
        writeln!(src, "    t += work{b}(3);").unwrap();
    }
    src.push_str("    print(t);\n}\n");
    assert_eq!(src.lines().count(), lines);
    src
}

/// Checks once that the generated program compiles and runs.
fn check_runs(name: &str, src: &str) {
    let engine = Engine::new(Config::default());
    let module = engine.compile_source(name, src).unwrap_or_else(|e| panic!("{name} does not compile:\n{e}"));
    let mut store = Store::new(&engine, Capabilities::none(), Limits::default());
    store.set_stdout(std::io::sink());
    if let Err(e) = Linker::new(&engine).instantiate(&mut store, &module).and_then(|i| i.run_main(&mut store)) {
        panic!("{name} does not run: {e}");
    }
}

fn compile_generated(c: &mut Criterion) {
    let src = generate(LINES);
    check_runs("generated.kite", &src);
    let mut g = c.benchmark_group("compile");
    g.throughput(Throughput::Elements(LINES as u64));
    g.bench_function("generated_20k_lines", |b| {
        b.iter(|| kite_compiler::compile_source("generated.kite", black_box(&src)).map_err(|e| e.to_string()).unwrap())
    });
    g.bench_function("generated_20k_lines_to_bytes", |b| {
        b.iter(|| {
            let m =
                kite_compiler::compile_source("generated.kite", black_box(&src)).map_err(|e| e.to_string()).unwrap();
            encode(&m)
        })
    });
    g.finish();
}

fn compile_suite(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/programs");
    let mut programs: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("benches/programs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "kite"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("read program")))
        .collect();
    programs.sort();
    let lines: usize = programs.iter().map(|(_, s)| s.lines().count()).sum();
    let mut g = c.benchmark_group("compile");
    g.throughput(Throughput::Elements(lines as u64));
    g.bench_function("bench_suite", |b| {
        b.iter(|| {
            for (path, src) in &programs {
                black_box(kite_compiler::compile_source(path, black_box(src)).map_err(|e| e.to_string()).unwrap());
            }
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = compile_generated, compile_suite
}
criterion_main!(benches);
