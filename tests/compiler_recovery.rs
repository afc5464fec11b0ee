//! Recovery after errors, checked exactly: for each `tests/errors/recovery_*.kite`, the
//! compiler reports one diagnostic on each line with an `// expect-error:` comment,
//! containing its text, and nothing else (the conformance suite checks only that the
//! expected ones are there). So every error of a file is found, and none is a mere
//! consequence of another.

use std::path::Path;

#[test]
fn recovery_programs_report_exactly_their_errors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/errors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/errors")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("recovery_")))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "recovery programs: {files:?}");
    for path in files {
        let src = std::fs::read_to_string(&path).expect("read");
        let mut expected: Vec<(u32, String)> = src
            .lines()
            .enumerate()
            .filter_map(|(i, l)| l.split_once("// expect-error: ").map(|(_, t)| (i as u32 + 1, t.to_string())))
            .collect();
        let err = match kite_compiler::compile_file(&path) {
            Ok(_) => panic!("{} compiled", path.display()),
            Err(e) => e,
        };
        let mut found: Vec<(u32, String)> = err
            .diagnostics
            .iter()
            .map(|d| (d.source.line_col(d.diagnostic.span.lo).0, d.diagnostic.message.clone()))
            .collect();
        expected.sort();
        found.sort();
        let lines = |v: &[(u32, String)]| v.iter().map(|(l, _)| *l).collect::<Vec<u32>>();
        assert_eq!(lines(&found), lines(&expected), "{}: lines with errors\n{err}", path.display());
        for ((line, want), (_, got)) in expected.iter().zip(&found) {
            assert!(got.contains(want.as_str()), "{}:{line}: {got:?} does not contain {want:?}", path.display());
        }
    }
}

#[test]
fn the_first_error_is_the_one_a_stopping_parser_reports() {
    // Recovery adds errors after the first; the first is unchanged.
    let cases = [
        ("fn main() { let x = ; }", "syntax error: unexpected ';', expected an expression"),
        ("fn main() {\n  let a = 1\n  let b = 2;\n}", "syntax error: unexpected 'let', expected ';' or an operator"),
        ("fn main() { if x == Point { x: 1 } { } }", "syntax error: unexpected ':'"),
        ("fn main() { let x = 1; } }\nfn f( {}", "syntax error: unexpected '}', expected a declaration"),
    ];
    for (src, first) in cases {
        let e = kite_compiler::compile_source("t.kite", src).expect_err("an error");
        let msg = &e.diagnostics[0].diagnostic.message;
        assert!(msg.starts_with(first), "{src:?}: {msg:?}");
    }
}
