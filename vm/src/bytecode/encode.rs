//! Module -> bytes. The layout is specified in `docs/bytecode.md`.

use super::module::*;
use sha2::{Digest, Sha256};

/// The first four bytes of every `.bc` file.
pub const MAGIC: [u8; 4] = *b"\x7fKBC";
/// Format version this build writes. A file with another major version, or a newer minor
/// version, is refused (see `docs/bytecode.md`, "Versions").
pub const VERSION_MAJOR: u16 = 1;
pub const VERSION_MINOR: u16 = 3;
/// Bytes before the body: magic (4), major (2), minor (2), SHA-256 digest of the body (32).
pub const HEADER_LEN: usize = 40;
/// Where the digest starts in the header.
pub const DIGEST_OFFSET: usize = 8;

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Type tags in the types section.
pub(crate) mod tag {
    pub const INT: u8 = 0;
    pub const FLOAT: u8 = 1;
    pub const BOOL: u8 = 2;
    pub const STR: u8 = 3;
    pub const ARRAY: u8 = 4;
    pub const MAP: u8 = 5;
    pub const OPTIONAL: u8 = 6;
    pub const STRUCT: u8 = 7;
    pub const FN: u8 = 8;
    pub const CONST_INT: u8 = 0;
    pub const CONST_FLOAT: u8 = 1;
    pub const CONST_STR: u8 = 2;
}

/// Where [`encode_with_map`] put things, for tools that edit encoded modules (the
/// structured mutations of the fuzzers and tests).
#[derive(Clone, Debug, Default)]
pub struct EncodeMap {
    /// Byte offset of every count and length (a LEB128 number), in file order.
    pub counts: Vec<usize>,
    /// Byte offset of every instruction (8 bytes each), in file order.
    pub instrs: Vec<usize>,
}

/// A writer of the format's numbers and strings (shared with snapshots).
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
    map: EncodeMap,
}

impl Writer {
    /// An empty writer.
    pub(crate) fn new() -> Writer {
        Writer { out: Vec::new(), map: EncodeMap::default() }
    }
    pub(crate) fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn uleb(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(byte);
                return;
            }
            self.out.push(byte | 0x80);
        }
    }
    pub(crate) fn len(&mut self, n: usize) {
        self.map.counts.push(self.out.len());
        self.uleb(n as u64);
    }
    #[cfg_attr(not(feature = "runtime"), allow(dead_code))]
    pub(crate) fn u64_fixed(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    /// A length, then the bytes.
    #[cfg_attr(not(feature = "runtime"), allow(dead_code))]
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.out.extend_from_slice(b);
    }
    pub(crate) fn str(&mut self, s: &str) {
        self.len(s.len());
        self.out.extend_from_slice(s.as_bytes());
    }
    fn opt(&mut self, v: Option<u32>) {
        match v {
            None => self.uleb(0),
            Some(x) => self.uleb(x as u64 + 1),
        }
    }
    fn ids(&mut self, ids: &[TypeId]) {
        self.len(ids.len());
        for &i in ids {
            self.uleb(i as u64);
        }
    }
}

/// Encodes a module. The result decodes back to an equal module.
pub fn encode(m: &Module) -> Vec<u8> {
    encode_with_map(m).0
}

/// Encodes a module and says where its counts and instructions are.
pub fn encode_with_map(m: &Module) -> (Vec<u8>, EncodeMap) {
    let mut w = Writer::new();
    w.out.reserve(1024);
    w.out.extend_from_slice(&MAGIC);
    w.u16(VERSION_MAJOR);
    w.u16(VERSION_MINOR);
    w.out.extend_from_slice(&[0; 32]);

    w.len(m.files.len());
    for f in &m.files {
        w.str(f);
    }
    w.len(m.types.len());
    for t in &m.types {
        match t {
            Type::Int => w.u8(tag::INT),
            Type::Float => w.u8(tag::FLOAT),
            Type::Bool => w.u8(tag::BOOL),
            Type::Str => w.u8(tag::STR),
            Type::Array(e) => {
                w.u8(tag::ARRAY);
                w.uleb(*e as u64);
            }
            Type::Map(k, v) => {
                w.u8(tag::MAP);
                w.uleb(*k as u64);
                w.uleb(*v as u64);
            }
            Type::Optional(e) => {
                w.u8(tag::OPTIONAL);
                w.uleb(*e as u64);
            }
            Type::Struct(s) => {
                w.u8(tag::STRUCT);
                w.uleb(*s as u64);
            }
            Type::Fn(ps, r) => {
                w.u8(tag::FN);
                w.ids(ps);
                w.opt(*r);
            }
        }
    }
    w.len(m.structs.len());
    for s in &m.structs {
        w.str(&s.name);
        w.len(s.fields.len());
        for f in &s.fields {
            w.str(&f.name);
            w.uleb(f.ty as u64);
        }
    }
    w.len(m.consts.len());
    for c in &m.consts {
        match c {
            Const::Int(v) => {
                w.u8(tag::CONST_INT);
                w.out.extend_from_slice(&v.to_le_bytes());
            }
            Const::Float(v) => {
                w.u8(tag::CONST_FLOAT);
                w.out.extend_from_slice(&v.to_bits().to_le_bytes());
            }
            Const::Str(s) => {
                w.u8(tag::CONST_STR);
                w.str(s);
            }
        }
    }
    w.len(m.globals.len());
    for g in &m.globals {
        w.str(&g.name);
        w.uleb(g.ty as u64);
    }
    w.len(m.imports.len());
    for i in &m.imports {
        w.str(&i.module);
        w.str(&i.name);
        w.ids(&i.params);
        w.opt(i.ret);
    }
    w.len(m.functions.len());
    for f in &m.functions {
        w.str(&f.name);
        w.ids(&f.captures);
        w.ids(&f.params);
        w.opt(f.ret);
        w.ids(&f.regs);
        w.len(f.code.len());
        for ins in &f.code {
            w.map.instrs.push(w.out.len());
            w.u8(ins.op as u8);
            w.u8(0);
            w.u16(ins.a);
            w.u16(ins.b);
            w.u16(ins.c);
        }
        // Locations: one per instruction, as (file, line, col) runs.
        let mut i = 0;
        let mut runs = Vec::new();
        while i < f.locs.len() {
            let mut j = i + 1;
            while j < f.locs.len() && f.locs[j] == f.locs[i] {
                j += 1;
            }
            runs.push((j - i, f.locs[i]));
            i = j;
        }
        w.len(runs.len());
        for (n, loc) in runs {
            w.len(n);
            w.uleb(loc.file as u64);
            w.uleb(loc.line as u64);
            w.uleb(loc.col as u64);
        }
    }
    w.len(m.exports.len());
    for e in &m.exports {
        w.str(&e.name);
        w.uleb(e.func as u64);
    }
    w.opt(m.init);
    w.opt(m.main);
    seal(&mut w.out);
    (w.out, w.map)
}

/// Writes the digest of the body into the header of an encoded module (after the body
/// was edited). Does nothing if `bytes` is shorter than the header.
pub fn seal(bytes: &mut [u8]) {
    if bytes.len() >= HEADER_LEN {
        let d = sha256(&bytes[HEADER_LEN..]);
        bytes[DIGEST_OFFSET..HEADER_LEN].copy_from_slice(&d);
    }
}
