//! The JIT's promises beyond the conformance programs (which run in every tier): deep
//! recursion ends in `stack overflow`, never a crash, whatever the machine stack; a
//! running native loop stops for an interrupt; the code of a dropped instance is freed;
//! and every function of every test program compiles for AArch64 as well as this host.

use kite::{Capabilities, Config, Engine, EngineExt, Error, Limits, Linker, Store, Tier};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn vm(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vm")).args(args).output().expect("run vm");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp_file(name: &str, src: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("kite-jit-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, src).unwrap();
    p
}

const DEEP: &str =
    "fn down(n: int, x: float) -> int {\n    if n == 0 { return 0; }\n    return down(n - 1, x * 1.5) + 1;\n}\n\
                    fn up(n: int) -> int { return up(n + 1) + 1; }\n\
                    fn main() {\n    print(down(50000, 1.0));\n    print(up(0));\n}\n";

#[test]
fn deep_recursion_is_a_stack_overflow_in_every_tier() {
    let p = tmp_file("deep.kite", DEEP);
    let p = p.to_str().unwrap();
    let reference = vm(&["run", "--tier=interp", p]);
    assert_eq!(reference.0, 3, "{}", reference.2);
    assert_eq!(reference.1, "50000\n");
    assert!(reference.2.starts_with("error: stack overflow\n"), "{}", reference.2);
    for tier in ["--tier=jit", "--tier=auto"] {
        let r = vm(&["run", tier, p]);
        assert_eq!(r, reference, "{tier}");
    }
}

/// Runs `f` on a thread with a small machine stack.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(512 << 10).spawn(f).expect("thread").join().expect("no crash")
}

#[test]
fn deep_recursion_on_a_small_thread_stack_is_the_same_in_every_tier() {
    let results: Vec<String> = [Tier::Interp, Tier::Jit, Tier::Auto]
        .into_iter()
        .map(|tier| {
            on_small_stack(move || {
                let engine = Engine::new(Config::default().tier(tier).jit_threshold(1));
                let module = engine.compile_source("deep.kite", DEEP).expect("compiles");
                let mut store = Store::new(&engine, Capabilities::none(), Limits::default());
                store.set_stdout(std::io::sink());
                let inst = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
                let d: i64 = inst.call(&mut store, "down", (50_000i64, 1.0f64)).expect("deep but within the limit");
                assert_eq!(d, 50_000);
                match inst.call::<_, i64>(&mut store, "up", 0i64) {
                    Err(Error::Trap(t)) => t.to_string(),
                    other => panic!("expected stack overflow, got {other:?}"),
                }
            })
        })
        .collect();
    assert!(results[0].starts_with("error: stack overflow\n"), "{}", results[0]);
    assert_eq!(results[1], results[0]);
    assert_eq!(results[2], results[0]);
}

/// A recursive function whose native frame is large (two hundred floats live across its
/// call): callers check the machine stack before each native call, so a frame that starts
/// just above the limit must still fit below it; past the limit, calls run in the
/// interpreter. Same result in every tier, on a small thread stack.
#[test]
fn recursion_with_large_native_frames_on_a_small_thread_stack_is_the_same_in_every_tier() {
    let n = 200;
    let mut src = String::from("fn wide(d: int, x: float) -> float {\n    if d == 0 { return x; }\n");
    for i in 0..n {
        src += &format!("    let v{i} = x * {i}.5;\n");
    }
    src += "    let r = wide(d - 1, x + 1.0);\n    return r";
    for i in 0..n {
        src += &format!(" + v{i}");
    }
    src += ";\n}\n";
    let results: Vec<f64> = [Tier::Interp, Tier::Jit, Tier::Auto]
        .into_iter()
        .map(|tier| {
            let src = src.clone();
            on_small_stack(move || {
                let engine = Engine::new(Config::default().tier(tier).jit_threshold(1));
                let module = engine.compile_source("wide.kite", &src).expect("compiles");
                let mut store = Store::new(&engine, Capabilities::none(), Limits::default());
                let inst = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
                inst.call(&mut store, "wide", (3000i64, 0.5f64)).expect("deep but within the limit")
            })
        })
        .collect();
    assert!(results[0].is_finite() && results[0] > 0.0, "{}", results[0]);
    assert_eq!(results[1].to_bits(), results[0].to_bits());
    assert_eq!(results[2].to_bits(), results[0].to_bits());
}

#[test]
fn an_interrupt_stops_a_native_loop() {
    for tier in [Tier::Jit, Tier::Auto] {
        let engine = Engine::new(Config::default().tier(tier).jit_threshold(1));
        let module = engine
            .compile_source("spin.kite", "fn spin() -> int { var i = 0; while true { i += 1; } }")
            .expect("compiles");
        let mut store = Store::new(&engine, Capabilities::none(), Limits::default());
        let handle = store.interrupt_handle();
        let inst = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            handle.interrupt();
        });
        let err = inst.call::<_, i64>(&mut store, "spin", ()).expect_err("interrupted");
        stopper.join().unwrap();
        assert_eq!(err.trap().map(|t| t.message.as_str()), Some("interrupted"), "{tier:?}");
        assert!(store.stats().tiers.functions_compiled > 0, "{tier:?}: the loop ran natively");
    }
}

/// Resident memory of this process in KiB (Linux).
fn rss_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

#[test]
fn the_code_of_dropped_instances_is_freed() {
    let src = "fn f(n: int) -> int { var t = 0; for i in 0..n { t += i * i % 13; } return t; }\n\
               fn g(x: float) -> float { return x * 2.0 + 1.0; }\nfn main() {}\n";
    let engine = Engine::new(Config::default().tier(Tier::Jit));
    let module = engine.compile_source("m.kite", src).expect("compiles");
    let linker = Linker::new(&engine);
    let run = |n: usize| {
        for i in 0..n {
            let mut store = Store::new(&engine, Capabilities::none(), Limits::default());
            let inst = linker.instantiate(&mut store, &module).expect("instantiates");
            let r: i64 = inst.call(&mut store, "f", 100i64 + i as i64).expect("runs");
            assert!(r > 0);
            assert_eq!(store.stats().tiers.functions_compiled, 3);
        }
    };
    run(100);
    let Some(before) = rss_kib() else { return };
    run(1000);
    let after = rss_kib().expect("rss");
    // Each instance compiles three functions (tens of KiB of code and data): a leak of
    // them would be tens of MiB over a thousand instances.
    assert!(after < before + (8 << 10), "RSS grew from {before} KiB to {after} KiB over 1,000 compiled instances");
}

/// Every `.kite` test program that compiles (imported modules come with their importer).
fn programs() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
    ];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "kite") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_function_of_every_test_program_compiles_for_aarch64_and_this_host() {
    let mut compiled = 0;
    let mut failures = Vec::new();
    for p in programs() {
        let Ok(m) = kite::compiler::compile_file(&p) else { continue };
        let Ok(m) = kite::vm::bytecode::VerifiedModule::new(m) else { continue };
        for triple in [Some("aarch64-unknown-linux-gnu"), None] {
            match kite::vm::jit::compile_for_isa(&m, triple) {
                Ok(fs) => {
                    compiled += fs.len();
                    assert!(fs.iter().all(|f| f.code_size > 0));
                }
                Err(e) => failures.push(format!("{} ({triple:?}): {e}", p.display())),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compiled > 1000, "only {compiled} functions compiled");
}
