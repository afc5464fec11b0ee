//! serde integration (feature `serde`): any `Serialize` Rust value as a [`Val`], and any
//! [`Val`] as a `Deserialize` Rust value, so that Rust structs, maps, vectors and
//! options cross the host boundary as Kite structs, maps, arrays and optionals.
//!
//! How Rust data maps to Kite values:
//!
//! | Rust (serde) | Kite |
//! |---|---|
//! | integers (`u64` and `i128`/`u128` only when they fit `int`) | `int` |
//! | `f32`, `f64` | `float` |
//! | `bool` | `bool` |
//! | `String`, `&str`, `char` | `str` |
//! | `Vec`, slices, tuples, sets | arrays |
//! | maps | maps (insertion order kept both ways) |
//! | structs | structs, fields by name (or maps with `str` keys) |
//! | `Option` | optionals (a missing optional field is `nil`) |
//! | `()`, unit structs | `nil` |
//! | enums | a unit variant as its name (`str`); another as a map from its name to its value |
//!
//! A value that does not fit the type the program expects is an error naming where it
//! is: `users[3].name: expected str, found int`.

use super::typed::{FromVal, HostType, IntoVal};
use crate::host::{Val, ValError, ValType};
use serde::de::{self, DeserializeOwned, IntoDeserializer};
use serde::ser::{self, Serialize};
use std::fmt::Display;

/// A Rust value that crosses the host boundary through serde: an argument or result of a
/// typed call, or of a host closure. It converts to the Kite type the program expects
/// there (its own type is checked as it crosses).
///
/// ```
/// use kite_vm::embed::{Serde, Val, IntoVal, FromVal};
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct User { name: String, age: u32 }
/// let v = Serde(User { name: "ann".into(), age: 7 }).into_val()?;
/// assert_eq!(v, Val::Struct { name: "User".into(), fields: vec![
///     ("name".into(), Val::Str("ann".into())), ("age".into(), Val::Int(7))] });
/// let Serde(back) = Serde::<User>::from_val(v)?;
/// assert_eq!(back, User { name: "ann".into(), age: 7 });
/// # Ok::<(), kite_vm::embed::ValError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Serde<T>(pub T);

impl<T> HostType for Serde<T> {
    fn val_type() -> ValType {
        ValType::Any
    }
}

impl<T: DeserializeOwned> FromVal for Serde<T> {
    fn from_val(v: Val) -> Result<Self, ValError> {
        from_val(v).map(Serde)
    }
}

impl<T: Serialize> IntoVal for Serde<T> {
    fn into_val(self) -> Result<Val, ValError> {
        to_val(&self.0)
    }
}

/// `value` as a [`Val`].
pub fn to_val<T: Serialize + ?Sized>(value: &T) -> Result<Val, ValError> {
    value.serialize(ValSerializer)
}

/// A `T` from `v`.
pub fn from_val<T: DeserializeOwned>(v: Val) -> Result<T, ValError> {
    T::deserialize(v)
}

impl ser::Error for ValError {
    fn custom<M: Display>(msg: M) -> Self {
        ValError::new(msg.to_string())
    }
}

impl de::Error for ValError {
    fn custom<M: Display>(msg: M) -> Self {
        ValError::new(msg.to_string())
    }
}

fn key_step(k: &Val) -> String {
    crate::runtime::marshal::key_text(k)
}

struct ValSerializer;

fn int<T: TryInto<i64> + Display + Copy>(x: T) -> Result<Val, ValError> {
    x.try_into().map(Val::Int).map_err(|_| ValError::new(format!("{x} does not fit in int")))
}

/// Serializer methods of integer types: an `int` if the value fits one.
macro_rules! serialize_ints {
    ($($name:ident: $t:ty),* $(,)?) => {$(
        fn $name(self, v: $t) -> Result<Val, ValError> {
            int(v)
        }
    )*};
}

impl ser::Serializer for ValSerializer {
    type Ok = Val;
    type Error = ValError;
    type SerializeSeq = SeqSer;
    type SerializeTuple = SeqSer;
    type SerializeTupleStruct = SeqSer;
    type SerializeTupleVariant = VariantSer<SeqSer>;
    type SerializeMap = MapSer;
    type SerializeStruct = StructSer;
    type SerializeStructVariant = VariantSer<StructSer>;

    fn serialize_bool(self, v: bool) -> Result<Val, ValError> {
        Ok(Val::Bool(v))
    }
    serialize_ints!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i128: i128,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_u128: u128);
    fn serialize_i64(self, v: i64) -> Result<Val, ValError> {
        Ok(Val::Int(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Val, ValError> {
        Ok(Val::Float(v as f64))
    }
    fn serialize_f64(self, v: f64) -> Result<Val, ValError> {
        Ok(Val::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Val, ValError> {
        Ok(Val::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Val, ValError> {
        Ok(Val::Str(v.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Val, ValError> {
        Ok(Val::Array(v.iter().map(|&b| Val::Int(b as i64)).collect()))
    }
    fn serialize_none(self) -> Result<Val, ValError> {
        Ok(Val::Nil)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Val, ValError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Val, ValError> {
        Ok(Val::Nil)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Val, ValError> {
        Ok(Val::Nil)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Val, ValError> {
        Ok(Val::Str(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<Val, ValError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Val, ValError> {
        let v = value.serialize(ValSerializer).map_err(|e| e.in_field(variant))?;
        Ok(Val::Map(vec![(Val::Str(variant.to_string()), v)]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer, ValError> {
        Ok(SeqSer(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSer, ValError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqSer, ValError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSer<SeqSer>, ValError> {
        Ok(VariantSer { variant, inner: SeqSer(Vec::with_capacity(len)) })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapSer, ValError> {
        Ok(MapSer { entries: Vec::with_capacity(len.unwrap_or(0)), key: None })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<StructSer, ValError> {
        Ok(StructSer { name, fields: Vec::with_capacity(len) })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSer<StructSer>, ValError> {
        Ok(VariantSer { variant, inner: StructSer { name, fields: Vec::with_capacity(len) } })
    }
}

struct SeqSer(Vec<Val>);

impl SeqSer {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValError> {
        let i = self.0.len();
        self.0.push(value.serialize(ValSerializer).map_err(|e| e.in_index(i))?);
        Ok(())
    }
}

/// The sequence serializers: each element pushed, the whole an array.
macro_rules! seq_serializers {
    ($($tr:ident :: $method:ident),*) => {$(
        impl ser::$tr for SeqSer {
            type Ok = Val;
            type Error = ValError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValError> {
                self.push(value)
            }
            fn end(self) -> Result<Val, ValError> {
                Ok(Val::Array(self.0))
            }
        }
    )*};
}

seq_serializers!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

struct MapSer {
    entries: Vec<(Val, Val)>,
    key: Option<Val>,
}

impl ser::SerializeMap for MapSer {
    type Ok = Val;
    type Error = ValError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValError> {
        self.key = Some(key.serialize(ValSerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValError> {
        let key = self.key.take().ok_or_else(|| ValError::new("a map value without its key"))?;
        let v = value.serialize(ValSerializer).map_err(|e| e.in_key(key_step(&key)))?;
        self.entries.push((key, v));
        Ok(())
    }
    fn end(self) -> Result<Val, ValError> {
        Ok(Val::Map(self.entries))
    }
}

struct StructSer {
    name: &'static str,
    fields: Vec<(String, Val)>,
}

impl ser::SerializeStruct for StructSer {
    type Ok = Val;
    type Error = ValError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ValError> {
        let v = value.serialize(ValSerializer).map_err(|e| e.in_field(key))?;
        self.fields.push((key.to_string(), v));
        Ok(())
    }
    fn end(self) -> Result<Val, ValError> {
        Ok(Val::Struct { name: self.name.to_string(), fields: self.fields })
    }
}

/// A variant with data: a map from the variant's name to the data.
struct VariantSer<S> {
    variant: &'static str,
    inner: S,
}

impl<S> VariantSer<S> {
    fn wrap(variant: &str, v: Val) -> Val {
        Val::Map(vec![(Val::Str(variant.to_string()), v)])
    }
}

impl ser::SerializeTupleVariant for VariantSer<SeqSer> {
    type Ok = Val;
    type Error = ValError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValError> {
        self.inner.push(value).map_err(|e| e.in_field(self.variant))
    }
    fn end(self) -> Result<Val, ValError> {
        Ok(Self::wrap(self.variant, Val::Array(self.inner.0)))
    }
}

impl ser::SerializeStructVariant for VariantSer<StructSer> {
    type Ok = Val;
    type Error = ValError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ValError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value).map_err(|e| e.in_field(self.variant))
    }
    fn end(self) -> Result<Val, ValError> {
        let v = ser::SerializeStruct::end(self.inner)?;
        Ok(Self::wrap(self.variant, v))
    }
}

/// The error for a value of another kind than the Rust type wants.
fn expected(want: &str, v: &Val) -> ValError {
    ValError::expected(want, v.kind())
}

/// Deserializer methods that take one kind of value and refuse the others.
macro_rules! one_kind {
    ($($name:ident: $variant:ident => $visit:ident, $want:literal);* $(;)?) => {$(
        fn $name<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValError> {
            match self {
                Val::$variant(x) => visitor.$visit(x),
                other => Err(expected($want, &other)),
            }
        }
    )*};
}

/// Deserializer methods that take what another one takes (every integer is an `int`).
macro_rules! forward {
    ($($name:ident)* => $to:ident) => {$(
        fn $name<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValError> {
            self.$to(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Val {
    type Error = ValError;

    one_kind!(deserialize_bool: Bool => visit_bool, "bool"; deserialize_i64: Int => visit_i64, "int";
        deserialize_f64: Float => visit_f64, "float"; deserialize_string: Str => visit_string, "str");
    forward!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 => deserialize_i64);
    forward!(deserialize_f32 => deserialize_f64);
    forward!(deserialize_char deserialize_str => deserialize_string);
    forward!(deserialize_byte_buf => deserialize_bytes);

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValError> {
        match self {
            Val::Nil => visitor.visit_none(),
            Val::Int(i) => visitor.visit_i64(i),
            Val::Float(x) => visitor.visit_f64(x),
            Val::Bool(b) => visitor.visit_bool(b),
            Val::Str(s) => visitor.visit_string(s),
            Val::Array(xs) => visitor.visit_seq(SeqDe { items: xs.into_iter(), index: 0 }),
            Val::Map(entries) => visitor.visit_map(MapDe::entries(entries)),
            Val::Struct { fields, .. } => visitor.visit_map(MapDe::fields(fields)),
        }
    }

    fn deserialize_bytes<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValError> {
        match self {
            Val::Str(s) => visitor.visit_byte_buf(s.into_bytes()),
            other => other.deserialize_seq(visitor),
        }
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValError> {
        match self {
            Val::Nil => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_unit<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValError> {
        match self {
            Val::Nil => visitor.visit_unit(),
            other => Err(expected("nil", &other)),
        }
    }
    fn deserialize_unit_struct<V: de::Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, ValError> {
        self.deserialize_unit(visitor)
    }
    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValError> {
        match self {
            Val::Array(xs) => visitor.visit_seq(SeqDe { items: xs.into_iter(), index: 0 }),
            other => Err(expected("array", &other)),
        }
    }
    fn deserialize_tuple<V: de::Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, ValError> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, ValError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValError> {
        match self {
            Val::Map(entries) => visitor.visit_map(MapDe::entries(entries)),
            Val::Struct { fields, .. } => visitor.visit_map(MapDe::fields(fields)),
            other => Err(expected("map", &other)),
        }
    }
    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValError> {
        match self {
            Val::Struct { fields, .. } => visitor.visit_map(MapDe::fields(fields)),
            Val::Map(entries) => visitor.visit_map(MapDe::entries(entries)),
            other => Err(expected(&format!("a struct ({name})"), &other)),
        }
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValError> {
        match self {
            Val::Str(s) => visitor.visit_enum(s.into_deserializer()),
            Val::Map(mut entries) if entries.len() == 1 => {
                let (k, v) = entries.remove(0);
                match k {
                    Val::Str(variant) => visitor.visit_enum(EnumDe { variant, value: v }),
                    other => Err(expected("a variant name (str)", &other)),
                }
            }
            other => Err(expected("a variant: its name, or a map from its name to its value", &other)),
        }
    }

    fn deserialize_identifier<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValError> {
        visitor.visit_unit()
    }
}

impl<'de> IntoDeserializer<'de, ValError> for Val {
    type Deserializer = Val;
    fn into_deserializer(self) -> Val {
        self
    }
}

struct SeqDe {
    items: std::vec::IntoIter<Val>,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for SeqDe {
    type Error = ValError;
    fn next_element_seed<S: de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, ValError> {
        let Some(x) = self.items.next() else { return Ok(None) };
        let i = self.index;
        self.index += 1;
        seed.deserialize(x).map(Some).map_err(|e| e.in_index(i))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A map's entries or a struct's fields, for a visitor; value errors name their key.
struct MapDe {
    entries: std::vec::IntoIter<(Val, Val)>,
    /// Whether the keys are field names (a struct) rather than map keys.
    fields: bool,
    pending: Option<(String, Val)>,
}

impl MapDe {
    fn entries(entries: Vec<(Val, Val)>) -> MapDe {
        MapDe { entries: entries.into_iter(), fields: false, pending: None }
    }
    fn fields(fields: Vec<(String, Val)>) -> MapDe {
        let entries: Vec<(Val, Val)> = fields.into_iter().map(|(n, v)| (Val::Str(n), v)).collect();
        MapDe { entries: entries.into_iter(), fields: true, pending: None }
    }
}

impl<'de> de::MapAccess<'de> for MapDe {
    type Error = ValError;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ValError> {
        let Some((k, v)) = self.entries.next() else { return Ok(None) };
        let shown = match (&k, self.fields) {
            (Val::Str(name), true) => name.clone(),
            (k, _) => key_step(k),
        };
        self.pending = Some((shown, v));
        seed.deserialize(k).map(Some)
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ValError> {
        let (shown, v) = self.pending.take().ok_or_else(|| ValError::new("a map value without its key"))?;
        let fields = self.fields;
        seed.deserialize(v).map_err(|e| if fields { e.in_field(&shown) } else { e.in_key(shown) })
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct EnumDe {
    variant: String,
    value: Val,
}

impl<'de> de::EnumAccess<'de> for EnumDe {
    type Error = ValError;
    type Variant = VariantDe;
    fn variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, VariantDe), ValError> {
        let name = self.variant.clone();
        let v = seed.deserialize(Val::Str(self.variant))?;
        Ok((v, VariantDe { name, value: self.value }))
    }
}

struct VariantDe {
    name: String,
    value: Val,
}

impl<'de> de::VariantAccess<'de> for VariantDe {
    type Error = ValError;
    fn unit_variant(self) -> Result<(), ValError> {
        match self.value {
            Val::Nil => Ok(()),
            other => Err(expected("nil", &other).in_field(&self.name)),
        }
    }
    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, ValError> {
        let name = self.name;
        seed.deserialize(self.value).map_err(|e| e.in_field(&name))
    }
    fn tuple_variant<V: de::Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, ValError> {
        let name = self.name;
        de::Deserializer::deserialize_seq(self.value, visitor).map_err(|e| e.in_field(&name))
    }
    fn struct_variant<V: de::Visitor<'de>>(self, _: &'static [&'static str], visitor: V) -> Result<V::Value, ValError> {
        let name = self.name;
        de::Deserializer::deserialize_map(self.value, visitor).map_err(|e| e.in_field(&name))
    }
}
