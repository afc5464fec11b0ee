//! Map objects: insertion-ordered hash maps keyed by int, bool or string content.

use super::{Header, ObjKind, StrObj};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::hash::{Hash, Hasher};

/// The key kinds a map can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Int,
    Bool,
    Str,
}

/// A map key. String keys point at a live string object and hash and compare by content.
#[derive(Clone, Copy, Debug)]
pub enum MapKey {
    Int(i64),
    Bool(bool),
    Str(*const StrObj),
}

impl MapKey {
    /// A key from a register value of the map's key kind.
    #[inline]
    pub fn from_raw(kind: KeyKind, v: u64) -> MapKey {
        match kind {
            KeyKind::Int => MapKey::Int(v as i64),
            KeyKind::Bool => MapKey::Bool(v != 0),
            KeyKind::Str => MapKey::Str(v as *const StrObj),
        }
    }
    /// The register value of the key.
    #[inline]
    pub fn raw(&self) -> u64 {
        match *self {
            MapKey::Int(i) => i as u64,
            MapKey::Bool(b) => b as u64,
            MapKey::Str(p) => p as u64,
        }
    }
}

// Safety (string keys, below): a string key always points at a live string object: the
// map keeps it alive (keys are traced), and lookup keys are live for the lookup.

impl PartialEq for MapKey {
    fn eq(&self, other: &MapKey) -> bool {
        match (self, other) {
            (MapKey::Int(a), MapKey::Int(b)) => a == b,
            (MapKey::Bool(a), MapKey::Bool(b)) => a == b,
            // Safety: see above.
            (MapKey::Str(a), MapKey::Str(b)) => unsafe { StrObj::same_text(*a, *b) },
            _ => false,
        }
    }
}

impl Eq for MapKey {}

impl Hash for MapKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            MapKey::Int(i) => i.hash(state),
            MapKey::Bool(b) => b.hash(state),
            // By content: the hash a short string keeps, or that of a longer one's bytes.
            // Safety: see above.
            MapKey::Str(p) => state.write_u32(unsafe { StrObj::hash(*p) }),
        }
    }
}

#[repr(C)]
pub struct MapObj {
    pub hdr: Header,
    pub key_kind: KeyKind,
    pub val_is_ref: bool,
    /// How an array of the values holds them (`values()`).
    pub vals: super::ArrayKind,
    pub map: IndexMap<MapKey, u64, FxBuildHasher>,
}

impl MapObj {
    pub fn new(key_kind: KeyKind, vals: super::ArrayKind) -> MapObj {
        let val_is_ref = vals == super::ArrayKind::Refs;
        MapObj {
            hdr: Header::new(ObjKind::Map, 0),
            key_kind,
            val_is_ref,
            vals,
            map: IndexMap::with_hasher(FxBuildHasher),
        }
    }
    /// How an array of the keys holds them (`keys()`).
    pub fn keys_kind(&self) -> super::ArrayKind {
        match self.key_kind {
            KeyKind::Int => super::ArrayKind::Words,
            KeyKind::Bool => super::ArrayKind::Bytes,
            KeyKind::Str => super::ArrayKind::Refs,
        }
    }
    pub fn key_is_ref(&self) -> bool {
        self.key_kind == KeyKind::Str
    }
    /// Bytes held outside the object itself (estimate).
    pub fn heap_size(&self) -> usize {
        Self::heap_size_for(self.map.capacity())
    }
    /// Bytes held outside the object by a map with room for `cap` entries (estimate).
    pub fn heap_size_for(cap: usize) -> usize {
        cap.saturating_mul(std::mem::size_of::<MapKey>() + 8 + 16)
    }
    #[inline]
    pub fn key(&self, v: u64) -> MapKey {
        MapKey::from_raw(self.key_kind, v)
    }
}

/// The key kind of a map whose key type is `t` (int, bool or str; the verifier rejects others).
pub fn key_kind_of(t: &crate::bytecode::Type) -> KeyKind {
    match t {
        crate::bytecode::Type::Bool => KeyKind::Bool,
        crate::bytecode::Type::Str => KeyKind::Str,
        _ => KeyKind::Int,
    }
}
