//! Kite's portable bytecode format and its runtime.
//!
//! - [`bytecode`]: the opcode table, modules, encoder and decoder (always built).
//! - with the `runtime` feature (default): [`heap`] (objects and GC), [`interp`] (the
//!   interpreter), [`runtime`] (built-ins, value text, traps shared by every tier) and
//!   [`host`] (host functions).

pub mod bytecode;
#[cfg(feature = "runtime")]
pub mod heap;
#[cfg(feature = "runtime")]
pub mod host;
#[cfg(feature = "runtime")]
pub mod interp;
#[cfg(feature = "runtime")]
pub mod runtime;
