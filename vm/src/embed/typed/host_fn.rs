//! Rust closures as host functions: their parameters ([`HostParam`]), their results
//! ([`HostReturn`]), and the conversion of the whole closure ([`IntoFunc`]).

use super::convert::{FromVal, IntoVal};
use crate::host::{Caller, HostFunc, Val, ValError, ValType};
use crate::runtime::trap::Trap;
use std::any::Any;
use std::fmt::Display;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// A parameter of a typed host closure whose store data is `T`: a value made from a Kite
/// argument ([`FromVal`]), a `&str` borrowed from a `str` argument, or the [`Caller`]
/// (as the first parameter only; it takes no argument). `'a` is how long the value may
/// borrow from the call.
pub trait HostParam<'a, T: 'a> {
    /// The parameter's type for a call that lasts `'a`.
    type Of;
    /// The Kite type of the argument (`None`: the parameter is the caller).
    fn val_type() -> Option<ValType>;
    /// The parameter from the caller or the next argument of `args`.
    #[doc(hidden)]
    fn take(caller: &mut Option<Caller<'a, T>>, args: &mut &'a mut [Val]) -> Result<Self::Of, ValError>;
}

/// The next argument, taken off the front of `args`.
fn next<'a>(args: &mut &'a mut [Val]) -> Result<&'a mut Val, ValError> {
    let (first, rest) = std::mem::take(args).split_first_mut().ok_or_else(|| ValError::new("missing argument"))?;
    *args = rest;
    Ok(first)
}

impl<'a, T: 'a, X: FromVal> HostParam<'a, T> for X {
    type Of = X;
    fn val_type() -> Option<ValType> {
        Some(X::val_type())
    }
    fn take(_: &mut Option<Caller<'a, T>>, args: &mut &'a mut [Val]) -> Result<X, ValError> {
        X::from_val(std::mem::replace(next(args)?, Val::Nil))
    }
}

impl<'a, T: 'a> HostParam<'a, T> for &str {
    type Of = &'a str;
    fn val_type() -> Option<ValType> {
        Some(ValType::Str)
    }
    fn take(_: &mut Option<Caller<'a, T>>, args: &mut &'a mut [Val]) -> Result<&'a str, ValError> {
        match next(args)? {
            Val::Str(s) => Ok(s),
            other => Err(ValError::expected("str", other.kind())),
        }
    }
}

impl<'x, 'a, T: 'a> HostParam<'a, T> for Caller<'x, T> {
    type Of = Caller<'a, T>;
    fn val_type() -> Option<ValType> {
        None
    }
    fn take(caller: &mut Option<Caller<'a, T>>, _: &mut &'a mut [Val]) -> Result<Caller<'a, T>, ValError> {
        caller.take().ok_or_else(|| ValError::new("the caller is the first parameter only"))
    }
}

/// What a host closure may return: nothing, a value, or a `Result` whose error becomes a
/// trap naming the function (`app.lookup: no such user`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the result of a host function",
    label = "not a type that converts to a Kite value",
    note = "a host function returns (), a value that crosses the host boundary, or a Result of those whose error is Display"
)]
pub trait HostReturn {
    /// The Kite result type (`None`: nothing).
    fn ret_type() -> Option<ValType>;
    /// The value, or the error's text.
    fn into_ret(self) -> Result<Val, String>;
}

impl HostReturn for () {
    fn ret_type() -> Option<ValType> {
        None
    }
    fn into_ret(self) -> Result<Val, String> {
        Ok(Val::Nil)
    }
}

impl<X: IntoVal> HostReturn for X {
    fn ret_type() -> Option<ValType> {
        Some(X::val_type())
    }
    fn into_ret(self) -> Result<Val, String> {
        self.into_val().map_err(|e| format!("its result: {e}"))
    }
}

impl<E: Display> HostReturn for Result<(), E> {
    fn ret_type() -> Option<ValType> {
        None
    }
    fn into_ret(self) -> Result<Val, String> {
        self.map(|()| Val::Nil).map_err(|e| e.to_string())
    }
}

impl<X: IntoVal, E: Display> HostReturn for Result<X, E> {
    fn ret_type() -> Option<ValType> {
        Some(X::val_type())
    }
    fn into_ret(self) -> Result<Val, String> {
        self.map_err(|e| e.to_string())?.into_val().map_err(|e| format!("its result: {e}"))
    }
}

/// Why a closure cannot be a host function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FuncError {
    /// A [`Caller`] parameter other than the first.
    CallerNotFirst,
}

/// A Rust closure usable as a host function of stores whose data is `T`:
/// `Fn(A, B, ...) -> R` with up to 8 parameters, each a [`FromVal`] value, a `&str`, or
/// (first) the [`Caller<'_, T>`](Caller); and a [`HostReturn`] result. It must be `Send +
/// Sync` because stores on other threads may call it at the same time. A panic inside
/// it becomes a trap.
///
/// A parameter type that cannot cross the boundary is a compile error naming it. This
/// compiles:
///
/// ```
/// # use kite_vm::embed::{Engine, Linker};
/// let mut linker = Linker::<()>::new(&Engine::default());
/// linker.func("app", "open", |path: String| std::path::Path::new(&path).exists());
/// ```
///
/// and this does not:
///
/// ```compile_fail
/// # use kite_vm::embed::{Engine, Linker};
/// let mut linker = Linker::<()>::new(&Engine::default());
/// // error: `PathBuf` cannot cross the host boundary
/// linker.func("app", "open", |path: std::path::PathBuf| path.exists());
/// ```
pub trait IntoFunc<T, Args, R>: Send + Sync + 'static {
    /// The host function, its trap messages naming it `name`.
    #[doc(hidden)]
    fn into_func(self, name: String) -> Result<HostFunc, FuncError>;
}

/// How many parameters a closure has, and of which types, whatever they are: so that the
/// compiler picks the [`IntoFunc`] of that arity before it checks the parameter types,
/// and an error names the parameter type that cannot cross (not the closure).
#[doc(hidden)]
pub trait Arity<Args, R> {}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    match p.downcast::<String>() {
        Ok(s) => format!("panicked: {s}"),
        Err(p) => match p.downcast::<&'static str>() {
            Ok(s) => format!("panicked: {s}"),
            Err(_) => "panicked".to_string(),
        },
    }
}

/// The parameters' Kite types, and whether the first is the caller.
fn signature(kinds: &[Option<ValType>]) -> Result<(Vec<ValType>, bool), FuncError> {
    if kinds.iter().skip(1).any(Option::is_none) {
        return Err(FuncError::CallerNotFirst);
    }
    let takes_caller = kinds.first().is_some_and(Option::is_none);
    Ok((kinds.iter().flatten().cloned().collect(), takes_caller))
}

macro_rules! closures {
    ($($call:ident ($($p:ident $v:ident),*))*) => {$(
        /// Calls `f` with parameters for a call that lasts `'a`.
        #[inline]
        #[allow(clippy::too_many_arguments)]
        // `T` is the store data type the parameters are taken for (unused with none).
        #[allow(clippy::extra_unused_type_parameters)]
        fn $call<'a, T: 'a, F, R, $($p),*>(f: &F, $($v: <$p as HostParam<'a, T>>::Of),*) -> R
        where
            F: for<'b> Fn($(<$p as HostParam<'b, T>>::Of),*) -> R,
            $($p: for<'b> HostParam<'b, T>,)*
        {
            f($($v),*)
        }

        impl<F, R, $($p),*> Arity<($($p,)*), R> for F where F: Fn($($p),*) -> R {}

        impl<T, F, R, $($p),*> IntoFunc<T, ($($p,)*), R> for F
        where
            T: Send + 'static,
            F: Fn($($p),*) -> R + for<'a> Fn($(<$p as HostParam<'a, T>>::Of),*) -> R + Send + Sync + 'static,
            $($p: for<'a> HostParam<'a, T>,)*
            R: HostReturn,
        {
            #[allow(unused_mut, unused_variables)]
            fn into_func(self, name: String) -> Result<HostFunc, FuncError> {
                let kinds: Vec<Option<ValType>> = vec![$(<$p as HostParam<'static, T>>::val_type()),*];
                let (params, takes_caller) = signature(&kinds)?;
                let count = params.len();
                let callback = move |caller: &mut Caller<'_, dyn Any + Send>, mut args: Vec<Val>| -> Result<Val, Trap> {
                    let mut typed = match takes_caller {
                        true => Some(caller.downcast::<T>().ok_or_else(|| {
                            Trap::new(format!("{name}: the store's data is not a {}", std::any::type_name::<T>()))
                        })?),
                        false => None,
                    };
                    let mut rest: &mut [Val] = &mut args;
                    $(
                        let number = count - rest.len() + 1;
                        let $v = <$p as HostParam<'_, T>>::take(&mut typed, &mut rest)
                            .map_err(|e| Trap::new(format!("{name}: argument {number}: {e}")))?;
                    )*
                    match catch_unwind(AssertUnwindSafe(|| $call::<T, F, R, $($p),*>(&self, $($v),*))) {
                        Ok(r) => r.into_ret().map_err(|e| Trap::new(format!("{name}: {e}"))),
                        Err(p) => Err(Trap::new(format!("{name}: {}", panic_text(p)))),
                    }
                };
                Ok(HostFunc { params, ret: R::ret_type(), callback: Arc::new(callback) })
            }
        }
    )*};
}

closures! {
    call0()
    call1(A a)
    call2(A a, B b)
    call3(A a, B b, C c)
    call4(A a, B b, C c, D d)
    call5(A a, B b, C c, D d, E e)
    call6(A a, B b, C c, D d, E e, G g)
    call7(A a, B b, C c, D d, E e, G g, H h)
    call8(A a, B b, C c, D d, E e, G g, H h, I i)
}
