//! The runtime built-ins (`CallBuiltin`) and host calls (`CallHost`): everything the
//! language offers beyond single instructions. Arguments are read from the caller's
//! registers `first..`; generic built-ins read their argument types from the caller's
//! register types.

use super::text;
use super::trap::Trap;
use crate::bytecode::{Builtin, Kind, Type, TypeId};
use crate::heap::{array_of, map_of, str_of, BoxObj, StrObj};
use crate::host::{Caller, Val};
use crate::interp::Vm;
use std::io::Write;

/// Arguments of one built-in call: the caller's function and the first argument's index
/// in the register stack.
#[derive(Clone, Copy)]
struct Args {
    func: u32,
    first: usize,
    /// Register number of the first argument in the caller's frame.
    reg: u16,
}

impl Vm {
    #[inline]
    fn arg(&self, a: Args, i: usize) -> u64 {
        self.stack[a.first + i]
    }
    fn arg_int(&self, a: Args, i: usize) -> i64 {
        self.arg(a, i) as i64
    }
    fn arg_str(&self, a: Args, i: usize) -> &str {
        // Safety: the verifier checks every `CallBuiltin` argument against the built-in's
        // signature (`verify::builtin_sig`), which says `str` for each argument read here,
        // and definite assignment guarantees the register was written: a live string.
        unsafe { str_of(self.arg(a, i)) }
    }
    fn arg_type(&self, a: Args, i: usize) -> TypeId {
        self.reg_type(a.func, a.reg + i as u16)
    }
    /// The element type of the array argument `i`.
    fn elem_type(&self, a: Args, i: usize) -> TypeId {
        match self.module.ty(self.arg_type(a, i)) {
            Type::Array(e) => *e,
            _ => 0,
        }
    }
    fn boxed_or_raw(&mut self, v: Option<u64>, is_ref: bool) -> u64 {
        match v {
            None => 0,
            Some(v) if is_ref => v,
            Some(v) => self.heap.alloc_box(v),
        }
    }
    fn new_str(&mut self, s: String) -> u64 {
        self.heap.alloc_string(s)
    }
    fn new_str_array(&mut self, parts: Vec<String>) -> u64 {
        let items = parts.into_iter().map(|p| self.heap.alloc_string(p)).collect();
        self.heap.alloc_array(items, true)
    }

    /// Runs built-in `b` with arguments in registers `c..` of the current frame; returns
    /// the result word for register `a`, if the built-in has one.
    pub(crate) fn builtin(
        &mut self,
        b: Builtin,
        func: u32,
        base: usize,
        a_op: u16,
        c: u16,
    ) -> Result<Option<u64>, Trap> {
        let a = Args { func, first: base + c as usize, reg: c };
        use Builtin as B;
        let v = match b {
            B::Write => {
                let s = self.arg_str(a, 0).to_owned();
                self.out.write_all(s.as_bytes()).map_err(|e| Trap::new(format!("cannot write output: {e}")))?;
                return Ok(None);
            }
            B::EPrint => {
                self.print_line(func, base, c, a_op, true)?;
                return Ok(None);
            }
            B::ParseInt => {
                let r = text::parse_int(self.arg_str(a, 0));
                self.boxed_or_raw(r.map(|v| v as u64), false)
            }
            B::ParseFloat => {
                let r = text::parse_float(self.arg_str(a, 0));
                self.boxed_or_raw(r.map(f64::to_bits), false)
            }
            B::Fixed => {
                let x = f64::from_bits(self.arg(a, 0));
                let d = self.arg_int(a, 1);
                if !(0..=100).contains(&d) {
                    return Err(Trap::new(format!("fixed: digits out of range: {d}")));
                }
                let mut s = String::new();
                text::format_fixed(x, d as usize, &mut s);
                self.new_str(s)
            }
            B::Chr => {
                let code = self.arg_int(a, 0);
                let ch = u32::try_from(code).ok().and_then(char::from_u32);
                match ch {
                    Some(ch) => self.new_str(ch.to_string()),
                    None => return Err(Trap::new(format!("invalid char code: {code}"))),
                }
            }
            B::Ord => {
                let s = self.arg_str(a, 0);
                let mut it = s.chars();
                match (it.next(), it.next()) {
                    (Some(ch), None) => ch as u64,
                    _ => return Err(Trap::new("ord of a string that is not one character")),
                }
            }
            B::Assert => {
                if self.arg(a, 0) == 0 {
                    return Err(Trap::new("assertion failed"));
                }
                return Ok(None);
            }
            B::AssertMsg => {
                if self.arg(a, 0) == 0 {
                    return Err(Trap::new(format!("assertion failed: {}", self.arg_str(a, 1))));
                }
                return Ok(None);
            }
            B::Panic => return Err(Trap::new(format!("panic: {}", self.arg_str(a, 0)))),
            B::CheckExit => {
                let v = self.arg_int(a, 0);
                if !(0..=255).contains(&v) {
                    return Err(Trap::new(format!("exit code out of range: {v}")));
                }
                return Ok(None);
            }
            B::StrSlice => {
                let s = self.arg_str(a, 0);
                let (lo, hi) = (self.arg_int(a, 1), self.arg_int(a, 2));
                let r = slice_range(lo, hi, s.len())?;
                if !s.is_char_boundary(r.start) || !s.is_char_boundary(r.end) {
                    return Err(Trap::new("invalid char boundary"));
                }
                let out = s[r].to_owned();
                self.new_str(out)
            }
            B::StrByte => {
                let s = self.arg_str(a, 0);
                let i = self.arg_int(a, 1);
                match s.as_bytes().get(i as usize) {
                    Some(&b) if i >= 0 => b as u64,
                    _ => return Err(Trap::index_out_of_bounds(i, s.len())),
                }
            }
            B::StrFind => {
                let (s, sub) = (self.arg_str(a, 0), self.arg_str(a, 1));
                s.find(sub).map_or(-1i64, |i| i as i64) as u64
            }
            B::StrContains => self.arg_str(a, 0).contains(self.arg_str(a, 1)) as u64,
            B::StrStartsWith => self.arg_str(a, 0).starts_with(self.arg_str(a, 1)) as u64,
            B::StrEndsWith => self.arg_str(a, 0).ends_with(self.arg_str(a, 1)) as u64,
            B::StrSplit => {
                if self.arg_str(a, 1).is_empty() {
                    return Err(Trap::new("empty separator"));
                }
                // Safety: both arguments are live strings (verified register types); they stay
                // alive and unchanged while this built-in runs (no collection happens inside it).
                let (s, sep) = unsafe { (str_of(self.arg(a, 0)), str_of(self.arg(a, 1))) };
                let parts: Vec<&str> = match sep.as_bytes() {
                    // A one-byte separator is ASCII: split on the char (a byte search).
                    [b] => s.split(*b as char).collect(),
                    _ => s.split(sep).collect(),
                };
                self.reserve_heap(strings_size(parts.len(), s.len()))?;
                let items = parts.into_iter().map(|p| self.heap.alloc_str(p)).collect();
                self.heap.alloc_array(items, true)
            }
            B::StrTrim => {
                self.reserve_heap(self.arg_str(a, 0).len())?;
                let s = self.arg_str(a, 0).trim().to_owned();
                self.new_str(s)
            }
            B::StrUpper => {
                self.reserve_heap(self.arg_str(a, 0).len())?;
                let s = self.arg_str(a, 0).to_ascii_uppercase();
                self.new_str(s)
            }
            B::StrLower => {
                self.reserve_heap(self.arg_str(a, 0).len())?;
                let s = self.arg_str(a, 0).to_ascii_lowercase();
                self.new_str(s)
            }
            B::StrReplace => {
                let (s, from, to) = (self.arg_str(a, 0), self.arg_str(a, 1), self.arg_str(a, 2));
                let grow = if to.len() > from.len() {
                    s.matches(from).count().saturating_mul(to.len() - from.len())
                } else {
                    0
                };
                self.reserve_heap(s.len().saturating_add(grow))?;
                let s = self.arg_str(a, 0).replace(self.arg_str(a, 1), self.arg_str(a, 2));
                self.new_str(s)
            }
            B::StrRepeat => {
                let n = self.arg_int(a, 1);
                if n < 0 {
                    return Err(Trap::new(format!("negative repeat count: {n}")));
                }
                let total = (self.arg_str(a, 0).len() as u128) * (n as u128);
                if total > isize::MAX as u128 {
                    return Err(Trap::limit("out of memory"));
                }
                self.reserve_heap(total as usize)?;
                let s = self.arg_str(a, 0);
                let mut out = String::new();
                if out.try_reserve_exact(total as usize).is_err() {
                    return Err(Trap::limit("out of memory"));
                }
                for _ in 0..n {
                    out.push_str(s);
                }
                self.new_str(out)
            }
            B::StrChars => {
                let n = self.arg_str(a, 0).chars().count();
                self.reserve_heap(strings_size(n, 4 * n))?;
                let parts: Vec<String> = self.arg_str(a, 0).chars().map(String::from).collect();
                self.new_str_array(parts)
            }
            B::StrBytes => {
                self.reserve_heap(self.arg_str(a, 0).len().saturating_mul(8))?;
                let items: Vec<u64> = self.arg_str(a, 0).bytes().map(|b| b as u64).collect();
                self.heap.alloc_array(items, false)
            }
            B::ArrayPop => {
                // Safety (all array built-ins): the verifier's built-in signature rule makes
                // argument 0 an array type (`[E]`), and definite assignment makes it non-nil,
                // so it is a live array object. No other reference to its items is held.
                let arr = unsafe { array_of(self.arg(a, 0)) };
                match arr.items.pop() {
                    Some(v) => v,
                    None => return Err(Trap::new("pop from empty array")),
                }
            }
            B::ArrayInsert => {
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let i = self.arg_int(a, 1);
                if i < 0 || i as usize > arr.items.len() {
                    return Err(Trap::index_out_of_bounds(i, arr.items.len()));
                }
                if arr.items.len() == arr.items.capacity() {
                    self.reserve_heap(arr.items.capacity().max(4) * 8)?;
                }
                // Safety: the same live array (collecting does not move objects).
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let before = arr.items.capacity();
                if arr.items.try_reserve(1).is_err() {
                    return Err(Trap::limit("out of memory"));
                }
                arr.items.insert(i as usize, self.arg(a, 2));
                let grown = arr.items.capacity() - before;
                self.heap.account(grown * 8);
                return Ok(None);
            }
            B::ArrayRemove => {
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let i = self.arg_int(a, 1);
                if i < 0 || i as usize >= arr.items.len() {
                    return Err(Trap::index_out_of_bounds(i, arr.items.len()));
                }
                arr.items.remove(i as usize)
            }
            B::ArraySlice => {
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let r = slice_range(self.arg_int(a, 1), self.arg_int(a, 2), arr.items.len())?;
                self.reserve_heap(r.len() * 8)?;
                // Safety: the same live array (collecting does not move objects).
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let items = arr.items[r].to_vec();
                let elem_ref = arr.hdr.aux != 0;
                self.heap.alloc_array(items, elem_ref)
            }
            B::ArrayClear => {
                unsafe { array_of(self.arg(a, 0)) }.items.clear();
                return Ok(None);
            }
            B::ArrayReverse => {
                unsafe { array_of(self.arg(a, 0)) }.items.reverse();
                return Ok(None);
            }
            B::ArrayContains | B::ArrayIndexOf => {
                let et = self.elem_type(a, 0);
                let x = self.arg(a, 1);
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let pos = arr.items.iter().position(|&y| self.value_eq(et, x, y));
                if b == B::ArrayContains {
                    pos.is_some() as u64
                } else {
                    pos.map_or(-1i64, |p| p as i64) as u64
                }
            }
            B::ArraySort => {
                let et = self.elem_type(a, 0);
                let arr = unsafe { array_of(self.arg(a, 0)) };
                match self.module.ty(et) {
                    Type::Int => arr.items.sort_by_key(|&v| v as i64),
                    Type::Float => arr.items.sort_by(|&x, &y| float_sort_key(x).total_cmp(&float_sort_key(y))),
                    // Safety: elements of a [str] are live strings: every instruction and
                    // built-in that stores into an array checks the value against the
                    // element type (NewArray, ArrayRepeat, SetIndex, ArrayPush, insert).
                    Type::Str => arr.items.sort_by(|&x, &y| unsafe { str_of(x).as_bytes().cmp(str_of(y).as_bytes()) }),
                    _ => {}
                }
                return Ok(None);
            }
            B::ArraySortBy => {
                self.sort_by(self.arg(a, 0), self.arg(a, 1))?;
                return Ok(None);
            }
            B::ArrayJoin => {
                let sep = self.arg_str(a, 1);
                let arr = unsafe { array_of(self.arg(a, 0)) };
                // Safety: as below, elements of a [str] are live strings.
                let total = arr.items.iter().fold(sep.len().saturating_mul(arr.items.len()), |t, &x| {
                    t.saturating_add(unsafe { str_of(x) }.len())
                });
                self.reserve_heap(total)?;
                let sep = self.arg_str(a, 1);
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let mut out = String::new();
                for (i, &s) in arr.items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    // Safety: join's signature is `([str], str)`, and elements of a [str] are
                    // live strings (see ArraySort above).
                    out.push_str(unsafe { str_of(s) });
                }
                self.new_str(out)
            }
            // Safety (all map built-ins): the verifier's built-in signature rule makes
            // argument 0 a map type (`{K: V}`) and definite assignment makes it non-nil, so
            // it is a live map object whose key kind and value kind match K and V.
            B::MapLen => unsafe { map_of(self.arg(a, 0)) }.map.len() as u64,
            B::MapHas => {
                let m = unsafe { map_of(self.arg(a, 0)) };
                let k = m.key(self.arg(a, 1));
                m.map.contains_key(&k) as u64
            }
            B::MapRemove => {
                let m = unsafe { map_of(self.arg(a, 0)) };
                let k = m.key(self.arg(a, 1));
                let v = m.map.shift_remove(&k);
                let is_ref = m.val_is_ref;
                self.boxed_or_raw(v, is_ref)
            }
            B::MapKeys => {
                self.reserve_heap(unsafe { map_of(self.arg(a, 0)) }.map.len() * 8)?;
                let m = unsafe { map_of(self.arg(a, 0)) };
                let items: Vec<u64> = m.map.keys().map(|k| k.raw()).collect();
                let r = m.key_is_ref();
                self.heap.alloc_array(items, r)
            }
            B::MapValues => {
                self.reserve_heap(unsafe { map_of(self.arg(a, 0)) }.map.len() * 8)?;
                let m = unsafe { map_of(self.arg(a, 0)) };
                let items: Vec<u64> = m.map.values().copied().collect();
                let r = m.val_is_ref;
                self.heap.alloc_array(items, r)
            }
            B::MapClear => {
                unsafe { map_of(self.arg(a, 0)) }.map.clear();
                return Ok(None);
            }
        };
        Ok(Some(v))
    }

    /// Value equality for `contains`/`index_of` on int, float, bool and str elements.
    fn value_eq(&self, ty: TypeId, x: u64, y: u64) -> bool {
        match self.module.ty(ty) {
            Type::Float => f64::from_bits(x) == f64::from_bits(y),
            // Safety: `ty` is the element type E of the verified `[E]` argument, and `x` is
            // the verified `E` argument or an element: both live strings when E is str.
            Type::Str => unsafe { str_of(x) == str_of(y) },
            _ => x == y,
        }
    }

    /// A stable merge sort whose comparator is a program closure (which may trap).
    fn sort_by(&mut self, arr_ref: u64, cmp: u64) -> Result<(), Trap> {
        // Safety: sort_by's signature is `([E], fn(E, E) -> int)`: argument 0 is a live
        // array (definite assignment makes it non-nil).
        let items: Vec<u64> = unsafe { array_of(arr_ref) }.items.clone();
        // Keep the elements and the comparator alive while the comparator runs.
        let mark = self.temp_roots.len();
        self.temp_roots.extend_from_slice(&items);
        self.temp_roots.push(cmp);
        self.temp_roots.push(arr_ref);
        let mut v = items;
        let r = self.merge_sort(&mut v, cmp);
        self.temp_roots.truncate(mark);
        r?;
        // Safety: still the same live array (it was rooted through the call).
        let arr = unsafe { array_of(arr_ref) };
        arr.items.clear();
        arr.items.extend_from_slice(&v);
        Ok(())
    }

    fn merge_sort(&mut self, v: &mut [u64], cmp: u64) -> Result<(), Trap> {
        let n = v.len();
        if n < 2 {
            return Ok(());
        }
        let mut buf = v.to_vec();
        let mut width = 1;
        while width < n {
            let mut lo = 0;
            while lo < n {
                let mid = (lo + width).min(n);
                let hi = (lo + 2 * width).min(n);
                let (mut i, mut j, mut k) = (lo, mid, lo);
                while i < mid && j < hi {
                    let c = self.call_closure_value(cmp, &[v[j], v[i]])? as i64;
                    // Take from the right only when it is strictly smaller: stable.
                    if c < 0 {
                        buf[k] = v[j];
                        j += 1;
                    } else {
                        buf[k] = v[i];
                        i += 1;
                    }
                    k += 1;
                }
                buf[k..k + (mid - i)].copy_from_slice(&v[i..mid]);
                k += mid - i;
                buf[k..k + (hi - j)].copy_from_slice(&v[j..hi]);
                lo = hi;
            }
            v.copy_from_slice(&buf);
            width *= 2;
        }
        Ok(())
    }

    /// Calls host import `imp` with arguments in registers `c..` of the current frame.
    pub(crate) fn call_host(&mut self, func: u32, base: usize, imp: u16, c: u16) -> Result<u64, Trap> {
        let m = std::sync::Arc::clone(&self.module);
        let import = &m.imports[imp as usize];
        let args: Vec<Val> =
            import.params.iter().enumerate().map(|(i, &t)| self.to_val(self.stack[base + c as usize + i], t)).collect();
        let _ = func;
        let f = self.host[imp as usize].callback.clone();
        let room = self.heap.room();
        let mut caller = Caller::new(&mut *self.out, &mut self.ctx, room);
        let r = f(&mut caller, args)?;
        match import.ret {
            Some(t) => self.from_val(&r, t),
            None => Ok(0),
        }
    }

    /// A register word of type `t` as a host value.
    pub fn to_val(&self, v: u64, t: TypeId) -> Val {
        // Safety: `v` is a live value of type `t`: `t` is a parameter type of the import, and
        // the verifier checks that CallHost's argument registers have exactly those types
        // and are written (definite assignment); elements, boxes and the values inside
        // optionals have the types their containers' types say.
        unsafe {
            match self.module.ty(t) {
                Type::Int => Val::Int(v as i64),
                Type::Float => Val::Float(f64::from_bits(v)),
                Type::Bool => Val::Bool(v != 0),
                Type::Str => Val::Str(str_of(v).to_owned()),
                Type::Array(e) => Val::Array(array_of(v).items.iter().map(|&x| self.to_val(x, *e)).collect()),
                Type::Optional(e) => {
                    if v == 0 {
                        Val::Nil
                    } else if self.module.kind(*e) == Kind::Ref {
                        self.to_val(v, *e)
                    } else {
                        self.to_val((*(v as *const BoxObj)).value, *e)
                    }
                }
                _ => Val::Nil,
            }
        }
    }

    /// A host value as a register word of type `t`, allocating as needed.
    pub fn from_val(&mut self, v: &Val, t: TypeId) -> Result<u64, Trap> {
        let m = std::sync::Arc::clone(&self.module);
        let bad = || Trap::new(format!("host function returned {v:?}, which is not a {}", m.type_name(t)));
        Ok(match (m.ty(t), v) {
            (Type::Int, Val::Int(i)) => *i as u64,
            (Type::Float, Val::Float(f)) => f.to_bits(),
            (Type::Bool, Val::Bool(b)) => *b as u64,
            (Type::Str, Val::Str(s)) => self.heap.alloc_string(s.clone()),
            (Type::Array(e), Val::Array(xs)) => {
                let mut items = Vec::with_capacity(xs.len());
                for x in xs {
                    items.push(self.from_val(x, *e)?);
                }
                let r = m.kind(*e) == Kind::Ref;
                self.heap.alloc_array(items, r)
            }
            (Type::Optional(_), Val::Nil) => 0,
            (Type::Optional(e), v) => {
                let inner = self.from_val(v, *e)?;
                if m.kind(*e) == Kind::Ref {
                    inner
                } else {
                    self.heap.alloc_box(inner)
                }
            }
            _ => return Err(bad()),
        })
    }
}

/// What `n` new strings holding `text` bytes in all cost the heap, with the array of them.
fn strings_size(n: usize, text: usize) -> usize {
    n.saturating_mul(std::mem::size_of::<StrObj>() + 8).saturating_add(text)
}

/// The range `lo..hi` if it lies within `0..=len`, else the slice trap.
fn slice_range(lo: i64, hi: i64, len: usize) -> Result<std::ops::Range<usize>, Trap> {
    if lo < 0 || hi < lo || hi as u64 > len as u64 {
        return Err(Trap::new(format!("slice out of bounds: {lo}..{hi}, length {len}")));
    }
    Ok(lo as usize..hi as usize)
}

/// The order `sort()` puts floats in: IEEE total order (`-0.0` before `0.0`), except that
/// every NaN sorts last whatever its sign bit, since that sign differs between hosts.
fn float_sort_key(bits: u64) -> f64 {
    let x = f64::from_bits(bits);
    if x.is_nan() {
        f64::NAN.copysign(1.0)
    } else {
        x
    }
}
