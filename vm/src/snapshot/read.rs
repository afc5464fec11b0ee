//! Snapshot bytes to a [`Snapshot`], for untrusted input. Like the bytecode decoder, every
//! count is checked against the bytes that remain before anything is allocated, and every
//! format error names its byte offset; nothing panics. Then the state is checked against
//! its (verified) module, so that running it relies on nothing the verifier does not
//! already guarantee of a program's own state:
//!
//! - every reference is the number of an object, of the kind and type its slot requires
//!   (an object reached through two slots has the same type in both), and a non-optional
//!   reference held by an object, or by a register live at its frame's pc, is not nil;
//! - every object is reachable from the globals, the function values or the frames;
//! - bools are 0 or 1, map keys are distinct, array and map capacities cover their lengths;
//! - the innermost frame is at a call or loop jump; every other frame just after a call
//!   whose callee is the next frame's function (a `CallClosure`'s callee has the closure
//!   type's signature); the outermost frame's function has no captures (the host called
//!   it), and is `<init>` when `main` is to run after it;
//! - registers not live at their frame's pc are 0.

use super::write::{is_safepoint, resume_live};
use super::{tag, FrameState, Obj, Snapshot, SnapshotError, Words, HEADER_LEN, MAGIC, VERSION_MAJOR, VERSION_MINOR};
use crate::bytecode::decode::{decode, Reader};
use crate::bytecode::{Kind, Module, Op, Type, TypeId, VerifiedModule};
use crate::heap::{ArrayKind, KeyKind, MAX_OBJECT_BYTES};
use crate::runtime::code::{array_kind, Funcs};
use crate::runtime::liveness::contains;
use std::borrow::Cow;

type R<T> = Result<T, SnapshotError>;

/// Most arguments, host state entries and frames a snapshot may hold.
const MAX_ARGS: usize = 1 << 20;
const MAX_HOST_DATA: usize = 1 << 10;
const MAX_FRAMES: usize = 1 << 24;

fn invalid<T>(msg: impl Into<String>) -> R<T> {
    Err(SnapshotError::Invalid(msg.into()))
}

/// Reads and checks a snapshot.
pub fn read(bytes: &[u8]) -> R<Snapshot<'_>> {
    let fmt_err = |offset: usize, message: String| SnapshotError::Format { offset, message };
    if !bytes.starts_with(&MAGIC[..bytes.len().min(MAGIC.len())]) || bytes.is_empty() {
        return Err(fmt_err(0, "not a Kite snapshot (bad magic number)".into()));
    }
    if bytes.len() < HEADER_LEN {
        return Err(fmt_err(
            0,
            format!("a snapshot starts with a {HEADER_LEN}-byte header; the file has {} bytes", bytes.len()),
        ));
    }
    let major = u16::from_le_bytes([bytes[4], bytes[5]]);
    let minor = u16::from_le_bytes([bytes[6], bytes[7]]);
    if major != VERSION_MAJOR || minor > VERSION_MINOR {
        return Err(fmt_err(
            4,
            format!(
                "snapshot version {major}.{minor}; this VM reads {VERSION_MAJOR}.0 to {VERSION_MAJOR}.{VERSION_MINOR}"
            ),
        ));
    }
    if super::checksum(&bytes[HEADER_LEN..])[..] != bytes[8..HEADER_LEN] {
        return Err(fmt_err(8, "the body does not match the header's checksum (damaged or altered)".into()));
    }
    let mut r = Reader::new(bytes, HEADER_LEN);
    let n = r.count("length of the module", bytes.len(), 1)?;
    let module_at = r.pos;
    let module_bytes = r.take(n, "the module")?;
    let module = decode(module_bytes).map_err(|e| {
        SnapshotError::Module(format!("at byte {} of the snapshot: {}", module_at + e.offset, e.message))
    })?;
    let module = VerifiedModule::new(module).map_err(|e| SnapshotError::Module(e.to_string()))?;
    let m: &Module = &module;

    let at = r.pos;
    let then_main = match r.u8("whether main runs next")? {
        0 => false,
        1 => true,
        b => return Err(fmt_err(at, format!("whether main runs next is {b}, not 0 or 1"))),
    };
    let seed = r.u64_fixed("the rand seed")?;
    let fuel_used = r.uleb("fuel used")?;
    let nargs = r.count("argument count", MAX_ARGS, 1)?;
    let mut args = Vec::with_capacity(nargs);
    for _ in 0..nargs {
        args.push(r.str("an argument")?);
    }
    let ndata = r.count("host state count", MAX_HOST_DATA, 2)?;
    let mut host_data: Vec<(String, Vec<u8>)> = Vec::with_capacity(ndata);
    for _ in 0..ndata {
        let at = r.pos;
        let key = r.str("a host state key")?;
        if host_data.last().is_some_and(|(k, _)| *k >= key) {
            return Err(fmt_err(at, format!("host state {key:?} is out of order or repeated")));
        }
        let n = r.count("length of host state", usize::MAX, 1)?;
        host_data.push((key, r.take(n, "host state")?.to_vec()));
    }
    let n = r.count("length of the pending input", usize::MAX, 1)?;
    let stdin = r.take(n, "the pending input")?.to_vec();

    // Objects: at least two bytes each (a tag and a count or number).
    let nobj = r.count("object count", u32::MAX as usize, 2)?;
    let mut p = Parser { r, m, nobj: nobj as u64 };
    let mut objects = Vec::with_capacity(nobj);
    for i in 0..nobj {
        objects.push(p.object(i + 1)?);
    }
    let at = p.r.pos;
    let ng = p.r.count("global count", m.globals.len(), 1)?;
    if ng != m.globals.len() {
        return Err(fmt_err(at, format!("{ng} globals, but the module has {}", m.globals.len())));
    }
    let mut globals = Vec::with_capacity(ng);
    for g in &m.globals {
        globals.push(p.value(g.ty, "a global")?);
    }
    let nf = p.r.count("function value count", m.functions.len(), 2)?;
    let mut fn_values: Vec<(u32, u64)> = Vec::with_capacity(nf);
    for _ in 0..nf {
        let at = p.r.pos;
        let f = p.r.u32v("function index")?;
        if f as usize >= m.functions.len() || fn_values.last().is_some_and(|&(g, _)| g >= f) {
            return Err(fmt_err(at, format!("function value of function {f}: no such function, or out of order")));
        }
        let v = p.reference("a function value")?;
        if v == 0 {
            return Err(fmt_err(at, "a function value is nil".into()));
        }
        fn_values.push((f, v));
    }
    let nfr = p.r.count("frame count", MAX_FRAMES, 2)?;
    let mut frames = Vec::with_capacity(nfr);
    for _ in 0..nfr {
        let at = p.r.pos;
        let func = p.r.u32v("frame function")?;
        let Some(f) = m.functions.get(func as usize) else {
            return Err(fmt_err(at, format!("frame of function {func}, which the module does not have")));
        };
        let at = p.r.pos;
        let pc = p.r.u32v("frame pc")?;
        if pc as usize >= f.code.len() {
            return Err(fmt_err(at, format!("pc {pc} is past the end of {} ({} instructions)", f.name, f.code.len())));
        }
        let mut regs = Vec::with_capacity(f.regs.len());
        for &t in &f.regs {
            regs.push(p.value(t, "a register")?);
        }
        frames.push(FrameState { func, pc, regs });
    }
    if p.r.remaining() != 0 {
        return Err(fmt_err(p.r.pos, format!("{} bytes after the last frame", p.r.remaining())));
    }

    let snap = Snapshot {
        then_main,
        seed,
        fuel_used,
        args,
        host_data,
        stdin,
        objects,
        globals,
        fn_values,
        frames,
        module: module.clone(),
    };
    check(&snap)?;
    Ok(snap)
}

/// Reads objects and values; references are checked to be object numbers.
struct Parser<'a, 'm> {
    r: Reader<'a>,
    m: &'m Module,
    nobj: u64,
}

impl<'a> Parser<'a, '_> {
    fn reference(&mut self, what: &str) -> R<u64> {
        let at = self.r.pos;
        let v = self.r.uleb(what)?;
        if v > self.nobj {
            return Err(SnapshotError::Format {
                offset: at,
                message: format!("{what} refers to object {v}; there are {}", self.nobj),
            });
        }
        Ok(v)
    }
    fn bool(&mut self, what: &str) -> R<u64> {
        let at = self.r.pos;
        match self.r.u8(what)? {
            b @ (0 | 1) => Ok(b as u64),
            b => Err(SnapshotError::Format { offset: at, message: format!("{what} is a bool, but is {b}") }),
        }
    }
    /// A value of type `t`.
    fn value(&mut self, t: TypeId, what: &str) -> R<u64> {
        Ok(match self.m.kind(t) {
            Kind::Int | Kind::Float => self.r.u64_fixed(what)?,
            Kind::Bool => self.bool(what)?,
            Kind::Ref => self.reference(what)?,
        })
    }
    fn elem(&mut self, k: ArrayKind, what: &str) -> R<u64> {
        match k {
            ArrayKind::Words => Ok(self.r.u64_fixed(what)?),
            ArrayKind::Refs => self.reference(what),
            ArrayKind::Bytes => self.bool(what),
        }
    }
    fn array_kind(&mut self, what: &str) -> R<ArrayKind> {
        let at = self.r.pos;
        match self.r.u8(what)? {
            0 => Ok(ArrayKind::Words),
            1 => Ok(ArrayKind::Refs),
            2 => Ok(ArrayKind::Bytes),
            b => Err(SnapshotError::Format { offset: at, message: format!("{what} is {b}, not 0, 1 or 2") }),
        }
    }
    fn object(&mut self, id: usize) -> R<Obj<'a>> {
        let at = self.r.pos;
        let m = self.m;
        Ok(match self.r.u8("object tag")? {
            tag::STR => Obj::Str(Cow::Borrowed(self.r.str_ref("a string")?)),
            tag::ARRAY => {
                let kind = self.array_kind("array kind")?;
                let cap_at = self.r.pos;
                let cap = self.r.uleb("array capacity")?;
                let min = if kind == ArrayKind::Refs { 1 } else { kind.elem_size() };
                let len = self.r.count("array length", usize::MAX, min)?;
                let max = (MAX_OBJECT_BYTES / kind.elem_size()) as u64;
                if cap < len as u64 || cap > max {
                    return Err(SnapshotError::Format {
                        offset: cap_at,
                        message: format!("array capacity {cap} is less than its length {len}, or over {max}"),
                    });
                }
                let cap = cap as usize;
                let mut words = Vec::with_capacity(len);
                if kind == ArrayKind::Bytes {
                    for _ in 0..len {
                        words.push(self.bool("a [bool] element")?);
                    }
                } else {
                    for _ in 0..len {
                        words.push(self.elem(kind, "an array element")?);
                    }
                }
                Obj::Array { kind, cap, words }
            }
            tag::MAP => {
                let kat = self.r.pos;
                let key = match self.r.u8("map key kind")? {
                    0 => KeyKind::Int,
                    1 => KeyKind::Bool,
                    2 => KeyKind::Str,
                    b => {
                        return Err(SnapshotError::Format {
                            offset: kat,
                            message: format!("map key kind is {b}, not 0, 1 or 2"),
                        })
                    }
                };
                let vals = self.array_kind("map value kind")?;
                let cap_at = self.r.pos;
                let cap = self.r.uleb("map capacity")?;
                let len = self.r.count("map length", usize::MAX, 2)?;
                if cap < len as u64 || cap > (MAX_OBJECT_BYTES / 32) as u64 {
                    return Err(SnapshotError::Format {
                        offset: cap_at,
                        message: format!("map capacity {cap} is less than its length {len}, or too large"),
                    });
                }
                let mut entries = Vec::with_capacity(len);
                for _ in 0..len {
                    let k = match key {
                        KeyKind::Int => self.r.u64_fixed("a map key")?,
                        KeyKind::Bool => self.bool("a map key")?,
                        KeyKind::Str => self.reference("a map key")?,
                    };
                    let v = self.elem(vals, "a map value")?;
                    entries.push((k, v));
                }
                Obj::Map { key, vals, cap: cap as usize, entries }
            }
            tag::STRUCT => {
                let sat = self.r.pos;
                let sid = self.r.u32v("struct index")?;
                let Some(s) = m.structs.get(sid as usize) else {
                    return Err(SnapshotError::Format {
                        offset: sat,
                        message: format!("struct {sid}, which the module does not have"),
                    });
                };
                let mut fields = Words::with_capacity(s.fields.len());
                for f in &s.fields {
                    fields.push(self.value(f.ty, "a field")?);
                }
                Obj::Struct { sid, fields }
            }
            tag::CLOSURE => {
                let fat = self.r.pos;
                let func = self.r.u32v("closure function")?;
                let Some(f) = m.functions.get(func as usize) else {
                    return Err(SnapshotError::Format {
                        offset: fat,
                        message: format!("closure of function {func}, which the module does not have"),
                    });
                };
                let mut captures = Words::with_capacity(f.captures.len());
                for &t in &f.captures {
                    captures.push(self.value(t, "a captured value")?);
                }
                Obj::Closure { func, captures }
            }
            tag::BOX => Obj::Box(self.r.u64_fixed("a boxed value")?),
            t => {
                return Err(SnapshotError::Format {
                    offset: at,
                    message: format!("object {id} has tag {t}, not 1 to 6"),
                })
            }
        })
    }
}

/// Whether types `a` and `b` of `m` are the same type.
fn same_type(m: &Module, a: TypeId, b: TypeId) -> bool {
    fn go(m: &Module, a: TypeId, b: TypeId, depth: u32) -> bool {
        if a == b {
            return true;
        }
        if depth > crate::bytecode::verify::limits::MAX_TYPE_DEPTH {
            return false;
        }
        let d = depth + 1;
        match (m.ty(a), m.ty(b)) {
            (Type::Int, Type::Int) | (Type::Float, Type::Float) | (Type::Bool, Type::Bool) | (Type::Str, Type::Str) => {
                true
            }
            (Type::Array(x), Type::Array(y)) | (Type::Optional(x), Type::Optional(y)) => go(m, *x, *y, d),
            (Type::Map(k1, v1), Type::Map(k2, v2)) => go(m, *k1, *k2, d) && go(m, *v1, *v2, d),
            (Type::Struct(x), Type::Struct(y)) => x == y,
            (Type::Fn(p1, r1), Type::Fn(p2, r2)) => same_sig(m, p1, *r1, p2, *r2, d),
            _ => false,
        }
    }
    go(m, a, b, 0)
}

fn same_sig(m: &Module, p1: &[TypeId], r1: Option<TypeId>, p2: &[TypeId], r2: Option<TypeId>, _d: u32) -> bool {
    p1.len() == p2.len()
        && p1.iter().zip(p2).all(|(&x, &y)| same_type(m, x, y))
        && match (r1, r2) {
            (None, None) => true,
            (Some(x), Some(y)) => same_type(m, x, y),
            _ => false,
        }
}

/// The type checker of a snapshot's objects: each object gets the type of the first slot
/// that reaches it, and is checked once against it.
struct Types<'s> {
    m: &'s Module,
    objects: &'s [Obj<'s>],
    ty: Vec<Option<TypeId>>,
    /// Reached as a function value (which has no type in the table).
    fn_value: Vec<bool>,
    work: Vec<usize>,
}

impl Types<'_> {
    /// Slot `what` of type `t` holds `v` (an object number, 0 for nil).
    fn expect(&mut self, v: u64, t: TypeId, may_be_nil: bool, what: &dyn Fn() -> String) -> R<()> {
        let m = self.m;
        let (t, optional) = match m.ty(t) {
            Type::Optional(inner) => (*inner, true),
            _ => (t, false),
        };
        if v == 0 {
            if optional || may_be_nil {
                return Ok(());
            }
            return invalid(format!("{} is nil, but its type {} cannot be", what(), m.type_name(t)));
        }
        let i = v as usize - 1;
        if optional && m.kind(t) != Kind::Ref {
            // An optional int, float or bool: a box.
            return match &self.objects[i] {
                Obj::Box(x) if m.kind(t) != Kind::Bool || *x <= 1 => self.assign(i, t, what),
                _ => invalid(format!("{} should be a box of {} (object {v})", what(), m.type_name(t))),
            };
        }
        self.assign(i, t, what)
    }

    fn assign(&mut self, i: usize, t: TypeId, what: &dyn Fn() -> String) -> R<()> {
        match self.ty[i] {
            Some(t0) if same_type(self.m, t0, t) => Ok(()),
            Some(t0) => invalid(format!(
                "object {} is reached as {} and, from {}, as {}",
                i + 1,
                self.m.type_name(t0),
                what(),
                self.m.type_name(t)
            )),
            None => {
                self.ty[i] = Some(t);
                self.work.push(i);
                Ok(())
            }
        }
    }

    /// Checks the objects waiting in `work` (and those they reach).
    fn drain(&mut self) -> R<()> {
        let m = self.m;
        while let Some(i) = self.work.pop() {
            let t = self.ty[i].expect("assigned before queued");
            let id = i + 1;
            let objects = self.objects;
            let bad = || invalid(format!("object {id} is not a value of type {}", m.type_name(t)));
            match (&objects[i], m.ty(t)) {
                (Obj::Str(_), Type::Str) => {}
                (Obj::Box(_), Type::Int | Type::Float | Type::Bool) => {}
                (Obj::Array { kind, words, .. }, Type::Array(e)) => {
                    if *kind != array_kind(m, *e) {
                        return bad();
                    }
                    if *kind == ArrayKind::Refs {
                        for (j, &x) in words.iter().enumerate() {
                            self.expect(x, *e, false, &|| format!("element {j} of object {id}"))?;
                        }
                    }
                }
                (Obj::Map { key, vals, entries, .. }, Type::Map(k, v)) => {
                    if *key != crate::heap::map::key_kind_of(m.ty(*k)) || *vals != array_kind(m, *v) {
                        return bad();
                    }
                    for (j, &(kx, vx)) in entries.iter().enumerate() {
                        if *key == KeyKind::Str {
                            self.expect(kx, *k, false, &|| format!("key {j} of object {id}"))?;
                        }
                        if *vals == ArrayKind::Refs {
                            self.expect(vx, *v, false, &|| format!("value {j} of object {id}"))?;
                        }
                    }
                }
                (Obj::Struct { sid, fields }, Type::Struct(s)) => {
                    if sid != s {
                        return bad();
                    }
                    for (j, (f, &x)) in m.structs[*sid as usize].fields.iter().zip(fields).enumerate() {
                        if m.kind(f.ty) == Kind::Ref {
                            self.expect(x, f.ty, false, &|| format!("field {j} of object {id}"))?;
                        }
                    }
                }
                (Obj::Closure { func, captures }, Type::Fn(ps, r)) => {
                    let f = &m.functions[*func as usize];
                    if !same_sig(m, &f.params, f.ret, ps, *r, 0) {
                        return bad();
                    }
                    for (j, (&ct, &x)) in f.captures.iter().zip(captures).enumerate() {
                        if m.kind(ct) == Kind::Ref {
                            self.expect(x, ct, false, &|| format!("capture {j} of object {id}"))?;
                        }
                    }
                }
                _ => return bad(),
            }
        }
        Ok(())
    }
}

/// Checks a parsed snapshot against its module (see the module docs).
fn check(s: &Snapshot) -> R<()> {
    let m: &Module = &s.module;
    let mut t = Types {
        m,
        objects: &s.objects,
        ty: vec![None; s.objects.len()],
        fn_value: vec![false; s.objects.len()],
        work: Vec::new(),
    };
    for (g, &v) in m.globals.iter().zip(&s.globals) {
        if m.kind(g.ty) == Kind::Ref {
            // A reference global is nil until its initializer runs (reading it then traps).
            t.expect(v, g.ty, true, &|| format!("global {}", g.name))?;
        }
    }
    t.drain()?;
    for &(f, v) in &s.fn_values {
        match &s.objects[v as usize - 1] {
            Obj::Closure { func, captures } if *func == f && captures.is_empty() => t.fn_value[v as usize - 1] = true,
            _ => return invalid(format!("the value of function {f} is not a closure of it without captures")),
        }
        if !m.functions[f as usize].captures.is_empty() {
            return invalid(format!("function {f} has captures, so it has no function value"));
        }
    }
    if s.then_main && (m.main.is_none() || m.init.is_none() || s.frames.is_empty()) {
        return invalid("main is to run after the global initializers, but none are running (or there is no main)");
    }
    let meta = Funcs::new(&s.module).meta;
    for (i, fr) in s.frames.iter().enumerate() {
        let f = &m.functions[fr.func as usize];
        let innermost = i + 1 == s.frames.len();
        let at = || format!("frame {i} ({} at pc {})", f.name, fr.pc);
        if i == 0 {
            if !f.captures.is_empty() {
                return invalid(format!("{}: the outermost frame's function has captures", at()));
            }
            if s.then_main && m.init != Some(fr.func) {
                return invalid(format!("{}: main is to run next, but this is not the global initializers", at()));
            }
        }
        if innermost {
            if !is_safepoint(f.code[fr.pc as usize].op) {
                return invalid(format!("{}: a run stops only at a call or a loop jump", at()));
            }
        } else {
            let callee = s.frames[i + 1].func;
            let cf = &m.functions[callee as usize];
            let ok = match fr.pc.checked_sub(1).map(|p| f.code[p as usize]) {
                Some(ins) if ins.op == Op::Call => ins.b as u32 == callee,
                Some(ins) if ins.op == Op::CallClosure => match m.ty(f.regs[ins.b as usize]) {
                    Type::Fn(ps, r) => same_sig(m, &cf.params, cf.ret, ps, *r, 0),
                    _ => false,
                },
                _ => false,
            };
            if !ok {
                return invalid(format!("{}: not just after a call of {}, the next frame's function", at(), cf.name));
            }
        }
        let live = resume_live(m, &meta, fr.func, fr.pc, innermost);
        for (r, (&ty, &v)) in f.regs.iter().zip(&fr.regs).enumerate() {
            if !contains(&live, r) {
                if v != 0 {
                    return invalid(format!("{}: register r{r} is not live there, so it must be 0", at()));
                }
            } else if m.kind(ty) == Kind::Ref {
                t.expect(v, ty, false, &|| format!("{}: register r{r}", at()))?;
            }
        }
        t.drain()?;
    }
    if let Some(i) = (0..s.objects.len()).find(|&i| t.ty[i].is_none() && !t.fn_value[i]) {
        return invalid(format!("object {} is not reachable from the globals, function values or frames", i + 1));
    }
    Ok(())
}
