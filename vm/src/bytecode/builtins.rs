//! Runtime built-ins: the functions and methods of the core language that are not
//! single instructions. `CallBuiltin` names one by index. This is the one table of them:
//! each entry gives the built-in's name (how the disassembler prints it, and how the
//! compiler finds it: `str.split` is the `split` method of `str`), and its signature as
//! patterns over the caller's register types, from which both the verifier's check and the
//! compiler's typing come. Generic built-ins (`contains`, `sort`, `eprint`) read their
//! argument types from the caller's register types.

use std::fmt;

/// A parameter or result of a built-in, matched against the caller's register types.
/// `E` is the element type of the array argument; `K` and `V` are the key and value types
/// of the map argument (always the first argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pat {
    Int,
    Float,
    Bool,
    Str,
    /// `int?`
    OptInt,
    /// `float?`
    OptFloat,
    /// `[str]`
    StrArray,
    /// `[int]`
    IntArray,
    /// `[E]`: any array type; binds `E`.
    Array,
    /// `E`
    Elem,
    /// The same type as the `[E]` argument.
    SameArray,
    /// `fn(E, E) -> int`
    Compare,
    /// `{K: V}`: any map type; binds `K` and `V`.
    Map,
    /// `K`
    Key,
    /// `V`
    Val,
    /// `V?`, or `V` itself when `V` is optional.
    OptVal,
    /// `[K]`
    KeyArray,
    /// `[V]`
    ValArray,
}

impl fmt::Display for Pat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pat::Int => "int",
            Pat::Float => "float",
            Pat::Bool => "bool",
            Pat::Str => "str",
            Pat::OptInt => "int?",
            Pat::OptFloat => "float?",
            Pat::StrArray => "[str]",
            Pat::IntArray => "[int]",
            Pat::Array => "[E]",
            Pat::Elem => "E",
            Pat::SameArray => "[E]",
            Pat::Compare => "fn(E, E) -> int",
            Pat::Map => "{K: V}",
            Pat::Key => "K",
            Pat::Val => "V",
            Pat::OptVal => "V?",
            Pat::KeyArray => "[K]",
            Pat::ValArray => "[V]",
        })
    }
}

/// The signature of a built-in: what the verifier checks at `CallBuiltin` and what the
/// compiler types a call by.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinSig {
    pub params: &'static [Pat],
    pub ret: Option<Pat>,
}

impl fmt::Display for BuiltinSig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        f.write_str(")")?;
        if let Some(r) = self.ret {
            write!(f, " -> {r}")?;
        }
        Ok(())
    }
}

macro_rules! builtins {
    ($($name:ident = $text:literal ($($p:ident),*) $(-> $r:ident)?;)*) => {
        /// A runtime built-in. The text is how the disassembler prints it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Builtin { $($name,)* }

        impl Builtin {
            pub const ALL: &'static [Builtin] = &[$(Builtin::$name,)*];
            pub fn from_u16(v: u16) -> Option<Builtin> {
                Builtin::ALL.get(v as usize).copied()
            }
            pub fn name(self) -> &'static str {
                match self { $(Builtin::$name => $text,)* }
            }
            /// The signature from the table.
            pub fn sig(self) -> BuiltinSig {
                match self {
                    $(Builtin::$name => BuiltinSig { params: &[$(Pat::$p),*], ret: builtins!(@ret $($r)?) },)*
                }
            }
        }
    };
    (@ret $r:ident) => { Some(Pat::$r) };
    (@ret) => { None };
}

builtins! {
    Write = "write" (Str);
    ParseInt = "parse_int" (Str) -> OptInt;
    ParseFloat = "parse_float" (Str) -> OptFloat;
    Fixed = "fixed" (Float, Int) -> Str;
    Chr = "chr" (Int) -> Str;
    Ord = "ord" (Str) -> Int;
    Assert = "assert" (Bool);
    AssertMsg = "assert_msg" (Bool, Str);
    Panic = "panic" (Str);
    StrSlice = "str.slice" (Str, Int, Int) -> Str;
    StrByte = "str.byte" (Str, Int) -> Int;
    StrFind = "str.find" (Str, Str) -> Int;
    StrContains = "str.contains" (Str, Str) -> Bool;
    StrStartsWith = "str.starts_with" (Str, Str) -> Bool;
    StrEndsWith = "str.ends_with" (Str, Str) -> Bool;
    StrSplit = "str.split" (Str, Str) -> StrArray;
    StrTrim = "str.trim" (Str) -> Str;
    StrUpper = "str.upper" (Str) -> Str;
    StrLower = "str.lower" (Str) -> Str;
    StrReplace = "str.replace" (Str, Str, Str) -> Str;
    StrRepeat = "str.repeat" (Str, Int) -> Str;
    StrChars = "str.chars" (Str) -> StrArray;
    StrBytes = "str.bytes" (Str) -> IntArray;
    ArrayPop = "array.pop" (Array) -> Elem;
    ArrayInsert = "array.insert" (Array, Int, Elem);
    ArrayRemove = "array.remove" (Array, Int) -> Elem;
    ArraySlice = "array.slice" (Array, Int, Int) -> SameArray;
    ArrayClear = "array.clear" (Array);
    ArrayReverse = "array.reverse" (Array);
    ArrayContains = "array.contains" (Array, Elem) -> Bool;
    ArrayIndexOf = "array.index_of" (Array, Elem) -> Int;
    ArraySort = "array.sort" (Array);
    ArraySortBy = "array.sort_by" (Array, Compare);
    ArrayJoin = "array.join" (StrArray, Str) -> Str;
    MapLen = "map.len" (Map) -> Int;
    MapHas = "map.has" (Map, Key) -> Bool;
    MapRemove = "map.remove" (Map, Key) -> OptVal;
    MapKeys = "map.keys" (Map) -> KeyArray;
    MapValues = "map.values" (Map) -> ValArray;
    MapClear = "map.clear" (Map);
    EPrint = "eprint" ();
    CheckExit = "check_exit" (Int);
    MapGetOr = "map_get_or" (Map, Key, Val) -> Val;
}

impl Builtin {
    /// How many consecutive argument registers it reads (for `EPrint`, see [`Builtin::variadic`]).
    pub fn arity(self) -> usize {
        self.sig().params.len()
    }
    /// Built-ins whose argument count is the `CallBuiltin`'s `a` operand instead of a
    /// destination (they return nothing).
    pub fn variadic(self) -> bool {
        matches!(self, Builtin::EPrint)
    }
    /// The global built-in function `name` (`write`, `parse_int`, ...), if it is one.
    pub fn function(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name() == name && !name.contains('.'))
    }
    /// The method `name` of values of kind `recv` (`"str"`, `"array"` or `"map"`), if a
    /// built-in is that method.
    pub fn method(recv: &str, name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name().split_once('.') == Some((recv, name)))
    }
}

/// The signature of built-in `b` (`eprint`, variadic: any types, count in operand A, has
/// an empty one).
pub fn builtin_sig(b: Builtin) -> BuiltinSig {
    b.sig()
}
