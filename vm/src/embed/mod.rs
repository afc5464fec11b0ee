//! The embedding API: run Kite programs inside a Rust program, as a sandbox for untrusted
//! scripts (plugins, rules, user code).
//!
//! - An [`Engine`] holds the configuration shared by everything made from it (and the
//!   clock that times calls out).
//! - A [`Module`] is verified bytecode ([`Module::from_bytes`]); the `kite` crate also
//!   compiles source.
//! - A [`Linker`] holds host functions by `module.name`: typed Rust closures
//!   ([`Linker::func`]) or raw ones ([`Linker::func_raw`]), both of which may see the
//!   [`Caller`]. [`Linker::instantiate`] resolves a module's imports, checking every
//!   signature, before any of its code runs.
//! - A [`Store`] is one isolated world: its instances' heaps, the [`Capabilities`] it
//!   grants, the [`Limits`] it enforces, its output and input, and the host's data for
//!   it (`Store<T>`). Stores share nothing, are `Send`, and run side by side on
//!   different threads.
//! - An [`Instance`] is a module instantiated in a store; [`Instance::call`] calls an
//!   exported function with typed arguments and result, [`Instance::typed_func`] gives
//!   a [`TypedFunc`] that calls it again and again without looking it up.
//! - An [`InterruptHandle`] stops a running call from another thread.
//!
//! Values cross as Rust types ([`typed`]) or as [`Val`]s; with the `serde` feature, any
//! `Serialize`/`Deserialize` type crosses through [`Serde`]. Every failure is an
//! [`Error`]; a runtime error or an exhausted limit is [`Error::Trap`] with the message
//! and the program's stack trace.

#![warn(missing_docs)]

mod engine;
mod epoch;
mod error;
mod func;
mod instance;
mod linker;
mod module;
#[cfg(feature = "serde")]
mod serde;
mod store;
pub mod typed;

pub use crate::bytecode::decode::DecodeError;
pub use crate::bytecode::VerifyError;
pub use crate::host::{
    Caller, HostCallback, HostFunc, HostFuncs, LinkError, Persist, Val, ValError, ValType, MAX_VALUE_DEPTH,
};
pub use crate::runtime::trap::{TraceFrame, Trap, TrapCode, TrapKind};
pub use crate::runtime::vm::TierStats;
pub use crate::sandbox::{Capabilities, EnvGrant, Limits, Sandbox};
pub use engine::{Config, Engine, Tier, DEFAULT_JIT_THRESHOLD};
pub use error::Error;
pub use func::TypedFunc;
pub use instance::Instance;
pub use linker::Linker;
pub use module::{ExportInfo, ImportInfo, Module};
#[cfg(feature = "serde")]
pub use serde::{from_val, to_val, Serde};
pub use store::{InterruptHandle, Store, StoreStats, SuspendHandle};
pub use typed::{FromVal, HostParam, HostReturn, HostType, IntoFunc, IntoVal, Params, Results};
