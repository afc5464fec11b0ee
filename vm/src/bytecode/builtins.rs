//! Runtime built-ins: the functions and methods of the core language that are not
//! single instructions. `CallBuiltin` names one by index; the argument count is fixed
//! per built-in, and generic ones (`contains`, `sort`, `print`-like) read their
//! argument types from the caller's register types.

macro_rules! builtins {
    ($($name:ident = $text:literal, $arity:literal;)*) => {
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
            /// How many consecutive argument registers it reads (for `EPrint`, see [`Builtin::variadic`]).
            pub fn arity(self) -> usize {
                match self { $(Builtin::$name => $arity,)* }
            }
        }
    };
}

builtins! {
    Write = "write", 1;
    ParseInt = "parse_int", 1;
    ParseFloat = "parse_float", 1;
    Fixed = "fixed", 2;
    Chr = "chr", 1;
    Ord = "ord", 1;
    Assert = "assert", 1;
    AssertMsg = "assert_msg", 2;
    Panic = "panic", 1;
    StrSlice = "str.slice", 3;
    StrByte = "str.byte", 2;
    StrFind = "str.find", 2;
    StrContains = "str.contains", 2;
    StrStartsWith = "str.starts_with", 2;
    StrEndsWith = "str.ends_with", 2;
    StrSplit = "str.split", 2;
    StrTrim = "str.trim", 1;
    StrUpper = "str.upper", 1;
    StrLower = "str.lower", 1;
    StrReplace = "str.replace", 3;
    StrRepeat = "str.repeat", 2;
    StrChars = "str.chars", 1;
    StrBytes = "str.bytes", 1;
    ArrayPop = "array.pop", 1;
    ArrayInsert = "array.insert", 3;
    ArrayRemove = "array.remove", 2;
    ArraySlice = "array.slice", 3;
    ArrayClear = "array.clear", 1;
    ArrayReverse = "array.reverse", 1;
    ArrayContains = "array.contains", 2;
    ArrayIndexOf = "array.index_of", 2;
    ArraySort = "array.sort", 1;
    ArraySortBy = "array.sort_by", 2;
    ArrayJoin = "array.join", 2;
    MapLen = "map.len", 1;
    MapHas = "map.has", 2;
    MapRemove = "map.remove", 2;
    MapKeys = "map.keys", 1;
    MapValues = "map.values", 1;
    MapClear = "map.clear", 1;
    EPrint = "eprint", 0;
    CheckExit = "check_exit", 1;
}

impl Builtin {
    /// Built-ins whose argument count is the `CallBuiltin`'s `a` operand instead of a
    /// destination (they return nothing).
    pub fn variadic(self) -> bool {
        matches!(self, Builtin::EPrint)
    }
}
