//! The linker: host functions by name, and instantiation.

use super::typed::{Arity, FuncError, IntoFunc};
use super::{Engine, Error, Instance, Module, Store};
use crate::host::{Caller, HostFunc, HostFuncs, LinkError, Val, ValType};
use crate::runtime::trap::Trap;
use crate::runtime::{RunOptions, Vm};
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// Host functions by `module.name`, and the instantiation of modules against them, for
/// stores whose data is `T` (see [`Store::with_data`]). Cheap to clone; `Send` and
/// `Sync`, so one linker can serve stores on many threads.
///
/// A new linker holds the built-in modules `fs`, `env`, `time`, `rand` and `io`, whose
/// every call is checked against the capabilities of the store the program runs in
/// ([`Linker::empty`] holds nothing).
pub struct Linker<T = ()> {
    engine: Engine,
    funcs: HostFuncs,
    shadowing: bool,
    _data: PhantomData<fn() -> T>,
}

impl<T> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Linker { engine: self.engine.clone(), funcs: self.funcs.clone(), shadowing: self.shadowing, _data: PhantomData }
    }
}

impl<T> fmt::Debug for Linker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Linker").field("engine", &self.engine).finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Linker<T> {
    /// A linker holding the built-in modules `fs`, `env`, `time`, `rand` and `io`.
    pub fn new(engine: &Engine) -> Linker<T> {
        let mut funcs = HostFuncs::new();
        crate::modules::host::add_to(&mut funcs);
        Linker { engine: engine.clone(), funcs, shadowing: false, _data: PhantomData }
    }

    /// A linker without the built-in modules: a program that calls `fs`, `env`, `time`,
    /// `rand` or `io` fails to instantiate.
    pub fn empty(engine: &Engine) -> Linker<T> {
        Linker { engine: engine.clone(), funcs: HostFuncs::new(), shadowing: false, _data: PhantomData }
    }

    /// The engine this linker instantiates for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether defining a function that is already defined replaces it (`true`) or is an
    /// error (`false`, the default).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.shadowing = allow;
        self
    }

    /// Defines `module.name` as a typed Rust closure. Its signature comes from the
    /// closure's types (see [`typed`](super::typed) for which Rust type is which Kite
    /// type) and must match the program's `extern "module" fn name(...)` exactly. A
    /// first parameter of type [`Caller<'_, T>`](Caller) receives the caller (the
    /// store's data, sandbox, output); `&str` parameters borrow the argument. A returned
    /// `Err(e)` (or a panic) traps the program with `module.name: e`.
    ///
    /// ```
    /// # use kite_vm::embed::{Caller, Engine, Linker};
    /// let mut linker = Linker::<Vec<String>>::new(&Engine::default());
    /// linker.func("app", "add", |a: i64, b: i64| a + b)?;
    /// linker.func("app", "lookup", |name: &str| -> Result<i64, String> {
    ///     if name == "alice" { Ok(3) } else { Err(format!("no user {name:?}")) }
    /// })?;
    /// // The store's data (a Store<Vec<String>>): every message logged.
    /// linker.func("app", "log", |mut caller: Caller<'_, Vec<String>>, msg: &str| {
    ///     caller.data_mut().push(msg.to_string())
    /// })?;
    /// # Ok::<(), kite_vm::embed::Error>(())
    /// ```
    pub fn func<Args, Ret>(
        &mut self,
        module: &str,
        name: &str,
        f: impl Arity<Args, Ret> + IntoFunc<T, Args, Ret>,
    ) -> Result<&mut Self, Error> {
        let func = f.into_func(format!("{module}.{name}")).map_err(|e| match e {
            FuncError::CallerNotFirst => {
                Error::Link(LinkError::CallerNotFirst { module: module.to_string(), name: name.to_string() })
            }
        })?;
        self.define(module, name, func)
    }

    /// Defines `module.name` as an untyped function that sees the [`Caller`] (the
    /// program's output, the store's sandbox and data). It receives arguments of the
    /// declared types and must return a value of the declared result type (`Val::Nil`
    /// for none).
    pub fn func_raw(
        &mut self,
        module: &str,
        name: &str,
        params: Vec<ValType>,
        ret: Option<ValType>,
        f: impl Fn(&mut Caller<'_, T>, Vec<Val>) -> Result<Val, Trap> + Send + Sync + 'static,
    ) -> Result<&mut Self, Error> {
        let full = format!("{module}.{name}");
        let callback = move |caller: &mut Caller<'_, dyn Any + Send>, args: Vec<Val>| match caller.downcast::<T>() {
            Some(mut c) => f(&mut c, args),
            None => Err(Trap::new(format!("{full}: the store's data is not a {}", std::any::type_name::<T>()))),
        };
        self.define(module, name, HostFunc { params, ret, callback: Arc::new(callback) })
    }

    /// Defines `module.name` as `f`, a host function for stores of any data type.
    pub fn define(&mut self, module: &str, name: &str, f: HostFunc) -> Result<&mut Self, Error> {
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
    /// with [`Instance::call`] or a [`TypedFunc`](super::TypedFunc).
    pub fn instantiate(&self, store: &mut Store<T>, module: &Module) -> Result<Instance, Error> {
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
