//! The tables of `docs/bytecode.md` that come from the code: opcodes (from the opcode
//! table), operand formats, built-ins (from the verifier's signatures) and math
//! functions. A test compares them with the document, so it cannot drift; run it with
//! `KITE_UPDATE_DOCS=1` to rewrite the document's generated parts.

use super::builtins::builtin_sig;
use super::builtins::Builtin;
use super::opcodes::{Format, MathFn, Op};
use std::fmt::Write;

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn format_text(f: Format) -> &'static str {
    match f {
        Format::N => "—",
        Format::A => "A: register",
        Format::AB => "A, B: registers",
        Format::ABC => "A, B, C: registers",
        Format::ABsC => "A, B: registers; C: signed immediate",
        Format::AsBC => "A: register; BC: signed 32-bit immediate",
        Format::AK => "A: register; BC: constant index",
        Format::AG => "A: register; BC: global index",
        Format::J => "sBC: jump offset",
        Format::AJ => "A: register; sBC: jump offset",
        Format::ABJ => "A, B: registers; sC: jump offset",
        Format::AsBJ => "A: register; sB: signed 16-bit immediate; sC: jump offset",
        Format::AFC => "A: register; B: function index; C: first argument register",
        Format::ASC => "A: register; B: struct index; C: first field register",
        Format::AHC => "A: register; B: import index; C: first argument register",
        Format::ABuC => "A: register; B: built-in index; C: first argument register",
        Format::ABF => "A: register; B: object register; C: field index",
        Format::AFB => "A: object register; B: field index; C: value register",
        Format::ABN => "A: register; B: first register; C: count",
        Format::BN => "B: first register; C: count",
        Format::ABM => "A, B: registers; C: math function index",
    }
}

/// The property letters of the opcode table (`W T A C B F R`), `—` for none.
fn props_text(op: Op) -> String {
    use super::opcodes::props::*;
    let letters = [(W, 'W'), (T, 'T'), (A, 'A'), (C, 'C'), (B, 'B'), (F, 'F'), (R, 'R')];
    let s: String = letters.iter().filter(|(bit, _)| op.has(*bit)).map(|(_, l)| *l).collect();
    if s.is_empty() {
        "—".into()
    } else {
        s
    }
}

fn format_name(f: Format) -> String {
    format!("{f:?}")
}

/// The opcode table.
pub fn opcodes() -> String {
    let mut o = String::new();
    o.push_str("| # | opcode | format | may | meaning | typing rule |\n|---|---|---|---|---|---|\n");
    for op in Op::ALL.iter().filter(|op| !op.is_internal()) {
        let _ = writeln!(
            o,
            "| {} | `{}` | {} | {} | `{}` | {} |",
            *op as u8,
            op.name(),
            format_name(op.format()),
            props_text(*op),
            cell(op.meaning()),
            cell(op.typing())
        );
    }
    o
}

/// The operand formats.
pub fn formats() -> String {
    let all = [
        Format::N,
        Format::A,
        Format::AB,
        Format::ABC,
        Format::ABsC,
        Format::AsBC,
        Format::AK,
        Format::AG,
        Format::J,
        Format::AJ,
        Format::ABJ,
        Format::AsBJ,
        Format::AFC,
        Format::ASC,
        Format::AHC,
        Format::ABuC,
        Format::ABF,
        Format::AFB,
        Format::ABN,
        Format::BN,
        Format::ABM,
    ];
    let mut o = String::new();
    o.push_str("| format | operands |\n|---|---|\n");
    for f in all {
        let _ = writeln!(o, "| {} | {} |", format_name(f), format_text(f));
    }
    o
}

/// The built-ins and their signatures.
pub fn builtins() -> String {
    let mut o = String::new();
    o.push_str("| # | built-in | signature |\n|---|---|---|\n");
    for b in Builtin::ALL {
        let sig = if b.variadic() {
            "(any, ...): A is the argument count; returns nothing".to_string()
        } else {
            builtin_sig(*b).to_string()
        };
        let _ = writeln!(o, "| {} | `{}` | `{}` |", *b as u16, b.name(), cell(&sig));
    }
    o
}

/// The math functions of `Math`.
pub fn math() -> String {
    let mut o = String::new();
    o.push_str("| C | function |\n|---|---|\n");
    for f in MathFn::ALL {
        let _ = writeln!(o, "| {} | `{}` |", *f as u16, f.name());
    }
    o
}

/// Replaces the text between `<!-- BEGIN name -->` and `<!-- END name -->`.
fn splice(doc: &str, name: &str, body: &str) -> Result<String, String> {
    let begin = format!("<!-- BEGIN {name} (generated; see vm/src/bytecode/doc_tables.rs) -->\n");
    let end = format!("<!-- END {name} -->");
    let a = doc.find(&begin).ok_or_else(|| format!("docs/bytecode.md has no line {begin:?}"))? + begin.len();
    let b = doc[a..].find(&end).ok_or_else(|| format!("docs/bytecode.md has no line {end:?}"))? + a;
    Ok(format!("{}{}{}", &doc[..a], body, &doc[b..]))
}

/// The document with every generated part regenerated.
pub fn regenerate(doc: &str) -> Result<String, String> {
    let doc = splice(doc, "formats", &formats())?;
    let doc = splice(&doc, "opcodes", &opcodes())?;
    let doc = splice(&doc, "builtins", &builtins())?;
    splice(&doc, "math", &math())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_bytecode_md_lists_every_opcode_and_builtin() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/bytecode.md");
        let doc = std::fs::read_to_string(path).expect("read docs/bytecode.md");
        let want = regenerate(&doc).unwrap();
        if std::env::var_os("KITE_UPDATE_DOCS").is_some() {
            std::fs::write(path, &want).expect("write docs/bytecode.md");
            return;
        }
        assert!(
            doc == want,
            "docs/bytecode.md is out of date with the opcode table; run `KITE_UPDATE_DOCS=1 cargo test -p kite-vm docs_bytecode_md` and review the diff"
        );
        for op in Op::ALL {
            let listed = doc.contains(&format!("| `{}` |", op.name()));
            assert_eq!(listed, !op.is_internal(), "{} is listed: {listed}", op.name());
        }
    }
}
