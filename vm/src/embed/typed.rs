//! Typed values at the host boundary: which Rust types stand for which Kite types, how
//! tuples become argument lists, and how closures become host functions.
//!
//! | Kite | Rust (argument of a host closure, result of a call) | Rust (argument of a call, result of a host closure) |
//! |---|---|---|
//! | `int` | `i64` | `i64`, `i32` |
//! | `float` | `f64` | `f64` |
//! | `bool` | `bool` | `bool` |
//! | `str` | `String` | `String`, `&str` |
//! | `[T]` | `Vec<T>` | `Vec<T>`, `&[T]` |
//! | `T?` | `Option<T>` | `Option<T>` |

use crate::host::{Val, ValType};
use std::fmt::Display;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// A Rust type that stands for a Kite type at the host boundary.
pub trait HostType {
    /// The Kite type.
    fn val_type() -> ValType;
}

/// A Rust value made from a Kite value: host closure arguments and call results.
pub trait FromVal: HostType + Sized {
    /// The Rust value, or `None` if `v` does not have the type.
    fn from_val(v: Val) -> Option<Self>;
}

/// A Rust value turned into a Kite value: call arguments and host closure results.
pub trait IntoVal: HostType {
    /// The Kite value.
    fn into_val(self) -> Val;
}

macro_rules! scalar {
    ($t:ty, $vt:ident, $v:ident => $from:expr, $x:ident => $into:expr) => {
        impl HostType for $t {
            fn val_type() -> ValType {
                ValType::$vt
            }
        }
        impl FromVal for $t {
            fn from_val(v: Val) -> Option<$t> {
                match v {
                    Val::$vt($v) => Some($from),
                    _ => None,
                }
            }
        }
        impl IntoVal for $t {
            fn into_val(self) -> Val {
                let $x = self;
                Val::$vt($into)
            }
        }
    };
}

scalar!(i64, Int, v => v, x => x);
scalar!(f64, Float, v => v, x => x);
scalar!(bool, Bool, v => v, x => x);
scalar!(String, Str, v => v, x => x);

impl HostType for i32 {
    fn val_type() -> ValType {
        ValType::Int
    }
}
impl IntoVal for i32 {
    fn into_val(self) -> Val {
        Val::Int(self as i64)
    }
}

impl HostType for &str {
    fn val_type() -> ValType {
        ValType::Str
    }
}
impl IntoVal for &str {
    fn into_val(self) -> Val {
        Val::Str(self.to_string())
    }
}

impl<T: HostType> HostType for Vec<T> {
    fn val_type() -> ValType {
        ValType::Array(Box::new(T::val_type()))
    }
}
impl<T: FromVal> FromVal for Vec<T> {
    fn from_val(v: Val) -> Option<Vec<T>> {
        match v {
            Val::Array(xs) => xs.into_iter().map(T::from_val).collect(),
            _ => None,
        }
    }
}
impl<T: IntoVal> IntoVal for Vec<T> {
    fn into_val(self) -> Val {
        Val::Array(self.into_iter().map(T::into_val).collect())
    }
}

impl<T: HostType> HostType for &[T] {
    fn val_type() -> ValType {
        ValType::Array(Box::new(T::val_type()))
    }
}
impl<T: IntoVal + Clone> IntoVal for &[T] {
    fn into_val(self) -> Val {
        Val::Array(self.iter().cloned().map(T::into_val).collect())
    }
}

impl<T: HostType> HostType for Option<T> {
    fn val_type() -> ValType {
        ValType::Optional(Box::new(T::val_type()))
    }
}
impl<T: FromVal> FromVal for Option<T> {
    fn from_val(v: Val) -> Option<Option<T>> {
        match v {
            Val::Nil => Some(None),
            v => T::from_val(v).map(Some),
        }
    }
}
impl<T: IntoVal> IntoVal for Option<T> {
    fn into_val(self) -> Val {
        match self {
            None => Val::Nil,
            Some(x) => x.into_val(),
        }
    }
}

/// The arguments of [`Instance::call`](super::Instance::call): `()`, one value, or a
/// tuple of up to 6 values.
pub trait Params {
    /// The Kite types of the arguments.
    fn types() -> Vec<ValType>;
    /// The arguments as Kite values.
    fn into_vals(self) -> Vec<Val>;
}

/// The result of [`Instance::call`](super::Instance::call): `()` for a function that
/// returns nothing, or one value.
pub trait Results: Sized {
    /// The Kite result type (`None`: nothing).
    fn ret_type() -> Option<ValType>;
    /// The Rust result, or `None` if `v` does not have the type.
    fn from_ret(v: Val) -> Option<Self>;
}

impl Results for () {
    fn ret_type() -> Option<ValType> {
        None
    }
    fn from_ret(_: Val) -> Option<()> {
        Some(())
    }
}

impl<T: FromVal> Results for T {
    fn ret_type() -> Option<ValType> {
        Some(T::val_type())
    }
    fn from_ret(v: Val) -> Option<T> {
        T::from_val(v)
    }
}

impl<T: IntoVal> Params for T {
    fn types() -> Vec<ValType> {
        vec![T::val_type()]
    }
    fn into_vals(self) -> Vec<Val> {
        vec![self.into_val()]
    }
}

/// What a host closure may return: nothing, a value, or a `Result` whose error becomes a
/// trap naming the function (`app.lookup: no such user`).
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

impl<T: IntoVal> HostReturn for T {
    fn ret_type() -> Option<ValType> {
        Some(T::val_type())
    }
    fn into_ret(self) -> Result<Val, String> {
        Ok(self.into_val())
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

impl<T: IntoVal, E: Display> HostReturn for Result<T, E> {
    fn ret_type() -> Option<ValType> {
        Some(T::val_type())
    }
    fn into_ret(self) -> Result<Val, String> {
        self.map(T::into_val).map_err(|e| e.to_string())
    }
}

/// A host function made from a typed closure: its parameter types, result type and the
/// untyped function that converts and calls it. Errors are the text for the trap.
pub type TypedHostFn = Arc<dyn Fn(Vec<Val>) -> Result<Val, String> + Send + Sync>;

/// A Rust closure usable as a host function: `Fn(A, B, ...) -> R` with up to 6 arguments
/// of [`FromVal`] types and an [`HostReturn`] result. It must be `Send + Sync` because
/// stores on other threads may call it at the same time. A panic inside it becomes a
/// trap.
pub trait IntoFunc<Args, Ret>: Send + Sync + 'static {
    /// The signature and the untyped function.
    fn into_func(self) -> (Vec<ValType>, Option<ValType>, TypedHostFn);
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    match p.downcast::<String>() {
        Ok(s) => format!("panicked: {s}"),
        Err(p) => match p.downcast::<&'static str>() {
            Ok(s) => format!("panicked: {s}"),
            Err(_) => "panicked".to_string(),
        },
    }
}

macro_rules! tuples {
    ($(($($t:ident $v:ident),*))*) => {$(
        impl<$($t: IntoVal),*> Params for ($($t,)*) {
            fn types() -> Vec<ValType> {
                vec![$($t::val_type()),*]
            }
            #[allow(clippy::vec_init_then_push)]
            fn into_vals(self) -> Vec<Val> {
                let ($($v,)*) = self;
                vec![$($v.into_val()),*]
            }
        }

        impl<F, R, $($t),*> IntoFunc<($($t,)*), R> for F
        where
            F: Fn($($t),*) -> R + Send + Sync + 'static,
            R: HostReturn,
            $($t: FromVal,)*
        {
            fn into_func(self) -> (Vec<ValType>, Option<ValType>, TypedHostFn) {
                let params = vec![$($t::val_type()),*];
                let call = move |args: Vec<Val>| -> Result<Val, String> {
                    #[allow(unused_mut, unused_variables)]
                    let mut it = args.into_iter();
                    $(
                        let $v = it.next().and_then($t::from_val).ok_or("an argument has the wrong type")?;
                    )*
                    match catch_unwind(AssertUnwindSafe(|| self($($v),*))) {
                        Ok(r) => r.into_ret(),
                        Err(p) => Err(panic_text(p)),
                    }
                };
                (params, R::ret_type(), Arc::new(call))
            }
        }
    )*};
}

tuples! {
    ()
    (A a)
    (A a, B b)
    (A a, B b, C c)
    (A a, B b, C c, D d)
    (A a, B b, C c, D d, E e)
    (A a, B b, C c, D d, E e, G g)
}
