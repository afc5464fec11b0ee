//! Values at the host boundary: [`Val`] (a Kite value as Rust data), [`ValType`] (its
//! type), and [`ValError`] (why a value could not cross, with the path to the part that
//! failed).

use crate::bytecode::{Module, Type, TypeId};
use std::collections::HashSet;
use std::fmt;

/// The type of a value passed to or returned from a host function or an export.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// `int`
    Int,
    /// `float`
    Float,
    /// `bool`
    Bool,
    /// `str`
    Str,
    /// `[T]`
    Array(Box<ValType>),
    /// `T?`
    Optional(Box<ValType>),
    /// `{K: V}` (keys are `int`, `bool` or `str`)
    Map(Box<ValType>, Box<ValType>),
    /// A struct, by name; its fields are matched by name when a value crosses.
    Struct(String),
    /// Any type that crosses, checked value by value as it crosses (the type of
    /// [`Val`] and of serde values on the Rust side).
    Any,
}

impl ValType {
    /// The host view of a bytecode type, if it can cross the boundary: everything but
    /// functions (and structs are named, not expanded: see [`crosses`]).
    pub fn from_type(m: &Module, id: TypeId) -> Option<ValType> {
        Some(match m.types.get(id as usize)? {
            Type::Int => ValType::Int,
            Type::Float => ValType::Float,
            Type::Bool => ValType::Bool,
            Type::Str => ValType::Str,
            Type::Array(e) => ValType::Array(Box::new(ValType::from_type(m, *e)?)),
            Type::Optional(e) => ValType::Optional(Box::new(ValType::from_type(m, *e)?)),
            Type::Map(k, v) => ValType::Map(Box::new(ValType::from_type(m, *k)?), Box::new(ValType::from_type(m, *v)?)),
            Type::Struct(s) => ValType::Struct(m.structs.get(*s as usize)?.name.clone()),
            Type::Fn(..) => return None,
        })
    }

    /// Whether a value of the program's type `actual` can be taken where this type is
    /// expected: the same type, with [`ValType::Any`] standing for any type.
    pub fn accepts(&self, actual: &ValType) -> bool {
        match (self, actual) {
            (ValType::Any, _) => true,
            (ValType::Array(a), ValType::Array(b)) | (ValType::Optional(a), ValType::Optional(b)) => a.accepts(b),
            (ValType::Map(k1, v1), ValType::Map(k2, v2)) => k1.accepts(k2) && v1.accepts(v2),
            (a, b) => a == b,
        }
    }
}

/// Whether values of type `id` can cross the host boundary: no function type is part of
/// it, however deep (through arrays, optionals, maps and struct fields).
pub fn crosses(m: &Module, id: TypeId) -> bool {
    fn go(m: &Module, id: TypeId, seen: &mut HashSet<u32>) -> bool {
        match m.types.get(id as usize) {
            None | Some(Type::Fn(..)) => false,
            Some(Type::Int | Type::Float | Type::Bool | Type::Str) => true,
            Some(Type::Array(e) | Type::Optional(e)) => go(m, *e, seen),
            Some(Type::Map(k, v)) => go(m, *k, seen) && go(m, *v, seen),
            Some(Type::Struct(s)) => {
                if !seen.insert(*s) {
                    return true;
                }
                m.structs.get(*s as usize).is_some_and(|d| d.fields.iter().all(|f| go(m, f.ty, seen)))
            }
        }
    }
    go(m, id, &mut HashSet::new())
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::Int => write!(f, "int"),
            ValType::Float => write!(f, "float"),
            ValType::Bool => write!(f, "bool"),
            ValType::Str => write!(f, "str"),
            ValType::Array(e) => write!(f, "[{e}]"),
            ValType::Optional(e) => write!(f, "{e}?"),
            ValType::Map(k, v) => write!(f, "{{{k}: {v}}}"),
            ValType::Struct(name) => write!(f, "{name}"),
            ValType::Any => write!(f, "_"),
        }
    }
}

/// A value crossing the host boundary. `Nil` is the empty optional; a present optional
/// is the value itself.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// `nil`: an empty optional (or the result of a function that returns nothing).
    Nil,
    /// An `int`.
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `bool`.
    Bool(bool),
    /// A `str`.
    Str(String),
    /// An array, element by element.
    Array(Vec<Val>),
    /// A map's entries in insertion order. Keys are `Int`, `Bool` or `Str` values.
    Map(Vec<(Val, Val)>),
    /// A struct: its type's name and its fields in declaration order. Into a Kite value,
    /// fields are matched by name (their order and the type's name do not matter); a
    /// missing field of an optional type is `nil`.
    Struct {
        /// The struct type's name (from a program: as declared, `Config`).
        name: String,
        /// The fields, by name.
        fields: Vec<(String, Val)>,
    },
}

impl Val {
    /// What kind of value this is, for messages: `int`, `str`, `array`, `struct Config`, ...
    pub fn kind(&self) -> String {
        match self {
            Val::Nil => "nil".into(),
            Val::Int(_) => "int".into(),
            Val::Float(_) => "float".into(),
            Val::Bool(_) => "bool".into(),
            Val::Str(_) => "str".into(),
            Val::Array(_) => "array".into(),
            Val::Map(_) => "map".into(),
            Val::Struct { name, .. } if name.is_empty() => "struct".into(),
            Val::Struct { name, .. } => format!("struct {name}"),
        }
    }
}

/// The most levels of nesting a value may have to cross the host boundary (a linked list
/// of structs nests one level per node). Deeper values are refused with an error rather
/// than risking the host's stack.
pub const MAX_VALUE_DEPTH: usize = 1000;

/// One step of the path to the part of a value that could not cross.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Field(String),
    Index(usize),
    Key(String),
}

/// Why a value could not cross the host boundary (into the program or out of it), and
/// where in the value: `users[3].name: expected str, found int`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValError {
    /// Innermost step first.
    steps: Vec<Step>,
    message: String,
}

impl ValError {
    /// An error about the value itself (no path yet).
    pub fn new(message: impl Into<String>) -> ValError {
        ValError { steps: Vec::new(), message: message.into() }
    }

    /// `expected T, found K`.
    pub fn expected(expected: impl fmt::Display, found: impl fmt::Display) -> ValError {
        ValError::new(format!("expected {expected}, found {found}"))
    }

    /// The same error inside field `name` of a struct.
    pub fn in_field(mut self, name: &str) -> ValError {
        self.steps.push(Step::Field(name.to_string()));
        self
    }

    /// The same error inside element `i` of an array.
    pub fn in_index(mut self, i: usize) -> ValError {
        self.steps.push(Step::Index(i));
        self
    }

    /// The same error inside the value of a map entry whose key is shown as `key`
    /// (`"name"` for a string key, `3` for an int).
    pub fn in_key(mut self, key: impl Into<String>) -> ValError {
        self.steps.push(Step::Key(key.into()));
        self
    }

    /// What went wrong, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The path to the part that failed (`users[3].name`; empty for the value itself).
    pub fn path(&self) -> String {
        let mut s = String::new();
        for step in self.steps.iter().rev() {
            match step {
                Step::Field(name) if s.is_empty() => s.push_str(name),
                Step::Field(name) => {
                    s.push('.');
                    s.push_str(name);
                }
                Step::Index(i) => s.push_str(&format!("[{i}]")),
                Step::Key(k) => s.push_str(&format!("[{k}]")),
            }
        }
        s
    }
}

impl fmt::Display for ValError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path(), self.message)
        }
    }
}

impl std::error::Error for ValError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_from_the_outside_in() {
        let e = ValError::expected("str", "int").in_field("name").in_index(3).in_field("users");
        assert_eq!(e.to_string(), "users[3].name: expected str, found int");
        let e = ValError::new("too deep").in_key("\"a\"").in_index(0);
        assert_eq!(e.to_string(), "[0][\"a\"]: too deep");
        assert_eq!(ValError::new("bad").to_string(), "bad");
    }

    #[test]
    fn any_accepts_every_type_nested() {
        let arr = |t| ValType::Array(Box::new(t));
        assert!(arr(ValType::Any).accepts(&arr(ValType::Str)));
        assert!(!arr(ValType::Int).accepts(&arr(ValType::Str)));
        assert!(ValType::Any.accepts(&ValType::Struct("P".into())));
        assert_eq!(ValType::Map(Box::new(ValType::Str), Box::new(ValType::Any)).to_string(), "{str: _}");
    }
}
