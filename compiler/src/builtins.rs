//! The built-in functions and module members the checker knows by name.

use kite_vm::bytecode::MathFn;

/// Modules always in scope without an import.
pub fn is_builtin_module(name: &str) -> bool {
    kite_vm::modules::signatures::BUILTIN_MODULES.contains(&name)
}

/// Global built-in functions.
pub const FUNCTIONS: &[&str] = &[
    "print",
    "write",
    "eprint",
    "str",
    "int",
    "float",
    "parse_int",
    "parse_float",
    "fixed",
    "chr",
    "ord",
    "assert",
    "panic",
];

/// `math.NAME` constants.
pub fn math_const(name: &str) -> Option<f64> {
    Some(match name {
        "PI" => std::f64::consts::PI,
        "E" => std::f64::consts::E,
        "INF" => f64::INFINITY,
        "NAN" => f64::NAN,
        _ => return None,
    })
}

/// `math.MAX_INT` / `math.MIN_INT`.
pub fn math_int_const(name: &str) -> Option<i64> {
    match name {
        "MAX_INT" => Some(i64::MAX),
        "MIN_INT" => Some(i64::MIN),
        _ => None,
    }
}

/// One-argument float functions of `math`.
pub fn math_unary(name: &str) -> Option<MathFn> {
    MathFn::ALL.iter().copied().find(|f| f.name() == name)
}
