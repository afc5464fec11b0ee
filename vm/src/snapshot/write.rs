//! A `Vm` to snapshot bytes (layout in `docs/snapshot.md`).

use super::{array_kind_byte, key_kind_byte, tag, HEADER_LEN, MAGIC, VERSION_MAJOR, VERSION_MINOR};
use crate::bytecode::encode::{encode, sha256, Writer};
use crate::bytecode::{Kind, Module, Op, TypeId};
use crate::heap::{trace_edges, ArrayKind, ArrayObj, BoxObj, ClosureObj, Header, MapObj, ObjKind, StrObj, StructObj};
use crate::runtime::liveness::{self, contains, RegSet};
use crate::runtime::Vm;
use rustc_hash::FxHashMap;

/// The snapshot of `vm`: idle (no frames) or suspended at a safepoint (every frame's
/// registers in VM memory, the innermost frame's pc one past the call or loop jump that
/// needed fuel).
pub(crate) fn capture(vm: &mut Vm) -> Vec<u8> {
    let stdin = vm.ctx.sandbox.pending_input();
    let frames = frame_states(vm);
    let m: &Module = &vm.module;

    // Number the reachable objects, breadth-first from the roots in a fixed order.
    let mut ids: FxHashMap<u64, u64> = FxHashMap::default();
    let mut order: Vec<u64> = Vec::new();
    let visit = |r: u64, ids: &mut FxHashMap<u64, u64>, order: &mut Vec<u64>| {
        if r != 0 && !ids.contains_key(&r) {
            order.push(r);
            ids.insert(r, order.len() as u64);
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
    let mut i = 0;
    while i < order.len() {
        let h = order[i] as *const Header;
        // Safety: every numbered reference was read from a root or from an object reached
        // from one, so it is a live object of this heap.
        unsafe { trace_edges(&vm.heap.layouts, h, |r| visit(r, &mut ids, &mut order)) };
        i += 1;
    }
    let id = |r: u64| if r == 0 { 0 } else { ids[&r] };

    let mut w = Writer::new();
    w.bytes(&encode(m));
    w.u8(vm.then_main as u8);
    w.u64_fixed(vm.ctx.seed);
    w.uleb(vm.fuel_used());
    w.len(vm.ctx.args.len());
    for a in &vm.ctx.args {
        w.str(a);
    }
    let data = vm.ctx.saved_data();
    w.len(data.len());
    for (k, v) in &data {
        w.str(k);
        w.bytes(v);
    }
    w.bytes(&stdin);

    w.len(order.len());
    for &r in &order {
        // Safety: as above, a live object; its kind says how to read it.
        unsafe { write_object(&mut w, m, r, &id) };
    }
    w.len(m.globals.len());
    for (g, &v) in m.globals.iter().zip(&vm.global_store) {
        value(&mut w, m, g.ty, v, &id);
    }
    let made: Vec<(usize, u64)> = vm.fn_values.iter().copied().enumerate().filter(|&(_, v)| v != 0).collect();
    w.len(made.len());
    for (f, v) in made {
        w.uleb(f as u64);
        w.uleb(id(v));
    }
    w.len(frames.len());
    for (f, pc, regs) in &frames {
        w.uleb(*f as u64);
        w.uleb(*pc as u64);
        for (&t, &v) in m.functions[*f as usize].regs.iter().zip(regs) {
            value(&mut w, m, t, v, &id);
        }
    }

    let body = w.out;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION_MAJOR.to_le_bytes());
    out.extend_from_slice(&VERSION_MINOR.to_le_bytes());
    out.extend_from_slice(&sha256(&body));
    out.extend_from_slice(&body);
    out
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
    let mut set = lv.live_in[pc as usize].clone();
    if !innermost {
        if let Some(d) = lv.ud[pc as usize - 1].1 {
            liveness::remove(&mut set, d as usize);
        }
    }
    set
}

/// A value of type `t`: a word (int, float), a byte (bool) or an object number.
fn value(w: &mut Writer, m: &Module, t: TypeId, v: u64, id: &impl Fn(u64) -> u64) {
    match m.kind(t) {
        Kind::Int | Kind::Float => w.u64_fixed(v),
        Kind::Bool => w.u8(v as u8),
        Kind::Ref => w.uleb(id(v)),
    }
}

/// One object.
///
/// # Safety
/// `r` is a live object of `m`'s heap.
unsafe fn write_object(w: &mut Writer, m: &Module, r: u64, id: &impl Fn(u64) -> u64) {
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
                w.u8(tag::ARRAY);
                w.u8(array_kind_byte(a.kind()));
                w.len(a.capacity());
                w.len(a.len());
                for x in a.iter() {
                    match a.kind() {
                        ArrayKind::Words => w.u64_fixed(x),
                        ArrayKind::Refs => w.uleb(id(x)),
                        ArrayKind::Bytes => w.u8(x as u8),
                    }
                }
            }
            ObjKind::Map => {
                let mo = &*(r as *const MapObj);
                w.u8(tag::MAP);
                w.u8(key_kind_byte(mo.key_kind));
                w.u8(array_kind_byte(mo.vals));
                w.len(mo.map.capacity());
                w.len(mo.map.len());
                for (k, &v) in &mo.map {
                    match mo.key_kind {
                        crate::heap::KeyKind::Int => w.u64_fixed(k.raw()),
                        crate::heap::KeyKind::Bool => w.u8(k.raw() as u8),
                        crate::heap::KeyKind::Str => w.uleb(id(k.raw())),
                    }
                    match mo.vals {
                        ArrayKind::Words => w.u64_fixed(v),
                        ArrayKind::Refs => w.uleb(id(v)),
                        ArrayKind::Bytes => w.u8(v as u8),
                    }
                }
            }
            ObjKind::Struct => {
                let sid = (*h).aux;
                w.u8(tag::STRUCT);
                w.uleb(sid as u64);
                let p = r as *mut StructObj;
                for (i, f) in m.structs[sid as usize].fields.iter().enumerate() {
                    value(w, m, f.ty, *StructObj::field(p, i), id);
                }
            }
            ObjKind::Closure => {
                let c = &*(r as *const ClosureObj);
                let func = (*h).aux;
                w.u8(tag::CLOSURE);
                w.uleb(func as u64);
                for (&t, &v) in m.functions[func as usize].captures.iter().zip(c.captures.iter()) {
                    value(w, m, t, v, id);
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
