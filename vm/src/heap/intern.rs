//! Interning of short strings. Making a string of at most [`MAX_INTERNED`] bytes first
//! looks for a live one with the same bytes, so `split` of a text with a small vocabulary,
//! or building the same key or word again and again, allocates one object per distinct
//! text (as Lua does for its short strings). Equality, hashing and order stay by content:
//! nothing observable depends on which object holds the bytes.
//!
//! The table (`ShortStrings`) holds every live short string, by the hash of its bytes.
//! It is weak: it does not keep a string alive. After marking and before the sweep, the
//! collector takes every unmarked string out (`ShortStrings::forget_unmarked`), so the
//! table never points at a freed object, and then shrinks it to what survived. Its bytes
//! count as heap bytes (against `--max-memory`): each growth when it happens, and the
//! whole table after each collection. A short string keeps the hash of its bytes
//! ([`str_hash`]) in its header's `aux`, so neither the table nor a map hashes its bytes
//! again, and two short strings with different hashes are unequal without reading them.
//! When there is no room to grow the table, the string is made without being interned:
//! two equal strings may then be two objects, which only costs memory.

use super::StrObj;
use hashbrown::HashTable;
use std::hash::Hasher;

/// The longest string that is shared, in bytes (Lua interns up to 40 too). Longer strings
/// are rarely equal to one another, and comparing or hashing them costs more.
pub const MAX_INTERNED: usize = 40;

/// The hash of a string's bytes: what a map hashes a string key by, whether the string is
/// short (and has it in its header) or not.
#[inline]
pub fn str_hash(bytes: &[u8]) -> u32 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(bytes);
    let h = h.finish();
    (h ^ (h >> 32)) as u32
}

/// Whether two strings of at most [`MAX_INTERNED`] bytes are equal: a few word compares
/// (overlapping at the ends) rather than a call to `memcmp`.
#[inline]
fn short_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let half = |s: &[u8], i: usize| u32::from_le_bytes(s[i..i + 4].try_into().expect("4 bytes"));
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => {
            let mut i = 0;
            while i + 8 < n {
                if word(a, i) != word(b, i) {
                    return false;
                }
                i += 8;
            }
            word(a, n - 8) == word(b, n - 8)
        }
    }
}

/// The table's hash of a string whose byte hash is `hash`: spread over 64 bits, since
/// the table takes its control tags from the high bits.
#[inline]
fn table_hash(hash: u32) -> u64 {
    (hash as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The table's hash of a string in it.
///
/// # Safety
/// `p` points to a live short string (its `aux` holds its hash).
#[inline]
unsafe fn rehash(p: *mut StrObj) -> u64 {
    // Safety: the caller's promise.
    table_hash(unsafe { (*p).hdr.aux })
}

/// Every live short string, by the hash of its bytes (weak: see the module comment).
pub(crate) struct ShortStrings {
    table: HashTable<*mut StrObj>,
}

impl ShortStrings {
    pub fn new() -> ShortStrings {
        ShortStrings { table: HashTable::new() }
    }

    /// Bytes of the table.
    pub fn table_bytes(&self) -> usize {
        self.table.allocation_size()
    }

    /// The interned string holding `bytes` (whose hash is `hash`), if there is one.
    #[inline]
    pub fn find(&self, bytes: &[u8], hash: u32) -> Option<u64> {
        self.table
            .find(table_hash(hash), |&p| {
                // Safety: the table holds only live short strings: the collector takes a
                // string out before freeing it.
                unsafe { (*p).hdr.aux == hash && short_eq(StrObj::bytes(p), bytes) }
            })
            .map(|&p| p as u64)
    }

    /// Interns `p`, a short string just made whose hash is `hash` and whose text is not
    /// in the table. Returns the bytes the table grew by (0 when it had no room to grow:
    /// `p` then stays out of it).
    #[inline]
    pub fn remember(&mut self, p: *mut StrObj, hash: u32) -> usize {
        let before = self.table_bytes();
        // Safety (`rehash`): every string in the table is live.
        if self.table.try_reserve(1, |&q| unsafe { rehash(q) }).is_err() {
            return 0;
        }
        // Safety: as above.
        self.table.insert_unique(table_hash(hash), p, |&q| unsafe { rehash(q) });
        self.table_bytes() - before
    }

    /// At most the bytes the table grows by when `more` strings are added: its buckets
    /// are a power of two at least 8/7 of its entries, each a pointer and a control byte,
    /// plus a group of control bytes.
    pub fn growth_bound(&self, more: usize) -> usize {
        if more == 0 {
            return 0;
        }
        let entries = self.table.len().saturating_add(more);
        let buckets =
            (entries.saturating_mul(8) / 7).saturating_add(1).checked_next_power_of_two().unwrap_or(usize::MAX);
        buckets.saturating_mul(9).saturating_add(16).saturating_sub(self.table_bytes())
    }

    /// After marking, before the heap's objects are swept: takes out every string about
    /// to be freed (unmarked), then shrinks the table to twice what is left (at least).
    pub fn forget_unmarked(&mut self) {
        // Safety: the table holds only live objects (see `find`); marks are current.
        self.table.retain(|&mut p| unsafe { (*p).hdr.marked });
        let keep = self.table.len().saturating_mul(2);
        if self.table.capacity() > keep.saturating_mul(2) {
            // Safety (`rehash`): every string left is marked, so live.
            self.table.shrink_to(keep, |&q| unsafe { rehash(q) });
        }
    }
}
