//! Structured mutations of valid modules (every program under tests/ and examples/,
//! compiled once): bit flips, truncation, inserted bytes, inflated counts, swapped and
//! boundary operands, other opcodes. Each mutant goes through the decoder, the verifier,
//! and, if it verifies, a run limited by fuel and call depth (tests/support/mutation.rs).
//! The fuzzer's input chooses the program and the mutations.
//!
//! `KITE_FUZZ_DUMP=FILE` writes each mutant to FILE before checking it, so the mutant of a
//! crashing input can be kept as a regression file:
//! `KITE_FUZZ_DUMP=tests/bytecode-regressions/NAME.bc cargo +nightly fuzz run mutate CRASH`.

#![no_main]

#[path = "../../tests/support/mutation.rs"]
mod mutation;

use libfuzzer_sys::fuzz_target;
use mutation::{Choices, Seed, Tape};
use std::path::Path;
use std::sync::OnceLock;

/// Mutated programs may ask for absurd amounts of memory; refuse past 1 GiB.
#[global_allocator]
static ALLOC: mutation::CappedAlloc = mutation::CappedAlloc::new(1 << 30);

fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dirs = [root.join("tests"), root.join("examples")];
        let seeds: Vec<Seed> = mutation::programs(&dirs)
            .into_iter()
            .filter_map(|p| Some(Seed::new(p.display().to_string(), &kite_compiler::compile_file(&p).ok()?)))
            .collect();
        assert!(!seeds.is_empty(), "no seed programs under {}", root.display());
        seeds
    })
}

fuzz_target!(|data: &[u8]| {
    let seeds = seeds();
    let mut tape = Tape::new(data);
    let seed = &seeds[tape.below(seeds.len())];
    let bytes = mutation::mutate(seed, &mut tape);
    if let Some(path) = std::env::var_os("KITE_FUZZ_DUMP") {
        let _ = std::fs::write(path, &bytes);
    }
    let _ = mutation::check(&bytes);
});
