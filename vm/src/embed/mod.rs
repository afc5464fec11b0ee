//! The embedding API: run Kite programs inside a Rust program, as a sandbox for untrusted
//! scripts (plugins, rules, user code).
//!
//! - An [`Engine`] holds the configuration shared by everything made from it (and the
//!   watchdog thread that enforces timeouts).
//! - A [`Module`] is verified bytecode ([`Module::from_bytes`]); the `kite` crate also
//!   compiles source.
//! - A [`Linker`] holds host functions by `module.name`: typed Rust closures
//!   ([`Linker::func`]) or raw ones that see the [`Caller`].
//!   [`Linker::instantiate`] resolves a module's imports, checking every signature,
//!   before any of its code runs.
//! - A [`Store`] is one isolated world: its instances' heaps, the [`Capabilities`] it
//!   grants, the [`Limits`] it enforces, its output and input. Stores share nothing, are
//!   `Send`, and run side by side on different threads.
//! - An [`Instance`] is a module instantiated in a store; [`Instance::call`] calls an
//!   exported function with typed arguments and result.
//! - An [`InterruptHandle`] stops a running call from another thread.
//!
//! Every failure is an [`Error`]; a runtime error or an exhausted limit is
//! [`Error::Trap`] with the message and the program's stack trace.

#![warn(missing_docs)]

mod engine;
mod error;
mod linker;
mod module;
mod store;
pub mod typed;
mod watchdog;

pub use crate::host::{Caller, Val, ValType};
pub use crate::runtime::trap::{TraceFrame, Trap, TrapKind};
pub use crate::sandbox::{Capabilities, EnvGrant, Limits};
pub use engine::{Config, Engine, Tier, DEFAULT_JIT_THRESHOLD};
pub use error::Error;
pub use linker::Linker;
pub use module::{ExportInfo, ImportInfo, Module};
pub use store::{Instance, InterruptHandle, Store, StoreStats, SuspendHandle};
pub use typed::{FromVal, HostReturn, HostType, IntoFunc, IntoVal, Params, Results};
