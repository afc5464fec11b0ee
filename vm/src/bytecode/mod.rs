//! The portable bytecode format: opcode table, module, encoder, decoder, verifier.

pub mod builtins;
pub mod decode;
pub mod disasm;
#[cfg(test)]
mod doc_tables;
pub mod encode;
pub mod module;
pub mod opcodes;
pub mod verify;

pub use builtins::Builtin;
pub use module::*;
pub use opcodes::{Format, Instr, MathFn, Op};
pub use verify::{verify, VerifiedModule, VerifyError};
