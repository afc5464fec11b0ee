//! Traps: runtime errors that stop a program, with the stack trace at the point of failure.

use std::fmt;

/// What kind of failure a trap is; it decides `vm run`'s exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrapKind {
    /// A runtime error of the program (exit code 1).
    Error,
    /// A resource limit: fuel, memory, call depth or time (exit code 3).
    Limit,
}

/// One frame of a stack trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceFrame {
    /// The function's name (`main`, `Point.norm`, `<closure>`).
    pub function: String,
    /// The source file.
    pub file: String,
    /// Line of the instruction running in this frame (1-based).
    pub line: u32,
    /// Column of that instruction (1-based).
    pub col: u32,
}

/// A runtime error with its message and the stack trace, innermost frame first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// What went wrong: `division by zero`, `out of fuel`, `capability denied: ...`.
    pub message: String,
    /// A program error or an exhausted resource limit.
    pub kind: TrapKind,
    /// The stack trace, innermost frame first.
    pub trace: Vec<TraceFrame>,
}

/// How many frames of a long trace are shown at its start and at its end.
const TRACE_HEAD: usize = 40;
const TRACE_TAIL: usize = 10;

impl Trap {
    /// A runtime error of the program.
    pub fn new(message: impl Into<String>) -> Trap {
        Trap { message: message.into(), kind: TrapKind::Error, trace: Vec::new() }
    }
    /// A resource limit was hit (`out of fuel`, `out of memory`, `stack overflow`,
    /// `timeout`, `interrupted`).
    pub fn limit(message: impl Into<String>) -> Trap {
        Trap { message: message.into(), kind: TrapKind::Limit, trace: Vec::new() }
    }
    /// The exit code `vm run` uses for this trap.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            TrapKind::Error => 1,
            TrapKind::Limit => 3,
        }
    }
    /// Whether a resource limit stopped the program (rather than an error in it).
    pub fn is_limit(&self) -> bool {
        self.kind == TrapKind::Limit
    }
    /// `index out of bounds: index I, length N`.
    pub fn index_out_of_bounds(index: i64, len: usize) -> Trap {
        Trap::new(format!("index out of bounds: index {index}, length {len}"))
    }
}

impl fmt::Display for Trap {
    /// `error: MESSAGE` and one `  at FUNCTION (FILE:LINE:COL)` line per frame. Of a
    /// trace longer than 50 frames (deep recursion), the first 40 and the last 10 are
    /// shown, with a line saying how many were left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", printable(&self.message))?;
        let n = self.trace.len();
        for (i, fr) in self.trace.iter().enumerate() {
            if n > TRACE_HEAD + TRACE_TAIL && i >= TRACE_HEAD && i < n - TRACE_TAIL {
                if i == TRACE_HEAD {
                    writeln!(f, "  ... {} more frames ...", n - TRACE_HEAD - TRACE_TAIL)?;
                }
                continue;
            }
            writeln!(f, "  at {} ({}:{}:{})", printable(&fr.function), printable(&fr.file), fr.line, fr.col)?;
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}

/// `s` as one line of a trap report: control characters other than `\t` (newlines,
/// carriage returns, escape sequences) and the bidirectional-text overrides are written as
/// `\n`, `\r` or `\u{..}` escapes, so a message chosen by the program (`panic`, `assert`)
/// or a file name cannot print something that looks like another line of the report.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_cannot_forge_trace_lines() {
        let mut t = Trap::new("panic: boom\n  at main (x.kite:1:1)\r\u{1b}[2K\tend\u{202e}");
        t.trace.push(TraceFrame { function: "f\nx".into(), file: "a\u{7}.kite".into(), line: 2, col: 3 });
        let text = t.to_string();
        assert_eq!(
            text,
            "error: panic: boom\\n  at main (x.kite:1:1)\\r\\u{1b}[2K\tend\\u{202e}\n  at f\\nx (a\\u{7}.kite:2:3)\n"
        );
        assert_eq!(text.lines().count(), 2);
        assert_eq!(printable("plain text, tabs\tand unicode é"), "plain text, tabs\tand unicode é");
    }
}
