//! A module in memory: types, structs, constants, globals, functions, imports.

use super::opcodes::Instr;

/// Index into [`Module::types`].
pub type TypeId = u32;

/// A value type. Registers, globals, fields, parameters and results all have one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Int,
    Float,
    Bool,
    Str,
    /// `[T]`
    Array(TypeId),
    /// `{K: V}`
    Map(TypeId, TypeId),
    /// `T?`
    Optional(TypeId),
    /// A struct, by index into [`Module::structs`].
    Struct(u32),
    /// `fn(A, ...) -> R`
    Fn(Vec<TypeId>, Option<TypeId>),
}

/// How a value of a type is held in a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Int,
    Float,
    Bool,
    /// A heap reference (or nil for optionals).
    Ref,
}

impl Type {
    /// Primitive types live unboxed in registers; everything else is a reference.
    pub fn kind(&self) -> Kind {
        match self {
            Type::Int => Kind::Int,
            Type::Float => Kind::Float,
            Type::Bool => Kind::Bool,
            _ => Kind::Ref,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructDef {
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: TypeId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Global {
    pub name: String,
    pub ty: TypeId,
}

/// A function the host must provide, recorded with its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub params: Vec<TypeId>,
    pub ret: Option<TypeId>,
}

/// Where an instruction came from, for stack traces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loc {
    /// Index into [`Module::files`].
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// The name shown in stack traces (`main`, `Point.norm`, `<closure>`).
    pub name: String,
    /// Parameters: registers `0..params.len()`.
    pub params: Vec<TypeId>,
    /// Captured values of a closure: the registers right after the parameters.
    pub captures: Vec<TypeId>,
    pub ret: Option<TypeId>,
    /// The type of every register, parameters first.
    pub regs: Vec<TypeId>,
    pub code: Vec<Instr>,
    /// One location per instruction.
    pub locs: Vec<Loc>,
}

impl Function {
    /// Registers holding captures and parameters, which a call fills.
    pub fn arity_regs(&self) -> usize {
        self.captures.len() + self.params.len()
    }
}

/// An exported function: callable by name from the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    pub name: String,
    pub func: u32,
}

/// Longest type text [`Module::type_name`] gives before it stops with `...`.
const TYPE_NAME_MAX: usize = 200;

/// A whole program, ready to encode or run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Module {
    pub types: Vec<Type>,
    pub structs: Vec<StructDef>,
    pub consts: Vec<Const>,
    pub globals: Vec<Global>,
    pub functions: Vec<Function>,
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
    /// Source file names, for stack traces.
    pub files: Vec<String>,
    /// The function that initializes globals (runs first), if any.
    pub init: Option<u32>,
    /// `main`, if the module is a program.
    pub main: Option<u32>,
}

impl Module {
    pub fn ty(&self, id: TypeId) -> &Type {
        &self.types[id as usize]
    }
    pub fn kind(&self, id: TypeId) -> Kind {
        self.types[id as usize].kind()
    }
    /// Renders a type as source text (`[int]`, `{str: float?}`, `Point`). Safe on any
    /// module, verified or not: the text stops with `...` past 64 levels of nesting or
    /// about 200 characters (a small type table can describe types whose full text would
    /// be astronomically long).
    pub fn type_name(&self, id: TypeId) -> String {
        let mut s = String::new();
        self.write_type_name(id, &mut s, 0);
        if s.len() > TYPE_NAME_MAX {
            let mut end = TYPE_NAME_MAX;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
            s.push_str("...");
        }
        s
    }
    fn write_type_name(&self, id: TypeId, out: &mut String, depth: u32) {
        if out.len() > TYPE_NAME_MAX {
            return;
        }
        let Some(t) = self.types.get(id as usize) else {
            out.push_str("<bad type>");
            return;
        };
        if depth > 64 {
            out.push_str("...");
            return;
        }
        match t {
            Type::Int => out.push_str("int"),
            Type::Float => out.push_str("float"),
            Type::Bool => out.push_str("bool"),
            Type::Str => out.push_str("str"),
            Type::Array(e) => {
                out.push('[');
                self.write_type_name(*e, out, depth + 1);
                out.push(']');
            }
            Type::Map(k, v) => {
                out.push('{');
                self.write_type_name(*k, out, depth + 1);
                out.push_str(": ");
                self.write_type_name(*v, out, depth + 1);
                out.push('}');
            }
            Type::Optional(e) => {
                self.write_type_name(*e, out, depth + 1);
                out.push('?');
            }
            Type::Struct(s) => match self.structs.get(*s as usize) {
                Some(d) => out.push_str(&d.name),
                None => out.push_str("<bad struct>"),
            },
            Type::Fn(ps, r) => {
                out.push_str("fn(");
                for (i, p) in ps.iter().enumerate() {
                    if out.len() > TYPE_NAME_MAX {
                        return;
                    }
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write_type_name(*p, out, depth + 1);
                }
                out.push(')');
                if let Some(r) = r {
                    out.push_str(" -> ");
                    self.write_type_name(*r, out, depth + 1);
                }
            }
        }
    }
}
