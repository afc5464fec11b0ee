//! Kite: embed a sandboxed scripting language in a Rust program.
//!
//! A script reaches nothing outside the VM unless the host grants it
//! ([`Capabilities`]), uses no more fuel, memory, stack or time than the host allows
//! ([`Limits`]), and calls only the host functions it is linked with ([`Linker`]). A
//! script that misbehaves ends in a clean [`Error::Trap`], never a crash of the host.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("kite-doctest-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # std::env::set_current_dir(&dir)?;
//! # std::fs::write("rules.kite", r#"
//! #     extern "app" fn log(msg: str);
//! #     fn score(name: str, points: int) -> int { log("scoring " + name); return points * 10; }
//! # "#)?;
//! use kite::*;
//!
//! let engine = Engine::new(Config::default());                 // tier, JIT thresholds
//! let module = engine.compile_file("rules.kite")?;             // or Module::from_bytes(&engine, &bc)?
//! let mut linker = Linker::new(&engine);
//! linker.func("app", "log", |msg: String| println!("{msg}"))?;  // typed host functions
//! let caps = Capabilities::none().allow_read("data/");          // stdlib modules, granted
//! let mut store = Store::new(&engine, caps, Limits::default().fuel(1_000_000).max_memory(64 << 20));
//! let inst = linker.instantiate(&mut store, &module)?;          // import/signature errors here
//! let score: i64 = inst.call(&mut store, "score", ("alice", 3))?; // Err(Trap) with message + trace
//! assert_eq!(score, 30);
//! # let bc = module.to_bytes();
//! # let again = Module::from_bytes(&engine, &bc)?;
//! # assert_eq!(again.exports(), module.exports());
//! # std::env::set_current_dir(std::env::temp_dir())?;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Why this crate
//!
//! The runtime API lives in `kite-vm` ([`kite_vm::embed`]), which cannot compile source
//! or provide the built-in modules: the compiler and the standard library depend on the
//! VM, not the other way round. This crate is the one users depend on: it re-exports
//! that API and adds what needs the compiler and the standard library —
//! [`Engine::compile_file`], [`Engine::compile_source`], and a [`Linker`] that already
//! holds the built-in modules `fs`, `env`, `time`, `rand` and `io` (each call checked
//! against the store's [`Capabilities`]).
//!
//! # The pieces
//!
//! - [`Engine`]: shared configuration and the timeout watchdog; compiles programs.
//! - [`Module`]: a verified program, from source or from bytecode.
//! - [`Linker`]: host functions by `module.name` — typed closures ([`Linker::func`](kite_vm::embed::Linker::func)) or
//!   raw ones that see the [`Caller`].
//! - [`Store`]: one isolated world (heaps, capabilities, limits, output, input). Stores
//!   share nothing and are `Send`: run many on many threads.
//! - [`Instance`]: a module instantiated in a store; [`Instance::call`] calls an export.
//! - [`InterruptHandle`]: stops a running call from another thread.
//!
//! A script is a Kite program: every top-level function of its main file is an export,
//! and it declares what it needs from the host as `extern "app" fn log(msg: str);`.
//! It needs no `main` (a file without one is a library: exports only). Instantiation
//! runs its global initializers, not `main`.

#![warn(missing_docs)]

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::Path;

pub use kite_vm::embed::{
    Caller, Capabilities, Config, EnvGrant, Error, ExportInfo, FromVal, HostReturn, HostType, ImportInfo, Instance,
    InterruptHandle, IntoFunc, IntoVal, Limits, Module, Params, Results, Store, StoreStats, SuspendHandle, Tier,
    TraceFrame, Trap, TrapKind, Val, ValType,
};
/// Types that appear in the signatures above: host functions as values, link, load and
/// snapshot errors, and the sandbox a host function reaches through its [`Caller`].
pub use kite_vm::{
    bytecode::{decode::DecodeError, VerifyError},
    host::{HostFunc, HostFuncs, LinkError},
    sandbox::Sandbox,
    snapshot::SnapshotError,
};

pub mod differential;

/// The crates underneath, for what this facade does not cover.
pub use {kite_compiler as compiler, kite_stdlib as stdlib, kite_vm as vm};

/// The shared context of modules, linkers and stores (see [`kite_vm::embed::Engine`],
/// which it dereferences to), able to compile source. Cheap to clone.
#[derive(Clone, Default)]
pub struct Engine {
    inner: kite_vm::embed::Engine,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl Engine {
    /// An engine with `config`.
    pub fn new(config: Config) -> Engine {
        Engine { inner: kite_vm::embed::Engine::new(config) }
    }

    /// Compiles the program whose main file is `path` (and the files it imports).
    /// Errors are [`Error::Compile`], which renders every diagnostic with its file, line,
    /// column and a caret under the source.
    pub fn compile_file(&self, path: impl AsRef<Path>) -> Result<Module, Error> {
        let m = kite_compiler::compile_file(path).map_err(|e| Error::Compile(Box::new(e)))?;
        Module::from_bytecode(&self.inner, m)
    }

    /// Compiles a program given as text; `name` names it in diagnostics and stack traces
    /// (and its folder is where `import`s are looked up).
    pub fn compile_source(&self, name: impl AsRef<Path>, source: &str) -> Result<Module, Error> {
        let m = kite_compiler::compile_source(name, source).map_err(|e| Error::Compile(Box::new(e)))?;
        Module::from_bytecode(&self.inner, m)
    }
}

impl Deref for Engine {
    type Target = kite_vm::embed::Engine;
    fn deref(&self) -> &kite_vm::embed::Engine {
        &self.inner
    }
}

/// Host functions by `module.name` (see [`kite_vm::embed::Linker`], which it
/// dereferences to), starting with the built-in modules.
#[derive(Clone, Debug)]
pub struct Linker {
    inner: kite_vm::embed::Linker,
}

impl Linker {
    /// A linker holding the built-in modules `fs`, `env`, `time`, `rand` and `io`. Their
    /// calls are checked against the [`Capabilities`] of the store a program runs in.
    pub fn new(engine: &kite_vm::embed::Engine) -> Linker {
        let mut inner = kite_vm::embed::Linker::new(engine);
        for (module, name, f) in kite_stdlib::host::builtins() {
            // The built-in names are distinct: defining them cannot collide.
            let _ = inner.define(module, name, f);
        }
        Linker { inner }
    }

    /// A linker without the built-in modules: a program that calls `fs`, `env`, `time`,
    /// `rand` or `io` fails to instantiate.
    pub fn empty(engine: &kite_vm::embed::Engine) -> Linker {
        Linker { inner: kite_vm::embed::Linker::new(engine) }
    }
}

impl Deref for Linker {
    type Target = kite_vm::embed::Linker;
    fn deref(&self) -> &kite_vm::embed::Linker {
        &self.inner
    }
}

impl DerefMut for Linker {
    fn deref_mut(&mut self) -> &mut kite_vm::embed::Linker {
        &mut self.inner
    }
}
