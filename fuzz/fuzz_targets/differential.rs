//! Differential fuzzing on generated programs: the input chooses a Kite program
//! (`kite_gen::generate`), which must compile and verify; it then runs in every way of
//! `kite::differential::WAYS` — the interpreter, the JIT, `auto` with several JIT
//! thresholds (so functions are compiled at their first call and loops entered natively
//! at their first turn or part way through), from its bytecode encoded and decoded again,
//! and suspended part way into a snapshot and resumed from it in another tier — under the
//! same fuel and memory limits. Every run must print the same stdout
//! and stderr and end the same way (the same exit code, or the same trap with the same
//! stack trace) after using the same fuel.
//!
//! A failing input is reproduced with `cargo +nightly fuzz run differential CRASH` and
//! shrunk with `cargo +nightly fuzz tmin differential CRASH` (every input is a valid
//! program, so the minimized input is too); the panic message contains the program's
//! source.

#![no_main]

use kite::vm::bytecode::{self, verify};
use libfuzzer_sys::fuzz_target;

/// Compiles the program: in memory, or from a scratch folder when it imports a module.
fn compile(p: &kite_gen::Program) -> Result<bytecode::Module, String> {
    if p.modules.is_empty() {
        return kite::compiler::compile_source("main.kite", &p.main).map_err(|e| e.to_string());
    }
    let dir = std::env::temp_dir().join(format!("kite-fuzz-differential-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    p.write_to(&dir).map_err(|e| e.to_string())?;
    kite::compiler::compile_file(dir.join("main.kite")).map_err(|e| e.to_string())
}

fn listing(p: &kite_gen::Program) -> String {
    let mut out = format!("=== main.kite\n{}", p.main);
    for (stem, text) in &p.modules {
        out.push_str(&format!("\n=== {stem}.kite\n{text}"));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let p = kite_gen::generate(&mut arbitrary::Unstructured::new(data));
    let m = compile(&p).unwrap_or_else(|e| panic!("a generated program does not compile:\n{e}\n{}", listing(&p)));
    if let Err(e) = verify(&m) {
        panic!("the verifier refuses a compiled program: {e}\n{}", listing(&p));
    }
    let problems = kite::differential::check(&m);
    if !problems.is_empty() {
        let mut report = String::new();
        for (way, what) in &problems {
            report.push_str(&format!("{}:\n{what}", way.name));
        }
        panic!("the ways of running it disagree with the interpreter:\n{report}{}", listing(&p));
    }
});
