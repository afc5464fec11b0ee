//! No source text makes the compiler panic: every test program, mutated at random (lines
//! dropped, duplicated or swapped, characters deleted or inserted, tokens replaced), must
//! compile or fail with diagnostics, and what compiles must pass the bytecode verifier.

use kite_vm::bytecode::verify;
use std::panic;
use std::path::Path;

// The seeded generator the bytecode mutation checks use (only it is needed here).
#[path = "support/mutation.rs"]
mod mutation;
use mutation::{Choices, SplitMix};

const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    ",",
    ".",
    "..",
    "..=",
    "?",
    "??",
    "!",
    "=",
    "==",
    "+",
    "-",
    "*",
    "/",
    "%",
    "<<",
    "nil",
    "true",
    "0",
    "1.5",
    "\"s\"",
    "fn",
    "let",
    "var",
    "if",
    "else",
    "while",
    "for",
    "in",
    "return",
    "break",
    "struct",
    "impl",
    "self",
    "import",
    "extern",
    "x",
    "main",
    "int",
    "float",
    "str",
    "[int]",
    "{str: int}",
    "int?",
    "fn(int) -> int",
    "print",
    "math.sqrt",
    "xs.push",
    "m.get",
    "\n",
    " ",
];

fn mutate(src: &str, rng: &mut SplitMix) -> String {
    let mut lines: Vec<String> = src.lines().map(String::from).collect();
    for _ in 0..1 + rng.below(3) {
        if lines.is_empty() {
            break;
        }
        let i = rng.below(lines.len());
        match rng.below(6) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            3 | 4 => {
                let line = &mut lines[i];
                let mut at = rng.below(line.len() + 1);
                while !line.is_char_boundary(at) {
                    at -= 1;
                }
                line.insert_str(at, PIECES[rng.below(PIECES.len())]);
            }
            _ => {
                let line = &mut lines[i];
                if !line.is_empty() {
                    let mut at = rng.below(line.len());
                    while !line.is_char_boundary(at) {
                        at -= 1;
                    }
                    line.remove(at);
                }
            }
        }
    }
    lines.join("\n")
}

#[test]
fn mutated_programs_never_panic_the_compiler() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    mutation::program_files::collect(&root.join("tests"), &mut files);
    files.sort();
    let mut rng = SplitMix(0x5EED);
    let mut compiled = 0;
    let cases = 10_000;
    for case in 0..cases {
        let path = &files[rng.below(files.len())];
        let src = std::fs::read_to_string(path).expect("read");
        let mutated = mutate(&src, &mut rng);
        let result = panic::catch_unwind(|| kite_compiler::compile_source(path, &mutated).map(|m| verify(&m)));
        match result {
            Ok(Ok(Ok(()))) => compiled += 1,
            Ok(Ok(Err(e))) => panic!(
                "case {case}: a mutation of {} compiled to bytecode that does not verify: {e}\n{mutated}",
                path.display()
            ),
            Ok(Err(e)) => {
                // Rendering the diagnostics must not panic either.
                let _ = e.to_string();
            }
            Err(_) => panic!("case {case}: the compiler panicked on a mutation of {}:\n{mutated}", path.display()),
        }
    }
    // Most mutations break the program, some do not: both paths were exercised.
    assert!(compiled > 0 && compiled < cases, "compiled {compiled} of {cases}");
}
