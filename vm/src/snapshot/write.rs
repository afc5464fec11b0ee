//! A `Vm` to snapshot bytes (layout in `docs/snapshot.md`).

use super::{
    array_kind_byte, key_kind_byte, tag, FrameState, Obj, Snapshot, HEADER_LEN, MAGIC, VERSION_MAJOR, VERSION_MINOR,
};
use crate::bytecode::encode::{encode, Writer};
use crate::bytecode::{Kind, Module, Op, TypeId};
use crate::heap::{
    trace_edges, ArrayKind, ArrayObj, BoxObj, ClosureObj, Header, KeyKind, MapObj, ObjKind, StrObj, StructObj,
};
use crate::runtime::liveness::{self, contains, RegSet};
use crate::runtime::Vm;
use rustc_hash::FxHashMap;

/// The snapshot of `vm` as bytes: idle (no frames) or suspended at a safepoint (every
/// frame's registers in VM memory, the innermost frame's pc one past the call or loop jump
/// that needed fuel). The reachable objects are numbered first, then written one by one
/// straight from the heap into one buffer sized for them.
pub(crate) fn capture(vm: &mut Vm) -> Vec<u8> {
    let stdin = vm.ctx.sandbox.pending_input();
    let frames = frame_states(vm);
    let m: &Module = &vm.module;

    // Number the reachable objects, breadth-first from the roots in a fixed order.
    let mut nums = Numbering::with_capacity(vm.heap.object_count());
    for (g, &v) in m.globals.iter().zip(&vm.global_store) {
        if m.kind(g.ty) == Kind::Ref {
            nums.visit(v);
        }
    }
    for &v in &vm.fn_values {
        nums.visit(v);
    }
    for (f, _, regs) in &frames {
        let types = &m.functions[*f as usize].regs;
        for (&t, &v) in types.iter().zip(regs) {
            if m.kind(t) == Kind::Ref {
                nums.visit(v);
            }
        }
    }
    let mut size = 0usize;
    let mut i = 0;
    while i < nums.order.len() {
        // Safety: every numbered reference was read from a root or from an object reached
        // from one, so it is a live object of this heap; its header is restored while it
        // is read.
        unsafe {
            nums.prefetch(i + PREFETCH_AHEAD);
            let h = nums.order[i] as *mut Header;
            nums.lend_header(i);
            size = size.saturating_add(written_size(m, h));
            trace_edges(&vm.heap.layouts, h, |r| {
                let n = nums.visit(r);
                nums.edges.push(n);
            });
            nums.take_header();
        }
        i += 1;
    }
    // Safety (every `id` below): `r` is 0 or a numbered object, as the numbering reached
    // every reference of the roots and of numbered objects.
    let id = |r: u64| unsafe { nums.id(r) };
    let num = |t: TypeId, v: u64| if m.kind(t) == Kind::Ref { id(v) } else { v };

    let globals = m.globals.iter().zip(&vm.global_store).map(|(g, &v)| num(g.ty, v)).collect();
    let fn_values =
        vm.fn_values.iter().enumerate().filter(|&(_, &v)| v != 0).map(|(f, &v)| (f as u32, id(v))).collect();
    let frames = frames
        .into_iter()
        .map(|(func, pc, regs)| {
            let types = &m.functions[func as usize].regs;
            FrameState { func, pc, regs: types.iter().zip(regs).map(|(&t, v)| num(t, v)).collect() }
        })
        .collect();
    let rest = Snapshot {
        module: vm.module.clone(),
        then_main: vm.then_main,
        seed: vm.ctx.seed,
        fuel_used: vm.fuel_used(),
        args: vm.ctx.args.clone(),
        host_data: vm.ctx.saved_data(),
        stdin,
        objects: Vec::new(),
        globals,
        fn_values,
        frames,
    };
    let bytes = rest.encode(nums.order.len(), size, |w| {
        // The writer meets each object's references in the order the numbering traced
        // them (`trace_edges`'s order), so their numbers come from the edge list, not from
        // the referenced objects' headers, which lie anywhere in memory.
        let next = std::cell::Cell::new(0usize);
        for i in 0..nums.order.len() {
            // Safety: as above, a live numbered object, its header lent back while it is
            // written.
            unsafe {
                nums.prefetch(i + PREFETCH_AHEAD);
                nums.lend_header(i);
                let edge = |r: u64| {
                    let k = next.get();
                    next.set(k + 1);
                    let n = nums.edges.get(k).copied().unwrap_or(0);
                    debug_assert_eq!(n, nums.id(r), "the writer met a reference the numbering did not trace");
                    n
                };
                write_live(w, m, nums.order[i], &edge);
                nums.take_header();
            }
        }
    });
    // Safety: the numbered objects are those whose headers hold numbers.
    unsafe { nums.restore() };
    bytes
}

/// Object numbers kept in the objects' headers while a snapshot is written: a numbered
/// object is marked, and the `aux` word of its header holds its number (1, 2, ...), its
/// own `aux` saved aside. So numbering an object or finding its number is one read of its
/// header, not a hash-map lookup; [`Numbering::restore`] puts every header back. Marks are
/// clear between collections, and nothing collects or allocates in the heap while a
/// snapshot is written.
struct Numbering {
    /// The numbered objects, in order (object `n` at index `n - 1`).
    order: Vec<u64>,
    /// Their own `aux` words.
    aux: Vec<u32>,
    /// The number of every reference of every numbered object, object by object, in the
    /// order `trace_edges` gives them (0 for nil).
    edges: Vec<u64>,
    /// Numbers that do not fit a header's `aux` (past `u32::MAX - 1` objects): their
    /// headers hold `u32::MAX`.
    overflow: FxHashMap<u64, u64>,
    /// The object whose header is lent back to it while it is read, its number, and the
    /// word its header held.
    lent: (u64, u64, u32),
}

/// How many objects ahead of the one being read the numbering and the writer ask the
/// processor to load: the objects lie anywhere in memory, and waiting for each in turn
/// would leave the memory system idle between them.
const PREFETCH_AHEAD: usize = 12;

impl Numbering {
    fn with_capacity(objects: usize) -> Numbering {
        Numbering {
            order: Vec::with_capacity(objects),
            aux: Vec::with_capacity(objects),
            edges: Vec::with_capacity(objects),
            overflow: FxHashMap::default(),
            lent: (0, 0, 0),
        }
    }

    /// Asks for the first cache line of object `i` (if numbered) to be loaded.
    #[inline(always)]
    fn prefetch(&self, i: usize) {
        if let Some(&r) = self.order.get(i) {
            crate::heap::prefetch(r as *const u8);
        }
    }

    /// Numbers `r` (a reference: 0 or a live object of the heap) if it is not yet;
    /// returns its number.
    fn visit(&mut self, r: u64) -> u64 {
        if r == 0 {
            return 0;
        }
        let h = r as *mut Header;
        // Safety: `r` is a live object (the callers read it from a root or from a live
        // object's edges); a marked one is numbered.
        unsafe {
            if (*h).marked {
                return self.id(r);
            }
            (*h).marked = true;
            let n = self.order.len() as u64 + 1;
            self.order.push(r);
            self.aux.push((*h).aux);
            (*h).aux = match u32::try_from(n) {
                Ok(w) if w != u32::MAX => w,
                _ => {
                    self.overflow.insert(r, n);
                    u32::MAX
                }
            };
            n
        }
    }

    /// The number of `r` (0 for nil).
    ///
    /// # Safety
    /// `r` is 0 or a numbered object.
    unsafe fn id(&self, r: u64) -> u64 {
        if r == 0 {
            return 0;
        }
        if r == self.lent.0 {
            return self.lent.1;
        }
        // Safety: the caller's promise; a numbered object's header holds its number
        // unless it is lent.
        match unsafe { (*(r as *const Header)).aux } {
            u32::MAX => self.overflow.get(&r).copied().unwrap_or(0),
            n => n as u64,
        }
    }

    /// Gives object `i` (0-based) its own `aux` back while it is read, until
    /// [`Numbering::take_header`].
    ///
    /// # Safety
    /// Object `i` is numbered, and no header is lent.
    unsafe fn lend_header(&mut self, i: usize) {
        let r = self.order[i];
        // Safety: the caller's promise.
        unsafe {
            let h = r as *mut Header;
            self.lent = (r, self.id(r), (*h).aux);
            (*h).aux = self.aux[i];
        }
    }

    /// Puts the number of the object lent by [`Numbering::lend_header`] back in its
    /// header.
    ///
    /// # Safety
    /// A header is lent.
    unsafe fn take_header(&mut self) {
        let (r, _, word) = std::mem::take(&mut self.lent);
        // Safety: the caller's promise: `r` is a live numbered object.
        unsafe { (*(r as *mut Header)).aux = word }
    }

    /// Every numbered object's header as it was: its own `aux`, unmarked.
    ///
    /// # Safety
    /// The headers of the numbered objects hold their numbers.
    unsafe fn restore(self) {
        for (&r, &aux) in self.order.iter().zip(&self.aux) {
            let h = r as *mut Header;
            // Safety: the caller's promise; the objects are live.
            unsafe {
                (*h).aux = aux;
                (*h).marked = false;
            }
        }
    }
}

impl Snapshot<'_> {
    /// The snapshot as bytes (layout in `docs/snapshot.md`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let m: &Module = &self.module;
        let size = self.objects.iter().map(written_size_of).sum();
        self.encode(self.objects.len(), size, |w| {
            for o in &self.objects {
                write_object(w, m, o);
            }
        })
    }

    /// The snapshot's bytes with `count` objects written by `objects` (about `size` bytes)
    /// in place of `self.objects`.
    fn encode(&self, count: usize, size: usize, objects: impl FnOnce(&mut Writer)) -> Vec<u8> {
        let m: &Module = &self.module;
        let module = encode(m);
        let frames: usize = self.frames.iter().map(|f| 20 + 10 * f.regs.len()).sum();
        let mut w = Writer::new();
        // One buffer, sized up front, for the header and the body: a snapshot can be most
        // of the memory a program uses, and growing it by doubling would copy and fault
        // in several times its size.
        w.out.reserve_exact(
            HEADER_LEN
                + module.len()
                + 64
                + size
                + frames
                + 10 * (self.globals.len() + 2 * self.fn_values.len())
                + self.stdin.len(),
        );
        advise_huge_pages(&mut w.out);
        w.out.extend_from_slice(&MAGIC);
        w.out.extend_from_slice(&VERSION_MAJOR.to_le_bytes());
        w.out.extend_from_slice(&VERSION_MINOR.to_le_bytes());
        w.out.extend_from_slice(&[0; HEADER_LEN - 8]);
        w.bytes(&module);
        w.u8(self.then_main as u8);
        w.u64_fixed(self.seed);
        w.uleb(self.fuel_used);
        w.len(self.args.len());
        for a in &self.args {
            w.str(a);
        }
        w.len(self.host_data.len());
        for (k, v) in &self.host_data {
            w.str(k);
            w.bytes(v);
        }
        w.bytes(&self.stdin);
        w.len(count);
        objects(&mut w);
        w.len(self.globals.len());
        for (g, &v) in m.globals.iter().zip(&self.globals) {
            value(&mut w, m, g.ty, v);
        }
        w.len(self.fn_values.len());
        for &(f, v) in &self.fn_values {
            w.uleb(f as u64);
            w.uleb(v);
        }
        w.len(self.frames.len());
        for fr in &self.frames {
            w.uleb(fr.func as u64);
            w.uleb(fr.pc as u64);
            for (&t, &v) in m.functions.get(fr.func as usize).iter().flat_map(|f| &f.regs).zip(&fr.regs) {
                value(&mut w, m, t, v);
            }
        }
        let mut out = w.out;
        let sum = super::checksum(&out[HEADER_LEN..]);
        out[8..HEADER_LEN].copy_from_slice(&sum);
        out
    }
}

/// Asks the kernel to back the spare capacity of `buf` with huge pages where it can: a
/// snapshot of 100 MB written into 4 KiB pages takes 25,000 page faults, each clearing
/// its page, which cost about as much as writing the snapshot. A hint only; buffers under
/// a few huge pages are left alone.
fn advise_huge_pages(buf: &mut Vec<u8>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let spare = buf.spare_capacity_mut();
        if spare.len() < 4 * HUGE {
            return;
        }
        let start = spare.as_mut_ptr() as usize;
        let (from, to) = (start.next_multiple_of(HUGE), (start + spare.len()) / HUGE * HUGE);
        if to > from {
            // Safety: `[from, to)` lies inside the buffer's own unused capacity; advice on
            // it changes how its pages are backed, never what they hold (nothing yet).
            unsafe { libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}

/// At most how many bytes object `o` takes written (10 per word: the longest LEB128).
fn written_size_of(o: &Obj) -> usize {
    match o {
        Obj::Str(s) => 11 + s.len(),
        Obj::Array { words, .. } => 23 + 10 * words.len(),
        Obj::Map { entries, .. } => 23 + 20 * entries.len(),
        Obj::Struct { fields, .. } => 11 + 10 * fields.len(),
        Obj::Closure { captures, .. } => 11 + 10 * captures.len(),
        Obj::Box(_) => 9,
    }
}

/// At most how many bytes the object at `h` takes written.
///
/// # Safety
/// `h` is a live object of a program of `m`.
unsafe fn written_size(m: &Module, h: *const Header) -> usize {
    // Safety: the caller's promise; each arm reads the object as its kind says.
    unsafe {
        match (*h).kind {
            ObjKind::Str => 11 + StrObj::text(h as *const StrObj).len(),
            ObjKind::Array => 23 + 10 * (*(h as *const ArrayObj)).len(),
            ObjKind::Map => 23 + 20 * (*(h as *const MapObj)).map.len(),
            ObjKind::Struct => 11 + 10 * m.structs[(*h).aux as usize].fields.len(),
            ObjKind::Closure => 11 + 10 * m.functions[(*h).aux as usize].captures.len(),
            ObjKind::Box => 9,
        }
    }
}

/// Each frame's function, resume pc, and registers with every register that is not live
/// there as 0 (see the module docs of `snapshot`).
fn frame_states(vm: &Vm) -> Vec<(u32, u32, Vec<u64>)> {
    let m: &Module = &vm.module;
    let frames = vm.frames();
    let mut live: FxHashMap<(u32, u32), RegSet> = FxHashMap::default();
    let mut out = Vec::with_capacity(frames.len());
    for (i, fr) in frames.iter().enumerate() {
        let innermost = i + 1 == frames.len();
        // The innermost frame resumes at its call or loop jump; the others after their call.
        let pc = if innermost { fr.pc - 1 } else { fr.pc };
        let set = live.entry((fr.func, pc)).or_insert_with(|| resume_live(m, &vm.funcs.meta, fr.func, pc, innermost));
        let n = m.functions[fr.func as usize].regs.len();
        let regs = (0..n).map(|r| if contains(set, r) { vm.reg(fr.base, r as u16) } else { 0 }).collect();
        out.push((fr.func, pc, regs));
    }
    out
}

/// The registers of function `f` that a frame resuming at `pc` may still read: live
/// before `pc` (the innermost frame) or, for a frame waiting for its callee, live after
/// the call but for the call's result register, which the return writes.
pub(crate) fn resume_live(
    m: &Module,
    meta: &[crate::runtime::code::FuncMeta],
    f: u32,
    pc: u32,
    innermost: bool,
) -> RegSet {
    let lv = liveness::analyze(m, meta, f);
    if innermost {
        lv.live_in[pc as usize].clone()
    } else {
        // The call's only successor is `pc`.
        let empty = vec![0u64; lv.live_in[0].len()];
        lv.live_after_but_def(pc as usize - 1, &empty)
    }
}

/// A value of type `t`: a word (int, float), a byte (bool) or an object number.
fn value(w: &mut Writer, m: &Module, t: TypeId, v: u64) {
    match m.kind(t) {
        Kind::Int | Kind::Float => w.u64_fixed(v),
        Kind::Bool => w.u8(v as u8),
        Kind::Ref => w.uleb(v),
    }
}

fn elem(w: &mut Writer, k: ArrayKind, v: u64) {
    match k {
        ArrayKind::Words => w.u64_fixed(v),
        ArrayKind::Refs => w.uleb(v),
        ArrayKind::Bytes => w.u8(v as u8),
    }
}

fn write_object(w: &mut Writer, m: &Module, o: &Obj) {
    match o {
        Obj::Str(s) => {
            w.u8(tag::STR);
            w.str(s);
        }
        Obj::Array { kind, cap, words } => {
            w.u8(tag::ARRAY);
            w.u8(array_kind_byte(*kind));
            w.len(*cap);
            w.len(words.len());
            for &x in words {
                elem(w, *kind, x);
            }
        }
        Obj::Map { key, vals, cap, entries } => {
            w.u8(tag::MAP);
            w.u8(key_kind_byte(*key));
            w.u8(array_kind_byte(*vals));
            w.len(*cap);
            w.len(entries.len());
            for &(k, v) in entries {
                match key {
                    KeyKind::Int => w.u64_fixed(k),
                    KeyKind::Bool => w.u8(k as u8),
                    KeyKind::Str => w.uleb(k),
                }
                elem(w, *vals, v);
            }
        }
        Obj::Struct { sid, fields } => {
            w.u8(tag::STRUCT);
            w.uleb(*sid as u64);
            // (A snapshot edited to name a struct the module lacks writes no fields.)
            for (f, &v) in m.structs.get(*sid as usize).iter().flat_map(|s| &s.fields).zip(fields) {
                value(w, m, f.ty, v);
            }
        }
        Obj::Closure { func, captures } => {
            w.u8(tag::CLOSURE);
            w.uleb(*func as u64);
            for (&t, &v) in m.functions.get(*func as usize).iter().flat_map(|f| &f.captures).zip(captures) {
                value(w, m, t, v);
            }
        }
        Obj::Box(v) => {
            w.u8(tag::BOX);
            w.u64_fixed(*v);
        }
    }
}

/// Writes object `r` of the heap as [`write_object`] writes the [`Obj`] it stands for, its
/// references as numbers, straight from the heap (no copy of its contents).
///
/// # Safety
/// `r` is a live object of `m`'s heap, with its own header.
unsafe fn write_live(w: &mut Writer, m: &Module, r: u64, id: &impl Fn(u64) -> u64) {
    // Safety: the caller's promise; each arm reads the object as its kind says.
    unsafe {
        let h = r as *const Header;
        match (*h).kind {
            ObjKind::Str => {
                w.u8(tag::STR);
                w.str(StrObj::text(r as *const StrObj));
            }
            ObjKind::Array => {
                let a = &*(r as *const ArrayObj);
                let kind = a.kind();
                w.u8(tag::ARRAY);
                w.u8(array_kind_byte(kind));
                w.len(a.capacity());
                w.len(a.len());
                match (kind, a.words()) {
                    (ArrayKind::Words, Some(xs)) => xs.iter().for_each(|&x| w.u64_fixed(x)),
                    (ArrayKind::Refs, Some(xs)) => xs.iter().for_each(|&x| w.uleb(id(x))),
                    _ => a.iter().for_each(|x| w.u8(x as u8)),
                }
            }
            ObjKind::Map => {
                let mo = &*(r as *const MapObj);
                w.u8(tag::MAP);
                w.u8(key_kind_byte(mo.key_kind));
                w.u8(array_kind_byte(mo.vals));
                w.len(mo.map.capacity());
                w.len(mo.map.len());
                for (k, &v) in mo.map.iter() {
                    match mo.key_kind {
                        KeyKind::Int => w.u64_fixed(k.raw()),
                        KeyKind::Bool => w.u8(k.raw() as u8),
                        KeyKind::Str => w.uleb(id(k.raw())),
                    }
                    elem(w, mo.vals, if mo.vals == ArrayKind::Refs { id(v) } else { v });
                }
            }
            ObjKind::Struct => {
                let sid = (*h).aux;
                let p = r as *mut StructObj;
                w.u8(tag::STRUCT);
                w.uleb(sid as u64);
                for (i, f) in m.structs[sid as usize].fields.iter().enumerate() {
                    let v = *StructObj::field(p, i);
                    value(w, m, f.ty, if m.kind(f.ty) == Kind::Ref { id(v) } else { v });
                }
            }
            ObjKind::Closure => {
                let c = &*(r as *const ClosureObj);
                let func = (*h).aux;
                w.u8(tag::CLOSURE);
                w.uleb(func as u64);
                for (&t, &v) in m.functions[func as usize].captures.iter().zip(c.captures.iter()) {
                    value(w, m, t, if m.kind(t) == Kind::Ref { id(v) } else { v });
                }
            }
            ObjKind::Box => {
                w.u8(tag::BOX);
                w.u64_fixed((*(r as *const BoxObj)).value);
            }
        }
    }
}

/// Whether `op` is where a run may suspend: it uses fuel (a call, or a loop jump).
pub(crate) fn is_safepoint(op: Op) -> bool {
    op.has(crate::bytecode::opcodes::props::F)
}
