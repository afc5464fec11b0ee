//! Differential test on generated programs (`kite-gen`): each program runs from source
//! and from the `.bc` that `vm build` wrote, in every tier, and must give the same
//! stdout, stderr (output of `eprint`, trap message and stack trace), exit code and
//! fuel. It also runs through the embedding API (compiled by the `kite` facade, output
//! captured by the store), which must agree with `vm run` on stdout, stderr, the trap
//! and the fuel used.
//!
//! A mismatch names the seed and the folder where the program was kept; reproduce with
//! `vm run --tier=TIER --fuel=2000000 --stats main.kite` in that folder.

use kite::differential::{diff, run_main_in, Outcome, FUEL};
use kite::{Capabilities, Config, Engine, EngineExt, Limits, Store};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The tiers every program runs in, with the flags that pick them. `auto` runs with a JIT
/// threshold of 1: every function is compiled at its first call and every loop is
/// entered natively at its first turn, from the interpreter's frame (on-stack replacement).
const TIERS: &[(&str, &[&str])] =
    &[("interp", &["--tier=interp"]), ("jit", &["--tier=jit"]), ("auto", &["--tier=auto", "--jit-threshold=1"])];
/// Seeds `FIRST_SEED..FIRST_SEED + PROGRAMS` are run.
const FIRST_SEED: u64 = 0;
const PROGRAMS: u64 = 300;

fn vm(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vm")).args(args).current_dir(dir).stdin(Stdio::null()).output().expect("run vm")
}

/// `vm run TIER_FLAGS --fuel=FUEL --stats FILE` in `dir`.
fn run_cli(dir: &Path, tier_flags: &[&str], file: &str) -> Outcome {
    let fuel_flag = format!("--fuel={FUEL}");
    let mut args = vec!["run"];
    args.extend(tier_flags);
    args.extend([fuel_flag.as_str(), "--stats", file]);
    let out = vm(dir, &args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (stats, rest): (Vec<&str>, Vec<&str>) = stderr.split_inclusive('\n').partition(|l| l.starts_with("stats: "));
    assert!(
        !stats.iter().any(|l| l.contains("compile failures") && !l.contains("compile failures 0,")),
        "native code could not be made: {stats:?}"
    );
    let fuel = stats.first().and_then(|l| {
        let n = l.split("fuel used ").nth(1)?;
        n.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    });
    Outcome {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: rest.concat(),
        code: out.status.code().unwrap_or(-1),
        fuel,
    }
}

/// The program run in-process: compiled by the facade, run by `Instance::run_main` in a
/// store with the same fuel, seed and (no) capabilities as `vm run`. Trace paths are made
/// relative to `dir`, as `vm run` in `dir` shows them.
fn run_embedded(dir: &Path) -> Result<Outcome, String> {
    let engine = Engine::new(Config::default());
    let module = engine.compile_file(dir.join("main.kite")).map_err(|e| format!("compile: {e}"))?;
    let mut store = Store::new(&engine, Capabilities::none(), Limits::default().fuel(FUEL));
    store.set_seed(0);
    let (mut outcome, _) = run_main_in(&engine, &module, store)?;
    outcome.stderr = outcome.stderr.replace(&format!("{}/", dir.display()), "");
    Ok(outcome)
}

/// Runs seed `seed` every way; a description of each disagreement.
fn check_seed(seed: u64, dir: &Path) -> Vec<String> {
    let p = kite_gen::from_seed(seed);
    p.write_to(dir).expect("write the program");
    let build = vm(dir, &["build", "main.kite", "-o", "main.bc"]);
    if !build.status.success() {
        return vec![format!("vm build failed:\n{}", String::from_utf8_lossy(&build.stderr))];
    }
    let mut problems = Vec::new();
    let mut reference: Option<(String, Outcome)> = None;
    for (tier, flags) in TIERS {
        for file in ["main.kite", "main.bc"] {
            let name = format!("{tier}, {file}");
            let o = run_cli(dir, flags, file);
            if o.fuel.is_none() {
                problems.push(format!("[{name}] printed no fuel figure"));
            }
            match &reference {
                None => reference = Some((name, o)),
                Some((rname, r)) => {
                    let d = diff(rname, r, &name, &o);
                    if !d.is_empty() {
                        problems.push(d);
                    }
                }
            }
        }
    }
    match (run_embedded(dir), &reference) {
        (Err(e), _) => problems.push(format!("[embedded] {e}")),
        (Ok(e), Some((rname, r))) => {
            let d = diff(rname, r, "embedded", &e);
            if !d.is_empty() {
                problems.push(d);
            }
        }
        (Ok(_), None) => {}
    }
    problems
}

#[test]
fn generated_programs_agree_across_tiers_formats_and_the_embedding_api() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("generated");
    let mut failures = Vec::new();
    for seed in FIRST_SEED..FIRST_SEED + PROGRAMS {
        let dir = root.join(format!("seed-{seed}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the program's folder");
        let problems = check_seed(seed, &dir);
        if problems.is_empty() {
            let _ = std::fs::remove_dir_all(&dir);
        } else {
            failures.push(format!("seed {seed} (program kept in {}):\n{}", dir.display(), problems.join("")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {PROGRAMS} generated programs disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `kite::differential::check` (what `vm fuzz` and the `differential` fuzz target run)
/// finds every way in agreement on generated programs, and its snapshot ways do suspend
/// and resume (not only run through).
#[test]
fn the_differential_ways_agree_and_the_split_ways_suspend() {
    use kite::differential::{check, run_way, run_way_split, WAYS};
    let scratch = std::env::temp_dir().join(format!("kite-generated-ways-{}", std::process::id()));
    let (mut split_runs, mut suspended) = (0, 0);
    for seed in 0..12 {
        let dir = scratch.join(format!("seed-{seed}"));
        std::fs::create_dir_all(&dir).unwrap();
        kite_gen::from_seed(seed).write_to(&dir).unwrap();
        let m = kite::compiler::compile_file(dir.join("main.kite")).unwrap();
        let problems = check(&m);
        assert!(
            problems.is_empty(),
            "seed {seed}: {}",
            problems.iter().map(|(w, p)| format!("{}:\n{p}", w.name)).collect::<String>()
        );
        let reference = run_way(&m, WAYS[0], None).unwrap();
        for &way in WAYS.iter().filter(|w| w.split.is_some()) {
            let (outcome, was_suspended) = run_way_split(&m, way, reference.fuel).unwrap();
            assert_eq!(outcome, reference, "seed {seed}: {}", way.name);
            split_runs += 1;
            suspended += was_suspended as usize;
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(suspended * 4 >= split_runs * 3, "only {suspended} of {split_runs} split runs were suspended");
}
