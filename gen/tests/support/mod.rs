//! Compiling a generated program the way `vm` does: written to a folder (imports are
//! files next to the main file), compiled with `compile_file`, then verified.

use kite_gen::Program;
use kite_vm::bytecode::{verify, Module};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh, empty folder under the system's temporary folder (unique in this process).
pub fn scratch(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kite-gen-test-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

/// The program's files, as a reproducer to print.
pub fn listing(p: &Program) -> String {
    let mut out = format!("=== main.kite\n{}", p.main);
    for (stem, text) in &p.modules {
        out.push_str(&format!("\n=== {stem}.kite\n{text}"));
    }
    out
}

/// Compiles and verifies `p`; the error says which step failed.
pub fn compile(p: &Program, tag: &str) -> Result<Module, String> {
    let dir = scratch(tag);
    p.write_to(&dir).map_err(|e| format!("write: {e}"))?;
    let result = kite_compiler::compile_file(dir.join("main.kite")).map_err(|e| format!("compile error:\n{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let m = result?;
    verify(&m).map_err(|e| format!("verifier refused it: {e}"))?;
    Ok(m)
}
