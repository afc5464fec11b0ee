//! The linker: host functions by name, and instantiation.

use super::typed::IntoFunc;
use super::{Engine, Error, Instance, Module, Store};
use crate::host::{Caller, HostFunc, HostFuncs, LinkError, Val, ValType};
use crate::runtime::trap::Trap;
use crate::runtime::{RunOptions, Vm};
use std::fmt;
use std::sync::Arc;

/// Host functions by `module.name`, and the instantiation of modules against them.
/// Cheap to clone; `Send` and `Sync`, so one linker can serve stores on many threads.
///
/// This is the bare linker of the `kite-vm` crate: it starts empty. The `kite` crate's
/// `Linker::new` starts with the built-in modules (`fs`, `env`, `time`, `rand`, `io`).
#[derive(Clone)]
pub struct Linker {
    engine: Engine,
    funcs: HostFuncs,
    shadowing: bool,
}

impl fmt::Debug for Linker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Linker").field("engine", &self.engine).finish_non_exhaustive()
    }
}

impl Linker {
    /// An empty linker.
    pub fn new(engine: &Engine) -> Linker {
        Linker { engine: engine.clone(), funcs: HostFuncs::new(), shadowing: false }
    }

    /// The engine this linker instantiates for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether defining a function that is already defined replaces it (`true`) or is an
    /// error (`false`, the default).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Linker {
        self.shadowing = allow;
        self
    }

    /// Defines `module.name` as a typed Rust closure. Its signature comes from the
    /// closure's types (see [`typed`](super::typed) for which Rust type is which Kite
    /// type) and must match the program's `extern "module" fn name(...)` exactly. A
    /// returned `Err(e)` (or a panic) traps the program with `module.name: e`.
    ///
    /// ```
    /// # use kite_vm::embed::{Engine, Linker};
    /// let mut linker = Linker::new(&Engine::default());
    /// linker.func("app", "add", |a: i64, b: i64| a + b)?;
    /// linker.func("app", "lookup", |name: String| -> Result<i64, String> {
    ///     if name == "alice" { Ok(3) } else { Err(format!("no user {name:?}")) }
    /// })?;
    /// # Ok::<(), kite_vm::embed::Error>(())
    /// ```
    pub fn func<Args, Ret>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<Args, Ret>,
    ) -> Result<&mut Linker, Error> {
        let (params, ret, call) = f.into_func();
        let full = format!("{module}.{name}");
        let callback = Arc::new(move |_: &mut Caller<'_>, args: Vec<Val>| {
            call(args).map_err(|e| Trap::new(format!("{full}: {e}")))
        });
        self.define(module, name, HostFunc { params, ret, callback })
    }

    /// Defines `module.name` as an untyped function that also sees the [`Caller`] (the
    /// program's output, the store's sandbox and data). It receives arguments of the
    /// declared types and must return a value of the declared result type (`Val::Nil`
    /// for none).
    pub fn func_raw(
        &mut self,
        module: &str,
        name: &str,
        params: Vec<ValType>,
        ret: Option<ValType>,
        f: impl Fn(&mut Caller<'_>, Vec<Val>) -> Result<Val, Trap> + Send + Sync + 'static,
    ) -> Result<&mut Linker, Error> {
        self.define(module, name, HostFunc { params, ret, callback: Arc::new(f) })
    }

    /// Defines `module.name` as `f`.
    pub fn define(&mut self, module: &str, name: &str, f: HostFunc) -> Result<&mut Linker, Error> {
        if !self.shadowing && self.funcs.get(module, name).is_some() {
            return Err(Error::Link(LinkError::Duplicate { module: module.to_string(), name: name.to_string() }));
        }
        self.funcs.define(module, name, f);
        Ok(self)
    }

    /// Whether `module.name` is defined.
    pub fn has(&self, module: &str, name: &str) -> bool {
        self.funcs.get(module, name).is_some()
    }

    /// The host functions defined so far.
    pub fn host_funcs(&self) -> &HostFuncs {
        &self.funcs
    }

    /// Instantiates `module` in `store`: resolves every import (a missing function or a
    /// signature mismatch is [`Error::Link`], and nothing runs), makes the instance's
    /// heap and globals, and runs the global initializers under the store's limits
    /// (a trap there is [`Error::Trap`]). `main` does not run; call it, or any export,
    /// with [`Instance::call`].
    pub fn instantiate(&self, store: &mut Store, module: &Module) -> Result<Instance, Error> {
        if !store.engine().same(&self.engine) {
            return Err(Error::WrongStore);
        }
        let out = Box::new(std::io::sink());
        let err = Box::new(std::io::sink());
        let tier = self.engine.config().tier_options();
        let vm = Vm::new_in(tier, module.verified().clone(), &self.funcs, out, err, RunOptions::default())
            .map_err(Error::Link)?;
        store.add_instance(vm, module)
    }

    /// The host functions this linker holds.
    pub(crate) fn funcs(&self) -> &HostFuncs {
        &self.funcs
    }
}
