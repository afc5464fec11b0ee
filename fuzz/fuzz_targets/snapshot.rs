//! Hostile snapshots: mutants of valid snapshots (the programs under tests/programs/ and a
//! few generated ones, each suspended at several points) go through the snapshot reader,
//! the restore and a run limited by fuel and memory (tests/support/snapshot_mutation.rs).
//! The fuzzer's input chooses the snapshot and the mutations; each mutant's checksum is
//! recomputed, so the body is what gets tested. A mutant must be refused with an error or
//! run within its bounds, never crash.

#![no_main]

#[path = "../../tests/support/snapshot_mutation.rs"]
mod snapshot_mutation;

use kite::vm::bytecode::VerifiedModule;
use libfuzzer_sys::fuzz_target;
use snapshot_mutation::{check, mutate, snapshot_of, Pick};
use std::path::Path;
use std::sync::OnceLock;

/// Choices read from the input, two bytes each (then zeros).
struct Tape<'a>(&'a [u8]);

impl Pick for Tape<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let (v, rest) = match self.0 {
            [a, b, rest @ ..] => (u16::from_le_bytes([*a, *b]) as usize, rest),
            _ => (0, &[][..]),
        };
        self.0 = rest;
        if n == 0 {
            0
        } else {
            v % n
        }
    }
}

fn seeds() -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files: Vec<_> = std::fs::read_dir(root.join("tests/programs"))
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        let dir = std::env::temp_dir().join(format!("kite-fuzz-snapshot-{}", std::process::id()));
        for seed in 0..4u64 {
            let d = dir.join(seed.to_string());
            if std::fs::create_dir_all(&d).is_ok() && kite_gen::from_seed(seed).write_to(&d).is_ok() {
                files.push(d.join("main.kite"));
            }
        }
        let mut out = Vec::new();
        for p in files {
            let Ok(m) = kite::compiler::compile_file(&p) else { continue };
            let Ok(m) = VerifiedModule::new(m) else { continue };
            for k in [3, 40, 400] {
                out.extend(snapshot_of(&m, k));
            }
        }
        assert!(!out.is_empty(), "no seed snapshots");
        out
    })
}

fuzz_target!(|data: &[u8]| {
    let seeds = seeds();
    let mut tape = Tape(data);
    let seed = &seeds[tape.pick(seeds.len())];
    let jit = tape.pick(2) == 1;
    let bytes = mutate(seed, &mut tape);
    let _ = check(&bytes, jit);
});
