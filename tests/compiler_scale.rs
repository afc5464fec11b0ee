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

/// Compiles `src`, which must succeed.
fn compiling(src: &str) -> Usage {
    let (result, usage) = measure(|| compile_source("big.kite", src));
    if let Err(e) = result {
        panic!("{:.2000}", e.to_string());
    }
    usage
}

/// Checks that compiling `make(4 * n)` takes less than 8 times the allocations and peak
/// memory of `make(n)` (linear growth gives about 4, quadratic 16), and that the peak
/// stays within a generous constant times the source size.
fn grows_linearly(what: &str, n: usize, make: impl Fn(usize) -> String) {
    let (small, large) = (make(n), make(4 * n));
    let (a, b) = (compiling(&small), compiling(&large));
    eprintln!("{what}: {} bytes {a:?}; {} bytes {b:?}", small.len(), large.len());
    let ratio = b.allocations as f64 / a.allocations as f64;
    assert!(ratio < 8.0, "{what}: allocations grew {ratio:.1} times for 4 times the input");
    let ratio = b.peak_bytes as f64 / a.peak_bytes as f64;
    assert!(ratio < 8.0, "{what}: peak memory grew {ratio:.1} times for 4 times the input");
    assert!(
        b.peak_bytes < 200 * large.len(),
        "{what}: peak {} bytes for {} bytes of source",
        b.peak_bytes,
        large.len()
    );
}

/// The largest program of the test suite and the examples, and its size.
fn largest_test_program() -> (std::path::PathBuf, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("tests"), root.join("examples")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "kite") {
                files.push(p);
            }
        }
    }
    let path = files.into_iter().max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).expect("programs");
    let src = std::fs::read_to_string(&path).expect("read");
    (path, src)
}

/// `copies` copies of `src`, the top-level names of copy `k` suffixed with `_k` (every
/// occurrence of those identifiers, so the copies are consistent), the first one as is.
fn copies_of(src: &str, copies: usize) -> String {
    let file = kite_compiler::parser::parse(src).expect("the program parses");
    let names: std::collections::HashSet<String> = file
        .items
        .iter()
        .filter_map(|i| match i {
            kite_compiler::ast::Item::Fn(d) => Some(d.name.name.clone()),
            kite_compiler::ast::Item::Struct(d) => Some(d.name.name.clone()),
            kite_compiler::ast::Item::Global(d) => Some(d.name.name.clone()),
            _ => None,
        })
        .collect();
    let (tokens, errors) = kite_compiler::lexer::tokenize(src);
    assert!(errors.is_empty());
    let mut out = String::from(src);
    for k in 1..copies {
        let mut at = 0;
        for (lo, tok, hi) in &tokens {
            if let kite_compiler::lexer::Tok::Ident(name) = tok {
                if names.contains(*name) {
                    out.push_str(&src[at..*hi]);
                    let _ = write!(out, "_{k}");
                    at = *hi;
                    let _ = lo;
                }
            }
        }
        out.push_str(&src[at..]);
        out.push('\n');
    }
    out
}

#[test]
fn ten_times_the_largest_test_program() {
    let (path, src) = largest_test_program();
    let ten = copies_of(&src, 10);
    assert!(ten.len() >= 10 * src.len());
    eprintln!("{} ({} bytes) ten times: {} bytes", path.display(), src.len(), ten.len());
    grows_linearly("copies of the largest test program", 10, |n| copies_of(&src, n));
}

#[test]
fn many_fields() {
    // A struct, a literal giving every field, and reads of every hundredth field.
    grows_linearly("fields", 15_000, |n| {
        let mut s = String::from("struct Big {\n");
        for i in 0..n {
            let _ = writeln!(s, "    f{i}: int,");
        }
        s.push_str("}\nfn main() {\n    let b = Big { ");
        for i in (0..n).rev() {
            let _ = write!(s, "f{i}: {i}, ");
        }
        s.push_str("};\n    var t = 0;\n");
        for i in (0..n).step_by(100) {
            let _ = writeln!(s, "    t += b.f{i};");
        }
        s.push_str("    print(t);\n}\n");
        s
    });
}

#[test]
fn many_functions() {
    grows_linearly("functions", 16_000, |n| {
        let mut s = String::from("fn f0(x: int) -> int { return x; }\n");
        for i in 1..n {
            let _ = writeln!(s, "fn f{i}(x: int) -> int {{ return f{}(x) + {i}; }}", i - 1);
        }
        let _ = writeln!(s, "fn main() {{ print(f{}(1)); }}", n - 1);
        s
    });
}

#[test]
fn many_locals_and_names() {
    // Each local reads the one before; a closure at the end captures 200 of them.
    grows_linearly("locals", 3_000, |n| {
        let mut s = String::from("fn main() {\n    let v0 = 1;\n");
        for i in 1..n {
            let _ = writeln!(s, "    let v{i} = v{} + {i};", i - 1);
        }
        s.push_str("    let f = fn() -> int {\n        var t = 0;\n");
        for i in (0..n).step_by(n / 200) {
            let _ = writeln!(s, "        t += v{i};");
        }
        s.push_str("        return t;\n    };\n    print(f());\n}\n");
        s
    });
}

#[test]
fn one_long_line() {
    // Locations on one long line cost the same as on short ones.
    grows_linearly("one line", 10_000, |n| {
        let mut s = String::from("fn main() { var t = 0;");
        for i in 0..n {
            let _ = write!(s, " t += {i}; if t > {i} {{ t -= 1; }}");
        }
        s.push_str(" print(t); }\n");
        s
    });
}

#[test]
fn deep_nesting() {
    // Nested blocks and expressions, as deep as the parser allows (`code is nested too
    // deeply` past that), repeated.
    grows_linearly("nesting", 20, |n| {
        let mut s = String::from("fn main() {\n    var t = 0;\n");
        for k in 0..n {
            for d in 0..60 {
                let _ = write!(s, "if t < {} {{ ", k + d);
            }
            s.push_str("t += (((((((((((((((((((((1)))))))))))))))))))));");
            s.push_str(&" }".repeat(60));
            s.push('\n');
        }
        s.push_str("    print(t);\n}\n");
        s
    });
}

#[test]
fn many_syntax_errors() {
    // One syntax error per function (the parser goes on after each), counted exactly.
    let make = |n: usize| {
        let mut s = String::from("fn main() {}\n");
        for i in 0..n {
            let _ = writeln!(s, "fn f{i}() {{ let x = {i} {i}; }}");
        }
        s
    };
    for n in [10_000, 40_000] {
        let src = make(n);
        let (text, count, usage) = failing(&src);
        assert_eq!(count, n);
        assert_eq!(text.lines().filter(|l| l.contains(": error: ")).count(), MAX_DIAGNOSTICS);
        assert!(text.starts_with("big.kite:2:"), "{text:.200}");
        assert!(usage.peak_bytes < 200 * src.len(), "peak {} bytes for {} bytes", usage.peak_bytes, src.len());
        eprintln!("{n} syntax errors in {} bytes: {usage:?}", src.len());
    }
}
