//! Instances: calls into a program by export name, typed or with [`Val`]s, and typed
//! handles to exports.

use super::func::TypedFunc;
use super::module::signature_text;
use super::typed::{Params, Results};
use super::{Error, Store};
use crate::bytecode;
use crate::host::{crosses, signature, Val, ValType};
use crate::runtime::Vm;

/// A module instantiated in a store: a handle to use with that store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    store: u64,
    index: usize,
}

/// Whether `v` is a value of type `t`, as far as its shape shows (struct fields and map
/// entries are checked as the value converts).
fn has_type(v: &Val, t: &ValType) -> bool {
    match (v, t) {
        (_, ValType::Any) => true,
        (Val::Nil, ValType::Optional(_)) => true,
        (v, ValType::Optional(inner)) => has_type(v, inner),
        (Val::Int(_), ValType::Int) | (Val::Float(_), ValType::Float) | (Val::Bool(_), ValType::Bool) => true,
        (Val::Str(_), ValType::Str) => true,
        (Val::Array(xs), ValType::Array(e)) => xs.iter().all(|x| has_type(x, e)),
        (Val::Map(_) | Val::Struct { .. }, ValType::Map(..) | ValType::Struct(_)) => true,
        _ => false,
    }
}

/// Refuses export `func` (called `name`) if a type of its signature cannot cross the
/// host boundary (a function, or a struct holding one).
fn check_crosses(m: &bytecode::Module, name: &str, func: u32) -> Result<(), Error> {
    let f = &m.functions[func as usize];
    match f.params.iter().chain(f.ret.iter()).find(|&&t| !crosses(m, t)) {
        Some(&t) => Err(Error::CannotCross {
            name: name.to_string(),
            signature: signature_text(m, &f.params, f.ret),
            ty: m.type_name(t),
        }),
        None => Ok(()),
    }
}

/// The result `r` of a call of function `func` (called `name`) as a [`Val`] (`Nil` if it
/// returns nothing).
///
/// # Safety
/// `r` is the function's result, a live value of its result type, and nothing has
/// collected since it returned.
unsafe fn result_val(vm: &Vm, func: u32, name: &str, r: u64) -> Result<Val, Error> {
    match vm.module.functions[func as usize].ret {
        // Safety: the caller's promise.
        Some(t) => {
            unsafe { vm.to_val(r, t) }.map_err(|error| Error::Value { context: format!("the result of {name}"), error })
        }
        None => Ok(Val::Nil),
    }
}

/// Checks that export `func` (called `name`) can be called with arguments of types
/// `params` for a result of type `ret`: every type of its signature crosses the host
/// boundary, and each is the one asked for.
pub(crate) fn check_signature(
    m: &bytecode::Module,
    name: &str,
    func: u32,
    params: &[ValType],
    ret: Option<&ValType>,
) -> Result<(), Error> {
    check_crosses(m, name, func)?;
    let f = &m.functions[func as usize];
    let text = || signature_text(m, &f.params, f.ret);
    let accepts = |want: &ValType, t| ValType::from_type(m, t).is_some_and(|have| want.accepts(&have));
    let ok = f.params.len() == params.len()
        && params.iter().zip(&f.params).all(|(w, &t)| accepts(w, t))
        && match (ret, f.ret) {
            (None, None) => true,
            (Some(w), Some(t)) => accepts(w, t),
            _ => false,
        };
    if !ok {
        return Err(Error::Signature {
            name: name.to_string(),
            expected: text(),
            found: signature(params, &ret.cloned()),
        });
    }
    Ok(())
}

impl Instance {
    pub(crate) fn new(store: u64, index: usize) -> Instance {
        Instance { store, index }
    }

    /// The index of exported function `name`.
    fn export<T>(&self, store: &Store<T>, name: &str) -> Result<u32, Error> {
        store.check(self.store, self.index)?;
        let m = &store.instances[self.index].module;
        m.exports
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.func)
            .ok_or_else(|| Error::NoExport { name: name.to_string() })
    }

    /// A typed handle to the exported function `name`, its signature checked once here
    /// ([`Error::Signature`] if it is not `P -> R`, [`Error::CannotCross`] if it takes or
    /// returns a function): calls through it look nothing up, check nothing again, and
    /// allocate nothing on the host side beyond what the values themselves need.
    ///
    /// ```
    /// # use kite_vm::embed::{Error, Instance, Store};
    /// // In the program: fn add(a: int, b: int) -> int
    /// fn sum_up(instance: Instance, store: &mut Store) -> Result<i64, Error> {
    ///     let add = instance.typed_func::<(i64, i64), i64>(store, "add")?;
    ///     let mut total = 0;
    ///     for i in 0..1000 {
    ///         total = add.call(store, (total, i))?;
    ///     }
    ///     Ok(total)
    /// }
    /// ```
    pub fn typed_func<P: Params, R: Results>(
        &self,
        store: &Store<impl Sized>,
        name: &str,
    ) -> Result<TypedFunc<P, R>, Error> {
        let func = self.export(store, name)?;
        let m = &store.instances[self.index].module;
        check_signature(m, name, func, &P::types(), R::ret_type().as_ref())?;
        Ok(TypedFunc::new(self.store, self.index, func))
    }

    /// Calls the exported function `name` with typed arguments (`()`, one value, or a
    /// tuple) and a typed result (`()` for a function that returns nothing). The
    /// signature is checked first ([`Error::Signature`]); a runtime error or an exhausted
    /// limit is [`Error::Trap`], with the message and stack trace, and leaves the store
    /// usable. To call the same function often, take a [`TypedFunc`] once
    /// ([`Instance::typed_func`]).
    pub fn call<P: Params, R: Results>(&self, store: &mut Store<impl Sized>, name: &str, args: P) -> Result<R, Error> {
        self.typed_func::<P, R>(store, name)?.call(store, args)
    }

    /// Calls the exported function `name` with untyped arguments, checked against its
    /// signature; returns its result (`Val::Nil` if it returns nothing). Maps, structs and
    /// optionals cross as [`Val::Map`], [`Val::Struct`] and [`Val::Nil`] or the value;
    /// a function taking or returning a function is [`Error::CannotCross`].
    pub fn call_dynamic(&self, store: &mut Store<impl Sized>, name: &str, args: &[Val]) -> Result<Val, Error> {
        let func = self.export(store, name)?;
        let m = store.instances[self.index].module.clone();
        check_crosses(&m, name, func)?;
        let f = &m.functions[func as usize];
        let text = || signature_text(&m, &f.params, f.ret);
        let ok = f.params.len() == args.len()
            && f.params.iter().zip(args).all(|(&p, a)| ValType::from_type(&m, p).is_some_and(|p| has_type(a, &p)));
        if !ok {
            let found: Vec<String> = args.iter().map(Val::kind).collect();
            return Err(Error::Signature {
                name: name.to_string(),
                expected: text(),
                found: format!("({})", found.join(", ")),
            });
        }
        store.run(self.index, |vm| {
            // Allocation never collects, so the arguments stay alive until the call puts
            // them in registers.
            let mut raw = Vec::with_capacity(args.len());
            for (i, (v, &t)) in args.iter().zip(&f.params).enumerate() {
                let w = vm.from_val(v, t).map_err(|error| Error::Value { context: arg_context(i, name), error })?;
                raw.push(w);
            }
            let r = vm.call(func, &raw)?;
            // Safety: `r` is the function's result, and nothing has collected since.
            unsafe { result_val(vm, func, name, r) }
        })
    }

    /// Runs the module's `main`, as `vm run` does after instantiation; returns the exit
    /// code (`main`'s value, or 0 when it returns nothing). A library (a module without
    /// `main`) is [`Error::NoExport`].
    pub fn run_main(&self, store: &mut Store<impl Sized>) -> Result<i32, Error> {
        store.check(self.store, self.index)?;
        let m = store.instances[self.index].module.clone();
        let Some(main) = m.main else {
            return Err(Error::NoExport { name: "main".into() });
        };
        let r = store.run(self.index, |vm| Ok(vm.call(main, &[])?))?;
        Ok(match m.functions[main as usize].ret {
            Some(_) => r as i64 as i32,
            None => 0,
        })
    }

    /// Continues the program of a store made by [`Store::resume`] the way
    /// [`Instance::run_main`] runs one: the suspended frames from where they stopped, then
    /// `main` if the snapshot was taken in the global initializers. Returns the exit code
    /// (the value of `main`, or 0). It may be suspended again.
    pub fn resume_main(&self, store: &mut Store<impl Sized>) -> Result<i32, Error> {
        store.check(self.store, self.index)?;
        store.run(self.index, |vm| Ok(vm.resume_main()?))
    }

    /// Continues the call a snapshot suspended (made by [`Store::resume`]) to its end;
    /// returns its result (`Val::Nil` if it returns nothing or was suspended between calls,
    /// or in the global initializers). It may be suspended again.
    pub fn resume_call(&self, store: &mut Store<impl Sized>) -> Result<Val, Error> {
        store.check(self.store, self.index)?;
        store.run(self.index, |vm| {
            let Some(f) = vm.outermost_function() else { return Ok(Val::Nil) };
            let m = vm.module.clone();
            let r = vm.resume_call()?;
            // Safety: `r` is the result of the outermost function, and nothing has
            // collected since it returned.
            unsafe { result_val(vm, f, &m.functions[f as usize].name, r) }
        })
    }
}

/// `argument 2 of configure`.
pub(crate) fn arg_context(i: usize, name: &str) -> String {
    format!("argument {} of {name}", i + 1)
}
