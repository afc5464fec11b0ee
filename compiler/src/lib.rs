//! The Kite compiler: source text to a bytecode [`Module`].
//!
//! Pipeline: [`lexer`] (logos) → [`parser`] (lalrpop) → [`ast`] → [`loader`] (imports)
//! → [`lower`] (name resolution, type checking and lowering to register bytecode).

pub mod ast;
pub mod builtins;
pub mod diagnostic;
pub mod lexer;
pub mod loader;
pub mod lower;
pub mod parser;
pub mod source;
pub mod types;

pub use kite_vm::bytecode::Module;
pub use loader::{compile_file, compile_source, CompileError};
