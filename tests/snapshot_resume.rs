//! The snapshot property: running a program to completion gives exactly the same stdout,
//! stderr, exit code (or trap) and total fuel as running it to a suspension after `k` units
//! of fuel, writing a snapshot, reading it back and resuming it — for several `k` per
//! program, across pairs of tiers, for every conformance program that needs no grants or
//! input and for generated programs. Also: the same program stopped at the same point
//! gives the same snapshot bytes in every tier.

use kite::differential::Captured;
use kite::vm::bytecode::{Module, VerifiedModule};
use kite::vm::exec::{Tier, TierOptions};
use kite::vm::host::HostFuncs;
use kite::vm::runtime::trap::TrapCode;
use kite::vm::runtime::{RunOptions, Vm};
use std::path::{Path, PathBuf};

const FUEL: u64 = 50_000_000;

fn tier(t: Tier) -> TierOptions {
    TierOptions { tier: t, jit_threshold: 5 }
}

fn host() -> HostFuncs {
    let mut h = HostFuncs::new();
    kite::vm::modules::host::add_to(&mut h);
    h
}

/// How a run ended.
#[derive(Debug, PartialEq, Eq)]
struct End {
    out: String,
    err: String,
    /// The exit code, or the trap's text.
    end: Result<i32, String>,
    fuel: u64,
}

fn opts() -> RunOptions {
    RunOptions { fuel: Some(FUEL), ..RunOptions::default() }
}

fn finish(vm: &mut Vm, r: Result<i32, kite::vm::runtime::trap::Trap>, out: &Captured, err: &Captured) -> End {
    let _ = vm.flush();
    End { out: out.text(), err: err.text(), end: r.map_err(|t| t.to_string()), fuel: vm.fuel_used() }
}

fn run_whole(m: &VerifiedModule, t: Tier) -> End {
    let (out, err) = (Captured::default(), Captured::default());
    let mut vm = Vm::new_in(tier(t), m.clone(), &host(), Box::new(out.clone()), Box::new(err.clone()), opts()).unwrap();
    let r = vm.run_main();
    finish(&mut vm, r, &out, &err)
}

/// Runs to a suspension at `k` in tier `a`; the snapshot (or the end, if the program ended
/// first), then resumed in tier `b` to the end.
fn run_split(m: &VerifiedModule, k: u64, a: Tier, b: Tier) -> (End, Option<Vec<u8>>) {
    let (out, err) = (Captured::default(), Captured::default());
    let mut vm = Vm::new_in(tier(a), m.clone(), &host(), Box::new(out.clone()), Box::new(err.clone()), opts()).unwrap();
    vm.suspend_at_fuel(Some(k));
    let r = vm.run_main();
    let suspended = matches!(&r, Err(t) if t.code == TrapCode::Suspended);
    if !suspended {
        return (finish(&mut vm, r, &out, &err), None);
    }
    let _ = vm.flush();
    let bytes = vm.take_suspension().expect("a suspended run has a snapshot");
    assert!(vm.fuel_used() >= k, "suspended after {} units, before {k}", vm.fuel_used());
    drop(vm);
    let snap = kite::vm::snapshot::read(&bytes).unwrap_or_else(|e| panic!("its own snapshot is refused: {e}"));
    // Written straight from the heap or from what was read, a snapshot is the same bytes.
    assert!(snap.to_bytes() == bytes, "a snapshot read and written again differs");
    let mut vm2 = Vm::from_snapshot(tier(b), snap, &host(), Box::new(out.clone()), Box::new(err.clone()), opts(), None)
        .unwrap_or_else(|e| panic!("cannot restore: {e}"));
    let r = vm2.resume_main();
    (finish(&mut vm2, r, &out, &err), Some(bytes))
}

const PAIRS: &[(Tier, Tier)] =
    &[(Tier::Interp, Tier::Jit), (Tier::Jit, Tier::Interp), (Tier::Auto, Tier::Auto), (Tier::Interp, Tier::Interp)];

/// Checks the property for `m` at several `k`; the number of (k, pair) runs that were
/// suspended and resumed.
fn check_program(name: &str, m: &VerifiedModule) -> usize {
    let whole = run_whole(m, Tier::Interp);
    let total = whole.fuel;
    let mut ks: Vec<u64> = vec![1, total / 3, total / 2, total.saturating_sub(1)];
    ks.retain(|&k| k > 0 && k < total);
    ks.dedup();
    let mut checked = 0;
    for &k in &ks {
        let mut first: Option<Vec<u8>> = None;
        for &(a, b) in PAIRS {
            let (end, bytes) = run_split(m, k, a, b);
            assert_eq!(end, whole, "{name}: suspended at {k} in {a:?}, resumed in {b:?}");
            if let Some(bytes) = bytes {
                checked += 1;
                match &first {
                    None => first = Some(bytes),
                    Some(f) => assert!(*f == bytes, "{name}: the snapshot at {k} differs between tiers ({a:?})"),
                }
            }
        }
    }
    checked
}

fn compile(path: &Path) -> Option<VerifiedModule> {
    let m: Module = kite::compiler::compile_file(path).ok()?;
    VerifiedModule::new(m).ok()
}

/// Conformance programs that run without grants, input, arguments or special flags.
fn plain_programs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut dirs = vec![root.join("tests"), root.join("examples")];
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                if d.ends_with("tests") || d.parent().is_some_and(|x| x.ends_with("tests")) {
                    dirs.push(p);
                }
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.ends_with(".kite") || name.starts_with('_') {
                continue;
            }
            let src = std::fs::read_to_string(&p).unwrap_or_default();
            if ["// flags:", "// stdin:", "// args:", "// expect-error:"].iter().any(|d| src.contains(d)) {
                continue;
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn suspended_and_resumed_runs_match_whole_runs_for_test_programs() {
    let mut programs = 0;
    let mut checked = 0;
    for p in plain_programs() {
        let Some(m) = compile(&p) else { continue };
        programs += 1;
        checked += check_program(&p.display().to_string(), &m);
    }
    eprintln!("{programs} programs, {checked} (program, k, tier pair) runs suspended and resumed");
    assert!(programs > 100, "found only {programs} programs");
    assert!(checked > 500, "only {checked} runs were checked");
}

#[test]
fn suspended_and_resumed_runs_match_whole_runs_for_generated_programs() {
    let dir = std::env::temp_dir().join(format!("kite-snapshot-gen-{}", std::process::id()));
    let mut checked = 0;
    for seed in 0..40u64 {
        let d = dir.join(seed.to_string());
        std::fs::create_dir_all(&d).unwrap();
        kite_gen::from_seed(seed).write_to(&d).unwrap();
        let m = compile(&d.join("main.kite")).expect("generated programs compile");
        checked += check_program(&format!("seed {seed}"), &m);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked > 100, "only {checked} runs were checked");
}
