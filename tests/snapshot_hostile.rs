//! The bounded version of the `snapshot` fuzz target: mutants of valid snapshots (of the
//! test programs and of generated ones, at several points of their runs) are refused with
//! an error, or restored and run within bounds; none may panic, crash or hang.
//!
//! `KITE_SNAPSHOT_CASES=N` changes the number of mutants (default 3000).

#[path = "support/snapshot_mutation.rs"]
mod snapshot_mutation;

use kite::vm::bytecode::VerifiedModule;
use snapshot_mutation::{check, mutate, snapshot_of, Outcome, Pick};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

struct SplitMix(u64);

impl Pick for SplitMix {
    fn pick(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        if n == 0 {
            0
        } else {
            (z % n as u64) as usize
        }
    }
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root.join("tests/programs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "kite"))
        .collect();
    files.sort();
    let dir = std::env::temp_dir().join(format!("kite-snapshot-hostile-{}", std::process::id()));
    for seed in 0..6u64 {
        let d = dir.join(seed.to_string());
        std::fs::create_dir_all(&d).unwrap();
        kite_gen::from_seed(seed).write_to(&d).unwrap();
        files.push(d.join("main.kite"));
    }
    for p in files {
        let Ok(m) = kite::compiler::compile_file(&p) else { continue };
        let m = VerifiedModule::new(m).unwrap();
        for k in [3, 40, 400] {
            if let Some(b) = snapshot_of(&m, k) {
                out.push((format!("{} at {k}", p.display()), b));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn mutated_snapshots_are_refused_or_run_safely() {
    let seeds = seeds();
    assert!(seeds.len() >= 20, "only {} seed snapshots", seeds.len());
    let cases: u64 = std::env::var("KITE_SNAPSHOT_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let (mut refused, mut not_restored, mut ran) = (0, 0, 0);
    for case in 0..cases {
        let mut c = SplitMix(case);
        let (name, seed) = &seeds[c.pick(seeds.len())];
        let bytes = mutate(seed, &mut c);
        let jit = case % 2 == 1;
        match catch_unwind(AssertUnwindSafe(|| check(&bytes, jit))) {
            Ok(Outcome::Refused) => refused += 1,
            Ok(Outcome::NotRestored) => not_restored += 1,
            Ok(Outcome::Ran) => ran += 1,
            Err(_) => panic!("mutant {case} of {name} panicked"),
        }
    }
    eprintln!("{cases} mutants: {refused} refused, {not_restored} not restored, {ran} restored and run");
    // The unmutated snapshots all resume.
    for (name, seed) in &seeds {
        assert_eq!(check(seed, false), Outcome::Ran, "{name}");
    }
    assert!(refused > 0 && ran > 0, "the mutants should include refused and running ones");
}
