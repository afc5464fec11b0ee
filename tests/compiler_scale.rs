//! The compiler on big inputs: memory and work grow about linearly with the source, and
//! a source with very many errors gives a bounded report quickly. Measured in bytes and
//! allocations on the compiling thread (a counting global allocator), never in seconds.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{measure, Usage};
use kite_compiler::compile_source;
use kite_compiler::diagnostic::MAX_DIAGNOSTICS;
use std::fmt::Write as _;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

/// `n` statements, each a type error (with a hint), spread over functions of 100.
fn type_errors(n: usize) -> String {
    let mut s = String::from("fn main() {}\n");
    for i in 0..n {
        if i % 100 == 0 {
            let _ = writeln!(s, "fn f{}() {{", i / 100);
        }
        let _ = writeln!(s, "    print({i} + \"x\");");
        if i % 100 == 99 || i + 1 == n {
            s.push_str("}\n");
        }
    }
    s
}

/// Compiles `src`, which must fail; returns the rendered error and the usage.
fn failing(src: &str) -> (String, usize, Usage) {
    let (result, usage) = measure(|| compile_source("big.kite", src));
    let err = match result {
        Ok(_) => panic!("the program compiled"),
        Err(e) => e,
    };
    (err.to_string(), err.count(), usage)
}

#[test]
fn many_errors_give_a_bounded_report() {
    for n in [10_000, 100_000] {
        let src = type_errors(n);
        let (text, count, usage) = failing(&src);
        assert_eq!(count, n);
        let headers = text.lines().filter(|l| l.contains(": error: ")).count();
        assert_eq!(headers, MAX_DIAGNOSTICS, "{n} errors");
        let last = text.lines().last().unwrap_or("");
        assert_eq!(last, format!("and {} more errors ({n} in all)", n - MAX_DIAGNOSTICS));
        // The first errors in source order are the ones shown.
        assert!(text.starts_with("big.kite:3:11: error: operator '+' cannot be applied to int and str"), "{text:.200}");
        // Memory: a generous constant times the source, whatever the number of errors.
        let bound = 200 * src.len();
        assert!(usage.peak_bytes < bound, "{n} errors: peak {} bytes, bound {bound}", usage.peak_bytes);
        eprintln!("{n} errors in {} bytes of source: {usage:?}", src.len());
    }
}
