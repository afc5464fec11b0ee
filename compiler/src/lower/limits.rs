//! The limits of the bytecode format, as the compiler enforces them. A program that would
//! exceed one is a compile error at the code that exceeds it, never a module that the
//! decoder or the verifier refuses. `docs/bytecode.md` ("Limits of a compiled program")
//! lists them with their messages.

use super::Lowerer;
use crate::ast::Span;
use kite_vm::bytecode::decode::limits as format;

/// Functions of a program (named ones, methods, closures and the global initializer):
/// call instructions name a function in 16 bits.
pub const MAX_FUNCTIONS: usize = format::MAX_FUNCTIONS;
/// Struct types: `NewStruct` names one in 16 bits.
pub const MAX_STRUCTS: usize = format::MAX_STRUCTS;
/// Fields of one struct: field operands are 16 bits.
pub const MAX_FIELDS: usize = format::MAX_FIELDS;
/// Globals of a program.
pub const MAX_GLOBALS: usize = format::MAX_GLOBALS;
/// Host imports (`extern` functions and the built-in modules' functions a program calls).
pub const MAX_IMPORTS: usize = format::MAX_IMPORTS;
/// Parameters of a function, method, closure, function type or `extern`; values a
/// closure captures.
pub const MAX_PARAMS: usize = format::MAX_PARAMS;
/// Distinct constants (strings, floats, ints beyond 32 bits) of a program.
pub const MAX_CONSTS: usize = format::MAX_CONSTS;
/// Distinct types of a program.
pub const MAX_TYPES: usize = format::MAX_TYPES;
/// Instructions of one function.
pub const MAX_CODE: usize = format::MAX_CODE;
/// Source files of a program.
pub const MAX_FILES: usize = format::MAX_FILES;
/// Bytes of a string literal (and of every name in the bytecode).
pub const MAX_STRING: usize = format::MAX_STRING;
/// Bytes of an identifier: a method is named `Struct.method` in the bytecode, and that
/// name must fit in [`MAX_STRING`].
pub const MAX_IDENT: usize = MAX_STRING / 2 - 1;
/// Bytes of a source file: spans are 32-bit byte offsets.
pub const MAX_SOURCE: usize = u32::MAX as usize;

/// The program-wide limits, each reported once.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Limit {
    Functions,
    Structs,
    Globals,
    Imports,
    Consts,
    Types,
}

/// What the compiler's lowering enforces: the format's limits, smaller in unit tests of
/// the paths that a real program reaches only with hundreds of megabytes of source.
#[derive(Clone, Copy, Debug)]
pub(super) struct Caps {
    pub consts: usize,
    pub code: usize,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps { consts: MAX_CONSTS, code: MAX_CODE }
    }
}

impl Lowerer<'_> {
    /// Reports that the program goes past a program-wide limit at `span`, once per limit.
    pub(super) fn over_limit(&mut self, which: Limit, span: Span) {
        if !self.limits_reported.insert(which) {
            return;
        }
        let (what, max) = match which {
            Limit::Functions => ("functions (named ones, methods and closures)", MAX_FUNCTIONS),
            Limit::Structs => ("structs", MAX_STRUCTS),
            Limit::Globals => ("globals", MAX_GLOBALS),
            Limit::Imports => ("host functions", MAX_IMPORTS),
            Limit::Consts => ("distinct constants (strings, floats and large ints)", self.caps.consts),
            Limit::Types => ("distinct types", MAX_TYPES),
        };
        self.error(span, format!("the program has more than {max} {what}, the limit of the bytecode format"));
    }

    /// Reports a function, closure, function type or `extern` with more than
    /// [`MAX_PARAMS`] parameters.
    pub(super) fn check_param_count(&mut self, n: usize, span: Span) {
        if n > MAX_PARAMS {
            self.error(span, format!("{n} parameters, more than the limit of {MAX_PARAMS}"));
        }
    }

    /// Reports a program whose type table grew past [`MAX_TYPES`], at `span`.
    pub(super) fn check_type_count(&mut self, span: Span) {
        if self.types.types.len() > MAX_TYPES {
            self.over_limit(Limit::Types, span);
        }
    }
}

#[cfg(test)]
mod tests {
    //! Limits that a real program reaches only with hundreds of megabytes of source
    //! (16,777,216 constants or instructions), checked with smaller caps.

    use super::Caps;
    use crate::diagnostic::Diagnostics;
    use crate::lower::{lower_program_with, SourceFile};
    use crate::source::SourceText;
    use std::sync::Arc;

    /// The rendered errors of compiling `src` with `caps`, and whether a module came out.
    fn compile(src: &str, caps: Caps) -> (Vec<String>, bool) {
        let ast = crate::parser::parse(src).expect("the source parses");
        let files = vec![SourceFile::new(Arc::new(SourceText::new("t.kite".into(), src.into())), ast)];
        let mut diags = Diagnostics::new();
        let module = lower_program_with(&files, &[0], &mut diags, caps);
        let errors = diags.finish().0.iter().map(|d| d.render().lines().next().unwrap_or("").to_string()).collect();
        (errors, module.is_some())
    }

    #[test]
    fn too_many_constants() {
        let caps = Caps { consts: 3, ..Caps::default() };
        let src = "fn main() {\n    print(\"a\", 1.5, \"a\");\n    print(1.5, \"b\");\n}\n";
        assert_eq!(compile(src, caps), (vec![], true), "three distinct constants fit");
        let src = "fn main() {\n    print(\"a\", 1.5, \"a\");\n    print(2.5, \"b\", 3.5);\n}\n";
        let (errors, module) = compile(src, caps);
        assert!(!module);
        assert_eq!(
            errors,
            ["t.kite:3:16: error: the program has more than 3 distinct constants (strings, floats and large ints), the limit of the bytecode format"]
        );
    }

    #[test]
    fn too_many_instructions() {
        let caps = Caps { code: 40, ..Caps::default() };
        let body = "    t += 1;\n".repeat(30);
        let src = format!("fn main() {{\n    var t = 0;\n{body}}}\nfn f() {{\n    let g = fn() {{\n    var t = 0;\n{body}{body}    }};\n}}\n");
        let (errors, module) = compile(&src, caps);
        assert!(!module);
        // `var t = 0`, 60 additions, the return.
        assert_eq!(
            errors,
            ["t.kite:35:13: error: this closure is too large: 62 instructions, more than the limit of 40"]
        );
        let src = format!("fn main() {{\n    var t = 0;\n{body}{body}}}\n");
        let (errors, _) = compile(&src, caps);
        assert_eq!(
            errors,
            ["t.kite:1:4: error: function 'main' is too large: 62 instructions, more than the limit of 40"]
        );
    }
}
