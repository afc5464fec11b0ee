//! `vm gen` and `vm fuzz`: generated programs (`kite-gen`), and differential runs of them
//! in every tier.
//!
//! `vm fuzz` runs each generated program in-process, through the embedding API, in every
//! way of [`kite::differential::WAYS`] (every tier, several JIT thresholds, from bytecode,
//! and split by a snapshot). A divergence is saved as a program folder with what differed, and reported
//! with its seed.

use kite::differential::{check, WAYS};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
                report.push_str(&format!("{}:\n{what}", way.name));
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
    #[cfg(feature = "op-counts")]
    crate::output::to_stderr(&opcode_coverage());
    Ok(divergences)
}

/// Which opcodes of the table the programs ran, in each tier (built with `op-counts`).
#[cfg(feature = "op-counts")]
fn opcode_coverage() -> String {
    use kite::vm::op_counts::{INTERP, NATIVE};
    let (interp, native) = (INTERP.get(), NATIVE.get());
    let table: Vec<usize> = (0..interp.len()).filter(|&i| !interp[i].0.is_internal()).collect();
    let ran = |c: &[(kite::vm::bytecode::Op, u64)]| table.iter().filter(|&&i| c[i].1 > 0).count();
    let mut out = format!(
        "fuzz: opcodes run (of the {} a module may hold): interpreter {}, native code {}\n",
        table.len(),
        ran(&interp),
        ran(&native)
    );
    for (tier, counts) in [("interpreter", &interp), ("native code", &native)] {
        let never: Vec<&str> = table.iter().filter(|&&i| counts[i].1 == 0).map(|&i| counts[i].0.name()).collect();
        if !never.is_empty() {
            out.push_str(&format!("fuzz: never run by the {tier}: {}\n", never.join(" ")));
        }
    }
    out
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
