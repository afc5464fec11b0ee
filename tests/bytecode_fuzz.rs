//! The bounded version of the `mutate` fuzz target, and the replay of files the fuzzers
//! found: no input may panic, crash or hang the decoder, the verifier or a bounded run.
//!
//! `KITE_MUTATION_CASES=N` changes the number of mutants (default 3000) and
//! `KITE_MUTATION_SEED=S` the seed, e.g. to run a longer search locally.

#[path = "support/mutation.rs"]
mod mutation;

use mutation::{Choices, Outcome, Seed, SplitMix};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Mutated programs may ask for absurd amounts of memory; refuse past 1 GiB.
#[global_allocator]
static ALLOC: mutation::CappedAlloc = mutation::CappedAlloc::new(1 << 30);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn seeds() -> Vec<Seed> {
    let dirs = [root().join("tests"), root().join("examples")];
    mutation::programs(&dirs)
        .into_iter()
        .filter_map(|p| {
            let m = kite_compiler::compile_file(&p).ok()?;
            Some(Seed::new(p.strip_prefix(root()).unwrap_or(&p).display().to_string(), &m))
        })
        .collect()
}

#[test]
fn mutated_modules_are_refused_or_run_safely() {
    let seeds = seeds();
    assert!(seeds.len() > 100, "only {} seed programs", seeds.len());
    let cases = env_num("KITE_MUTATION_CASES", 3000);
    let mut rng = SplitMix(env_num("KITE_MUTATION_SEED", 0x6b69_7465));
    let (mut decode, mut verify, mut link, mut ran) = (0, 0, 0, 0);
    for case in 0..cases {
        let seed = &seeds[rng.below(seeds.len())];
        let bytes = mutation::mutate(seed, &mut rng);
        match catch_unwind(AssertUnwindSafe(|| mutation::check(&bytes))) {
            Ok(Outcome::Decode(_)) => decode += 1,
            Ok(Outcome::Verify(_)) => verify += 1,
            Ok(Outcome::Link(_)) => link += 1,
            Ok(Outcome::Ran(_)) => ran += 1,
            Err(_) => {
                let out = std::env::temp_dir().join(format!("kite-mutation-case-{case}.bc"));
                let _ = std::fs::write(&out, &bytes);
                panic!("case {case} (a mutant of {}) panicked; its bytes are in {}", seed.name, out.display());
            }
        }
    }
    eprintln!("{cases} mutants: {decode} refused by the decoder, {verify} by the verifier, {link} at link, {ran} ran");
    // The mix must exercise every stage, or the test proves little.
    assert!(decode > 0 && verify > 0 && ran > 0, "decode {decode}, verify {verify}, ran {ran}");
}

#[test]
fn every_original_module_runs_bounded() {
    for seed in seeds() {
        match mutation::check(&seed.bytes) {
            Outcome::Decode(e) | Outcome::Verify(e) => panic!("{}: {e}", seed.name),
            Outcome::Link(_) | Outcome::Ran(_) => {}
        }
    }
}

/// Every file in `tests/bytecode-regressions/` once crashed something; it must now be
/// refused or run safely. A file `NAME.bc` may have a `NAME.expect` holding text that the
/// outcome must contain.
#[test]
fn regression_files_replay() {
    let dir = root().join("tests/bytecode-regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/bytecode-regressions")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "bc"))
        .collect();
    files.sort();
    for f in &files {
        let bytes = std::fs::read(f).expect("read regression file");
        let outcome = match catch_unwind(|| mutation::check(&bytes)) {
            Ok(o) => o,
            Err(_) => panic!("{} panics again", f.display()),
        };
        let expect = f.with_extension("expect");
        if let Ok(want) = std::fs::read_to_string(&expect) {
            let got = format!("{outcome:?}");
            assert!(got.contains(want.trim()), "{}: expected {:?} in {got}", f.display(), want.trim());
        }
    }
}
