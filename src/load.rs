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

/// What the file at `path` holds (see [`FileKind`]), by its first four bytes.
pub fn kind(path: &Path) -> FileKind {
    let mut head = [0u8; 4];
    match std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)) {
        Ok(()) => kind_of(&head),
        Err(_) => FileKind::Source,
    }
}

/// What bytes starting with `head` hold (see [`FileKind`]).
pub fn kind_of(head: &[u8]) -> FileKind {
    if head.starts_with(&MAGIC) {
        FileKind::Bytecode
    } else if head.starts_with(&kite_vm::snapshot::MAGIC) {
        FileKind::Snapshot
    } else {
        FileKind::Source
    }
}

/// Why `command` (which takes source) cannot take `path`, if it holds bytecode or a
/// snapshot: what the file is and the command that does take it.
pub fn not_source(path: &Path, command: &str) -> Option<String> {
    not_source_of_kind(path, kind(path), command)
}

/// [`not_source`] of a file already known to hold `kind`.
pub fn not_source_of_kind(path: &Path, kind: FileKind, command: &str) -> Option<String> {
    let p = path.display();
    match kind {
        FileKind::Source => None,
        FileKind::Bytecode => Some(format!(
            "{p} is Kite bytecode, not source: vm {command} takes a .kite file (`vm inspect {p}` verifies and describes bytecode, `vm run {p}` runs it)"
        )),
        FileKind::Snapshot => Some(format!(
            "{p} is a snapshot of a suspended program: continue it with `vm resume {p}` (`vm inspect {p}` describes it)"
        )),
    }
}
