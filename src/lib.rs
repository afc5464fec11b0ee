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
//! /// The host's data for one store: here, what the script logged.
//! #[derive(Default)]
//! struct Session { log: Vec<String> }
//!
//! let engine = Engine::new(Config::default());                  // tier, JIT threshold
//! let module = engine.compile_file("rules.kite")?;              // or Module::from_bytes(&engine, &bc)?
//! let mut linker = Linker::new(&engine);                        // with fs, env, time, rand, io
//! linker.func("app", "log", |mut caller: Caller<'_, Session>, msg: &str| {
//!     caller.data_mut().log.push(msg.to_string());              // extern "app" fn log(msg: str);
//! })?;
//! let caps = Capabilities::none().allow_read("data/");          // stdlib modules, granted
//! let limits = Limits::default().fuel(1_000_000).max_memory(64 << 20);
//! let mut store = Store::with_data(&engine, caps, limits, Session::default());
//! let inst = linker.instantiate(&mut store, &module)?;          // import/signature errors here
//! let score = inst.typed_func::<(&str, i64), i64>(&store, "score")?; // signature checked once
//! assert_eq!(score.call(&mut store, ("alice", 3))?, 30);        // Err(Trap) with message + trace
//! assert_eq!(store.data().log, ["scoring alice"]);
//! assert_eq!(kite::eval::<i64>("[1, 2, 3].len() * 2")?, 6);      // one-line evaluation
//! # let bc = module.to_bytes();
//! # let again = Module::from_bytes(&engine, &bc)?;
//! # assert_eq!(again.exports(), module.exports());
//! # std::env::set_current_dir(std::env::temp_dir())?;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
//!
//! # The pieces
//!
//! - [`Engine`]: shared configuration (the execution [`Tier`], the JIT threshold) and the
//!   clock that times calls out; with [`EngineExt`], it compiles source.
//! - [`Module`]: a verified program, from source or from bytecode.
//! - [`Linker`]: host functions by `module.name` — typed closures ([`Linker::func`],
//!   whose first parameter may be the [`Caller`]) or raw ones ([`Linker::func_raw`]) —
//!   starting with the built-in modules `fs`, `env`, `time`, `rand` and `io`.
//! - [`Store`]: one isolated world (heaps, capabilities, limits, output, input) holding
//!   the host's data for it (`Store<T>`, [`Store::with_data`]). Stores share nothing and
//!   are `Send`: run many on many threads.
//! - [`Instance`]: a module instantiated in a store; [`Instance::typed_func`] gives a
//!   [`TypedFunc`], a handle whose calls look nothing up and check nothing again;
//!   [`Instance::call`] calls by name, [`Instance::call_dynamic`] with [`Val`]s.
//! - [`InterruptHandle`]: stops a running call from another thread.
//! - [`eval`]: one expression, for the common case.
//!
//! Values cross the boundary as Rust types (the table in [`typed`]), as [`Val`]s, or
//! (feature `serde`, on by default) as any `Serialize`/`Deserialize` type through
//! [`Serde`], [`to_val`] and [`from_val`]: a Rust struct becomes a Kite struct, a map a
//! map, an `Option` an optional.
//!
//! A script is a Kite program: every top-level function of its main file is an export,
//! and it declares what it needs from the host as `extern "app" fn log(msg: str);`.
//! It needs no `main` (a file without one is a library: exports only). Instantiation
//! runs its global initializers, not `main`.
//!
//! # One crate, one name per type
//!
//! The types here are those of `kite-vm` ([`kite_vm::embed`]), re-exported: the runtime
//! cannot depend on the compiler (the compiler depends on the VM's bytecode), so this
//! crate adds compiling source as an extension trait of the engine ([`EngineExt`], in
//! scope with `use kite::*`) and the one-line [`eval`]. Depend on it with
//! `default-features = false` (and `features = ["serde"]` if wanted): its default
//! `cli` feature builds the `vm` command line tool and its dependencies.

#![warn(missing_docs)]

use std::path::Path;

#[cfg(feature = "serde")]
pub use kite_vm::embed::{from_val, to_val, Serde};
pub use kite_vm::embed::{
    typed, Caller, Capabilities, Config, DecodeError, Engine, EnvGrant, Error, ExportInfo, FromVal, HostCallback,
    HostFunc, HostFuncs, HostParam, HostReturn, HostType, ImportInfo, Instance, InterruptHandle, IntoFunc, IntoVal,
    Limits, LinkError, Linker, Module, Params, Persist, Results, Sandbox, Store, StoreStats, SuspendHandle, Tier,
    TierStats, TraceFrame, Trap, TrapCode, TrapKind, TypedFunc, Val, ValError, ValType, VerifyError,
    DEFAULT_JIT_THRESHOLD, MAX_VALUE_DEPTH,
};
/// Errors of loading a snapshot.
pub use kite_vm::snapshot::SnapshotError;

/// Snapshots through a byte stream (see [`Store::snapshot`] and [`Store::resume`]): one
/// length-prefixed frame per snapshot, the length checked against a bound before anything
/// is allocated.
pub mod snapshot {
    pub use kite_vm::snapshot::{read_frame, write_frame};
}

pub mod differential;

/// The bytecode format (what [`Module::bytecode`] returns).
pub use kite_vm::bytecode;
/// The crates underneath, for what this facade does not cover.
pub use {kite_compiler as compiler, kite_vm as vm};

/// What an [`Engine`] does with the compiler: compile source to a [`Module`], and
/// evaluate an expression.
pub trait EngineExt {
    /// Compiles the program whose main file is `path` (and the files it imports).
    /// Errors are [`Error::Compile`], which renders every diagnostic with its file, line,
    /// column and a caret under the source.
    fn compile_file(&self, path: impl AsRef<Path>) -> Result<Module, Error>;

    /// Compiles a program given as text; `name` names it in diagnostics and stack traces
    /// (and its folder is where `import`s are looked up).
    fn compile_source(&self, name: impl AsRef<Path>, source: &str) -> Result<Module, Error>;

    /// Evaluates the Kite expression `expr` (which may call built-ins and closures) to a
    /// `T`, whose Kite type is the expression's expected type: in a fresh store with no
    /// capabilities and default limits (no fuel, memory or time limit), the built-in
    /// modules linked, output to the process's. `eval::<i64>("[1, 2, 3].len() * 2")`.
    ///
    /// `T` is any [`FromVal`] type with a Kite type of its own (not [`Val`] or
    /// `Serde<T>`: those say nothing of the type the expression should have).
    fn eval<T: FromVal>(&self, expr: &str) -> Result<T, Error>;
}

impl EngineExt for Engine {
    fn compile_file(&self, path: impl AsRef<Path>) -> Result<Module, Error> {
        let m = kite_compiler::compile_file(path).map_err(|e| Error::Compile(Box::new(e)))?;
        Module::from_bytecode(self, m)
    }

    fn compile_source(&self, name: impl AsRef<Path>, source: &str) -> Result<Module, Error> {
        let m = kite_compiler::compile_source(name, source).map_err(|e| Error::Compile(Box::new(e)))?;
        Module::from_bytecode(self, m)
    }

    fn eval<T: FromVal>(&self, expr: &str) -> Result<T, Error> {
        let ty = T::val_type();
        if !concrete(&ty) {
            return Err(Error::Value {
                context: "eval".into(),
                error: ValError::new(format!(
                    "the result type {} has no Kite type of its own: ask for one (i64, Vec<String>, ...)",
                    std::any::type_name::<T>()
                )),
            });
        }
        // One line, so the expression keeps its line number in diagnostics.
        let source = format!("fn eval() -> {ty} {{ return ({expr}\n); }}\n");
        let module = self.compile_source("<eval>", &source)?;
        let mut store = Store::new(self, Capabilities::none(), Limits::default());
        let inst = Linker::new(self).instantiate(&mut store, &module)?;
        inst.call::<(), T>(&mut store, "eval", ())
    }
}

/// Whether `t` names a Kite type (no `Any`, no struct: an expression cannot make one
/// without its declaration).
fn concrete(t: &ValType) -> bool {
    match t {
        ValType::Int | ValType::Float | ValType::Bool | ValType::Str => true,
        ValType::Array(e) | ValType::Optional(e) => concrete(e),
        ValType::Map(k, v) => concrete(k) && concrete(v),
        ValType::Struct(_) | ValType::Any => false,
    }
}

/// Evaluates the Kite expression `expr` to a `T` with a default engine (see
/// [`EngineExt::eval`]): `kite::eval::<f64>("math.sqrt(2.0)")`.
///
/// ```
/// assert_eq!(kite::eval::<i64>("1 + 2 * 3")?, 7);
/// assert_eq!(kite::eval::<Vec<String>>(r#""a,b".split(",")"#)?, ["a", "b"]);
/// let err = kite::eval::<i64>("1 + \"x\"").unwrap_err();
/// assert!(err.to_string().contains("cannot be applied to int and str"), "{err}");
/// # Ok::<(), kite::Error>(())
/// ```
pub fn eval<T: FromVal>(expr: &str) -> Result<T, Error> {
    Engine::default().eval(expr)
}
