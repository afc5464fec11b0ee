//! Compile errors: a message, the span it points at, an optional hint, rendered as
//! `FILE:LINE:COL: error: MESSAGE`, the source line, and a caret under the span.

use crate::ast::Span;
use std::fmt::Write as _;

/// One compile error in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Span,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { message: message.into(), span, hint: None }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: u32) -> (usize, usize) {
    let offset = (offset as usize).min(src.len());
    let mut line = 1;
    let mut line_start = 0;
    for (i, b) in src.bytes().enumerate() {
        if i >= offset {
            break;
        }
        if b == b'\n' {
            line += 1;
            line_start = i + 1;
        }
    }
    let mut cut = offset;
    while !src.is_char_boundary(cut) {
        cut -= 1;
    }
    let col = src[line_start..cut].chars().count() + 1;
    (line, col)
}

/// Renders a diagnostic with its location, source line and caret.
pub fn render(path: &str, src: &str, d: &Diagnostic) -> String {
    let (line, col) = line_col(src, d.span.lo);
    let mut out = String::new();
    let _ = writeln!(out, "{path}:{line}:{col}: error: {}", d.message);
    let text = src.lines().nth(line - 1).unwrap_or("");
    let text_chars = text.chars().count();
    let width = {
        let (eline, ecol) = line_col(src, d.span.hi);
        if eline == line && ecol > col {
            ecol - col
        } else {
            (text_chars + 1).saturating_sub(col).max(1)
        }
    };
    let gutter = line.to_string().len();
    let _ = writeln!(out, "{:gutter$} |", "");
    let _ = writeln!(out, "{line} | {text}");
    let pad: String = text.chars().take(col - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let _ = writeln!(out, "{:gutter$} | {pad}{}", "", "^".repeat(width.max(1)));
    if let Some(h) = &d.hint {
        let _ = writeln!(out, "{:gutter$} = hint: {h}", "");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let src = "ab\ncdé f";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 7), (2, 4));
    }

    #[test]
    fn renders_caret_under_span() {
        let src = "fn main() {\n    let x = 1 + 2.0;\n}\n";
        let d = Diagnostic::new(Span::new(24, 31), "bad").with_hint("try this");
        let r = render("a.kite", src, &d);
        assert_eq!(
            r,
            "a.kite:2:13: error: bad\n  |\n2 |     let x = 1 + 2.0;\n  |             ^^^^^^^\n  = hint: try this\n"
        );
    }
}
