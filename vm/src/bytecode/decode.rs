//! Bytes -> module, for untrusted input: every count and length is checked against a
//! hard cap and against the bytes that remain before anything is allocated, and every
//! error names the byte offset and what was expected. Never panics.
//!
//! The header is checked first: magic number, version (see `docs/bytecode.md`,
//! "Versions"), and the SHA-256 digest of the body, so a damaged or altered file is
//! refused before its body is read. Memory use is bounded by the input: a count is
//! accepted only if the bytes left could hold that many items, and each decoded byte
//! becomes at most a few dozen bytes in memory.
//!
//! Decoding checks the *shape* of the file; whether the code is well-typed and
//! in bounds is the verifier's job.

use super::encode::{sha256, tag, DIGEST_OFFSET, HEADER_LEN, MAGIC, VERSION_MAJOR, VERSION_MINOR};
use super::module::*;
use super::opcodes::{Instr, Op};
use std::fmt;

/// Hard caps on counts, whatever the file says.
pub mod limits {
    pub const MAX_FILES: usize = 1 << 16;
    pub const MAX_TYPES: usize = 1 << 20;
    pub const MAX_STRUCTS: usize = 1 << 16;
    pub const MAX_FIELDS: usize = 1 << 16;
    pub const MAX_CONSTS: usize = 1 << 24;
    pub const MAX_GLOBALS: usize = 1 << 16;
    pub const MAX_IMPORTS: usize = 1 << 16;
    pub const MAX_FUNCTIONS: usize = 1 << 16;
    pub const MAX_PARAMS: usize = 1 << 8;
    pub const MAX_REGS: usize = 1 << 16;
    pub const MAX_CODE: usize = 1 << 24;
    pub const MAX_STRING: usize = 1 << 28;
}

/// Why a file could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset in the file where the problem was found.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for DecodeError {}

/// A bounds-checked reader of the format's numbers and strings (shared with the
/// snapshot loader).
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pub(crate) pos: usize,
}

type R<T> = Result<T, DecodeError>;

impl<'a> Reader<'a> {
    /// A reader of `bytes` from `pos`.
    pub(crate) fn new(bytes: &'a [u8], pos: usize) -> Reader<'a> {
        Reader { bytes, pos }
    }
    pub(crate) fn err<T>(&self, at: usize, msg: impl Into<String>) -> R<T> {
        Err(DecodeError { offset: at, message: msg.into() })
    }
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }
    pub(crate) fn take(&mut self, n: usize, what: &str) -> R<&'a [u8]> {
        if self.remaining() < n {
            return self.err(
                self.pos,
                format!("expected {what} ({n} bytes), found end of file ({} bytes left)", self.remaining()),
            );
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub(crate) fn u8(&mut self, what: &str) -> R<u8> {
        Ok(self.take(1, what)?[0])
    }
    pub(crate) fn u16(&mut self, what: &str) -> R<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub(crate) fn u64_fixed(&mut self, what: &str) -> R<u64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    pub(crate) fn uleb(&mut self, what: &str) -> R<u64> {
        let start = self.pos;
        let mut v: u64 = 0;
        let mut shift = 0u32;
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                return self.err(start, format!("expected {what} (a LEB128 number), found end of file"));
            };
            self.pos += 1;
            if shift == 63 && b > 1 {
                return self.err(start, format!("{what} does not fit in 64 bits"));
            }
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
            if shift > 63 {
                return self.err(start, format!("{what} does not fit in 64 bits"));
            }
        }
    }
    pub(crate) fn u32v(&mut self, what: &str) -> R<u32> {
        let at = self.pos;
        let v = self.uleb(what)?;
        u32::try_from(v).or_else(|_| self.err(at, format!("{what} {v} does not fit in 32 bits")))
    }
    /// A count, checked against `cap` and against the bytes left (each item needs at least
    /// `min_item_bytes`), so nothing is allocated that the file cannot back.
    pub(crate) fn count(&mut self, what: &str, cap: usize, min_item_bytes: usize) -> R<usize> {
        let at = self.pos;
        let n = self.uleb(what)?;
        if n > cap as u64 {
            return self.err(at, format!("{what} is {n}, more than the limit of {cap}"));
        }
        let n = n as usize;
        if n.saturating_mul(min_item_bytes) > self.remaining() {
            return self.err(at, format!("{what} is {n}, but only {} bytes remain in the file", self.remaining()));
        }
        Ok(n)
    }
    pub(crate) fn str(&mut self, what: &str) -> R<String> {
        self.str_ref(what).map(str::to_owned)
    }
    /// A string of the input, borrowed from it.
    pub(crate) fn str_ref(&mut self, what: &str) -> R<&'a str> {
        let at = self.pos;
        // The common case without building the message `count` would need.
        let n = match self.uleb(what) {
            Ok(n) if n <= limits::MAX_STRING as u64 && n as usize <= self.remaining() => n as usize,
            _ => {
                self.pos = at;
                self.count(&format!("length of {what}"), limits::MAX_STRING, 1)?
            }
        };
        let at = self.pos;
        let b = self.take(n, what)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(s),
            Err(e) => self.err(at + e.valid_up_to(), format!("{what} is not valid UTF-8")),
        }
    }
    fn opt(&mut self, what: &str) -> R<Option<u32>> {
        let at = self.pos;
        match self.uleb(what)? {
            0 => Ok(None),
            v if v - 1 <= u32::MAX as u64 => Ok(Some((v - 1) as u32)),
            v => self.err(at, format!("{what} {v} does not fit in 32 bits")),
        }
    }
    fn type_ids(&mut self, what: &str, cap: usize) -> R<Vec<TypeId>> {
        let n = self.count(what, cap, 1)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.u32v("type index")?);
        }
        Ok(v)
    }
}

/// The header of a `.bc` file: its version and the digest of its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub major: u16,
    pub minor: u16,
    /// SHA-256 of every byte after the header, as the header records it (and, once
    /// [`read_header`] returned, as the body hashes).
    pub digest: [u8; 32],
}

impl Header {
    /// The digest as 64 lowercase hex digits.
    pub fn digest_hex(&self) -> String {
        hex(&self.digest)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks the header: magic number, version (this VM reads its own major version at any
/// minor version up to its own), and that the body hashes to the recorded digest.
pub fn read_header(bytes: &[u8]) -> Result<Header, DecodeError> {
    let mut r = Reader::new(bytes, 0);
    let magic = r.take(4, "the magic number \\x7fKBC")?;
    if magic != MAGIC {
        return r.err(0, "not a Kite bytecode file (bad magic number; expected \\x7fKBC)");
    }
    let major = r.u16("major version")?;
    let minor = r.u16("minor version")?;
    if major != VERSION_MAJOR || minor > VERSION_MINOR {
        return r.err(
            4,
            format!(
                "bytecode version {major}.{minor} is not supported by this VM (it reads versions {VERSION_MAJOR}.0 to {VERSION_MAJOR}.{VERSION_MINOR})"
            ),
        );
    }
    let mut digest = [0u8; 32];
    digest.copy_from_slice(r.take(32, "the SHA-256 digest of the body")?);
    let actual = sha256(&bytes[HEADER_LEN..]);
    if actual != digest {
        return r.err(
            DIGEST_OFFSET,
            format!(
                "digest mismatch: the header (bytes {DIGEST_OFFSET}..{HEADER_LEN}) records {} but the body (bytes {HEADER_LEN}..{}) hashes to {}; the file is damaged or was altered",
                hex(&digest),
                bytes.len(),
                hex(&actual)
            ),
        );
    }
    Ok(Header { major, minor, digest })
}

/// Decodes a `.bc` file. See the module docs for what is and is not checked.
pub fn decode(bytes: &[u8]) -> Result<Module, DecodeError> {
    decode_with_header(bytes).map(|(m, _)| m)
}

/// Decodes a `.bc` file and returns its header too.
pub fn decode_with_header(bytes: &[u8]) -> Result<(Module, Header), DecodeError> {
    let header = read_header(bytes)?;
    let mut r = Reader::new(bytes, HEADER_LEN);
    let mut m = Module::default();

    let n = r.count("file count", limits::MAX_FILES, 1)?;
    for _ in 0..n {
        m.files.push(r.str("file name")?);
    }

    let n = r.count("type count", limits::MAX_TYPES, 1)?;
    m.types.reserve(n);
    for _ in 0..n {
        let at = r.pos;
        let t = match r.u8("type tag")? {
            tag::INT => Type::Int,
            tag::FLOAT => Type::Float,
            tag::BOOL => Type::Bool,
            tag::STR => Type::Str,
            tag::ARRAY => Type::Array(r.u32v("element type")?),
            tag::MAP => Type::Map(r.u32v("key type")?, r.u32v("value type")?),
            tag::OPTIONAL => Type::Optional(r.u32v("optional's inner type")?),
            tag::STRUCT => Type::Struct(r.u32v("struct index")?),
            tag::FN => {
                let ps = r.type_ids("parameter count", limits::MAX_PARAMS)?;
                Type::Fn(ps, r.opt("result type")?)
            }
            t => return r.err(at, format!("unknown type tag {t}")),
        };
        m.types.push(t);
    }

    let n = r.count("struct count", limits::MAX_STRUCTS, 2)?;
    for _ in 0..n {
        let name = r.str("struct name")?;
        let nf = r.count("field count", limits::MAX_FIELDS, 2)?;
        let mut fields = Vec::with_capacity(nf);
        for _ in 0..nf {
            let name = r.str("field name")?;
            fields.push(Field { name, ty: r.u32v("field type")? });
        }
        m.structs.push(StructDef { name, fields });
    }

    let n = r.count("constant count", limits::MAX_CONSTS, 2)?;
    m.consts.reserve(n);
    for _ in 0..n {
        let at = r.pos;
        let c = match r.u8("constant tag")? {
            tag::CONST_INT => Const::Int(r.u64_fixed("int constant")? as i64),
            tag::CONST_FLOAT => Const::Float(f64::from_bits(r.u64_fixed("float constant")?)),
            tag::CONST_STR => Const::Str(r.str("string constant")?),
            t => return r.err(at, format!("unknown constant tag {t}")),
        };
        m.consts.push(c);
    }

    let n = r.count("global count", limits::MAX_GLOBALS, 2)?;
    for _ in 0..n {
        let name = r.str("global name")?;
        m.globals.push(Global { name, ty: r.u32v("global type")? });
    }

    let n = r.count("import count", limits::MAX_IMPORTS, 4)?;
    for _ in 0..n {
        let module = r.str("import module")?;
        let name = r.str("import name")?;
        let params = r.type_ids("import parameter count", limits::MAX_PARAMS)?;
        let ret = r.opt("import result type")?;
        m.imports.push(Import { module, name, params, ret });
    }

    let n = r.count("function count", limits::MAX_FUNCTIONS, 7)?;
    for _ in 0..n {
        m.functions.push(decode_function(&mut r, header.minor)?);
    }

    let n = r.count("export count", limits::MAX_FUNCTIONS, 2)?;
    for _ in 0..n {
        let name = r.str("export name")?;
        m.exports.push(Export { name, func: r.u32v("exported function")? });
    }
    m.init = r.opt("init function")?;
    m.main = r.opt("main function")?;
    if r.remaining() != 0 {
        return r.err(r.pos, format!("{} unexpected bytes after the end of the module", r.remaining()));
    }
    Ok((m, header))
}

/// Before version 1.2 every jump opcode could jump either way; a backward one is read as
/// its loop twin, which means the same (fuel was always charged at taken backward jumps).
const FIRST_MINOR_WITH_LOOP_JUMPS: u16 = 2;

fn decode_function(r: &mut Reader<'_>, minor: u16) -> R<Function> {
    let name = r.str("function name")?;
    let captures = r.type_ids("capture count", limits::MAX_PARAMS)?;
    let params = r.type_ids("parameter count", limits::MAX_PARAMS)?;
    let ret = r.opt("result type")?;
    let regs = r.type_ids("register count", limits::MAX_REGS)?;
    let n = r.count("instruction count", limits::MAX_CODE, 8)?;
    let mut code = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.pos;
        let opb = r.u8("opcode")?;
        let Some(op) = Op::from_u8(opb).filter(|op| !op.is_internal()) else {
            return r.err(at, format!("unknown opcode {opb}"));
        };
        if r.u8("padding byte")? != 0 {
            return r.err(at + 1, "instruction padding byte must be 0");
        }
        let a = r.u16("operand A")?;
        let b = r.u16("operand B")?;
        let c = r.u16("operand C")?;
        let mut ins = Instr { op, a, b, c };
        if minor < FIRST_MINOR_WITH_LOOP_JUMPS && op.is_jump() {
            ins = ins.with_jump_offset(ins.jump_offset()).unwrap_or(ins);
        }
        code.push(ins);
    }
    let at = r.pos;
    let runs = r.count("location run count", limits::MAX_CODE, 4)?;
    let mut locs = Vec::with_capacity(n);
    for _ in 0..runs {
        let len_at = r.pos;
        let len = r.count("location run length", limits::MAX_CODE, 0)?;
        let loc = Loc { file: r.u32v("file index")?, line: r.u32v("line")?, col: r.u32v("column")? };
        if locs.len() + len > n {
            return r.err(len_at, format!("location runs cover more than the {n} instructions"));
        }
        locs.extend(std::iter::repeat_n(loc, len));
    }
    if locs.len() != n {
        return r.err(at, format!("location runs cover {} of {n} instructions", locs.len()));
    }
    Ok(Function { name, captures, params, ret, regs, code, locs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytecode::encode::encode;

    fn sample() -> Module {
        Module {
            types: vec![Type::Int, Type::Str, Type::Array(1), Type::Fn(vec![0], Some(1))],
            structs: vec![StructDef { name: "P".into(), fields: vec![Field { name: "x".into(), ty: 0 }] }],
            consts: vec![Const::Int(-5), Const::Float(1.5), Const::Str("hé".into())],
            globals: vec![Global { name: "G".into(), ty: 0 }],
            imports: vec![Import { module: "app".into(), name: "log".into(), params: vec![1], ret: None }],
            functions: vec![Function {
                name: "main".into(),
                captures: vec![],
                params: vec![],
                ret: None,
                regs: vec![0, 0],
                code: vec![Instr::new(Op::LoadInt, 0, 1, 0), Instr::new(Op::RetVoid, 0, 0, 0)],
                locs: vec![Loc { file: 0, line: 1, col: 1 }, Loc { file: 0, line: 2, col: 3 }],
            }],
            exports: vec![Export { name: "main".into(), func: 0 }],
            files: vec!["a.kite".into()],
            init: None,
            main: Some(0),
        }
    }

    #[test]
    fn round_trips() {
        let m = sample();
        assert_eq!(decode(&encode(&m)).unwrap(), m);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = encode(&sample());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "prefix of {n} bytes decoded");
        }
    }

    #[test]
    fn huge_count_is_refused_before_allocating() {
        let mut bytes = Vec::from(MAGIC);
        bytes.extend_from_slice(&VERSION_MAJOR.to_le_bytes());
        bytes.extend_from_slice(&0u16.to_le_bytes());
        bytes.extend_from_slice(&[0; 32]);
        bytes.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]); // 2^32 - 1 files
        crate::bytecode::encode::seal(&mut bytes);
        let e = decode(&bytes).unwrap_err();
        assert_eq!(e.offset, HEADER_LEN);
        assert!(e.message.contains("file count"), "{e}");
    }

    #[test]
    fn a_backward_jump_of_an_older_minor_version_is_read_as_a_loop_jump() {
        let mut m = sample();
        m.functions[0].code.insert(1, Instr::new(Op::JmpIfLtIK, 0, 5, (-2i16) as u16));
        m.functions[0].code.insert(2, Instr::with_bc(Op::JmpIfNot, 0, 0));
        m.functions[0].locs.extend([Loc { file: 0, line: 2, col: 3 }; 2]);
        let mut bytes = encode(&m);
        bytes[6..8].copy_from_slice(&1u16.to_le_bytes());
        crate::bytecode::encode::seal(&mut bytes);
        let code = decode(&bytes).unwrap().functions.remove(0).code;
        assert_eq!(code[1], Instr::new(Op::LoopIfLtIK, 0, 5, (-2i16) as u16));
        assert_eq!(code[2], Instr::with_bc(Op::JmpIfNot, 0, 0));
        // From 1.2 on, the file says which jumps are loop jumps; the verifier checks it.
        assert_eq!(decode(&encode(&m)).unwrap().functions[0].code[1].op, Op::JmpIfLtIK);
    }

    #[test]
    fn newer_major_version_names_both() {
        let mut bytes = encode(&sample());
        bytes[4] = 9;
        let e = decode(&bytes).unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(e.message.contains("version 9.3 ") && e.message.contains("1.0 to 1.3"), "{e}");
    }

    #[test]
    fn newer_minor_version_is_refused_naming_both() {
        let mut bytes = encode(&sample());
        bytes[6] = 4;
        let e = decode(&bytes).unwrap_err();
        assert!(e.message.contains("version 1.4 ") && e.message.contains("1.0 to 1.3"), "{e}");
    }

    #[test]
    fn a_changed_byte_is_a_digest_mismatch() {
        let mut bytes = encode(&sample());
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let e = decode(&bytes).unwrap_err();
        assert_eq!(e.offset, DIGEST_OFFSET);
        assert!(e.message.contains("digest mismatch"), "{e}");
        let header = read_header(&encode(&sample())).unwrap();
        assert!(e.message.contains(&header.digest_hex()), "{e}");
    }
}
