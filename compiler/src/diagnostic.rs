//! Compile errors: a message, the span it points at, an optional hint, rendered as
//! `FILE:LINE:COL: error: MESSAGE`, the source line, and a caret under the span; and
//! [`Diagnostics`], which collects those of one compile: it keeps the first
//! [`MAX_DIAGNOSTICS`] in source order and counts the others exactly, so that memory does
//! not grow with the number of errors. Diagnostics refer to their file's text, never copy it.

use crate::ast::Span;
use crate::source::SourceText;
use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BinaryHeap, HashSet};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// How many diagnostics a failed compile keeps and shows: the first ones in source order
/// (files in load order, the main file first). The others are counted, and the rendered
/// error ends with `and N more errors (T in all)`.
pub const MAX_DIAGNOSTICS: usize = 100;

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
    render_in(&SourceText::new(path.to_string(), src.to_string()), d)
}

/// Lines longer than this many bytes are shown in part: about `LINE_CONTEXT` bytes
/// before the error's start and the rest of this many bytes after, with `...` for the
/// parts left out.
pub const MAX_SHOWN_LINE: usize = 240;
const LINE_CONTEXT: usize = 80;

/// Renders a diagnostic about `source` with its location, source line and caret.
pub fn render_in(source: &SourceText, d: &Diagnostic) -> String {
    let path = &source.path;
    let (line, col) = source.line_col(d.span.lo);
    let (line, col) = (line as usize, col as usize);
    let mut out = String::new();
    let _ = writeln!(out, "{path}:{line}:{col}: error: {}", d.message);
    let full = source.line_text(line as u32);
    let width = {
        let (eline, ecol) = source.line_col(d.span.hi);
        let (eline, ecol) = (eline as usize, ecol as usize);
        if eline == line && ecol > col {
            ecol - col
        } else {
            (full.chars().count() + 1).saturating_sub(col).max(1)
        }
    };
    // The part of the line shown, and the text before the caret within it.
    let (text, before, cut_end) = if full.len() <= MAX_SHOWN_LINE {
        let before: String = full.chars().take(col - 1).collect();
        (full.to_string(), before, false)
    } else {
        let at = floor_boundary(full, (d.span.lo as usize).saturating_sub(source.line_start(line as u32)));
        let from = floor_boundary(full, at.saturating_sub(LINE_CONTEXT));
        let to = floor_boundary(full, (from + MAX_SHOWN_LINE).min(full.len()));
        let lead = if from > 0 { "..." } else { "" };
        let tail = if to < full.len() { "..." } else { "" };
        (format!("{lead}{}{tail}", &full[from..to]), format!("{lead}{}", &full[from..at]), to < full.len())
    };
    let width = if cut_end { width.min(text.chars().count() + 1 - before.chars().count()) } else { width };
    let gutter = line.to_string().len();
    let _ = writeln!(out, "{:gutter$} |", "");
    let _ = writeln!(out, "{line} | {text}");
    let pad: String = before.chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let _ = writeln!(out, "{:gutter$} | {pad}{}", "", "^".repeat(width.max(1)));
    if let Some(h) = &d.hint {
        let _ = writeln!(out, "{:gutter$} = hint: {h}", "");
    }
    out
}

/// The largest character boundary of `s` at or before `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A diagnostic with the file it belongs to.
#[derive(Clone, Debug)]
pub struct FileDiagnostic {
    pub source: Arc<SourceText>,
    pub diagnostic: Diagnostic,
}

impl FileDiagnostic {
    /// The file's path as shown in the diagnostic.
    pub fn path(&self) -> &str {
        &self.source.path
    }

    /// The diagnostic as text: `FILE:LINE:COL: error: MESSAGE`, the source line and a
    /// caret (only the first line for a file that could not be read).
    pub fn render(&self) -> String {
        if self.source.text.is_empty() {
            format!("{}: error: {}\n", self.source.path, self.diagnostic.message)
        } else {
            render_in(&self.source, &self.diagnostic)
        }
    }
}

/// The diagnostics of one compile. Keeps the first [`MAX_DIAGNOSTICS`] by position
/// (file order, then byte offset, then the order they were reported in) and counts the
/// rest; a diagnostic equal to one already reported (same file, span, message and hint)
/// is ignored.
#[derive(Default)]
pub struct Diagnostics {
    /// The smallest diagnostics seen so far; the largest on top.
    kept: BinaryHeap<Keyed>,
    /// Fingerprints of every diagnostic seen, to ignore repeats.
    seen: HashSet<(usize, Span, u64)>,
    total: usize,
    next_seq: usize,
}

struct Keyed {
    key: (usize, u32, usize),
    d: FileDiagnostic,
}

impl PartialEq for Keyed {
    fn eq(&self, other: &Keyed) -> bool {
        self.key == other.key
    }
}

impl Eq for Keyed {}

impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Keyed) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Keyed {
    fn cmp(&self, other: &Keyed) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    /// Reports `d` about file number `file` (its place in the order files are shown in).
    pub fn report(&mut self, file: usize, source: &Arc<SourceText>, d: Diagnostic) {
        let mut h = DefaultHasher::new();
        d.message.hash(&mut h);
        d.hint.hash(&mut h);
        if !self.seen.insert((file, d.span, h.finish())) {
            return;
        }
        self.total += 1;
        let key = (file, d.span.lo, self.next_seq);
        self.next_seq += 1;
        if self.kept.len() == MAX_DIAGNOSTICS {
            match self.kept.peek() {
                Some(top) if key < top.key => {
                    self.kept.pop();
                }
                _ => return,
            }
        }
        self.kept.push(Keyed { key, d: FileDiagnostic { source: Arc::clone(source), diagnostic: d } });
    }

    /// How many distinct diagnostics were reported.
    pub fn count(&self) -> usize {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The kept diagnostics in order, and how many more were reported.
    pub fn finish(self) -> (Vec<FileDiagnostic>, usize) {
        let kept = self.kept.into_sorted_vec();
        let omitted = self.total - kept.len();
        (kept.into_iter().map(|k| k.d).collect(), omitted)
    }
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

    #[test]
    fn long_lines_are_shown_around_the_error() {
        let src = format!("fn main() {{ let s = \"{}\" + 1; }}\n", "é".repeat(5000));
        let at = src.find(" + 1").unwrap_or(0) + 1;
        let d = Diagnostic::new(Span::new(at, at + 5), "bad");
        let r = render("a.kite", &src, &d);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[0], "a.kite:1:5024: error: bad");
        assert!(lines[2].starts_with("1 | ...éé") && lines[2].ends_with("\" + 1; }"), "{}", lines[2]);
        assert!(lines[2].len() < 2 * MAX_SHOWN_LINE, "{}", lines[2]);
        // The caret is under the `+`.
        let caret = lines[3].find('^').unwrap_or(0);
        let plus = lines[2].find('+').unwrap_or(0);
        assert_eq!(lines[3][..caret].chars().count(), lines[2][..plus].chars().count());
        assert!(lines[3].ends_with("^^^^^"), "{}", lines[3]);
    }

    #[test]
    fn keeps_the_first_in_source_order_and_counts_the_rest() {
        let src = Arc::new(SourceText::new("a.kite".into(), "x".repeat(1000)));
        let mut ds = Diagnostics::new();
        // Reported backwards, twice each: the repeats are ignored.
        for _ in 0..2 {
            for lo in (0..250u32).rev() {
                ds.report(0, &src, Diagnostic::new(Span::new(lo as usize, lo as usize + 1), format!("e{lo}")));
            }
        }
        assert_eq!(ds.count(), 250);
        let (kept, omitted) = ds.finish();
        assert_eq!(omitted, 150);
        let los: Vec<u32> = kept.iter().map(|d| d.diagnostic.span.lo).collect();
        assert_eq!(los, (0..100).collect::<Vec<u32>>());
    }

    #[test]
    fn ties_keep_the_reported_order() {
        let src = Arc::new(SourceText::new("a.kite".into(), "abc".into()));
        let mut ds = Diagnostics::new();
        ds.report(1, &src, Diagnostic::new(Span::new(0, 1), "second file"));
        ds.report(0, &src, Diagnostic::new(Span::new(2, 3), "b"));
        ds.report(0, &src, Diagnostic::new(Span::new(2, 3), "a"));
        let msgs: Vec<String> = ds.finish().0.into_iter().map(|d| d.diagnostic.message).collect();
        assert_eq!(msgs, ["b", "a", "second file"]);
    }
}
