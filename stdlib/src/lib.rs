//! Kite's built-in modules: `fs`, `env`, `time`, `rand` and `io` (host functions the
//! VM links by name), and the signatures the compiler checks calls against.

#[cfg(feature = "host")]
pub mod host;
pub mod signatures;
