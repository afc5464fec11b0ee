//! The collector keeps memory bounded under allocation churn: a program that allocates
//! far more in total than it keeps alive runs with a small peak heap.

use std::process::Command;

fn stat(stderr: &str, name: &str) -> u64 {
    let at = stderr.find(name).unwrap_or_else(|| panic!("no {name} in {stderr:?}"));
    stderr[at + name.len()..]
        .split_whitespace()
        .next()
        .and_then(|w| w.trim_end_matches(',').parse().ok())
        .expect("a number")
}

/// The `--stats` text of `vm run --stats PROGRAM ARG`, which must succeed.
fn stats_of(program: &str, arg: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vm"))
        .args(["run", "--stats", program, arg])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run vm");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn churn_runs_in_bounded_heap() {
    let stderr = stats_of("tests/gc/churn.kite", "300");
    let peak = stat(&stderr, "peak heap ");
    let allocated = stat(&stderr, "allocated ");
    let cycles = stat(&stderr, "gc cycles ");
    assert!(allocated > 90_000_000, "the program should allocate ~96 MB in total: {stderr}");
    assert!(peak < 16 << 20, "peak heap {peak} is not bounded: {stderr}");
    assert!(cycles >= 5, "expected several collections: {stderr}");
}

#[test]
fn distinct_short_strings_are_collected() {
    let stderr = stats_of("tests/gc/distinct_short_strings.kite", "2000000");
    let peak = stat(&stderr, "peak heap ");
    let allocated = stat(&stderr, "allocated ");
    assert!(allocated > 60_000_000, "the program should make ~4 million strings: {stderr}");
    assert!(peak < 16 << 20, "peak heap {peak} is not bounded: {stderr}");
}
