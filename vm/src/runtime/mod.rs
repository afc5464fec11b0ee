//! Helpers shared by every execution tier: built-ins, value text, traps.

pub mod builtins;
pub mod format;
pub mod text;
pub mod trap;
