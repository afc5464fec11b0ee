//! Semantic types of the checker, and their interning into the module's type table.

use kite_vm::bytecode::{Type, TypeId};
use std::collections::HashMap;

/// A checked type. `Void` is the "type" of a call that returns nothing; `Nil` the type of
/// the literal `nil` before it meets an optional; `Error` stands for an expression that
/// already produced a diagnostic, and is compatible with everything (no cascades).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Int,
    Float,
    Bool,
    Str,
    Void,
    Nil,
    Error,
    Array(Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    Opt(Box<Ty>),
    /// A struct by its index in the program.
    Struct(u32),
    Fn(Vec<Ty>, Box<Ty>),
}

impl Ty {
    pub fn array(t: Ty) -> Ty {
        Ty::Array(Box::new(t))
    }
    pub fn opt(t: Ty) -> Ty {
        Ty::Opt(Box::new(t))
    }
    /// `T?`, or `T` itself when it is already optional (for results that are "a `T` or
    /// nothing", such as `map.get`: there is no `T??`).
    pub fn opt_flat(t: Ty) -> Ty {
        match t {
            Ty::Opt(_) => t,
            t => Ty::opt(t),
        }
    }
    pub fn is_error(&self) -> bool {
        matches!(self, Ty::Error)
    }
    /// Int, float and bool live unboxed.
    pub fn is_prim(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Bool)
    }
    /// Types `==` compares by value.
    pub fn is_value_eq(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Bool | Ty::Str)
    }
    /// Types allowed as map keys.
    pub fn is_key(&self) -> bool {
        matches!(self, Ty::Int | Ty::Str | Ty::Bool)
    }
    /// How deeply the type nests, as the bytecode verifier counts it: `int`, `str` and
    /// structs are 1, `[int]` is 2, a function type is one more than its deepest
    /// parameter or result. (`nil` is held as an `int?`: 2.)
    pub fn depth(&self) -> u32 {
        match self {
            Ty::Int | Ty::Float | Ty::Bool | Ty::Str | Ty::Void | Ty::Error | Ty::Struct(_) => 1,
            Ty::Nil => 2,
            Ty::Array(e) | Ty::Opt(e) => e.depth() + 1,
            Ty::Map(k, v) => k.depth().max(v.depth()) + 1,
            Ty::Fn(ps, r) => {
                let r = if **r == Ty::Void { 0 } else { r.depth() };
                ps.iter().map(Ty::depth).max().unwrap_or(0).max(r) + 1
            }
        }
    }

    /// True when both are the same or either is `Error`.
    pub fn same(&self, other: &Ty) -> bool {
        self.is_error() || other.is_error() || self == other
    }
}

/// Renders types as source text, with struct names.
pub struct TyNames<'a> {
    /// The name of struct `i` as shown.
    pub struct_name: &'a dyn Fn(u32) -> String,
}

impl TyNames<'_> {
    pub fn show(&self, t: &Ty) -> String {
        let mut s = String::new();
        self.write(t, &mut s);
        s
    }
    fn write(&self, t: &Ty, out: &mut String) {
        match t {
            Ty::Int => out.push_str("int"),
            Ty::Float => out.push_str("float"),
            Ty::Bool => out.push_str("bool"),
            Ty::Str => out.push_str("str"),
            Ty::Void => out.push_str("nothing"),
            Ty::Nil => out.push_str("nil"),
            Ty::Error => out.push_str("<error>"),
            Ty::Array(e) => {
                out.push('[');
                self.write(e, out);
                out.push(']');
            }
            Ty::Map(k, v) => {
                out.push('{');
                self.write(k, out);
                out.push_str(": ");
                self.write(v, out);
                out.push('}');
            }
            Ty::Opt(e) => {
                self.write(e, out);
                out.push('?');
            }
            Ty::Struct(i) => out.push_str(&(self.struct_name)(*i)),
            Ty::Fn(ps, r) => {
                out.push_str("fn(");
                for (i, p) in ps.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write(p, out);
                }
                out.push(')');
                if **r != Ty::Void {
                    out.push_str(" -> ");
                    self.write(r, out);
                }
            }
        }
    }
}

/// Interns checked types into the module's type table.
#[derive(Default)]
pub struct TypeTable {
    pub types: Vec<Type>,
    ids: HashMap<Type, TypeId>,
}

impl TypeTable {
    fn add(&mut self, t: Type) -> TypeId {
        if let Some(&id) = self.ids.get(&t) {
            return id;
        }
        let id = self.types.len() as TypeId;
        self.types.push(t.clone());
        self.ids.insert(t, id);
        id
    }

    /// The id of a type. `Void`, `Nil` and `Error` never reach a valid module; they map to
    /// `int` so that lowering after an error stays total.
    pub fn id(&mut self, t: &Ty) -> TypeId {
        let ty = match t {
            Ty::Int | Ty::Void | Ty::Error => Type::Int,
            Ty::Nil => Type::Optional(self.id(&Ty::Int)),
            Ty::Float => Type::Float,
            Ty::Bool => Type::Bool,
            Ty::Str => Type::Str,
            Ty::Array(e) => Type::Array(self.id(e)),
            Ty::Map(k, v) => {
                let k = self.id(k);
                Type::Map(k, self.id(v))
            }
            Ty::Opt(e) => Type::Optional(self.id(e)),
            Ty::Struct(s) => Type::Struct(*s),
            Ty::Fn(ps, r) => {
                let ps = ps.iter().map(|p| self.id(p)).collect();
                let r = if **r == Ty::Void { None } else { Some(self.id(r)) };
                Type::Fn(ps, r)
            }
        };
        self.add(ty)
    }

    /// `None` for `Void`.
    pub fn ret_id(&mut self, t: &Ty) -> Option<TypeId> {
        if *t == Ty::Void {
            None
        } else {
            Some(self.id(t))
        }
    }
}
