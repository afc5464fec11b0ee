//! The interpreter: a register machine over pre-decoded 8-byte instructions. It owns only
//! the dispatch loop (`dispatch.rs`); the state it runs on and everything an instruction
//! means beyond a word operation are the runtime's (`crate::runtime`), shared with every
//! other tier.

mod dispatch;

pub use dispatch::run;
