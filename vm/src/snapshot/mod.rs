//! Snapshots: the whole state of a program, suspended at a safepoint, as portable bytes
//! that another process (on another host, architecture or tier) resumes. The byte layout
//! is specified in `docs/snapshot.md`.
//!
//! A snapshot holds the module (its `.bc` bytes), the globals, every object reachable from
//! them and from the frames, the frames with their function, pc and registers, the fuel
//! used, the `rand` state and seed, the program's arguments and the input it had read but
//! not consumed. It holds no host handle: capabilities and limits are given again at
//! resume. It is canonical: objects are numbered in the order a breadth-first walk from
//! the roots first reaches them, and a register that is not live at its frame's pc
//! (`runtime::liveness`) is written as 0, so the same program stopped at the same point
//! gives the same bytes in every tier and every run.
//!
//! - `write.rs` — `capture`: a suspended (or idle) `Vm` to bytes.
//! - `read.rs` — bytes to a [`Snapshot`], for untrusted input: bounds-checked like the
//!   bytecode decoder, then checked against the module (every reference has the type of
//!   its slot, every frame fits its function and its caller's call).
//! - `restore.rs` — a [`Snapshot`] into a fresh `Vm`, ready to continue.
//! - `frame.rs` — snapshots through a byte stream: [`write_frame`], [`read_frame`].

mod frame;
mod read;
mod restore;
#[cfg(test)]
mod tests;
mod write;

pub use frame::{read_frame, write_frame};
pub use read::read;
pub(crate) use write::capture;

use crate::bytecode::{Module, VerifiedModule};
use crate::heap::{ArrayKind, ArrayObj, BoxObj, ClosureObj, KeyKind, MapObj, StrObj, StructObj};
use crate::runtime::trap::TraceFrame;
use std::borrow::Cow;
use std::fmt;
use std::mem::size_of;

/// The first four bytes of every snapshot.
pub const MAGIC: [u8; 4] = *b"\x7fKSN";
/// Format version this build writes and reads.
pub const VERSION_MAJOR: u16 = 1;
pub const VERSION_MINOR: u16 = 0;
/// Bytes before the body: magic (4), major (2), minor (2), checksum of the body (16).
pub const HEADER_LEN: usize = 24;

/// The checksum of a snapshot's body: XXH3-128, little-endian. It catches damage in
/// storage or transit at memory speed; it is no defence against a hostile snapshot, which
/// the reader's checks refuse whatever its checksum.
pub fn checksum(body: &[u8]) -> [u8; 16] {
    xxhash_rust::xxh3::xxh3_128(body).to_le_bytes()
}

/// Object tags.
mod tag {
    pub const STR: u8 = 1;
    pub const ARRAY: u8 = 2;
    pub const MAP: u8 = 3;
    pub const STRUCT: u8 = 4;
    pub const CLOSURE: u8 = 5;
    pub const BOX: u8 = 6;
}

/// Why a snapshot cannot be resumed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotError {
    /// The bytes are not a well-formed snapshot: at this byte offset.
    Format { offset: usize, message: String },
    /// The embedded module does not decode or verify.
    Module(String),
    /// Well-formed, but its state does not fit its module (a hostile or damaged file).
    Invalid(String),
    /// Resuming it needs more memory than the limit allows.
    Memory { needed: usize, limit: usize },
    /// The host does not provide what the module imports.
    Link(String),
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Format { offset, message } => write!(f, "at byte {offset}: {message}"),
            SnapshotError::Module(m) => write!(f, "its module: {m}"),
            SnapshotError::Invalid(m) => f.write_str(m),
            SnapshotError::Memory { needed, limit } => {
                write!(f, "resuming needs {needed} bytes of memory, more than the limit of {limit}")
            }
            SnapshotError::Link(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for SnapshotError {}

impl From<crate::bytecode::decode::DecodeError> for SnapshotError {
    fn from(e: crate::bytecode::decode::DecodeError) -> SnapshotError {
        SnapshotError::Format { offset: e.offset, message: e.message }
    }
}

/// An object of a snapshot. Reference slots hold object numbers (1-based; 0 is nil).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Obj<'a> {
    /// Borrowed from the snapshot's bytes when read.
    Str(Cow<'a, str>),
    /// Elements as words (references as numbers; a `[bool]`'s as 0 or 1).
    Array {
        kind: ArrayKind,
        cap: usize,
        words: Vec<u64>,
    },
    /// Entries in insertion order; keys as words (a string key as a number).
    Map {
        key: KeyKind,
        vals: ArrayKind,
        cap: usize,
        entries: Vec<(u64, u64)>,
    },
    Struct {
        sid: u32,
        fields: Words,
    },
    Closure {
        func: u32,
        captures: Words,
    },
    Box(u64),
}

impl Obj<'_> {
    /// The object owning its string, if it is one.
    pub(crate) fn into_owned(self) -> Obj<'static> {
        match self {
            Obj::Str(s) => Obj::Str(Cow::Owned(s.into_owned())),
            Obj::Array { kind, cap, words } => Obj::Array { kind, cap, words },
            Obj::Map { key, vals, cap, entries } => Obj::Map { key, vals, cap, entries },
            Obj::Struct { sid, fields } => Obj::Struct { sid, fields },
            Obj::Closure { func, captures } => Obj::Closure { func, captures },
            Obj::Box(v) => Obj::Box(v),
        }
    }
}

/// The fields of a struct or the captures of a closure: up to [`Words::INLINE`] kept in
/// place (most structs are small, and a snapshot can hold millions of them), more in a
/// vector.
#[derive(Clone, PartialEq)]
pub(crate) enum Words {
    Inline(u8, [u64; Words::INLINE]),
    Heap(Vec<u64>),
}

impl Words {
    const INLINE: usize = 3;

    /// Room for `n` words.
    pub(crate) fn with_capacity(n: usize) -> Words {
        if n <= Words::INLINE {
            Words::Inline(0, [0; Words::INLINE])
        } else {
            Words::Heap(Vec::with_capacity(n))
        }
    }

    pub(crate) fn push(&mut self, w: u64) {
        match self {
            Words::Inline(n, a) if (*n as usize) < Words::INLINE => {
                a[*n as usize] = w;
                *n += 1;
            }
            Words::Inline(n, a) => {
                let mut v = a[..*n as usize].to_vec();
                v.push(w);
                *self = Words::Heap(v);
            }
            Words::Heap(v) => v.push(w),
        }
    }
}

impl std::ops::Deref for Words {
    type Target = [u64];
    fn deref(&self) -> &[u64] {
        match self {
            Words::Inline(n, a) => &a[..*n as usize],
            Words::Heap(v) => v,
        }
    }
}

impl<'a> IntoIterator for &'a Words {
    type Item = &'a u64;
    type IntoIter = std::slice::Iter<'a, u64>;
    fn into_iter(self) -> std::slice::Iter<'a, u64> {
        self.iter()
    }
}

impl From<Vec<u64>> for Words {
    fn from(v: Vec<u64>) -> Words {
        let mut w = Words::with_capacity(v.len());
        v.into_iter().for_each(|x| w.push(x));
        w
    }
}

impl fmt::Debug for Words {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A frame of a snapshot: its function, where it resumes, its registers (references as
/// object numbers). The innermost frame resumes *at* `pc` (a call or loop jump, which runs
/// again and uses its unit of fuel then); every other frame just after the call at
/// `pc - 1` that its callee is running.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FrameState {
    pub func: u32,
    pub pc: u32,
    pub regs: Vec<u64>,
}

/// A snapshot read and checked against its module, ready to restore. Its strings are
/// borrowed from the bytes it was read from (`'a`).
pub struct Snapshot<'a> {
    pub(crate) module: VerifiedModule,
    /// The frames are `<init>`'s; `main` runs after them.
    pub(crate) then_main: bool,
    pub(crate) seed: u64,
    pub(crate) fuel_used: u64,
    pub(crate) args: Vec<String>,
    /// Host modules' state (`rand`'s generator), by key.
    pub(crate) host_data: Vec<(String, Vec<u8>)>,
    /// Input read from stdin and not consumed yet.
    pub(crate) stdin: Vec<u8>,
    pub(crate) objects: Vec<Obj<'a>>,
    pub(crate) globals: Vec<u64>,
    /// Functions whose value (`f` as a closure) was made, and that value.
    pub(crate) fn_values: Vec<(u32, u64)>,
    pub(crate) frames: Vec<FrameState>,
}

impl fmt::Debug for Snapshot<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("objects", &self.objects.len())
            .field("frames", &self.frames.len())
            .field("fuel_used", &self.fuel_used)
            .finish_non_exhaustive()
    }
}

impl Snapshot<'_> {
    /// The snapshot owning its strings, no longer borrowed from the bytes it was read from.
    pub fn into_owned(self) -> Snapshot<'static> {
        Snapshot {
            module: self.module,
            then_main: self.then_main,
            seed: self.seed,
            fuel_used: self.fuel_used,
            args: self.args,
            host_data: self.host_data,
            stdin: self.stdin,
            objects: self.objects.into_iter().map(Obj::into_owned).collect(),
            globals: self.globals,
            fn_values: self.fn_values,
            frames: self.frames,
        }
    }

    /// The program's module.
    pub fn module(&self) -> &VerifiedModule {
        &self.module
    }
    /// Fuel the program had used when it was suspended.
    pub fn fuel_used(&self) -> u64 {
        self.fuel_used
    }
    /// The program's arguments (`env.args()`).
    pub fn args(&self) -> &[String] {
        &self.args
    }
    /// The `rand` seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Frames that were running (0: suspended between calls).
    pub fn depth(&self) -> usize {
        self.frames.len()
    }
    /// Objects of its heap.
    pub fn object_count(&self) -> usize {
        self.objects.len()
    }
    /// Whether `main` is still to run after the frames (they are the global initializers').
    pub fn then_main(&self) -> bool {
        self.then_main
    }
    /// Where the program stopped: a stack trace of its frames, innermost first (empty
    /// between calls). The innermost frame is at the call or loop jump it continues with.
    pub fn trace(&self) -> Vec<TraceFrame> {
        let m: &Module = &self.module;
        let last = self.frames.len().saturating_sub(1);
        (self.frames.iter().enumerate().rev())
            .map(|(i, f)| TraceFrame::at(m, f.func, (f.pc as usize).saturating_sub((i != last) as usize)))
            .collect()
    }
    /// Its heap, by kind of object.
    pub fn heap(&self) -> HeapSummary {
        let mut h = HeapSummary::default();
        for o in &self.objects {
            let n = match o {
                Obj::Str(_) => &mut h.strings,
                Obj::Array { .. } => &mut h.arrays,
                Obj::Map { .. } => &mut h.maps,
                Obj::Struct { .. } => &mut h.structs,
                Obj::Closure { .. } => &mut h.closures,
                Obj::Box(_) => &mut h.boxes,
            };
            *n += 1;
            h.bytes = h.bytes.saturating_add(object_bytes(o));
        }
        h
    }
    /// Bytes the program had read from stdin and not consumed (read first on resume).
    pub fn unread_input(&self) -> usize {
        self.stdin.len()
    }
    /// The host modules' saved state (`rand`'s generator): each key and its size in bytes.
    pub fn host_state(&self) -> impl Iterator<Item = (&str, usize)> {
        self.host_data.iter().map(|(k, v)| (k.as_str(), v.len()))
    }
}

/// What a snapshot's heap holds, by kind of object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapSummary {
    pub strings: usize,
    pub arrays: usize,
    pub maps: usize,
    pub structs: usize,
    pub closures: usize,
    pub boxes: usize,
    /// Bytes the heap counts for these objects once they are restored (against
    /// `--max-memory`).
    pub bytes: usize,
}

impl HeapSummary {
    /// Objects of every kind.
    pub fn objects(&self) -> usize {
        self.strings + self.arrays + self.maps + self.structs + self.closures + self.boxes
    }
}

/// Bytes the heap will count for `o` once made.
pub(crate) fn object_bytes(o: &Obj) -> usize {
    match o {
        Obj::Str(s) => size_of::<StrObj>() + s.len(),
        Obj::Array { kind, cap, .. } => size_of::<ArrayObj>() + cap.saturating_mul(kind.elem_size()),
        Obj::Map { cap, .. } => size_of::<MapObj>() + MapObj::heap_size_for(*cap),
        Obj::Struct { fields, .. } => size_of::<StructObj>() + 8 * fields.len(),
        Obj::Closure { captures, .. } => size_of::<ClosureObj>() + 8 * captures.len(),
        Obj::Box(_) => size_of::<BoxObj>(),
    }
}

/// How an array of elements of kind `k` holds them, as a byte (and back).
fn array_kind_byte(k: ArrayKind) -> u8 {
    k as u8
}
fn key_kind_byte(k: KeyKind) -> u8 {
    match k {
        KeyKind::Int => 0,
        KeyKind::Bool => 1,
        KeyKind::Str => 2,
    }
}
