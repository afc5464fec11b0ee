//! Traps: runtime errors that stop a program, with the stack trace at the point of failure.
//!
//! Every trap the VM raises is a [`TrapCode`], and this file is the one place that renders
//! a code as the message users see, so every tier prints the same text. A trap raised by
//! native code waits in the VM's pending-trap slot until the code returns to Rust.

use crate::bytecode::Module;
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

/// Why a program stopped. [`TrapCode::message`] is the text users see.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrapCode {
    /// `division by zero` (integer `/` and `%`).
    DivisionByZero,
    /// `index out of bounds: index I, length N`.
    IndexOutOfBounds { index: i64, len: usize },
    /// `slice out of bounds: LO..HI, length N`.
    SliceOutOfBounds { lo: i64, hi: i64, len: usize },
    /// `key not found: K`, with the key's text as `print` shows it inside a container.
    KeyNotFound(String),
    /// `unwrapped nil` (`x!` on nil).
    UnwrappedNil,
    /// `pop from empty array`.
    PopFromEmpty,
    /// `assertion failed`.
    AssertionFailed,
    /// `assertion failed: MSG`.
    AssertionFailedWith(String),
    /// `panic: MSG`.
    Panic(String),
    /// `invalid char boundary` (`str.slice` inside a character).
    InvalidCharBoundary,
    /// `negative array length: N` (`[x; n]`).
    NegativeArrayLength(i64),
    /// `negative repeat count: N` (`str.repeat`).
    NegativeRepeatCount(i64),
    /// `empty separator` (`str.split("")`).
    EmptySeparator,
    /// `invalid char code: N` (`chr`).
    InvalidCharCode(i64),
    /// `ord of a string that is not one character`.
    OrdNotOneChar,
    /// `fixed: digits out of range: N`.
    FixedDigitsOutOfRange(i64),
    /// `exit code out of range: N` (`main` returned a value outside 0..=255).
    ExitCodeOutOfRange(i64),
    /// `global 'NAME' is used before it is initialized`.
    GlobalUninitialized(String),
    /// `cannot write output: ERROR`.
    Output(String),
    /// `host function "NAME" panicked`.
    HostPanicked(String),
    /// `the module has no main function`.
    NoMain,
    /// Any other error with its message: a denied capability (`capability denied: ...`),
    /// a host function's error (`app.lookup: ...`).
    Message(String),
    /// `out of fuel`.
    OutOfFuel,
    /// `out of memory`.
    OutOfMemory,
    /// `stack overflow`.
    StackOverflow,
    /// `timeout`.
    Timeout,
    /// `interrupted`.
    Interrupted,
    /// Any other resource limit, with its message.
    Limit(String),
    /// `suspended`: the run stopped at a safepoint so that a snapshot could be taken
    /// (`--snapshot-on`); not an error. Its state is in the `Vm`'s suspension.
    Suspended,
}

impl TrapCode {
    /// Whether a resource limit stopped the program.
    pub fn kind(&self) -> TrapKind {
        match self {
            TrapCode::OutOfFuel
            | TrapCode::OutOfMemory
            | TrapCode::StackOverflow
            | TrapCode::Timeout
            | TrapCode::Interrupted
            | TrapCode::Limit(_)
            | TrapCode::Suspended => TrapKind::Limit,
            _ => TrapKind::Error,
        }
    }

    /// The message users see (`vm run` prints it after `error: `).
    pub fn message(&self) -> String {
        match self {
            TrapCode::DivisionByZero => "division by zero".into(),
            TrapCode::IndexOutOfBounds { index, len } => format!("index out of bounds: index {index}, length {len}"),
            TrapCode::SliceOutOfBounds { lo, hi, len } => format!("slice out of bounds: {lo}..{hi}, length {len}"),
            TrapCode::KeyNotFound(k) => format!("key not found: {k}"),
            TrapCode::UnwrappedNil => "unwrapped nil".into(),
            TrapCode::PopFromEmpty => "pop from empty array".into(),
            TrapCode::AssertionFailed => "assertion failed".into(),
            TrapCode::AssertionFailedWith(m) => format!("assertion failed: {m}"),
            TrapCode::Panic(m) => format!("panic: {m}"),
            TrapCode::InvalidCharBoundary => "invalid char boundary".into(),
            TrapCode::NegativeArrayLength(n) => format!("negative array length: {n}"),
            TrapCode::NegativeRepeatCount(n) => format!("negative repeat count: {n}"),
            TrapCode::EmptySeparator => "empty separator".into(),
            TrapCode::InvalidCharCode(c) => format!("invalid char code: {c}"),
            TrapCode::OrdNotOneChar => "ord of a string that is not one character".into(),
            TrapCode::FixedDigitsOutOfRange(d) => format!("fixed: digits out of range: {d}"),
            TrapCode::ExitCodeOutOfRange(v) => format!("exit code out of range: {v}"),
            TrapCode::GlobalUninitialized(g) => format!("global '{g}' is used before it is initialized"),
            TrapCode::Output(e) => format!("cannot write output: {e}"),
            TrapCode::HostPanicked(name) => format!("host function \"{name}\" panicked"),
            TrapCode::NoMain => "the module has no main function".into(),
            TrapCode::Message(m) | TrapCode::Limit(m) => m.clone(),
            TrapCode::OutOfFuel => "out of fuel".into(),
            TrapCode::OutOfMemory => "out of memory".into(),
            TrapCode::StackOverflow => "stack overflow".into(),
            TrapCode::Timeout => "timeout".into(),
            TrapCode::Interrupted => "interrupted".into(),
            TrapCode::Suspended => "suspended".into(),
        }
    }
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

impl TraceFrame {
    /// The frame of function `func` of `m` running its instruction `at` (where in the
    /// source it came from; line and column 0 if the module has no such location).
    pub fn at(m: &Module, func: u32, at: usize) -> TraceFrame {
        let f = &m.functions[func as usize];
        let loc = f.locs.get(at).copied().unwrap_or_default();
        TraceFrame {
            function: f.name.clone(),
            file: m.files.get(loc.file as usize).cloned().unwrap_or_default(),
            line: loc.line,
            col: loc.col,
        }
    }
}

/// A runtime error with its message and the stack trace, innermost frame first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// Why the program stopped.
    pub code: TrapCode,
    /// What went wrong, as users see it: `division by zero`, `out of fuel`,
    /// `capability denied: ...` (the text of `code`).
    pub message: String,
    /// A program error or an exhausted resource limit.
    pub kind: TrapKind,
    /// The stack trace, innermost frame first.
    pub trace: Vec<TraceFrame>,
}

/// How many frames of a long trace are shown at its start and at its end.
const TRACE_HEAD: usize = 40;
const TRACE_TAIL: usize = 10;

impl From<TrapCode> for Trap {
    fn from(code: TrapCode) -> Trap {
        Trap { message: code.message(), kind: code.kind(), code, trace: Vec::new() }
    }
}

impl Trap {
    /// A runtime error of the program with this message (what a host function returns
    /// to make the program trap).
    pub fn new(message: impl Into<String>) -> Trap {
        Trap::from(TrapCode::Message(message.into()))
    }
    /// A resource limit was hit, with this message.
    pub fn limit(message: impl Into<String>) -> Trap {
        Trap::from(TrapCode::Limit(message.into()))
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
        Trap::from(TrapCode::IndexOutOfBounds { index, len })
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

    #[test]
    fn limits_are_the_limit_codes() {
        for c in [TrapCode::OutOfFuel, TrapCode::OutOfMemory, TrapCode::StackOverflow, TrapCode::Timeout] {
            assert_eq!(Trap::from(c).exit_code(), 3);
        }
        let t = Trap::from(TrapCode::IndexOutOfBounds { index: -1, len: 3 });
        assert_eq!((t.message.as_str(), t.exit_code()), ("index out of bounds: index -1, length 3", 1));
    }
}
