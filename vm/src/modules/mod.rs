//! Kite's built-in modules `fs`, `env`, `time`, `rand` and `io`: the signatures the
//! compiler checks calls against (always built), and their implementations as host
//! functions (with the `runtime` feature), which every [`Linker`](crate::embed::Linker)
//! starts with. Calls to them are imports like any other, linked by name.

#[cfg(feature = "runtime")]
pub mod host;
pub mod signatures;
