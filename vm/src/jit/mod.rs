//! The Cranelift JIT: native code for verified functions, observably identical to the
//! interpreter.
//!
//! - `translate.rs` turns one function's bytecode into Cranelift IR: Kite registers become
//!   Cranelift variables (SSA); word arithmetic, compares, branches, field access,
//!   bounds-checked element access, calls between functions and the fuel countdown are
//!   inline; everything else calls the runtime's shims (`runtime::shims`), the same
//!   functions the interpreter calls.
//! - `constants.rs` finds registers that hold one constant after the function's entry
//!   code, which native code rematerializes instead of keeping in machine registers.
//! - `hoist.rs` finds loops inside which an array's length and element pointer cannot
//!   change, so that native code reads them once per entry instead of per element.
//! - `code.rs` owns the compiled code of one instance (a `cranelift_jit::JITModule`,
//!   freed with the instance) and compiles functions into it.
//! - `tiers.rs` are the runners of the `jit` and `auto` tiers and the hot-spot policy.
//!
//! **The frame in memory.** Native code keeps registers in machine registers and writes
//! them to its frame in VM memory where anything else may look: before a call (of a Kite
//! function, a built-in or a host function), before a runtime function that may allocate
//! or collect (every register it wrote), before any runtime function (the registers it
//! reads), and when the fuel countdown runs out. Frames are pushed and popped in VM memory
//! exactly as the interpreter does, with each frame's pc saved before anything that can
//! trap, so traces, the depth limit, the collector's roots and fuel are the same.

mod code;
mod constants;
mod hoist;
mod regs;
mod tiers;
mod translate;

pub use code::{compile_for_isa, CompiledFunction};
pub(crate) use tiers::{install, TierPolicy};
