//! Traps: runtime errors that stop a program, with the stack trace at the point of failure.

use std::fmt;

/// What kind of failure a trap is; it decides `vm run`'s exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapKind {
    /// A runtime error of the program (exit code 1).
    Error,
    /// A resource limit: fuel, memory, call depth or time (exit code 3).
    Limit,
}

/// One frame of a stack trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceFrame {
    pub function: String,
    pub file: String,
    pub line: u32,
    pub col: u32,
}

/// A runtime error with its message and the stack trace, innermost frame first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    pub message: String,
    pub kind: TrapKind,
    pub trace: Vec<TraceFrame>,
}

impl Trap {
    pub fn new(message: impl Into<String>) -> Trap {
        Trap { message: message.into(), kind: TrapKind::Error, trace: Vec::new() }
    }
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
    pub fn index_out_of_bounds(index: i64, len: usize) -> Trap {
        Trap::new(format!("index out of bounds: index {index}, length {len}"))
    }
}

impl fmt::Display for Trap {
    /// `error: MESSAGE` and one `  at FUNCTION (FILE:LINE:COL)` line per frame.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        for fr in &self.trace {
            writeln!(f, "  at {} ({}:{}:{})", fr.function, fr.file, fr.line, fr.col)?;
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}
