//! Host functions: values that cross the boundary between a program and its host, their
//! types, and the registry that resolves a module's imports by name.

use crate::bytecode::{Import, Module, Type, TypeId};
use crate::runtime::trap::Trap;
use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::sync::Arc;

/// The type of a value passed to or returned from a host function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    Int,
    Float,
    Bool,
    Str,
    Array(Box<ValType>),
    Optional(Box<ValType>),
}

impl ValType {
    /// The host view of a bytecode type, if it can cross the boundary.
    pub fn from_type(m: &Module, id: TypeId) -> Option<ValType> {
        Some(match m.types.get(id as usize)? {
            Type::Int => ValType::Int,
            Type::Float => ValType::Float,
            Type::Bool => ValType::Bool,
            Type::Str => ValType::Str,
            Type::Array(e) => ValType::Array(Box::new(ValType::from_type(m, *e)?)),
            Type::Optional(e) => ValType::Optional(Box::new(ValType::from_type(m, *e)?)),
            Type::Map(..) | Type::Struct(_) | Type::Fn(..) => return None,
        })
    }
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
        }
    }
}

/// A value crossing the host boundary. `Nil` is the empty optional; a present optional
/// is the value itself.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Nil,
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Array(Vec<Val>),
}

/// What a host function can reach while it runs.
pub struct Caller<'a> {
    /// The program's standard output (flush it before blocking on input).
    pub out: &'a mut dyn Write,
}

/// The Rust side of a host function.
pub type HostCallback = Arc<dyn Fn(&mut Caller<'_>, Vec<Val>) -> Result<Val, Trap> + Send + Sync>;

/// A host function with its signature.
#[derive(Clone)]
pub struct HostFunc {
    pub params: Vec<ValType>,
    /// `None`: returns nothing (the callback returns `Val::Nil`).
    pub ret: Option<ValType>,
    pub callback: HostCallback,
}

/// Why a module's imports could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    Missing { module: String, name: String, signature: String },
    Mismatch { module: String, name: String, expected: String, found: String },
    Unsupported { module: String, name: String },
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Missing { module, name, signature } => {
                write!(f, "the program imports {module}.{name}{signature}, which the host does not provide")
            }
            LinkError::Mismatch { module, name, expected, found } => {
                write!(f, "the program imports {module}.{name}{expected}, but the host provides {module}.{name}{found}")
            }
            LinkError::Unsupported { module, name } => {
                write!(f, "import {module}.{name} uses a type that cannot cross the host boundary")
            }
        }
    }
}

impl std::error::Error for LinkError {}

fn signature(params: &[ValType], ret: &Option<ValType>) -> String {
    let ps: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    match ret {
        Some(r) => format!("({}) -> {r}", ps.join(", ")),
        None => format!("({})", ps.join(", ")),
    }
}

/// Host functions by `module.name`.
#[derive(Clone, Default)]
pub struct HostFuncs {
    funcs: HashMap<(String, String), HostFunc>,
}

impl HostFuncs {
    pub fn new() -> HostFuncs {
        HostFuncs::default()
    }

    /// Registers (or replaces) `module.name`.
    pub fn define(&mut self, module: &str, name: &str, f: HostFunc) {
        self.funcs.insert((module.to_string(), name.to_string()), f);
    }

    pub fn get(&self, module: &str, name: &str) -> Option<&HostFunc> {
        self.funcs.get(&(module.to_string(), name.to_string()))
    }

    /// Resolves every import of `m`, checking signatures, in import order.
    pub fn resolve(&self, m: &Module) -> Result<Vec<HostFunc>, LinkError> {
        m.imports.iter().map(|imp| self.resolve_one(m, imp)).collect()
    }

    fn resolve_one(&self, m: &Module, imp: &Import) -> Result<HostFunc, LinkError> {
        let unsupported = || LinkError::Unsupported { module: imp.module.clone(), name: imp.name.clone() };
        let params: Vec<ValType> =
            imp.params.iter().map(|p| ValType::from_type(m, *p)).collect::<Option<_>>().ok_or_else(unsupported)?;
        let ret = match imp.ret {
            Some(r) => Some(ValType::from_type(m, r).ok_or_else(unsupported)?),
            None => None,
        };
        let Some(f) = self.get(&imp.module, &imp.name) else {
            return Err(LinkError::Missing {
                module: imp.module.clone(),
                name: imp.name.clone(),
                signature: signature(&params, &ret),
            });
        };
        if f.params != params || f.ret != ret {
            return Err(LinkError::Mismatch {
                module: imp.module.clone(),
                name: imp.name.clone(),
                expected: signature(&params, &ret),
                found: signature(&f.params, &f.ret),
            });
        }
        Ok(f.clone())
    }
}
