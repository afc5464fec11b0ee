//! Typed handles to exported functions.

use super::instance::arg_context;
use super::typed::{Lift, Lower, Params, Results, MAX_PARAMS};
use super::{Error, Store};
use std::fmt;
use std::marker::PhantomData;

/// An exported function of an instance whose signature was checked once, when the handle
/// was made ([`Instance::typed_func`](super::Instance::typed_func)): it takes `P` (`()`, a
/// value, or a tuple) and returns `R`.
///
/// A call through it finds nothing by name and checks no signature: arguments go from
/// the Rust values straight into the program's registers and the result straight out
/// (no [`Val`](crate::host::Val) is made, and an `int` or `float` argument or result
/// allocates nothing). Cheap to copy; use it with the store of its instance.
pub struct TypedFunc<P, R> {
    store: u64,
    index: usize,
    func: u32,
    _sig: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, R> Copy for TypedFunc<P, R> {}

impl<P, R> fmt::Debug for TypedFunc<P, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedFunc").field("func", &self.func).finish_non_exhaustive()
    }
}

impl<P: Params, R: Results> TypedFunc<P, R> {
    pub(crate) fn new(store: u64, index: usize, func: u32) -> Self {
        TypedFunc { store, index, func, _sig: PhantomData }
    }

    /// Calls the function with `args` under the store's limits. A runtime error or an
    /// exhausted limit is [`Error::Trap`] (the store stays usable); an argument that
    /// does not convert (an integer out of range, a serde value of another shape) is
    /// [`Error::Value`], before any code runs.
    #[inline]
    pub fn call(&self, store: &mut Store<impl Sized>, args: P) -> Result<R, Error> {
        store.check(self.store, self.index)?;
        let func = self.func;
        store.run(self.index, move |vm| {
            let mut words = [0u64; MAX_PARAMS];
            let lowered = args.lower_args(&mut Lower { vm, func }, &mut words);
            if let Err((i, error)) = lowered {
                let name = &vm.module.functions[func as usize].name;
                return Err(Error::Value { context: arg_context(i, name), error });
            }
            // The arguments are not roots until the call puts them in registers, but
            // allocation never collects, so they stay alive.
            let r = vm.call(func, &words[..P::COUNT])?;
            let ret = vm.module.functions[func as usize].ret;
            // Safety: `r` is the function's result, a live value of type `ret` (or 0 when
            // it returns nothing), which `R` accepts (checked when the handle was made);
            // nothing collects until the result is read.
            unsafe { R::lift(&mut Lift::new(vm), r, ret) }.map_err(|error| {
                let name = &vm.module.functions[func as usize].name;
                Error::Value { context: format!("the result of {name}"), error }
            })
        })
    }
}
