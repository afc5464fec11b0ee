//! Signatures of the host-provided built-in modules, for the compiler. A call to one of
//! these is recorded in the bytecode as an import `module.name` with this signature.
//! (`math` is not here: its functions are instructions, see the compiler's built-ins.)

/// A parameter or result type of a built-in module function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigTy {
    Int,
    Float,
    Bool,
    Str,
    /// `str?`
    OptStr,
    /// `[str]`
    StrArray,
    /// `[str]?`
    OptStrArray,
}

/// One function of a built-in module.
#[derive(Clone, Copy, Debug)]
pub struct ModuleFn {
    pub module: &'static str,
    pub name: &'static str,
    pub params: &'static [SigTy],
    /// `None`: returns nothing.
    pub ret: Option<SigTy>,
}

use SigTy::*;

const fn f(module: &'static str, name: &'static str, params: &'static [SigTy], ret: Option<SigTy>) -> ModuleFn {
    ModuleFn { module, name, params, ret }
}

/// Every host function of the built-in modules.
pub const MODULE_FNS: &[ModuleFn] = &[
    f("fs", "read", &[Str], Some(OptStr)),
    f("fs", "write", &[Str, Str], Some(Bool)),
    f("fs", "append", &[Str, Str], Some(Bool)),
    f("fs", "list", &[Str], Some(OptStrArray)),
    f("fs", "exists", &[Str], Some(Bool)),
    f("fs", "remove", &[Str], Some(Bool)),
    f("env", "args", &[], Some(StrArray)),
    f("env", "get", &[Str], Some(OptStr)),
    f("time", "now", &[], Some(Float)),
    f("time", "mono_ns", &[], Some(Int)),
    f("rand", "int", &[Int, Int], Some(Int)),
    f("rand", "float", &[], Some(Float)),
    f("io", "read_line", &[], Some(OptStr)),
    f("io", "read_all", &[], Some(Str)),
];

/// Names of the modules always in scope; a user module cannot take them.
pub const BUILTIN_MODULES: &[&str] = &["math", "fs", "env", "time", "rand", "io"];

/// Looks up `module.name`.
pub fn lookup(module: &str, name: &str) -> Option<&'static ModuleFn> {
    MODULE_FNS.iter().find(|f| f.module == module && f.name == name)
}
