//! The error type of the embedding API.

use crate::bytecode::decode::DecodeError;
use crate::bytecode::VerifyError;
use crate::host::LinkError;
use crate::runtime::trap::Trap;

/// Everything that can go wrong when loading, linking, instantiating or calling.
#[derive(Debug, thiserror::Error)]
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
    /// host function was defined twice.
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

impl Error {
    /// The trap, if the program trapped.
    pub fn trap(&self) -> Option<&Trap> {
        match self {
            Error::Trap(t) => Some(t),
            _ => None,
        }
    }
}
