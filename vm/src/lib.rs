//! Kite's portable bytecode format and its runtime.
//!
//! - [`bytecode`]: the opcode table, modules, encoder and decoder (always built).
//! - [`modules`]: the built-in modules `fs`, `env`, `time`, `rand`, `io` (their
//!   signatures always; their implementations with the runtime).
//! - with the `runtime` feature (default): [`heap`] (objects and GC), [`interp`] (the
//!   interpreter), [`runtime`] (built-ins, value text, traps shared by every tier),
//!   [`host`] (host functions), [`sandbox`] (capabilities, limits, and every check of
//!   them) and [`embed`] (the embedding API: engine, linker, store, instance).

pub mod bytecode;
#[cfg(feature = "runtime")]
pub mod embed;
#[cfg(feature = "runtime")]
pub mod exec;
#[cfg(feature = "runtime")]
pub mod heap;
#[cfg(feature = "runtime")]
pub mod host;
#[cfg(feature = "runtime")]
pub mod interp;
#[cfg(feature = "jit")]
pub mod jit;
pub mod modules;
#[cfg(feature = "op-counts")]
pub mod op_counts;
#[cfg(feature = "runtime")]
pub mod runtime;
#[cfg(feature = "runtime")]
pub mod sandbox;
#[cfg(feature = "runtime")]
pub mod snapshot;
