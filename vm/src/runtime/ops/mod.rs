//! The runtime functions: what an instruction means when it is more than a word
//! operation. Both tiers call these and nothing else for it: the interpreter's dispatch arms
//! call them directly, native code through the `extern "C"` shims of `shims.rs`.
//!
//! Most take the instruction's register operands and work on the innermost frame's
//! registers in VM memory (`op_*`, unsafe: they rely on the instruction having passed the
//! verifier, as the interpreter does); the others are plain functions of raw words.
//! Integer and float arithmetic, comparisons, branches, field access and bounds-checked
//! element access stay inline in each tier; the traps they raise are made here.

pub mod arith;
mod arrays;
mod closures;
mod globals;
mod maps;
mod optionals;
mod strings;
mod structs;

pub use arith::{div_int, fmax, fmin, rem_int};
pub use arrays::index_trap;
pub use closures::closure_func;
pub(crate) use optionals::opt_eq;
pub use strings::{str_eq, str_le, str_lt};
