//! What every tier shares: the state of an instantiated program ([`Vm`]: registers,
//! frames, globals, fuel, heap, the pending trap), and everything an operation means beyond
//! a machine word operation: the runtime functions (`ops/`, `builtins.rs`), frames and
//! traces (`frames.rs`), fuel and interrupts (`fuel.rs`), the memory limit and the
//! collector's roots (`memory.rs`), traps and their messages (`trap.rs`), the text of
//! values (`format.rs`, `text.rs`), values crossing to and from the host (`marshal.rs`),
//! and the `extern "C"` shims native code calls them through (`shims.rs`). Nothing here runs code: a `Vm`'s runner (the interpreter, or
//! native code) does, and this module never depends on either.

pub mod builtins;
pub(crate) mod code;
pub mod format;
mod frames;
pub mod fuel;
mod instance;
pub(crate) mod liveness;
pub(crate) mod marshal;
mod memory;
pub mod ops;
pub mod shims;
pub mod text;
pub mod trap;
pub mod vm;

pub use trap::{Trap, TrapCode, TrapKind};
pub use vm::{offsets, Exec, Frame, RunOptions, Vm};
