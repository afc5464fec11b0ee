//! The error type of the embedding API.

use crate::bytecode::decode::DecodeError;
use crate::bytecode::VerifyError;
use crate::host::{LinkError, ValError};
use crate::runtime::trap::Trap;
use std::fmt;

/// Everything that can go wrong when loading, linking, instantiating or calling. Its
/// `Display` is the message as `vm` prints it (a compile error: every diagnostic with
/// its source line; a trap: the message and the stack trace), and so is its `Debug`,
/// behind the variant's name.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The source did not compile (the error renders every diagnostic).
    #[error("{0}")]
    Compile(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The bytes are not a well-formed bytecode file.
    #[error("invalid bytecode {0}")]
    Decode(#[from] DecodeError),
    /// The module failed verification: none of it can run.
    #[error("invalid bytecode: {0}")]
    Invalid(#[from] VerifyError),
    /// An import is missing or has another signature than the host's function, or a
    /// host function was defined twice (or cannot be one).
    #[error("{0}")]
    Link(#[from] LinkError),
    /// The program trapped: a runtime error, a denied capability or an exhausted limit.
    /// Carries the message and the stack trace.
    #[error("{}", trap_text(.0))]
    Trap(#[from] Trap),
    /// The module exports no function of that name.
    #[error("the module exports no function named {name:?}")]
    NoExport {
        /// The name asked for.
        name: String,
    },
    /// The export's signature is not the one the host called it with.
    #[error("{name} is fn{expected} in the program, but was called as fn{found}")]
    Signature {
        /// The export's name.
        name: String,
        /// The export's signature in the program.
        expected: String,
        /// The signature of the host's call.
        found: String,
    },
    /// The export takes or returns a type that cannot cross the host boundary (a
    /// function, or a struct holding one).
    #[error("{name} is fn{signature} in the program: {ty} cannot cross the host boundary")]
    CannotCross {
        /// The export's name.
        name: String,
        /// The export's signature in the program.
        signature: String,
        /// The type that cannot cross.
        ty: String,
    },
    /// A value could not cross the host boundary: an argument or result of another
    /// type or out of range (`argument 2 of configure: users[3].name: expected str,
    /// found int`), or a result nested too deeply or too large to copy.
    #[error("{context}: {error}")]
    Value {
        /// Which value: `argument 2 of configure`, `the result of score`.
        context: String,
        /// What went wrong, and where inside the value.
        error: ValError,
    },
    /// The instance belongs to another store, or the store to another engine.
    #[error("the instance belongs to another store")]
    WrongStore,
    /// The call stopped at a safepoint so that a snapshot could be taken (a suspension
    /// point or a [`SuspendHandle`](super::SuspendHandle)); [`Store::snapshot`](super::Store::snapshot)
    /// has it. Not an error of the program.
    #[error("suspended for a snapshot")]
    Suspended,
    /// A snapshot cannot be taken or resumed.
    #[error("snapshot: {0}")]
    Snapshot(#[from] crate::snapshot::SnapshotError),
}

/// A trap's message and trace as `vm run` prints them, without its `error: `.
fn trap_text(t: &Trap) -> String {
    let text = t.to_string();
    text.strip_prefix("error: ").unwrap_or(&text).trim_end().to_string()
}

/// Debug output that is the value's `Display` text.
struct Shown<'a>(&'a dyn fmt::Display);

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}

impl fmt::Debug for Error {
    /// The variant's name and the message (`Compile(bad.kite:2:13: error: ...)`): a
    /// compile error shows its rendered diagnostics, not the source text it holds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Error::Compile(_) => "Compile",
            Error::Decode(_) => "Decode",
            Error::Invalid(_) => "Invalid",
            Error::Link(_) => "Link",
            Error::Trap(_) => "Trap",
            Error::NoExport { .. } => "NoExport",
            Error::Signature { .. } => "Signature",
            Error::CannotCross { .. } => "CannotCross",
            Error::Value { .. } => "Value",
            Error::WrongStore => "WrongStore",
            Error::Suspended => "Suspended",
            Error::Snapshot(_) => "Snapshot",
        };
        f.debug_tuple(name).field(&Shown(self)).finish()
    }
}

impl Error {
    /// The trap, if the program trapped.
    pub fn trap(&self) -> Option<&Trap> {
        match self {
            Error::Trap(t) => Some(t),
            _ => None,
        }
    }
}
