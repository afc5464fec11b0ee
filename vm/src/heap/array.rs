//! Array objects. An array holds its elements in a buffer of one of two widths: 8-byte
//! words (ints, floats, references) or single bytes (bools, 0 or 1), so that a `[bool]` of
//! ten million elements takes 10 MB, as in C, not 80. The header is laid out for native
//! code (`ptr`, `len`, `cap` at fixed offsets, [`ArrayObj::PTR_OFFSET`]); the width is
//! fixed by the array's element type, which native code knows statically. Everything else
//! goes through the methods here, which read and write elements as 64-bit words whatever
//! the width.

use super::{Header, ObjKind};

/// How an array holds its elements: the header's `aux`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ArrayKind {
    /// 8-byte words that are not references (ints, floats).
    Words = 0,
    /// 8-byte words that are references (the collector traces them).
    Refs = 1,
    /// Bytes: bools.
    Bytes = 2,
}

impl ArrayKind {
    /// Bytes per element.
    pub fn elem_size(self) -> usize {
        match self {
            ArrayKind::Bytes => 1,
            _ => 8,
        }
    }
}

/// An array: a header and a growable buffer taken apart from a `Vec<u64>` (or `Vec<u8>`
/// for [`ArrayKind::Bytes`]).
#[repr(C)]
pub struct ArrayObj {
    pub hdr: Header,
    ptr: *mut u8,
    len: usize,
    cap: usize,
}

/// Runs `$body` with `$v` bound to the array's buffer as a `Vec` of its element type, and
/// takes the (possibly new) parts back afterwards.
macro_rules! with_vec {
    ($arr:expr, $v:ident => $body:expr) => {{
        let arr: &mut ArrayObj = $arr;
        if arr.kind() == ArrayKind::Bytes {
            // Safety: the parts are those of a live `Vec<u8>` (a bytes array), which this
            // owns until it gives the parts back below; `&mut` keeps anyone else out.
            let mut $v = std::mem::ManuallyDrop::new(unsafe { Vec::from_raw_parts(arr.ptr, arr.len, arr.cap) });
            let r = $body;
            arr.ptr = $v.as_mut_ptr();
            arr.len = $v.len();
            arr.cap = $v.capacity();
            r
        } else {
            // Safety: as above, of a live `Vec<u64>`.
            let mut $v =
                std::mem::ManuallyDrop::new(unsafe { Vec::from_raw_parts(arr.ptr as *mut u64, arr.len, arr.cap) });
            let r = $body;
            arr.ptr = $v.as_mut_ptr() as *mut u8;
            arr.len = $v.len();
            arr.cap = $v.capacity();
            r
        }
    }};
}

/// An element as its array's buffer stores it.
trait Elem: Copy {
    fn from_word(w: u64) -> Self;
    fn word(self) -> u64;
}
impl Elem for u64 {
    fn from_word(w: u64) -> u64 {
        w
    }
    fn word(self) -> u64 {
        self
    }
}
impl Elem for u8 {
    fn from_word(w: u64) -> u8 {
        (w != 0) as u8
    }
    fn word(self) -> u64 {
        self as u64
    }
}

impl ArrayObj {
    /// Byte offset of the element pointer.
    pub const PTR_OFFSET: usize = std::mem::offset_of!(ArrayObj, ptr);
    /// Byte offset of the length (in elements).
    pub const LEN_OFFSET: usize = std::mem::offset_of!(ArrayObj, len);
    /// Byte offset of the capacity (in elements).
    pub const CAP_OFFSET: usize = std::mem::offset_of!(ArrayObj, cap);

    /// An array of `kind` holding `items` (as words; bools become bytes).
    pub(super) fn new(items: Vec<u64>, kind: ArrayKind) -> ArrayObj {
        let hdr = Header { kind: ObjKind::Array, marked: false, aux: kind as u32 };
        if kind == ArrayKind::Bytes {
            let mut b = std::mem::ManuallyDrop::new(items.iter().map(|&w| u8::from_word(w)).collect::<Vec<u8>>());
            return ArrayObj { hdr, ptr: b.as_mut_ptr(), len: b.len(), cap: b.capacity() };
        }
        let mut w = std::mem::ManuallyDrop::new(items);
        ArrayObj { hdr, ptr: w.as_mut_ptr() as *mut u8, len: w.len(), cap: w.capacity() }
    }

    /// An array of `kind` with room for exactly `cap` elements, holding `items`; `None` if
    /// the allocator has no room.
    pub(super) fn with_capacity(kind: ArrayKind, cap: usize, items: &[u64]) -> Option<ArrayObj> {
        let hdr = Header { kind: ObjKind::Array, marked: false, aux: kind as u32 };
        if kind == ArrayKind::Bytes {
            let mut b: Vec<u8> = Vec::new();
            b.try_reserve_exact(cap).ok()?;
            b.extend(items.iter().map(|&w| u8::from_word(w)));
            let mut b = std::mem::ManuallyDrop::new(b);
            return Some(ArrayObj { hdr, ptr: b.as_mut_ptr(), len: b.len(), cap: b.capacity() });
        }
        let mut w: Vec<u64> = Vec::new();
        w.try_reserve_exact(cap).ok()?;
        w.extend_from_slice(items);
        let mut w = std::mem::ManuallyDrop::new(w);
        Some(ArrayObj { hdr, ptr: w.as_mut_ptr() as *mut u8, len: w.len(), cap: w.capacity() })
    }

    /// An array of `kind` of `n` copies of `v`; `None` if the allocator has no room.
    pub(super) fn filled(kind: ArrayKind, n: usize, v: u64) -> Option<ArrayObj> {
        let hdr = Header { kind: ObjKind::Array, marked: false, aux: kind as u32 };
        if kind == ArrayKind::Bytes {
            let mut b: Vec<u8> = Vec::new();
            b.try_reserve_exact(n).ok()?;
            b.resize(n, u8::from_word(v));
            let mut b = std::mem::ManuallyDrop::new(b);
            return Some(ArrayObj { hdr, ptr: b.as_mut_ptr(), len: b.len(), cap: b.capacity() });
        }
        let mut w: Vec<u64> = Vec::new();
        w.try_reserve_exact(n).ok()?;
        w.resize(n, v);
        let mut w = std::mem::ManuallyDrop::new(w);
        Some(ArrayObj { hdr, ptr: w.as_mut_ptr() as *mut u8, len: w.len(), cap: w.capacity() })
    }

    /// How the elements are held.
    #[inline(always)]
    pub fn kind(&self) -> ArrayKind {
        match self.hdr.aux {
            1 => ArrayKind::Refs,
            2 => ArrayKind::Bytes,
            _ => ArrayKind::Words,
        }
    }
    /// Whether the elements are references.
    pub fn elem_is_ref(&self) -> bool {
        self.kind() == ArrayKind::Refs
    }
    /// The number of elements.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// How many elements fit before the buffer must grow.
    #[inline(always)]
    pub fn capacity(&self) -> usize {
        self.cap
    }
    /// Bytes the buffer takes.
    pub fn buffer_bytes(&self) -> usize {
        self.cap * self.kind().elem_size()
    }

    /// Element `i` as a word, if it exists.
    #[inline(always)]
    pub fn get(&self, i: usize) -> Option<u64> {
        if i >= self.len {
            return None;
        }
        // Safety: `i < len`, and `ptr[..len]` are initialized elements of the width the
        // kind says.
        unsafe {
            Some(if self.hdr.aux == ArrayKind::Bytes as u32 {
                *self.ptr.add(i) as u64
            } else {
                *(self.ptr as *const u64).add(i)
            })
        }
    }

    /// Sets element `i` (a word: a bool array stores `v != 0`); false if it does not exist.
    #[inline(always)]
    pub fn set(&mut self, i: usize, v: u64) -> bool {
        if i >= self.len {
            return false;
        }
        // Safety: as in `get`; `&mut self` makes the write unique.
        unsafe {
            if self.hdr.aux == ArrayKind::Bytes as u32 {
                *self.ptr.add(i) = u8::from_word(v);
            } else {
                *(self.ptr as *mut u64).add(i) = v;
            }
        }
        true
    }

    /// The elements, if they are words (not bytes).
    pub fn words(&self) -> Option<&[u64]> {
        if self.kind() == ArrayKind::Bytes {
            return None;
        }
        // Safety: a words array's `ptr[..len]` are initialized words.
        Some(unsafe { std::slice::from_raw_parts(self.ptr as *const u64, self.len) })
    }
    /// The elements, to change in place, if they are words.
    pub fn words_mut(&mut self) -> Option<&mut [u64]> {
        if self.kind() == ArrayKind::Bytes {
            return None;
        }
        // Safety: as in `words`; `&mut self` makes the access unique.
        Some(unsafe { std::slice::from_raw_parts_mut(self.ptr as *mut u64, self.len) })
    }
    /// The elements as words, in order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.len).map(|i| self.get(i).unwrap_or(0))
    }
    /// Elements `r` as words.
    pub fn to_vec(&self, r: std::ops::Range<usize>) -> Vec<u64> {
        if let Some(w) = self.words() {
            return w[r].to_vec();
        }
        let mut v = Vec::with_capacity(r.len());
        v.extend(r.filter_map(|i| self.get(i)));
        v
    }

    /// Makes room for `extra` more elements; the bytes the buffer grew by, or `None` if the
    /// allocator refused (nothing changed).
    pub fn try_reserve(&mut self, extra: usize) -> Option<usize> {
        let before = self.buffer_bytes();
        with_vec!(self, v => v.try_reserve(extra)).ok()?;
        Some(self.buffer_bytes() - before)
    }
    /// Appends `x` (the buffer grows if it must: reserve first to keep the memory limit).
    pub fn push(&mut self, x: u64) {
        with_vec!(self, v => v.push(Elem::from_word(x)))
    }
    /// Removes and returns the last element.
    pub fn pop(&mut self) -> Option<u64> {
        with_vec!(self, v => v.pop().map(Elem::word))
    }
    /// Inserts `x` at `i <= len`.
    pub fn insert(&mut self, i: usize, x: u64) {
        with_vec!(self, v => v.insert(i, Elem::from_word(x)))
    }
    /// Removes and returns element `i < len`.
    pub fn remove(&mut self, i: usize) -> u64 {
        with_vec!(self, v => v.remove(i).word())
    }
    /// Removes every element.
    pub fn clear(&mut self) {
        with_vec!(self, v => v.clear())
    }
    /// Reverses the elements in place.
    pub fn reverse(&mut self) {
        with_vec!(self, v => v.reverse())
    }
    /// Replaces the elements with `items` (as many as there were, in another order).
    pub fn replace_all(&mut self, items: &[u64]) {
        with_vec!(self, v => {
            v.clear();
            for &w in items {
                v.push(Elem::from_word(w));
            }
        })
    }

    /// Frees the buffer.
    ///
    /// # Safety
    /// Nothing uses the array again.
    pub(super) unsafe fn free_buffer(&mut self) {
        if self.kind() == ArrayKind::Bytes {
            // Safety: the parts of a live `Vec<u8>`, given up for good.
            drop(unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) });
        } else {
            // Safety: the parts of a live `Vec<u64>`, given up for good.
            drop(unsafe { Vec::from_raw_parts(self.ptr as *mut u64, self.len, self.cap) });
        }
    }
}
