//! The text of values (`print`, `str`), driven by static types: registers hold raw
//! 64-bit words, so the type says how to read each one.
//!
//! **Formatting is bounded.** A structure whose parts are shared prints each shared part
//! every time it is reached (as a tree, the way `print` shows it), so its text can be far
//! larger than the structure: a chain of 40 structs each holding the next twice prints 2^40
//! leaves. The text is therefore written into a [`Sink`] that holds it to a byte limit (what
//! the memory limit leaves: the text is VM memory), reserving its buffer before it grows,
//! and reports its progress so the caller can use fuel for it and poll the interrupt flag.
//! A cycle prints as `...` where a container is reached again inside itself.

use super::text::{format_float, format_int, quote_str};
use super::trap::{Trap, TrapCode};
use crate::bytecode::{Module, Type, TypeId};
use crate::heap::{array_of, map_of, str_of, BoxObj, ClosureObj, StructObj};

/// Deeper nesting than this prints as `...` (keeps printing off the native stack's edge).
const MAX_DEPTH: usize = 2000;

/// Bytes of text between two progress reports.
const PROGRESS_EVERY: usize = 64 << 10;

/// Where text goes: a `String` held to `limit` bytes, reporting every `PROGRESS_EVERY`
/// bytes written to `progress` (which may stop the formatting with a trap).
pub struct Sink<'a> {
    pub out: &'a mut String,
    limit: usize,
    reported: usize,
    progress: &'a mut dyn FnMut(usize) -> Result<(), Trap>,
}

impl<'a> Sink<'a> {
    /// A sink appending to `out`, at most `limit` bytes in all.
    pub fn new(out: &'a mut String, limit: usize, progress: &'a mut dyn FnMut(usize) -> Result<(), Trap>) -> Sink<'a> {
        let reported = out.len();
        Sink { out, limit, reported, progress }
    }

    /// Appends `s`: `out of memory` past the limit (the buffer is reserved before it grows).
    pub fn push_str(&mut self, s: &str) -> Result<(), Trap> {
        let len = self.out.len();
        let need = len.checked_add(s.len()).filter(|&n| n <= self.limit).ok_or(TrapCode::OutOfMemory)?;
        if need > self.out.capacity() {
            let want = need.max(len.saturating_mul(2)).max(64).min(self.limit);
            self.out.try_reserve_exact(want - len).map_err(|_| Trap::from(TrapCode::OutOfMemory))?;
        }
        self.out.push_str(s);
        if self.out.len() - self.reported >= PROGRESS_EVERY {
            let n = self.out.len() - self.reported;
            self.reported = self.out.len();
            (self.progress)(n)?;
        }
        Ok(())
    }

    /// Appends one character.
    pub fn push(&mut self, c: char) -> Result<(), Trap> {
        self.push_str(c.encode_utf8(&mut [0; 4]))
    }

    /// Reports the bytes written since the last report.
    pub fn finish(&mut self) -> Result<(), Trap> {
        let n = self.out.len() - self.reported;
        self.reported = self.out.len();
        (self.progress)(n)
    }
}

/// Writes the text of value `v` of type `ty` into `sink`. Strings are raw at top level
/// and quoted inside containers; a container already being printed shows as `...`.
pub fn write_value(sink: &mut Sink<'_>, m: &Module, v: u64, ty: TypeId) -> Result<(), Trap> {
    let mut visiting = Vec::new();
    write(sink, m, v, ty, true, &mut visiting)
}

/// The text of value `v` of type `ty`, unbounded: for values known to be small (a map key
/// in a trap message is an int, a bool or a string).
pub fn value_text(m: &Module, v: u64, ty: TypeId, top: bool) -> String {
    let mut out = String::new();
    let mut none = |_| Ok(());
    let mut sink = Sink::new(&mut out, usize::MAX, &mut none);
    let mut visiting = Vec::new();
    let _ = write(&mut sink, m, v, ty, top, &mut visiting);
    out
}

fn write(out: &mut Sink<'_>, m: &Module, v: u64, ty: TypeId, top: bool, visiting: &mut Vec<u64>) -> Result<(), Trap> {
    // Safety (for every dereference below): `v` holds a live value of type `ty`. Callers
    // pass a register's value with the register's verified type (ToStr, Print, eprint,
    // trap messages), whose non-optional references are written before they are read
    // (the verifier's definite assignment); values inside containers, boxes and struct
    // fields have the types their container's type says, because every instruction that
    // stores one is checked against that type. The collector keeps what is printed alive.
    match m.ty(ty) {
        Type::Int => {
            let mut t = String::new();
            format_int(v as i64, &mut t);
            out.push_str(&t)?;
        }
        Type::Float => {
            let mut t = String::new();
            format_float(f64::from_bits(v), &mut t);
            out.push_str(&t)?;
        }
        Type::Bool => out.push_str(if v != 0 { "true" } else { "false" })?,
        Type::Str => {
            let s = unsafe { str_of(v) };
            if top {
                out.push_str(s)?;
            } else {
                // A quoted string is at least its length plus the quotes: refuse what cannot
                // fit before quoting it.
                if out.out.len().saturating_add(s.len()).saturating_add(2) > out.limit {
                    return Err(TrapCode::OutOfMemory.into());
                }
                let mut t = String::new();
                quote_str(s, &mut t);
                out.push_str(&t)?;
            }
        }
        Type::Optional(inner) => {
            if v == 0 {
                out.push_str("nil")?;
            } else if m.ty(*inner).kind() != crate::bytecode::Kind::Ref {
                let x = unsafe { (*(v as *const BoxObj)).value };
                write(out, m, x, *inner, top, visiting)?;
            } else {
                write(out, m, v, *inner, top, visiting)?;
            }
        }
        Type::Array(e) => {
            if visiting.contains(&v) || visiting.len() >= MAX_DEPTH {
                return out.push_str("...");
            }
            visiting.push(v);
            out.push('[')?;
            let mut i = 0;
            // The array may not change while printing, but index defensively anyway.
            while let Some(x) = unsafe { array_of(v) }.get(i) {
                if i > 0 {
                    out.push_str(", ")?;
                }
                write(out, m, x, *e, false, visiting)?;
                i += 1;
            }
            out.push(']')?;
            visiting.pop();
        }
        Type::Map(k, val) => {
            if visiting.contains(&v) || visiting.len() >= MAX_DEPTH {
                return out.push_str("...");
            }
            visiting.push(v);
            out.push('{')?;
            let map = unsafe { map_of(v) };
            for (i, (key, x)) in map.map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ")?;
                }
                write(out, m, key.raw(), *k, false, visiting)?;
                out.push_str(": ")?;
                write(out, m, *x, *val, false, visiting)?;
            }
            out.push('}')?;
            visiting.pop();
        }
        Type::Struct(s) => {
            let def = &m.structs[*s as usize];
            if visiting.contains(&v) || visiting.len() >= MAX_DEPTH {
                return out.push_str("...");
            }
            visiting.push(v);
            out.push_str(&def.name)?;
            if def.fields.is_empty() {
                out.push_str(" {}")?;
            } else {
                out.push_str(" { ")?;
                for (i, f) in def.fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ")?;
                    }
                    out.push_str(&f.name)?;
                    out.push_str(": ")?;
                    let x = unsafe { *StructObj::field(v as *mut StructObj, i) };
                    write(out, m, x, f.ty, false, visiting)?;
                }
                out.push_str(" }")?;
            }
            visiting.pop();
        }
        Type::Fn(..) => {
            let c = unsafe { &*(v as *const ClosureObj) };
            let f = &m.functions[c.hdr.aux as usize];
            if f.name == "<closure>" {
                out.push_str("<closure>")?;
            } else {
                out.push_str("<fn ")?;
                out.push_str(&f.name)?;
                out.push('>')?;
            }
        }
    }
    Ok(())
}

/// The text of a map key as a trap message shows it (strings quoted).
pub fn key_text(m: &Module, key: u64, ty: TypeId) -> String {
    value_text(m, key, ty, false)
}
