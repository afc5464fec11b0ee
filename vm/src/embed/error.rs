//! The error type of the embedding API.

use crate::bytecode::decode::DecodeError;
use crate::bytecode::VerifyError;
use crate::host::LinkError;
use crate::runtime::trap::Trap;
use std::fmt;

/// Everything that can go wrong when loading, linking, instantiating or calling.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The source did not compile (the error renders every diagnostic).
    Compile(Box<dyn std::error::Error + Send + Sync>),
    /// The bytes are not a well-formed bytecode file.
    Decode(DecodeError),
    /// The module failed verification: none of it can run.
    Invalid(VerifyError),
    /// An import is missing or has another signature than the host's function, or a
    /// host function was defined twice.
    Link(LinkError),
    /// The program trapped: a runtime error, a denied capability or an exhausted limit.
    /// Carries the message and the stack trace.
    Trap(Trap),
    /// The module exports no function of that name.
    NoExport {
        /// The name asked for.
        name: String,
    },
    /// The export's signature is not the one the host called it with.
    Signature {
        /// The export's name.
        name: String,
        /// The export's signature in the program.
        expected: String,
        /// The signature of the host's call.
        found: String,
    },
    /// The instance belongs to another store, or the store to another engine.
    WrongStore,
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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Compile(e) => write!(f, "{e}"),
            Error::Decode(e) => write!(f, "invalid bytecode {e}"),
            Error::Invalid(e) => write!(f, "invalid bytecode: {e}"),
            Error::Link(e) => write!(f, "{e}"),
            Error::Trap(t) => {
                // The message and the trace as `vm run` prints them, without its `error: `.
                let text = t.to_string();
                write!(f, "{}", text.strip_prefix("error: ").unwrap_or(&text).trim_end())
            }
            Error::NoExport { name } => write!(f, "the module exports no function named {name:?}"),
            Error::Signature { name, expected, found } => {
                write!(f, "{name} is fn{expected} in the program, but was called as fn{found}")
            }
            Error::WrongStore => write!(f, "the instance belongs to another store"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Compile(e) => Some(&**e),
            Error::Decode(e) => Some(e),
            Error::Invalid(e) => Some(e),
            Error::Link(e) => Some(e),
            Error::Trap(t) => Some(t),
            _ => None,
        }
    }
}

impl From<Trap> for Error {
    fn from(t: Trap) -> Error {
        Error::Trap(t)
    }
}

impl From<LinkError> for Error {
    fn from(e: LinkError) -> Error {
        Error::Link(e)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Error {
        Error::Decode(e)
    }
}

impl From<VerifyError> for Error {
    fn from(e: VerifyError) -> Error {
        Error::Invalid(e)
    }
}
