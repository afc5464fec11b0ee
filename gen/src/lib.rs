//! A generator of random Kite programs for differential testing: every program it makes
//! type-checks, passes the verifier, and terminates quickly (or traps, or runs out of the
//! fuel a harness gives it), and its output depends only on the program. Running one
//! program several ways (the interpreter and a JIT, source and bytecode, the `vm` binary
//! and the embedding API) must give the same output, trap and exit code.
//!
//! The generator is type-directed, in the manner of `wasm-smith` and Cranelift's
//! `fuzzgen`: it keeps the typed locals, globals, structs and functions in scope and
//! builds an expression of a requested type from them, choosing every form from an
//! [`arbitrary::Unstructured`] byte string. Any byte string, including an empty one,
//! gives a valid program: when the bytes run out, every choice takes its first option,
//! which is always the simplest.
//!
//! ```
//! let p = kite_gen::from_seed(7);
//! assert!(p.main.contains("fn main()"));
//! ```

mod expr;
mod lits;
mod program;
mod scope;
mod source;
mod stmt;
mod types;

pub use source::SplitMix64;

use std::path::Path;

/// A generated program: the main file and at most one module it imports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The text of `main.kite`.
    pub main: String,
    /// Other files as (file stem, text): `import STEM;` in the main file loads `STEM.kite`.
    pub modules: Vec<(String, String)>,
}

impl Program {
    /// Writes `main.kite` and each module's `STEM.kite` into `dir` (which must exist).
    pub fn write_to(&self, dir: impl AsRef<Path>) -> std::io::Result<()> {
        let dir = dir.as_ref();
        std::fs::write(dir.join("main.kite"), &self.main)?;
        for (stem, text) in &self.modules {
            std::fs::write(dir.join(format!("{stem}.kite")), text)?;
        }
        Ok(())
    }
}

/// A program chosen by the bytes of `u`. Total: never panics, and any input (even an
/// empty one) gives a valid program.
pub fn generate(u: &mut arbitrary::Unstructured) -> Program {
    let src = source::Src::new(u);
    program::Gen::new(src).program()
}

/// How many bytes [`from_seed`] draws from its generator.
pub const SEED_BYTES: usize = 16 << 10;

/// The program of a seed: [`generate`] on [`SEED_BYTES`] bytes of [`SplitMix64`] output.
/// The main file starts with a comment naming the seed.
pub fn from_seed(seed: u64) -> Program {
    let bytes = SplitMix64::new(seed).bytes(SEED_BYTES);
    let mut u = arbitrary::Unstructured::new(&bytes);
    let mut p = generate(&mut u);
    p.main = format!("// kite-gen seed {seed}\n{}", p.main);
    p
}
