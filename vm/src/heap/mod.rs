//! The garbage-collected heap: object layouts and a precise, non-moving mark-sweep
//! collector. A reference is a `u64` holding the address of an object's [`Header`]
//! (0 is nil). Roots are given by the caller at each collection (typed frame registers,
//! globals, constants, temporary roots), so the collector never guesses.
//!
//! Collections happen only when the interpreter asks, at instruction boundaries where
//! every live reference is in a root; allocation itself never collects.

mod array;
pub mod intern;
pub mod map;

pub use array::{ArrayKind, ArrayObj};
pub use intern::{str_hash, MAX_INTERNED};
pub use map::{KeyKind, MapKey, MapObj};

use intern::ShortStrings;

use std::alloc::{self, Layout};
use std::ptr;

/// What an object is. Stored in its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ObjKind {
    Str,
    Array,
    Map,
    Struct,
    Closure,
    Box,
}

/// The first word of every object.
#[repr(C)]
pub struct Header {
    pub kind: ObjKind,
    pub(crate) marked: bool,
    /// Arrays: 1 if elements are references. Structs: the struct index.
    /// Closures: the function index. Strings of at most [`MAX_INTERNED`] bytes: the hash
    /// of their bytes ([`str_hash`]).
    pub aux: u32,
}

impl Header {
    /// The header of a new object: unmarked.
    #[inline]
    pub fn new(kind: ObjKind, aux: u32) -> Header {
        Header { kind, marked: false, aux }
    }
}

/// A string: its length and its bytes in one allocation. A string of at most
/// [`MAX_INTERNED`] bytes is *short*: its `aux` holds [`str_hash`] of its bytes, and it
/// is made only when no live one holds the same bytes (`intern.rs`).
#[repr(C)]
pub struct StrObj {
    pub hdr: Header,
    len: usize,
    // Followed by `len` bytes of UTF-8 in the same allocation.
}

impl StrObj {
    /// Byte offset of the length (in bytes) in a string object.
    pub const LEN_OFFSET: usize = std::mem::offset_of!(StrObj, len);

    fn layout(len: usize) -> Layout {
        Layout::from_size_align(std::mem::size_of::<StrObj>() + len, 8).expect("string layout")
    }

    /// The text of the string object at `p`.
    ///
    /// # Safety
    /// `p` points to a live string object.
    #[inline(always)]
    pub unsafe fn text<'a>(p: *const StrObj) -> &'a str {
        // Safety: the object was made by `Heap::alloc_str` or the interner, whose bytes
        // after the header are `len` bytes copied from UTF-8 text.
        unsafe { std::str::from_utf8_unchecked(Self::bytes(p)) }
    }

    /// The bytes of the string object at `p`.
    ///
    /// # Safety
    /// `p` points to a live string object.
    #[inline(always)]
    pub unsafe fn bytes<'a>(p: *const StrObj) -> &'a [u8] {
        // Safety: the bytes follow the header in the same allocation (see `text`).
        unsafe { std::slice::from_raw_parts(p.add(1) as *const u8, (*p).len) }
    }

    /// The hash of the string's bytes, as [`str_hash`] gives it: kept in the header of a
    /// short string, computed for a longer one.
    ///
    /// # Safety
    /// `p` points to a live string object.
    #[inline(always)]
    pub unsafe fn hash(p: *const StrObj) -> u32 {
        // Safety: the caller's promise; every string this short has its hash in `aux`.
        unsafe {
            if (*p).len <= MAX_INTERNED {
                (*p).hdr.aux
            } else {
                str_hash(Self::bytes(p))
            }
        }
    }

    /// Whether two string objects hold the same bytes (short ones compare their hashes
    /// first).
    ///
    /// # Safety
    /// `x` and `y` point to live string objects.
    #[inline(always)]
    pub unsafe fn same_text(x: *const StrObj, y: *const StrObj) -> bool {
        // Safety: the caller's promise.
        unsafe {
            x == y
                || ((*x).len == (*y).len
                    && ((*x).len > MAX_INTERNED || (*x).hdr.aux == (*y).hdr.aux)
                    && Self::bytes(x) == Self::bytes(y))
        }
    }
}

#[repr(C)]
pub struct StructObj {
    pub hdr: Header,
    pub len: u32,
    _pad: u32,
    // Followed by `len` u64 fields.
}

impl StructObj {
    /// The address of field `i`.
    ///
    /// # Safety
    /// `p` points to a live struct object with at least `i + 1` fields.
    #[inline(always)]
    pub unsafe fn field(p: *mut StructObj, i: usize) -> *mut u64 {
        // Safety: the fields follow the header inside the same allocation.
        unsafe { (p.add(1) as *mut u64).add(i) }
    }
}

#[repr(C)]
pub struct ClosureObj {
    pub hdr: Header,
    pub captures: Box<[u64]>,
}

#[repr(C)]
pub struct BoxObj {
    pub hdr: Header,
    pub value: u64,
}

/// Reads a string object's text.
///
/// # Safety
/// `r` is a live, non-nil reference to a string object.
#[inline(always)]
pub unsafe fn str_of<'a>(r: u64) -> &'a str {
    // Safety: guaranteed by the caller.
    unsafe { StrObj::text(r as *const StrObj) }
}

/// The array object `r` refers to.
///
/// # Safety
/// `r` is a live, non-nil reference to an array object, and no other reference to its
/// item vector is alive.
#[inline(always)]
pub unsafe fn array_of<'a>(r: u64) -> &'a mut ArrayObj {
    // Safety: guaranteed by the caller.
    unsafe { &mut *(r as *mut ArrayObj) }
}

/// The map object `r` refers to.
///
/// # Safety
/// `r` is a live, non-nil reference to a map object.
#[inline(always)]
pub unsafe fn map_of<'a>(r: u64) -> &'a mut MapObj {
    // Safety: guaranteed by the caller.
    unsafe { &mut *(r as *mut MapObj) }
}

/// Which fields of each struct, and which captures of each function, hold references.
#[derive(Default, Clone)]
pub struct Layouts {
    pub struct_refs: Vec<Vec<u32>>,
    pub closure_refs: Vec<Vec<u32>>,
}

/// Counters reported by `--stats`.
#[derive(Default, Clone, Copy, Debug)]
pub struct HeapStats {
    pub collections: u64,
    pub peak_bytes: usize,
    pub allocated_bytes: u64,
}

pub struct Heap {
    objects: Vec<*mut Header>,
    /// Every live short string (weak: see `intern.rs`).
    strings: ShortStrings,
    /// Estimated bytes of all objects alive or not yet collected.
    pub bytes: usize,
    /// Bytes of the VM's own buffers that grow with the program (the register stack and
    /// frames, the collector's mark stack): they count against the limit like objects, but
    /// a collection does not free them.
    pub vm_bytes: usize,
    /// Collect when `bytes` goes past this. Never above `limit`.
    pub threshold: usize,
    /// The memory limit: past it, after a collection, the program traps with
    /// `out of memory` (`usize::MAX`: no limit).
    limit: usize,
    pub(crate) layouts: Layouts,
    mark_stack: Vec<*mut Header>,
    /// Bytes of the mark stack already counted in `vm_bytes`.
    mark_bytes: usize,
    pub stats: HeapStats,
}

// Safety: the heap owns every object it points to; nothing is shared with other heaps,
// so moving a heap (with its store) to another thread is sound.
unsafe impl Send for Heap {}

/// The first collection, and the least the heap grows to before one: small, since a
/// collection of a small heap is cheap (marking costs what is live, sweeping what was
/// made, whenever it happens).
const MIN_THRESHOLD: usize = 1 << 20;

/// How much a heap of live data grows before the next collection, at least: as much
/// again up to this size, then this much until half the live data is more.
const GROWTH_STEP: usize = 16 << 20;

/// The largest single string, array or other buffer a program may make, with or without
/// a memory limit: larger requests trap with `out of memory` before any memory is
/// touched. (Without it, a request the allocator grants lazily, as mimalloc does for
/// terabytes, would be filled until the operating system kills the process.)
pub const MAX_OBJECT_BYTES: usize = 1 << 32;

impl Heap {
    pub fn new(layouts: Layouts) -> Heap {
        Heap {
            objects: Vec::new(),
            strings: ShortStrings::new(),
            bytes: 0,
            vm_bytes: 0,
            threshold: MIN_THRESHOLD,
            limit: usize::MAX,
            layouts,
            mark_stack: Vec::new(),
            mark_bytes: 0,
            stats: HeapStats::default(),
        }
    }

    /// The memory limit in bytes (`usize::MAX`: none).
    #[inline]
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Sets the memory limit; collections then start no later than at the limit.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        self.threshold = self.threshold.max(MIN_THRESHOLD).min(limit);
    }

    /// Bytes in use: objects and the VM's own buffers.
    #[inline]
    pub fn used(&self) -> usize {
        self.bytes.saturating_add(self.vm_bytes)
    }

    /// Bytes one allocation may still take: what the limit leaves, and never more than
    /// [`MAX_OBJECT_BYTES`].
    #[inline]
    pub fn room(&self) -> usize {
        self.limit.saturating_sub(self.used()).min(MAX_OBJECT_BYTES)
    }

    /// Records `size` more bytes of the VM's own buffers (see [`Heap::vm_bytes`]).
    pub fn account_vm(&mut self, size: usize) {
        self.vm_bytes = self.vm_bytes.saturating_add(size);
        self.stats.peak_bytes = self.stats.peak_bytes.max(self.used());
    }

    /// Whether an allocation of `more` bytes fits under the limit.
    #[inline]
    pub fn fits(&self, more: usize) -> bool {
        more <= self.room()
    }

    /// True when the next safepoint should collect.
    #[inline(always)]
    pub fn should_collect(&self) -> bool {
        self.used() > self.threshold
    }

    fn track(&mut self, hdr: *mut Header, size: usize) -> u64 {
        self.objects.push(hdr);
        self.account(size);
        hdr as u64
    }

    /// Records `size` more bytes in use (an object grew).
    #[inline]
    pub fn account(&mut self, size: usize) {
        self.bytes = self.bytes.saturating_add(size);
        self.stats.allocated_bytes += size as u64;
        if self.used() > self.stats.peak_bytes {
            self.stats.peak_bytes = self.used();
        }
    }

    /// A string object holding a copy of `parts`, joined: the bytes live in the object's
    /// own allocation (one allocation per string); a short string may be one already made
    /// (see `Heap::intern`). `None` if the allocator has no room.
    pub fn try_alloc_str_parts(&mut self, parts: &[&str]) -> Option<u64> {
        let len = parts.iter().try_fold(0usize, |n, p| n.checked_add(p.len()))?;
        if let [one] = parts {
            if len <= MAX_INTERNED {
                // Safety: a whole UTF-8 string.
                return unsafe { self.intern(one.as_bytes()) };
            }
        } else if len <= MAX_INTERNED {
            let mut buf = [0u8; MAX_INTERNED];
            let mut at = 0;
            for part in parts {
                buf[at..at + part.len()].copy_from_slice(part.as_bytes());
                at += part.len();
            }
            // Safety: whole UTF-8 strings one after another.
            return unsafe { self.intern(&buf[..len]) };
        }
        let layout = Layout::from_size_align(std::mem::size_of::<StrObj>().checked_add(len)?, 8).ok()?;
        // Safety: the layout has a non-zero size (the header).
        let p = unsafe { alloc::alloc(layout) } as *mut StrObj;
        if p.is_null() {
            return None;
        }
        // Safety: `p` is a fresh allocation of the header plus `len` bytes; the parts are
        // copied one after another into exactly those bytes.
        unsafe {
            ptr::write(p, StrObj { hdr: Header::new(ObjKind::Str, 0), len });
            let mut at = p.add(1) as *mut u8;
            for part in parts {
                ptr::copy_nonoverlapping(part.as_ptr(), at, part.len());
                at = at.add(part.len());
            }
        }
        Some(self.track(p as *mut Header, layout.size()))
    }

    /// The heap bytes that making a string of each of `parts` would add: nothing for a
    /// short part whose text is interned or came earlier in `parts`, the object otherwise,
    /// and at most what the table of short strings grows by. An upper bound that is exact
    /// for the objects.
    pub fn new_strings_size<'a>(&self, parts: impl Iterator<Item = &'a str>) -> usize {
        let mut seen = rustc_hash::FxHashSet::default();
        let mut bytes = 0usize;
        let mut new_short = 0usize;
        for p in parts {
            let len = p.len();
            if len <= MAX_INTERNED {
                if self.strings.find(p.as_bytes(), str_hash(p.as_bytes())).is_some() || !seen.insert(p) {
                    continue;
                }
                new_short += 1;
            }
            bytes = bytes.saturating_add(StrObj::layout(len).size());
        }
        bytes.saturating_add(self.strings.growth_bound(new_short))
    }

    /// A string holding `bytes` (at most [`MAX_INTERNED`]): the live one that holds them,
    /// or a new one, interned. `None` if the allocator has no room.
    ///
    /// # Safety
    /// `bytes` are valid UTF-8.
    unsafe fn intern(&mut self, bytes: &[u8]) -> Option<u64> {
        let hash = str_hash(bytes);
        if let Some(r) = self.strings.find(bytes, hash) {
            return Some(r);
        }
        let layout = StrObj::layout(bytes.len());
        // Safety: the layout has a non-zero size (the header).
        let p = unsafe { alloc::alloc(layout) } as *mut StrObj;
        if p.is_null() {
            return None;
        }
        // Safety: `p` is a fresh allocation of the header plus `bytes.len()` bytes.
        unsafe {
            ptr::write(p, StrObj { hdr: Header::new(ObjKind::Str, hash), len: bytes.len() });
            ptr::copy_nonoverlapping(bytes.as_ptr(), p.add(1) as *mut u8, bytes.len());
        }
        let grown = self.strings.remember(p, hash);
        Some(self.track(p as *mut Header, layout.size() + grown))
    }

    /// A string object of `len` bytes that `fill` writes in place (the bytes start
    /// zeroed). `None` if the allocator has no room.
    ///
    /// # Safety
    /// `fill` leaves the bytes valid UTF-8.
    pub unsafe fn try_alloc_str_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> Option<u64> {
        if len <= MAX_INTERNED {
            let mut buf = [0u8; MAX_INTERNED];
            fill(&mut buf[..len]);
            // Safety: `fill` left the bytes UTF-8 (the caller's promise).
            return unsafe { self.intern(&buf[..len]) };
        }
        let layout = Layout::from_size_align(std::mem::size_of::<StrObj>().checked_add(len)?, 8).ok()?;
        // Safety: the layout has a non-zero size (the header).
        let p = unsafe { alloc::alloc_zeroed(layout) } as *mut StrObj;
        if p.is_null() {
            return None;
        }
        // Safety: `p` is a fresh, zeroed allocation of the header plus `len` bytes; `fill`
        // writes only those bytes and leaves them UTF-8 (the caller's promise).
        unsafe {
            ptr::write(p, StrObj { hdr: Header::new(ObjKind::Str, 0), len });
            fill(std::slice::from_raw_parts_mut(p.add(1) as *mut u8, len));
        }
        Some(self.track(p as *mut Header, layout.size()))
    }

    /// Like [`Heap::try_alloc_str_parts`], for strings small enough that failing to
    /// allocate them is the process running out of memory.
    pub fn alloc_str_parts(&mut self, parts: &[&str]) -> u64 {
        match self.try_alloc_str_parts(parts) {
            Some(r) => r,
            None => alloc::handle_alloc_error(StrObj::layout(parts.iter().map(|p| p.len()).sum())),
        }
    }

    /// A string object holding a copy of `s`.
    pub fn alloc_str(&mut self, s: &str) -> u64 {
        self.alloc_str_parts(&[s])
    }

    /// A string object holding a copy of `s`.
    pub fn alloc_string(&mut self, s: String) -> u64 {
        self.alloc_str(&s)
    }

    /// An array of `kind` holding `items` (words; a bytes array narrows them).
    pub fn alloc_array(&mut self, items: Vec<u64>, kind: ArrayKind) -> u64 {
        let arr = ArrayObj::new(items, kind);
        let size = std::mem::size_of::<ArrayObj>() + arr.buffer_bytes();
        let p = Box::into_raw(Box::new(arr));
        self.track(p as *mut Header, size)
    }

    /// An array of `kind` with room for exactly `cap` elements, holding `items` (as
    /// words; bools become bytes); `None` if the allocator has no room.
    pub fn try_alloc_array_with_capacity(&mut self, kind: ArrayKind, cap: usize, items: &[u64]) -> Option<u64> {
        let arr = ArrayObj::with_capacity(kind, cap.max(items.len()), items)?;
        let size = std::mem::size_of::<ArrayObj>() + arr.buffer_bytes();
        let p = Box::into_raw(Box::new(arr));
        Some(self.track(p as *mut Header, size))
    }

    /// An array of `kind` of `n` copies of `v`; `None` if the allocator has no room.
    pub fn try_alloc_array_filled(&mut self, kind: ArrayKind, n: usize, v: u64) -> Option<u64> {
        let arr = ArrayObj::filled(kind, n, v)?;
        let size = std::mem::size_of::<ArrayObj>() + arr.buffer_bytes();
        let p = Box::into_raw(Box::new(arr));
        Some(self.track(p as *mut Header, size))
    }

    pub fn alloc_map(&mut self, m: MapObj) -> u64 {
        let size = std::mem::size_of::<MapObj>() + m.heap_size();
        let p = Box::into_raw(Box::new(m));
        // Safety: `p` was just allocated and is valid.
        unsafe { (*p).hdr = Header::new(ObjKind::Map, 0) };
        self.track(p as *mut Header, size)
    }

    fn struct_layout(n: usize) -> Layout {
        let size = std::mem::size_of::<StructObj>() + 8 * n;
        Layout::from_size_align(size, 8).expect("struct layout")
    }

    /// A struct object with the given fields.
    pub fn alloc_struct(&mut self, sid: u32, fields: &[u64]) -> u64 {
        let layout = Self::struct_layout(fields.len());
        // Safety: the layout has a non-zero size (the header).
        let p = unsafe { alloc::alloc(layout) } as *mut StructObj;
        if p.is_null() {
            alloc::handle_alloc_error(layout);
        }
        // Safety: `p` is a fresh allocation large enough for the header and the fields.
        unsafe {
            ptr::write(p, StructObj { hdr: Header::new(ObjKind::Struct, sid), len: fields.len() as u32, _pad: 0 });
            ptr::copy_nonoverlapping(fields.as_ptr(), StructObj::field(p, 0), fields.len());
        }
        self.track(p as *mut Header, layout.size())
    }

    pub fn alloc_closure(&mut self, func: u32, captures: Box<[u64]>) -> u64 {
        let size = std::mem::size_of::<ClosureObj>() + captures.len() * 8;
        let p = Box::into_raw(Box::new(ClosureObj { hdr: Header::new(ObjKind::Closure, func), captures }));
        self.track(p as *mut Header, size)
    }

    pub fn alloc_box(&mut self, value: u64) -> u64 {
        let p = Box::into_raw(Box::new(BoxObj { hdr: Header::new(ObjKind::Box, 0), value }));
        self.track(p as *mut Header, std::mem::size_of::<BoxObj>())
    }

    /// Marks from `roots` and frees everything unreachable. Each root is a reference or 0.
    pub fn collect(&mut self, roots: impl Iterator<Item = u64>) {
        for r in roots {
            self.mark_root(r);
        }
        self.drain_marks();
        self.strings.forget_unmarked();
        self.sweep();
        self.bytes += self.strings.table_bytes();
        // The mark stack holds at most one word per object that holds references; what it
        // grew to is VM memory from now on.
        let mark_bytes = self.mark_stack.capacity() * 8;
        if mark_bytes > self.mark_bytes {
            self.vm_bytes = self.vm_bytes.saturating_add(mark_bytes - self.mark_bytes);
            self.mark_bytes = mark_bytes;
        }
        self.stats.collections += 1;
        self.set_threshold_from_live();
    }

    /// Sets when the next collection comes, taking everything in use now as live data (as
    /// after a collection, or a heap just restored from a snapshot): once as much again is
    /// in use while the heap is small (up to [`GROWTH_STEP`]), then once it has grown by
    /// that step or by half, whichever is more: a large heap keeps less garbage than it has
    /// live data.
    pub(crate) fn set_threshold_from_live(&mut self) {
        let used = self.used();
        let growth = (used / 2).max(used.min(GROWTH_STEP));
        self.threshold = used.saturating_add(growth).max(MIN_THRESHOLD).min(self.limit);
    }

    #[inline]
    fn mark_root(&mut self, r: u64) {
        mark(&mut self.mark_stack, r);
    }

    fn drain_marks(&mut self) {
        while let Some(h) = self.mark_stack.pop() {
            let stack = &mut self.mark_stack;
            // Safety: only live objects are pushed.
            unsafe { trace_edges(&self.layouts, h, |r| mark(stack, r)) };
        }
    }

    /// Calls `f` with every reference object `h` holds (see [`trace_edges`]).
    ///
    /// # Safety
    /// `h` is a live object of this heap.
    pub unsafe fn trace(&self, h: *const Header, f: impl FnMut(u64)) {
        // Safety: the caller's promise.
        unsafe { trace_edges(&self.layouts, h, f) }
    }

    fn sweep(&mut self) {
        let mut live = 0usize;
        let mut kept = 0;
        for i in 0..self.objects.len() {
            let h = self.objects[i];
            // Safety: `objects` holds exactly the live allocations of this heap.
            unsafe {
                if (*h).marked {
                    (*h).marked = false;
                    live += object_size(h);
                    self.objects[kept] = h;
                    kept += 1;
                } else {
                    free_object(h);
                }
            }
        }
        self.objects.truncate(kept);
        self.bytes = live;
    }

    /// Number of objects currently allocated.
    pub fn object_count(&self) -> usize {
        self.objects.len()
    }
}

/// A hint that the cache line at `p` will be read soon (nothing on hosts without one).
/// Never faults, whatever `p` is.
#[inline(always)]
pub(crate) fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // Safety: a prefetch is a hint; it reads nothing and cannot fault.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Calls `f` with every reference object `h` holds (its edges in the object graph):
/// the reference elements of an array, the string keys and reference values of a map,
/// the reference fields of a struct, the reference captures of a closure. Strings and
/// boxes hold none. The collector marks through it; anything else that walks the heap
/// (a snapshot) sees the same edges. Nil references (0) are passed too.
///
/// # Safety
/// `h` is a live object of the heap whose layouts are `layouts`.
pub unsafe fn trace_edges(layouts: &Layouts, h: *const Header, mut f: impl FnMut(u64)) {
    // Safety: `h` is live (the caller's promise); its kind says how to read it.
    unsafe {
        match (*h).kind {
            ObjKind::Str | ObjKind::Box => {}
            ObjKind::Array => {
                let a = &*(h as *const ArrayObj);
                if let (true, Some(items)) = (a.elem_is_ref(), a.words()) {
                    items.iter().for_each(|&r| f(r));
                }
            }
            ObjKind::Map => {
                let m = &*(h as *const MapObj);
                let (kr, vr) = (m.key_is_ref(), m.val_is_ref);
                for (k, v) in m.map.iter() {
                    if kr {
                        f(k.raw());
                    }
                    if vr {
                        f(*v);
                    }
                }
            }
            ObjKind::Struct => {
                let s = h as *mut StructObj;
                let refs = layouts.struct_refs.get((*h).aux as usize).map_or(&[][..], |v| v);
                for &i in refs {
                    f(*StructObj::field(s, i as usize));
                }
            }
            ObjKind::Closure => {
                let c = &*(h as *const ClosureObj);
                let refs = layouts.closure_refs.get((*h).aux as usize).map_or(&[][..], |v| v);
                for &i in refs {
                    if let Some(&r) = c.captures.get(i as usize) {
                        f(r);
                    }
                }
            }
        }
    }
}

/// Marks `r` (a reference or 0) and queues it for tracing if it holds references.
#[inline]
fn mark(stack: &mut Vec<*mut Header>, r: u64) {
    if r == 0 {
        return;
    }
    let h = r as *mut Header;
    // Safety: every reference reached from a root is nil or a live object of this heap.
    unsafe {
        if !(*h).marked {
            (*h).marked = true;
            // Strings and boxes hold no references: nothing to trace later.
            if !matches!((*h).kind, ObjKind::Str | ObjKind::Box) {
                stack.push(h);
            }
        }
    }
}

/// Safety: `h` is a live object.
#[allow(clippy::needless_borrow, dangerous_implicit_autorefs)]
unsafe fn object_size(h: *mut Header) -> usize {
    // Safety: the kind says which layout `h` has.
    unsafe {
        match (*h).kind {
            ObjKind::Str => StrObj::layout((*(h as *const StrObj)).len).size(),
            ObjKind::Array => std::mem::size_of::<ArrayObj>() + (*(h as *const ArrayObj)).buffer_bytes(),
            ObjKind::Map => std::mem::size_of::<MapObj>() + (*(h as *const MapObj)).heap_size(),
            ObjKind::Struct => std::mem::size_of::<StructObj>() + 8 * (*(h as *const StructObj)).len as usize,
            ObjKind::Closure => std::mem::size_of::<ClosureObj>() + 8 * (*(h as *const ClosureObj)).captures.len(),
            ObjKind::Box => std::mem::size_of::<BoxObj>(),
        }
    }
}

/// Safety: `h` is a live object that nothing will use again.
unsafe fn free_object(h: *mut Header) {
    // Safety: each kind was allocated the way it is freed here.
    unsafe {
        match (*h).kind {
            ObjKind::Str => alloc::dealloc(h as *mut u8, StrObj::layout((*(h as *const StrObj)).len)),
            ObjKind::Array => {
                let mut a = Box::from_raw(h as *mut ArrayObj);
                a.free_buffer();
            }
            ObjKind::Map => drop(Box::from_raw(h as *mut MapObj)),
            ObjKind::Struct => {
                let n = (*(h as *const StructObj)).len as usize;
                alloc::dealloc(h as *mut u8, Heap::struct_layout(n));
            }
            ObjKind::Closure => drop(Box::from_raw(h as *mut ClosureObj)),
            ObjKind::Box => drop(Box::from_raw(h as *mut BoxObj)),
        }
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        for &h in &self.objects {
            // Safety: the heap owns every object; none is used after the heap is gone.
            unsafe { free_object(h) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_cycle_is_collected() {
        let mut h = Heap::new(Layouts { struct_refs: vec![vec![0]], closure_refs: vec![] });
        let a = h.alloc_struct(0, &[0]);
        let b = h.alloc_struct(0, &[a]);
        // Safety: `a` is a live struct with one field.
        unsafe { *StructObj::field(a as *mut StructObj, 0) = b };
        let x = h.alloc_string("x".into());
        let keep = h.alloc_array(vec![x], ArrayKind::Refs);
        h.collect([keep].into_iter());
        assert_eq!(h.object_count(), 2);
        h.collect(std::iter::empty());
        assert_eq!(h.object_count(), 0);
        assert_eq!(h.bytes, 0);
    }

    fn heap() -> Heap {
        Heap::new(Layouts { struct_refs: vec![], closure_refs: vec![] })
    }

    fn text(r: u64) -> &'static str {
        // Safety: the tests pass live strings only.
        unsafe { StrObj::text(r as *const StrObj) }
    }

    #[test]
    fn equal_short_strings_are_one_object_and_long_ones_equal_by_content() {
        let mut h = heap();
        let a = h.alloc_str("kalo");
        let b = h.alloc_string("ka".to_string() + "lo");
        let c = h.try_alloc_str_parts(&["k", "alo"]).expect("room");
        assert_eq!((a, a), (b, c));
        assert_eq!(h.object_count(), 1);
        let long = "x".repeat(MAX_INTERNED + 1);
        let (l1, l2) = (h.alloc_str(&long), h.alloc_string(long.clone()));
        assert_ne!(l1, l2);
        // Safety: live strings.
        assert!(unsafe { StrObj::same_text(l1 as *const StrObj, l2 as *const StrObj) });
        let other = h.alloc_str("kalp");
        // Safety: live strings.
        assert!(!unsafe { StrObj::same_text(a as *const StrObj, other as *const StrObj) });
        assert_eq!(text(c), "kalo");
    }

    #[test]
    fn the_table_is_weak_and_counted() {
        let mut h = heap();
        let keep = h.alloc_str("keep");
        for i in 0..10_000 {
            h.alloc_string(format!("w{i}"));
        }
        assert!(h.strings.table_bytes() > 0);
        h.collect([keep].into_iter());
        assert_eq!(h.object_count(), 1);
        let one = StrObj::layout(4).size();
        assert_eq!(h.bytes, one + h.strings.table_bytes());
        assert!(h.strings.table_bytes() < 1024, "the table shrinks to what survived");
        // A freed text is made anew; a kept one is found.
        let again = h.alloc_str("w5");
        assert_eq!(text(again), "w5");
        assert_eq!(h.alloc_str("keep"), keep);
        h.collect(std::iter::empty());
        assert_eq!((h.object_count(), h.bytes), (0, 0));
    }

    #[test]
    fn new_strings_size_counts_only_what_making_adds() {
        let mut h = heap();
        h.alloc_str("ab");
        let long = "y".repeat(MAX_INTERNED + 1);
        let parts = ["ab", "cd", "ab", "cd", long.as_str(), long.as_str()];
        let objects = StrObj::layout(2).size() + 2 * StrObj::layout(long.len()).size();
        let size = h.new_strings_size(parts.iter().copied());
        assert!(size >= objects && size <= objects + 64, "{size} for {objects} of objects");
        let before = h.bytes;
        for p in parts {
            h.alloc_str(p);
        }
        assert!(h.bytes - before <= size);
    }
}
