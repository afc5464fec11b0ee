//! Which Rust type stands for which Kite type, and the conversions: through [`Val`]
//! (host functions, [`Instance::call_dynamic`](crate::embed::Instance::call_dynamic)),
//! and straight between Rust values and register words (typed calls, which make no
//! `Val` on the way).

use crate::bytecode::{Kind, Type, TypeId};
use crate::heap::map::MapObj;
use crate::heap::{array_of, map_of, str_of, ArrayKind, BoxObj};
use crate::host::{Val, ValError, ValType};
use crate::runtime::code::array_kind;
use crate::runtime::marshal::Budget;
use crate::runtime::Vm;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use indexmap::IndexMap;

/// Making program values from Rust values, inside a call (an opaque context: its use is
/// internal to the conversions of this crate).
#[doc(hidden)]
pub struct Lower<'a> {
    pub(crate) vm: &'a mut Vm,
    /// The function being called.
    pub(crate) func: u32,
}

/// Reading program values into Rust values, inside a call (an opaque context: its use is
/// internal to the conversions of this crate).
#[doc(hidden)]
pub struct Lift<'a> {
    pub(crate) vm: &'a Vm,
    /// Bytes the Rust values made so far may still take (see `runtime/marshal.rs`).
    budget: Budget,
}

/// What a container type is made of.
fn not_the_type(t: TypeId, vm: &Vm, want: &str) -> ValError {
    ValError::new(format!("expected {want}, found {}", vm.module.type_name(t)))
}

/// The type inside optional type `t`, and whether it is a reference.
fn opt_inner(vm: &Vm, t: TypeId) -> Result<(TypeId, bool), ValError> {
    match vm.module.ty(t) {
        Type::Optional(e) => Ok((*e, vm.module.kind(*e) == Kind::Ref)),
        _ => Err(not_the_type(t, vm, "an optional")),
    }
}

/// The key and value types of map type `t`.
fn map_types(vm: &Vm, t: TypeId) -> Result<(TypeId, TypeId), ValError> {
    match vm.module.ty(t) {
        Type::Map(k, v) => Ok((*k, *v)),
        _ => Err(not_the_type(t, vm, "a map")),
    }
}

impl Lower<'_> {
    /// The type of parameter `i` of the function being called.
    #[inline]
    pub(crate) fn param(&self, i: usize) -> TypeId {
        self.vm.module.functions[self.func as usize].params[i]
    }
    /// The element type of array type `t`, and how its elements are stored.
    pub(crate) fn array_elem(&self, t: TypeId) -> Result<(TypeId, ArrayKind), ValError> {
        match self.vm.module.ty(t) {
            Type::Array(e) => Ok((*e, array_kind(&self.vm.module, *e))),
            _ => Err(not_the_type(t, self.vm, "an array")),
        }
    }
    fn opt_inner(&self, t: TypeId) -> Result<(TypeId, bool), ValError> {
        opt_inner(self.vm, t)
    }
    fn map_types(&self, t: TypeId) -> Result<(TypeId, TypeId), ValError> {
        map_types(self.vm, t)
    }
    fn str(&mut self, s: &str) -> u64 {
        self.vm.heap.alloc_str(s)
    }
    fn array(&mut self, items: Vec<u64>, kind: ArrayKind) -> u64 {
        self.vm.heap.alloc_array(items, kind)
    }
    fn boxed(&mut self, w: u64) -> u64 {
        self.vm.heap.alloc_box(w)
    }
    fn map(&mut self, k: TypeId, v: TypeId, entries: Vec<(u64, u64)>) -> u64 {
        self.vm.new_map(k, v, entries)
    }
    /// A [`Val`] as a word of type `t`.
    pub(crate) fn val(&mut self, v: &Val, t: TypeId) -> Result<u64, ValError> {
        self.vm.from_val(v, t)
    }
}

impl<'a> Lift<'a> {
    pub(crate) fn new(vm: &'a Vm) -> Lift<'a> {
        Lift { vm, budget: Budget::of(vm) }
    }
    fn charge(&mut self, bytes: usize) -> Result<(), ValError> {
        self.budget.charge(bytes)
    }
    fn array_elem(&self, t: TypeId) -> Result<TypeId, ValError> {
        match self.vm.module.ty(t) {
            Type::Array(e) => Ok(*e),
            _ => Err(not_the_type(t, self.vm, "an array")),
        }
    }
    fn opt_inner(&self, t: TypeId) -> Result<(TypeId, bool), ValError> {
        opt_inner(self.vm, t)
    }
    fn map_types(&self, t: TypeId) -> Result<(TypeId, TypeId), ValError> {
        map_types(self.vm, t)
    }
    /// A word of type `t` as a [`Val`].
    ///
    /// # Safety
    /// `w` is a live value of type `t`.
    pub(crate) unsafe fn val(&mut self, w: u64, t: TypeId) -> Result<Val, ValError> {
        // Safety: the caller's promise.
        unsafe { self.vm.to_val(w, t) }
    }
}

/// A Rust type that stands for a Kite type at the host boundary (see the table of
/// [`typed`](super)).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the host boundary",
    label = "not a type that stands for a Kite type",
    note = "Kite values are i8..i64, u8..u64, usize, f32, f64, bool, String (&str as an argument), Vec<T>, Option<T>, maps with String or i64 keys, Val, and (feature `serde`) Serde<T>"
)]
pub trait HostType {
    /// The Kite type ([`ValType::Any`]: any type, checked as the value crosses).
    fn val_type() -> ValType;
}

/// A Rust value made from a Kite value: arguments of host closures, results of calls.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the host boundary",
    label = "not a type a Kite value converts to",
    note = "Kite values become i8..i64, u8..u64, usize, f32, f64, bool, String (&str as a host closure argument), Vec<T>, Option<T>, HashMap/BTreeMap/IndexMap with String or i64 keys, Val, and (feature `serde`) Serde<T>"
)]
pub trait FromVal: HostType + Sized {
    /// The Rust value, or why `v` does not convert (another type, a number out of range).
    fn from_val(v: Val) -> Result<Self, ValError>;

    /// The Rust value of program value `w` of type `t`.
    ///
    /// # Safety
    /// `w` is a live value of type `t`, a type that `Self::val_type()` accepts, and
    /// nothing collects garbage until this returns.
    #[doc(hidden)]
    unsafe fn lift(cx: &mut Lift<'_>, w: u64, t: TypeId) -> Result<Self, ValError> {
        // Safety: the caller's promise.
        Self::from_val(unsafe { cx.val(w, t) }?)
    }
}

/// A Rust value turned into a Kite value: arguments of calls, results of host closures.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the host boundary",
    label = "not a type that converts to a Kite value",
    note = "Kite values are made from i8..i64, u8..u64, usize, f32, f64, bool, String, &str, Vec<T>, &[T], Option<T>, HashMap/BTreeMap/IndexMap with String or i64 keys, Val, and (feature `serde`) Serde<T>"
)]
pub trait IntoVal: HostType + Sized {
    /// The Kite value, or why there is none (an integer too large for `int`).
    fn into_val(self) -> Result<Val, ValError>;

    /// The program value, of type `t` (a type that `Self::val_type()` accepts).
    #[doc(hidden)]
    fn lower(self, cx: &mut Lower<'_>, t: TypeId) -> Result<u64, ValError> {
        let v = self.into_val()?;
        cx.val(&v, t)
    }
}

fn out_of_range(x: impl std::fmt::Display, ty: &str) -> ValError {
    ValError::new(format!("{x} does not fit in {ty}"))
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl HostType for $t {
            fn val_type() -> ValType {
                ValType::Int
            }
        }
        #[allow(clippy::useless_conversion, irrefutable_let_patterns)]
        impl FromVal for $t {
            fn from_val(v: Val) -> Result<$t, ValError> {
                match v {
                    Val::Int(i) => <$t>::try_from(i).map_err(|_| out_of_range(i, stringify!($t))),
                    other => Err(ValError::expected("int", other.kind())),
                }
            }
            #[inline]
            unsafe fn lift(_: &mut Lift<'_>, w: u64, _: TypeId) -> Result<$t, ValError> {
                let i = w as i64;
                <$t>::try_from(i).map_err(|_| out_of_range(i, stringify!($t)))
            }
        }
        #[allow(clippy::useless_conversion)]
        impl IntoVal for $t {
            fn into_val(self) -> Result<Val, ValError> {
                i64::try_from(self).map(Val::Int).map_err(|_| out_of_range(self, "int"))
            }
            #[inline]
            fn lower(self, _: &mut Lower<'_>, _: TypeId) -> Result<u64, ValError> {
                i64::try_from(self).map(|i| i as u64).map_err(|_| out_of_range(self, "int"))
            }
        }
    )*};
}

integer!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

macro_rules! float {
    ($($t:ty),*) => {$(
        impl HostType for $t {
            fn val_type() -> ValType {
                ValType::Float
            }
        }
        impl FromVal for $t {
            fn from_val(v: Val) -> Result<$t, ValError> {
                match v {
                    Val::Float(x) => Ok(x as $t),
                    other => Err(ValError::expected("float", other.kind())),
                }
            }
            #[inline]
            unsafe fn lift(_: &mut Lift<'_>, w: u64, _: TypeId) -> Result<$t, ValError> {
                Ok(f64::from_bits(w) as $t)
            }
        }
        impl IntoVal for $t {
            fn into_val(self) -> Result<Val, ValError> {
                Ok(Val::Float(self as f64))
            }
            #[inline]
            fn lower(self, _: &mut Lower<'_>, _: TypeId) -> Result<u64, ValError> {
                Ok((self as f64).to_bits())
            }
        }
    )*};
}

float!(f32, f64);

impl HostType for bool {
    fn val_type() -> ValType {
        ValType::Bool
    }
}
impl FromVal for bool {
    fn from_val(v: Val) -> Result<bool, ValError> {
        match v {
            Val::Bool(b) => Ok(b),
            other => Err(ValError::expected("bool", other.kind())),
        }
    }
    #[inline]
    unsafe fn lift(_: &mut Lift<'_>, w: u64, _: TypeId) -> Result<bool, ValError> {
        Ok(w != 0)
    }
}
impl IntoVal for bool {
    fn into_val(self) -> Result<Val, ValError> {
        Ok(Val::Bool(self))
    }
    #[inline]
    fn lower(self, _: &mut Lower<'_>, _: TypeId) -> Result<u64, ValError> {
        Ok(self as u64)
    }
}

impl HostType for String {
    fn val_type() -> ValType {
        ValType::Str
    }
}
impl FromVal for String {
    fn from_val(v: Val) -> Result<String, ValError> {
        match v {
            Val::Str(s) => Ok(s),
            other => Err(ValError::expected("str", other.kind())),
        }
    }
    unsafe fn lift(cx: &mut Lift<'_>, w: u64, _: TypeId) -> Result<String, ValError> {
        // Safety: a live `str` value (the caller's promise).
        let s = unsafe { str_of(w) };
        cx.charge(s.len())?;
        Ok(s.to_owned())
    }
}
impl IntoVal for String {
    fn into_val(self) -> Result<Val, ValError> {
        Ok(Val::Str(self))
    }
    fn lower(self, cx: &mut Lower<'_>, _: TypeId) -> Result<u64, ValError> {
        Ok(cx.str(&self))
    }
}

impl HostType for &str {
    fn val_type() -> ValType {
        ValType::Str
    }
}
impl IntoVal for &str {
    fn into_val(self) -> Result<Val, ValError> {
        Ok(Val::Str(self.to_string()))
    }
    fn lower(self, cx: &mut Lower<'_>, _: TypeId) -> Result<u64, ValError> {
        Ok(cx.str(self))
    }
}

impl HostType for Val {
    fn val_type() -> ValType {
        ValType::Any
    }
}
impl FromVal for Val {
    fn from_val(v: Val) -> Result<Val, ValError> {
        Ok(v)
    }
}
impl IntoVal for Val {
    fn into_val(self) -> Result<Val, ValError> {
        Ok(self)
    }
    fn lower(self, cx: &mut Lower<'_>, t: TypeId) -> Result<u64, ValError> {
        cx.val(&self, t)
    }
}

impl<T: HostType> HostType for Vec<T> {
    fn val_type() -> ValType {
        ValType::Array(Box::new(T::val_type()))
    }
}
impl<T: FromVal> FromVal for Vec<T> {
    fn from_val(v: Val) -> Result<Vec<T>, ValError> {
        match v {
            Val::Array(xs) => {
                xs.into_iter().enumerate().map(|(i, x)| T::from_val(x).map_err(|e| e.in_index(i))).collect()
            }
            other => Err(ValError::expected("array", other.kind())),
        }
    }
    unsafe fn lift(cx: &mut Lift<'_>, w: u64, t: TypeId) -> Result<Vec<T>, ValError> {
        let e = cx.array_elem(t)?;
        // Safety: a live array of `[e]` (the caller's promise).
        let items = unsafe { array_of(w) };
        cx.charge(items.len().saturating_mul(std::mem::size_of::<T>()))?;
        let mut out = Vec::with_capacity(items.len());
        for (i, x) in items.iter().enumerate() {
            // Safety: elements of an `[e]` are live values of type `e`.
            out.push(unsafe { T::lift(cx, x, e) }.map_err(|err| err.in_index(i))?);
        }
        Ok(out)
    }
}
impl<T: IntoVal> IntoVal for Vec<T> {
    fn into_val(self) -> Result<Val, ValError> {
        let xs = self.into_iter().enumerate().map(|(i, x)| x.into_val().map_err(|e| e.in_index(i)));
        Ok(Val::Array(xs.collect::<Result<_, _>>()?))
    }
    fn lower(self, cx: &mut Lower<'_>, t: TypeId) -> Result<u64, ValError> {
        let (e, kind) = cx.array_elem(t)?;
        let mut items = Vec::with_capacity(self.len());
        for (i, x) in self.into_iter().enumerate() {
            items.push(x.lower(cx, e).map_err(|err| err.in_index(i))?);
        }
        Ok(cx.array(items, kind))
    }
}

impl<T: HostType> HostType for &[T] {
    fn val_type() -> ValType {
        ValType::Array(Box::new(T::val_type()))
    }
}
impl<T: IntoVal + Clone> IntoVal for &[T] {
    fn into_val(self) -> Result<Val, ValError> {
        let xs = self.iter().enumerate().map(|(i, x)| x.clone().into_val().map_err(|e| e.in_index(i)));
        Ok(Val::Array(xs.collect::<Result<_, _>>()?))
    }
    fn lower(self, cx: &mut Lower<'_>, t: TypeId) -> Result<u64, ValError> {
        let (e, kind) = cx.array_elem(t)?;
        let mut items = Vec::with_capacity(self.len());
        for (i, x) in self.iter().enumerate() {
            items.push(x.clone().lower(cx, e).map_err(|err| err.in_index(i))?);
        }
        Ok(cx.array(items, kind))
    }
}

impl<T: HostType> HostType for Option<T> {
    fn val_type() -> ValType {
        ValType::Optional(Box::new(T::val_type()))
    }
}
impl<T: FromVal> FromVal for Option<T> {
    fn from_val(v: Val) -> Result<Option<T>, ValError> {
        match v {
            Val::Nil => Ok(None),
            v => T::from_val(v).map(Some),
        }
    }
    unsafe fn lift(cx: &mut Lift<'_>, w: u64, t: TypeId) -> Result<Option<T>, ValError> {
        let (e, is_ref) = cx.opt_inner(t)?;
        if w == 0 {
            return Ok(None);
        }
        // Safety: a present optional of a reference type is the reference itself; of
        // another type, a box holding the value (the caller's promise: live, of type `t`).
        let inner = if is_ref { w } else { unsafe { (*(w as *const BoxObj)).value } };
        // Safety: `inner` is a live value of type `e`, as above.
        unsafe { T::lift(cx, inner, e) }.map(Some)
    }
}
impl<T: IntoVal> IntoVal for Option<T> {
    fn into_val(self) -> Result<Val, ValError> {
        match self {
            None => Ok(Val::Nil),
            Some(x) => x.into_val(),
        }
    }
    fn lower(self, cx: &mut Lower<'_>, t: TypeId) -> Result<u64, ValError> {
        let (e, is_ref) = cx.opt_inner(t)?;
        match self {
            None => Ok(0),
            Some(x) => {
                let w = x.lower(cx, e)?;
                Ok(if is_ref { w } else { cx.boxed(w) })
            }
        }
    }
}

/// How a key shows in a path (`["a"]`, `[3]`).
fn key_step(k: &Val) -> String {
    crate::runtime::marshal::key_text(k)
}

/// Entries of a map value, converted.
fn map_entries<K: FromVal, V: FromVal>(v: Val) -> Result<Vec<(K, V)>, ValError> {
    match v {
        Val::Map(entries) => entries
            .into_iter()
            .map(|(k, x)| {
                let step = key_step(&k);
                Ok((K::from_val(k).map_err(|e| e.in_key(step.clone()))?, V::from_val(x).map_err(|e| e.in_key(step))?))
            })
            .collect(),
        other => Err(ValError::expected("map", other.kind())),
    }
}

/// Entries of program map `w` of type `t`, converted, in insertion order.
///
/// # Safety
/// `w` is a live map of type `t`, whose key and value types `K` and `V` accept.
unsafe fn lift_entries<K: FromVal, V: FromVal>(cx: &mut Lift<'_>, w: u64, t: TypeId) -> Result<Vec<(K, V)>, ValError> {
    let (kt, vt) = cx.map_types(t)?;
    // Safety: the caller's promise.
    let map: &MapObj = unsafe { map_of(w) };
    cx.charge(map.map.len().saturating_mul(std::mem::size_of::<(K, V)>()))?;
    let mut out = Vec::with_capacity(map.map.len());
    for (key, &x) in map.map.iter() {
        // Safety: keys and values of a live `{kt: vt}` are live values of those types.
        let k = unsafe { K::lift(cx, key.raw(), kt) }?;
        let v = unsafe { V::lift(cx, x, vt) }.map_err(|e| {
            // The key's text, for the path.
            let shown = unsafe { cx.val(key.raw(), kt) }.map(|k| key_step(&k)).unwrap_or_default();
            e.in_key(shown)
        })?;
        out.push((k, v));
    }
    Ok(out)
}

/// Converts `entries` to a map value of type `t`.
fn lower_entries<K: IntoVal, V: IntoVal>(
    cx: &mut Lower<'_>,
    t: TypeId,
    entries: impl Iterator<Item = (K, V)>,
) -> Result<u64, ValError> {
    let (kt, vt) = cx.map_types(t)?;
    let mut words = Vec::with_capacity(entries.size_hint().0);
    for (k, v) in entries {
        let kw = k.lower(cx, kt)?;
        // The key's text, for the path: only when the value fails.
        let vw = match v.lower(cx, vt) {
            Ok(w) => w,
            Err(e) => {
                // Safety: `kw` was just made as a value of type `kt`, and nothing collects.
                let shown = unsafe { cx.vm.to_val(kw, kt) }.map(|k| key_step(&k)).unwrap_or_default();
                return Err(e.in_key(shown));
            }
        };
        words.push((kw, vw));
    }
    Ok(cx.map(kt, vt, words))
}

fn entries_val<K: IntoVal, V: IntoVal>(entries: impl Iterator<Item = (K, V)>) -> Result<Val, ValError> {
    let mut out = Vec::with_capacity(entries.size_hint().0);
    for (k, v) in entries {
        let k = k.into_val()?;
        let step = key_step(&k);
        out.push((k, v.into_val().map_err(|e| e.in_key(step))?));
    }
    Ok(Val::Map(out))
}

macro_rules! map_type {
    ($map:ident <K, V $(, $s:ident)?> where $($bound:tt)*) => {
        impl<K: HostType, V: HostType $(, $s)?> HostType for $map<K, V $(, $s)?> {
            fn val_type() -> ValType {
                ValType::Map(Box::new(K::val_type()), Box::new(V::val_type()))
            }
        }
        impl<K: FromVal + $($bound)*, V: FromVal $(, $s: BuildHasher + Default)?> FromVal for $map<K, V $(, $s)?> {
            fn from_val(v: Val) -> Result<Self, ValError> {
                Ok(map_entries::<K, V>(v)?.into_iter().collect())
            }
            unsafe fn lift(cx: &mut Lift<'_>, w: u64, t: TypeId) -> Result<Self, ValError> {
                // Safety: the caller's promise.
                Ok(unsafe { lift_entries::<K, V>(cx, w, t) }?.into_iter().collect())
            }
        }
        impl<K: IntoVal, V: IntoVal $(, $s)?> IntoVal for $map<K, V $(, $s)?> {
            fn into_val(self) -> Result<Val, ValError> {
                entries_val(self.into_iter())
            }
            fn lower(self, cx: &mut Lower<'_>, t: TypeId) -> Result<u64, ValError> {
                lower_entries(cx, t, self.into_iter())
            }
        }
    };
}

map_type!(HashMap<K, V, S> where Eq + Hash);
map_type!(IndexMap<K, V, S> where Eq + Hash);
map_type!(BTreeMap<K, V> where Ord);
