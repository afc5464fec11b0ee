//! Reading a program file: bytecode is recognized by its magic bytes, whatever the file's
//! name; anything else is source.

use kite_vm::bytecode::encode::MAGIC;
use std::io::Read;
use std::path::Path;

/// Whether the file starts with the bytecode magic (`\x7fKBC`). A file that cannot be
/// read is not bytecode (reading it as source then reports the error).
pub fn is_bytecode(path: &Path) -> bool {
    let mut head = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && head == MAGIC
}
