//! `vm gen` and `vm fuzz`: generated programs (`kite-gen`), and differential runs of them
//! in every tier.
//!
//! `vm fuzz` runs each generated program in-process, through the embedding API, in every
//! tier — the interpreter, the JIT with everything compiled first, and `auto` with JIT
//! thresholds that compile at the first call and enter loops natively at their first turn
//! (1), part way through a loop (7), and late (the default) — and once more from its
//! encoded-then-decoded bytecode. Every run must give the same stdout, stderr (the output of
//! `eprint`, the trap message and stack trace), exit code and fuel used. A divergence is
//! saved as a program folder with the outcomes of each run, and reported with its seed.

use kite::{Capabilities, Config, Engine, Error, Limits, Linker, Store, Tier};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The fuel every run gets: generated programs stay well under it; running out is an
/// allowed outcome (at the same point in every tier).
const FUEL: u64 = 2_000_000;
/// The memory limit of every run.
const MEMORY: usize = 256 << 20;

/// One way to run a program.
#[derive(Clone, Copy, Debug)]
pub struct Way {
    pub name: &'static str,
    pub tier: Tier,
    pub threshold: u32,
    /// Run from the module's bytecode, encoded and decoded again.
    pub from_bytes: bool,
}

/// Every way a program is run: the first is the reference.
pub const WAYS: &[Way] = &[
    Way { name: "interp", tier: Tier::Interp, threshold: 1, from_bytes: false },
    Way { name: "jit", tier: Tier::Jit, threshold: 1, from_bytes: false },
    Way { name: "auto(1)", tier: Tier::Auto, threshold: 1, from_bytes: false },
    Way { name: "auto(7)", tier: Tier::Auto, threshold: 7, from_bytes: false },
    Way { name: "auto", tier: Tier::Auto, threshold: kite::vm::exec::DEFAULT_JIT_THRESHOLD, from_bytes: false },
    Way { name: "jit, .bc", tier: Tier::Jit, threshold: 1, from_bytes: true },
];

/// What a run showed.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    pub fuel: Option<u64>,
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("output lock"))?.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        self.0.lock().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }
}

/// Runs the compiled program `m` one way.
pub fn run_way(m: &kite::vm::bytecode::Module, way: Way) -> Result<Outcome, String> {
    let engine = Engine::new(Config::default().tier(way.tier).jit_threshold(way.threshold));
    let module = if way.from_bytes {
        let bytes = kite::vm::bytecode::encode::encode(m);
        kite::Module::from_bytes(&engine, &bytes)
    } else {
        kite::Module::from_bytecode(&engine, m.clone())
    }
    .map_err(|e| format!("load: {e}"))?;
    let mut store = Store::new(&engine, Capabilities::none(), Limits::default().fuel(FUEL).max_memory(MEMORY));
    let (out, err) = (Captured::default(), Captured::default());
    store.set_stdout(out.clone());
    store.set_stderr(err.clone());
    let linker = Linker::new(&engine);
    let result = linker.instantiate(&mut store, &module).and_then(|inst| inst.run_main(&mut store));
    let _ = store.flush();
    let mut stderr = err.text();
    let code = match result {
        Ok(code) => code,
        Err(Error::Trap(trap)) => {
            stderr.push_str(&trap.to_string());
            trap.exit_code()
        }
        Err(e) => return Err(format!("instantiate or run: {e}")),
    };
    let stats = store.stats();
    if stats.tiers.compile_failures > 0 {
        return Err(format!("{} functions could not be compiled", stats.tiers.compile_failures));
    }
    Ok(Outcome { stdout: out.text(), stderr, code, fuel: stats.fuel_used })
}

/// The ways a compiled program disagrees with its reference run; empty when they agree.
pub fn check(m: &kite::vm::bytecode::Module) -> Vec<(Way, String)> {
    let mut problems = Vec::new();
    let reference = match run_way(m, WAYS[0]) {
        Ok(o) => o,
        Err(e) => return vec![(WAYS[0], e)],
    };
    for &way in &WAYS[1..] {
        match run_way(m, way) {
            Err(e) => problems.push((way, e)),
            Ok(o) if o != reference => problems.push((way, describe(&reference, &o))),
            Ok(_) => {}
        }
    }
    problems
}

/// Where two outcomes differ, in a few lines.
fn describe(a: &Outcome, b: &Outcome) -> String {
    let mut out = String::new();
    if a.code != b.code {
        out.push_str(&format!("exit code {} instead of {}; ", b.code, a.code));
    }
    if a.fuel != b.fuel {
        out.push_str(&format!("fuel {:?} instead of {:?}; ", b.fuel, a.fuel));
    }
    for (what, x, y) in [("stdout", &a.stdout, &b.stdout), ("stderr", &a.stderr, &b.stderr)] {
        if x != y {
            let line =
                x.lines().zip(y.lines()).position(|(p, q)| p != q).unwrap_or(x.lines().count().min(y.lines().count()));
            out.push_str(&format!(
                "{what} line {}: {:?} instead of {:?}; ",
                line + 1,
                y.lines().nth(line).unwrap_or("<end>"),
                x.lines().nth(line).unwrap_or("<end>")
            ));
        }
    }
    out
}

/// Writes the generated program of `seed` into `dir` and compiles it.
fn prepare(seed: u64, dir: &Path) -> Result<kite::vm::bytecode::Module, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    kite_gen::from_seed(seed).write_to(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    kite::compiler::compile_file(dir.join("main.kite")).map_err(|e| format!("seed {seed} does not compile:\n{e}"))
}

/// `vm fuzz`: runs `programs` generated programs from `seed` on (or until `time` is up),
/// printing progress; saves divergences under `keep`. Returns the number of divergences.
pub fn fuzz(seed: u64, programs: Option<u64>, time: Option<Duration>, keep: &Path) -> Result<u64, String> {
    let started = Instant::now();
    let scratch = std::env::temp_dir().join(format!("kite-fuzz-{}", std::process::id()));
    let mut ran = 0u64;
    let mut divergences = 0u64;
    let mut last_report = Instant::now();
    let mut s = seed;
    loop {
        if programs.is_some_and(|n| ran >= n) || time.is_some_and(|t| started.elapsed() >= t) {
            break;
        }
        let dir = scratch.join(format!("seed-{s}"));
        let m = prepare(s, &dir)?;
        let problems = check(&m);
        if !problems.is_empty() {
            divergences += 1;
            let kept = keep.join(format!("seed-{s}"));
            let _ = std::fs::create_dir_all(&kept);
            let _ = kite_gen::from_seed(s).write_to(&kept);
            let mut report = String::new();
            for (way, what) in &problems {
                report.push_str(&format!("{}: {what}\n", way.name));
            }
            let _ = std::fs::write(kept.join("divergence.txt"), &report);
            crate::output::to_stderr(&format!("fuzz: seed {s} diverges (kept in {}):\n{report}", kept.display()));
        }
        let _ = std::fs::remove_dir_all(&dir);
        ran += 1;
        s += 1;
        if last_report.elapsed() >= Duration::from_secs(10) {
            last_report = Instant::now();
            report_progress(ran, divergences, started.elapsed());
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    report_progress(ran, divergences, started.elapsed());
    Ok(divergences)
}

fn report_progress(ran: u64, divergences: u64, elapsed: Duration) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    crate::output::to_stderr(&format!(
        "fuzz: {ran} programs ({} runs in {} ways) in {secs:.1}s, {:.1} programs/s, {divergences} divergences\n",
        ran * WAYS.len() as u64,
        WAYS.len(),
        ran as f64 / secs,
    ));
}

/// `vm gen`: the program of `seed`, as text (each file after a `// file: NAME` line), or
/// written into `out`.
pub fn gen(seed: u64, out: Option<&PathBuf>) -> Result<String, String> {
    let p = kite_gen::from_seed(seed);
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        p.write_to(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        return Ok(String::new());
    }
    let mut text = String::new();
    if !p.modules.is_empty() {
        text.push_str("// file: main.kite\n");
    }
    text.push_str(&p.main);
    for (stem, src) in &p.modules {
        text.push_str(&format!("\n// file: {stem}.kite\n{src}"));
    }
    Ok(text)
}
