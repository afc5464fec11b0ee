//! Argument lists and results of typed calls into a program.

use super::convert::{FromVal, IntoVal, Lift, Lower};
use crate::bytecode::TypeId;
use crate::host::{ValError, ValType};

/// The most arguments a typed call passes (a tuple of up to this many values).
pub const MAX_PARAMS: usize = 8;

/// The arguments of a typed call ([`TypedFunc`](crate::embed::TypedFunc),
/// [`Instance::call`](crate::embed::Instance::call)): `()`, one value, or a tuple of up to
/// [`MAX_PARAMS`] values.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an argument list of a Kite function",
    note = "arguments are (), one value, or a tuple of up to 8 values of types that cross the host boundary"
)]
pub trait Params {
    /// How many arguments.
    const COUNT: usize;
    /// The Kite types of the arguments.
    fn types() -> Vec<ValType>;
    /// The arguments as program values of the called function's parameter types, in
    /// `out`; an error names the argument (0-based) that does not convert.
    #[doc(hidden)]
    fn lower_args(self, cx: &mut Lower<'_>, out: &mut [u64]) -> Result<(), (usize, ValError)>;
}

/// The result of a typed call: `()` for a function that returns nothing, or one value.
pub trait Results: Sized {
    /// The Kite result type (`None`: nothing).
    fn ret_type() -> Option<ValType>;
    /// The Rust result of program value `w` (of type `t`, or nothing).
    ///
    /// # Safety
    /// `w` is a live value of type `t`, which `Self::ret_type()` accepts, and nothing
    /// collects garbage until this returns.
    #[doc(hidden)]
    unsafe fn lift(cx: &mut Lift<'_>, w: u64, t: Option<TypeId>) -> Result<Self, ValError>;
}

impl Results for () {
    fn ret_type() -> Option<ValType> {
        None
    }
    unsafe fn lift(_: &mut Lift<'_>, _: u64, _: Option<TypeId>) -> Result<(), ValError> {
        Ok(())
    }
}

impl<T: FromVal> Results for T {
    fn ret_type() -> Option<ValType> {
        Some(T::val_type())
    }
    #[inline]
    unsafe fn lift(cx: &mut Lift<'_>, w: u64, t: Option<TypeId>) -> Result<T, ValError> {
        match t {
            // Safety: the caller's promise.
            Some(t) => unsafe { T::lift(cx, w, t) },
            None => Err(ValError::new("the function returns nothing")),
        }
    }
}

impl<T: IntoVal> Params for T {
    const COUNT: usize = 1;
    fn types() -> Vec<ValType> {
        vec![T::val_type()]
    }
    #[inline]
    fn lower_args(self, cx: &mut Lower<'_>, out: &mut [u64]) -> Result<(), (usize, ValError)> {
        let t = cx.param(0);
        out[0] = self.lower(cx, t).map_err(|e| (0, e))?;
        Ok(())
    }
}

macro_rules! tuples {
    ($(($n:expr; $($t:ident $v:ident $i:tt),*))*) => {$(
        impl<$($t: IntoVal),*> Params for ($($t,)*) {
            const COUNT: usize = $n;
            fn types() -> Vec<ValType> {
                vec![$($t::val_type()),*]
            }
            #[inline]
            #[allow(unused_variables)]
            fn lower_args(self, cx: &mut Lower<'_>, out: &mut [u64]) -> Result<(), (usize, ValError)> {
                let ($($v,)*) = self;
                $(
                    let t = cx.param($i);
                    out[$i] = $v.lower(cx, t).map_err(|e| ($i, e))?;
                )*
                Ok(())
            }
        }
    )*};
}

tuples! {
    (0;)
    (1; A a 0)
    (2; A a 0, B b 1)
    (3; A a 0, B b 1, C c 2)
    (4; A a 0, B b 1, C c 2, D d 3)
    (5; A a 0, B b 1, C c 2, D d 3, E e 4)
    (6; A a 0, B b 1, C c 2, D d 3, E e 4, G g 5)
    (7; A a 0, B b 1, C c 2, D d 3, E e 4, G g 5, H h 6)
    (8; A a 0, B b 1, C c 2, D d 3, E e 4, G g 5, H h 6, I i 7)
}
