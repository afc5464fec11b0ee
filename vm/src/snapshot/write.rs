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

    // Number the reachable objects, breadth-first from the roots in a fixed order. Sized
    // for the whole heap up front: rehashing a map of a million objects would cost more
    // than the walk.
    let objects = vm.heap.object_count();
    let mut ids: FxHashMap<u64, u64> = FxHashMap::with_capacity_and_hasher(objects, Default::default());
    let mut order: Vec<u64> = Vec::with_capacity(objects);
    let visit = |r: u64, ids: &mut FxHashMap<u64, u64>, order: &mut Vec<u64>| {
        if r != 0 {
            if let std::collections::hash_map::Entry::Vacant(e) = ids.entry(r) {
                order.push(r);
                e.insert(order.len() as u64);
            }
        }
    };
    for (g, &v) in m.globals.iter().zip(&vm.global_store) {
        if m.kind(g.ty) == Kind::Ref {
            visit(v, &mut ids, &mut order);
        }
    }
    for &v in &vm.fn_values {
        visit(v, &mut ids, &mut order);
    }
    for (f, _, regs) in &frames {
        let types = &m.functions[*f as usize].regs;
        for (&t, &v) in types.iter().zip(regs) {
            if m.kind(t) == Kind::Ref {
                visit(v, &mut ids, &mut order);
            }
        }
    }
    let mut size = 0usize;
    let mut i = 0;
    while i < order.len() {
        let h = order[i] as *const Header;
        // Safety: every numbered reference was read from a root or from an object reached
        // from one, so it is a live object of this heap.
        unsafe {
            size = size.saturating_add(written_size(m, h));
            trace_edges(&vm.heap.layouts, h, |r| visit(r, &mut ids, &mut order));
        }
        i += 1;
    }
    let id = |r: u64| if r == 0 { 0 } else { ids[&r] };
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
    rest.encode(order.len(), size, |w| {
        for &r in &order {
            // Safety: as above, a live object; its kind says how to read it.
            write_object(w, m, &unsafe { object(m, r, &id) });
        }
    })
}

impl Snapshot {
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

/// At most how many bytes object `o` takes written (10 per word: the longest LEB128).
fn written_size_of(o: &Obj) -> usize {
    match o {
        Obj::Str(s) => 11 + s.len(),
        Obj::Array { words, bytes, .. } => 23 + 10 * words.len() + bytes.len(),
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
        Obj::Array { kind, cap, words, bytes } => {
            w.u8(tag::ARRAY);
            w.u8(array_kind_byte(*kind));
            w.len(*cap);
            if *kind == ArrayKind::Bytes {
                w.len(bytes.len());
                w.out.extend_from_slice(bytes);
            } else {
                w.len(words.len());
                for &x in words {
                    elem(w, *kind, x);
                }
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

/// Object `r` of the heap, its references as numbers.
///
/// # Safety
/// `r` is a live object of `m`'s heap.
unsafe fn object(m: &Module, r: u64, id: &impl Fn(u64) -> u64) -> Obj {
    // Safety: the caller's promise; each arm reads the object as its kind says.
    unsafe {
        let h = r as *const Header;
        match (*h).kind {
            ObjKind::Str => Obj::Str(StrObj::text(r as *const StrObj).to_owned()),
            ObjKind::Array => {
                let a = &*(r as *const ArrayObj);
                let kind = a.kind();
                let (words, bytes) = match kind {
                    ArrayKind::Bytes => (Vec::new(), a.iter().map(|x| x as u8).collect()),
                    ArrayKind::Refs => (a.iter().map(id).collect(), Vec::new()),
                    ArrayKind::Words => (a.words().map(<[u64]>::to_vec).unwrap_or_default(), Vec::new()),
                };
                Obj::Array { kind, cap: a.capacity(), words, bytes }
            }
            ObjKind::Map => {
                let mo = &*(r as *const MapObj);
                let key_ref = mo.key_kind == KeyKind::Str;
                let val_ref = mo.vals == ArrayKind::Refs;
                let entries = mo
                    .map
                    .iter()
                    .map(|(k, &v)| {
                        let k = if key_ref { id(k.raw()) } else { k.raw() };
                        (k, if val_ref { id(v) } else { v })
                    })
                    .collect();
                Obj::Map { key: mo.key_kind, vals: mo.vals, cap: mo.map.capacity(), entries }
            }
            ObjKind::Struct => {
                let sid = (*h).aux;
                let p = r as *mut StructObj;
                let fields = m.structs[sid as usize]
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let v = *StructObj::field(p, i);
                        if m.kind(f.ty) == Kind::Ref {
                            id(v)
                        } else {
                            v
                        }
                    })
                    .collect();
                Obj::Struct { sid, fields }
            }
            ObjKind::Closure => {
                let c = &*(r as *const ClosureObj);
                let func = (*h).aux;
                let captures = m.functions[func as usize]
                    .captures
                    .iter()
                    .zip(c.captures.iter())
                    .map(|(&t, &v)| if m.kind(t) == Kind::Ref { id(v) } else { v })
                    .collect();
                Obj::Closure { func, captures }
            }
            ObjKind::Box => Obj::Box((*(r as *const BoxObj)).value),
        }
    }
}

/// Whether `op` is where a run may suspend: it uses fuel (a call, or a loop jump).
pub(crate) fn is_safepoint(op: Op) -> bool {
    op.has(crate::bytecode::opcodes::props::F)
}
