//! Typed values at the host boundary: which Rust types stand for which Kite types, how
//! tuples become argument lists, and how closures become host functions.
//!
//! | Kite | Rust |
//! |---|---|
//! | `int` | `i64`, `i32`, `i16`, `i8`, `isize`, `u64`, `u32`, `u16`, `u8`, `usize` |
//! | `float` | `f64`, `f32` |
//! | `bool` | `bool` |
//! | `str` | `String`; `&str` as an argument (of a call, or of a host closure) |
//! | `[T]` | `Vec<T>`; `&[T]` as an argument of a call |
//! | `T?` | `Option<T>` |
//! | `{K: V}` | `HashMap<K, V>`, `BTreeMap<K, V>`, `IndexMap<K, V>` (`K`: `String`, `i64`, `bool`) |
//! | a struct, or any type | [`Val`](crate::host::Val); with the `serde` feature, [`Serde<T>`](super::Serde) |
//!
//! Integers convert exactly: a Kite `int` that does not fit the Rust type (300 as a
//! `u8`), or a Rust integer that does not fit an `int` (a `u64` above `i64::MAX`), is an
//! error naming the value, never a wrapped number. An `f32` takes the nearest value.
//! Insertion order is kept both ways for `IndexMap` (and `Val::Map`); a `HashMap` makes a
//! Kite map in its own iteration order.
//!
//! A type that cannot cross is a compile error naming it (`PathBuf cannot cross the host
//! boundary`; see [`IntoFunc`]).

mod convert;
mod host_fn;
mod params;

pub use convert::{FromVal, HostType, IntoVal, Lift, Lower};
pub use host_fn::{Arity, FuncError, HostParam, HostReturn, IntoFunc};
pub use params::{Params, Results, MAX_PARAMS};
