//! Reading a program file: bytecode and snapshots are recognized by their magic bytes,
//! whatever the file's name; anything else is source.

use kite_vm::bytecode::encode::MAGIC;
use std::io::Read;
use std::path::Path;

/// What a file holds, by its first four bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Kite source (anything that is neither of the others, or a file that cannot be read:
    /// reading it as source then reports the error).
    Source,
    /// Bytecode (`\x7fKBC`), as `vm build` writes it.
    Bytecode,
    /// A snapshot (`\x7fKSN`), as `vm run --snapshot-to` writes it.
    Snapshot,
}

pub fn kind(path: &Path) -> FileKind {
    let mut head = [0u8; 4];
    if std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_err() {
        return FileKind::Source;
    }
    if head == MAGIC {
        FileKind::Bytecode
    } else if head == kite_vm::snapshot::MAGIC {
        FileKind::Snapshot
    } else {
        FileKind::Source
    }
}

/// Whether the file starts with the bytecode magic (`\x7fKBC`).
pub fn is_bytecode(path: &Path) -> bool {
    kind(path) == FileKind::Bytecode
}

/// Why `command` (which takes source) cannot take `path`, if it holds bytecode or a
/// snapshot: what the file is and the command that does take it.
pub fn not_source(path: &Path, command: &str) -> Option<String> {
    let p = path.display();
    match kind(path) {
        FileKind::Source => None,
        FileKind::Bytecode => Some(format!(
            "{p} is Kite bytecode, not source: vm {command} takes a .kite file (`vm inspect {p}` verifies and describes bytecode, `vm run {p}` runs it)"
        )),
        FileKind::Snapshot => Some(format!(
            "{p} is a snapshot of a suspended program: continue it with `vm resume {p}` (`vm inspect {p}` describes it)"
        )),
    }
}
