//! The text of values (`print`, `str`), driven by static types: registers hold raw
//! 64-bit words, so the type says how to read each one.

use super::text::{format_float, format_int, quote_str};
use crate::bytecode::{Module, Type, TypeId};
use crate::heap::{array_of, map_of, str_of, BoxObj, ClosureObj, StructObj};

/// Deeper nesting than this prints as `...` (keeps printing off the native stack's edge).
const MAX_DEPTH: usize = 2000;

/// Writes the text of value `v` of type `ty`. Strings are raw at top level and quoted
/// inside containers; a container already being printed shows as `...`.
pub fn write_value(out: &mut String, m: &Module, v: u64, ty: TypeId) {
    let mut visiting = Vec::new();
    write(out, m, v, ty, true, &mut visiting);
}

fn write(out: &mut String, m: &Module, v: u64, ty: TypeId, top: bool, visiting: &mut Vec<u64>) {
    // Safety (for every dereference below): `v` holds a live value of type `ty`. Callers
    // pass a register's value with the register's verified type (ToStr, Print, eprint,
    // trap messages), whose non-optional references are written before they are read
    // (the verifier's definite assignment); values inside containers, boxes and struct
    // fields have the types their container's type says, because every instruction that
    // stores one is checked against that type. The collector keeps what is printed alive.
    match m.ty(ty) {
        Type::Int => format_int(v as i64, out),
        Type::Float => format_float(f64::from_bits(v), out),
        Type::Bool => out.push_str(if v != 0 { "true" } else { "false" }),
        Type::Str => {
            let s = unsafe { str_of(v) };
            if top {
                out.push_str(s)
            } else {
                quote_str(s, out)
            }
        }
        Type::Optional(inner) => {
            if v == 0 {
                out.push_str("nil");
            } else if m.ty(*inner).kind() != crate::bytecode::Kind::Ref {
                let x = unsafe { (*(v as *const BoxObj)).value };
                write(out, m, x, *inner, top, visiting);
            } else {
                write(out, m, v, *inner, top, visiting);
            }
        }
        Type::Array(e) => {
            if visiting.contains(&v) || visiting.len() >= MAX_DEPTH {
                out.push_str("...");
                return;
            }
            visiting.push(v);
            out.push('[');
            let mut i = 0;
            // The array may not change while printing, but index defensively anyway.
            while let Some(&x) = unsafe { array_of(v) }.items().get(i) {
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, m, x, *e, false, visiting);
                i += 1;
            }
            out.push(']');
            visiting.pop();
        }
        Type::Map(k, val) => {
            if visiting.contains(&v) || visiting.len() >= MAX_DEPTH {
                out.push_str("...");
                return;
            }
            visiting.push(v);
            out.push('{');
            let map = unsafe { map_of(v) };
            for (i, (key, x)) in map.map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, m, key.raw(), *k, false, visiting);
                out.push_str(": ");
                write(out, m, *x, *val, false, visiting);
            }
            out.push('}');
            visiting.pop();
        }
        Type::Struct(s) => {
            let def = &m.structs[*s as usize];
            if visiting.contains(&v) || visiting.len() >= MAX_DEPTH {
                out.push_str("...");
                return;
            }
            visiting.push(v);
            out.push_str(&def.name);
            if def.fields.is_empty() {
                out.push_str(" {}");
            } else {
                out.push_str(" { ");
                for (i, f) in def.fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&f.name);
                    out.push_str(": ");
                    let x = unsafe { *StructObj::field(v as *mut StructObj, i) };
                    write(out, m, x, f.ty, false, visiting);
                }
                out.push_str(" }");
            }
            visiting.pop();
        }
        Type::Fn(..) => {
            let c = unsafe { &*(v as *const ClosureObj) };
            let f = &m.functions[c.hdr.aux as usize];
            if f.name == "<closure>" {
                out.push_str("<closure>");
            } else {
                out.push_str("<fn ");
                out.push_str(&f.name);
                out.push('>');
            }
        }
    }
}

/// The text of a map key as a trap message shows it (strings quoted).
pub fn key_text(m: &Module, key: u64, ty: TypeId) -> String {
    let mut s = String::new();
    let mut visiting = Vec::new();
    write(&mut s, m, key, ty, false, &mut visiting);
    s
}
