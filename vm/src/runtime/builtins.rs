//! The runtime built-ins (`CallBuiltin`) and host calls (`CallHost`): everything the
//! language offers beyond single instructions. Arguments are read from the caller's
//! registers `first..`; generic built-ins read their argument types from the caller's
//! register types.

use super::marshal::{val_heap_bytes, val_size};
use super::text;
use super::trap::{Trap, TrapCode};
use super::vm::Vm;
use crate::bytecode::{Builtin, Type, TypeId};
use crate::heap::{array_of, map_of, str_of, ArrayKind, StrObj};
use crate::host::Caller;
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
        self.regs()[a.first + i]
    }
    fn arg_int(&self, a: Args, i: usize) -> i64 {
        self.arg(a, i) as i64
    }
    fn arg_str(&self, a: Args, i: usize) -> &str {
        // Safety: the verifier checks every `CallBuiltin` argument against the built-in's
        // signature (`Builtin::sig`), which says `str` for each argument read here,
        // and definite assignment guarantees the register was written: a live string.
        unsafe { str_of(self.arg(a, i)) }
    }
    /// The text of a `str` argument, not tied to `self`: the string object stays where it
    /// is while this built-in runs (it is in a register, and objects never move).
    ///
    /// # Safety
    /// The caller does not collect garbage (no `reserve_heap` or safepoint) while it holds
    /// the text: argument registers are roots, but a collection could be the last moment
    /// anything checks that.
    unsafe fn arg_text<'x>(&self, a: Args, i: usize) -> &'x str {
        // Safety: as `arg_str`; the lifetime is the caller's promise.
        unsafe { str_of(self.arg(a, i)) }
    }
    fn arg_type(&self, a: Args, i: usize) -> TypeId {
        self.funcs.meta[a.func as usize].regs[(a.reg + i as u16) as usize].0
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

    /// `CallBuiltin`: runs built-in `b` with arguments in registers `c..` of the innermost
    /// frame and puts its result (if it has one) in `R[A]` (for a variadic built-in, `A`
    /// is the argument count). A safepoint; `sort_by` runs the program's comparator, so the
    /// register stack may move.
    ///
    /// # Safety
    /// The instruction passed the verifier and its frame is the innermost.
    #[inline(never)]
    pub(crate) unsafe fn op_call_builtin(&mut self, a_op: u16, b: u16, c: u16) -> Result<(), Trap> {
        self.safepoint()?;
        // Safety: the built-in index was verified (Indices).
        let bi = match Builtin::from_u16(b) {
            Some(x) => x,
            None => unsafe { std::hint::unreachable_unchecked() },
        };
        // Safety: a frame is pushed (the caller's promise).
        let f = unsafe { self.top() };
        if let Some(v) = self.builtin(bi, f.func, f.base, a_op, c)? {
            // The frame is still the innermost (a comparator's frames are gone), but the
            // register stack may have moved: write through the frame's base.
            self.set_reg(f.base, a_op, v);
        }
        Ok(())
    }

    /// Runs built-in `b` with arguments in registers `c..` of the current frame; returns
    /// the result word for register `a`, if the built-in has one.
    fn builtin(&mut self, b: Builtin, func: u32, base: usize, a_op: u16, c: u16) -> Result<Option<u64>, Trap> {
        let a = Args { func, first: base + c as usize, reg: c };
        use Builtin as B;
        let v = match b {
            B::Write => {
                let s = self.arg_str(a, 0).to_owned();
                self.out.write_all(s.as_bytes()).map_err(|e| Trap::from(TrapCode::Output(e.to_string())))?;
                return Ok(None);
            }
            B::EPrint => {
                self.print_line(c, a_op, true)?;
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
                    return Err(TrapCode::FixedDigitsOutOfRange(d).into());
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
                    None => return Err(TrapCode::InvalidCharCode(code).into()),
                }
            }
            B::Ord => {
                let s = self.arg_str(a, 0);
                let mut it = s.chars();
                match (it.next(), it.next()) {
                    (Some(ch), None) => ch as u64,
                    _ => return Err(TrapCode::OrdNotOneChar.into()),
                }
            }
            B::Assert => {
                if self.arg(a, 0) == 0 {
                    return Err(TrapCode::AssertionFailed.into());
                }
                return Ok(None);
            }
            B::AssertMsg => {
                if self.arg(a, 0) == 0 {
                    return Err(TrapCode::AssertionFailedWith(self.arg_str(a, 1).to_owned()).into());
                }
                return Ok(None);
            }
            B::Panic => return Err(TrapCode::Panic(self.arg_str(a, 0).to_owned()).into()),
            B::CheckExit => {
                let v = self.arg_int(a, 0);
                if !(0..=255).contains(&v) {
                    return Err(TrapCode::ExitCodeOutOfRange(v).into());
                }
                return Ok(None);
            }
            B::StrSlice => {
                let s = self.arg_str(a, 0);
                let (lo, hi) = (self.arg_int(a, 1), self.arg_int(a, 2));
                let r = slice_range(lo, hi, s.len())?;
                if !s.is_char_boundary(r.start) || !s.is_char_boundary(r.end) {
                    return Err(TrapCode::InvalidCharBoundary.into());
                }
                self.reserve_heap(r.len())?;
                self.burn_work(r.len())?;
                // Safety: the argument is still the same live string (collecting does not move
                // or free it: it is in a register).
                let s = unsafe { self.arg_text(a, 0) };
                self.heap.try_alloc_str_parts(&[&s[r]]).ok_or(TrapCode::OutOfMemory)?
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
                self.burn_work(self.arg_str(a, 0).len())?;
                let (s, sub) = (self.arg_str(a, 0), self.arg_str(a, 1));
                s.find(sub).map_or(-1i64, |i| i as i64) as u64
            }
            B::StrContains => {
                self.burn_work(self.arg_str(a, 0).len())?;
                self.arg_str(a, 0).contains(self.arg_str(a, 1)) as u64
            }
            B::StrStartsWith => self.arg_str(a, 0).starts_with(self.arg_str(a, 1)) as u64,
            B::StrEndsWith => self.arg_str(a, 0).ends_with(self.arg_str(a, 1)) as u64,
            B::StrSplit => {
                if self.arg_str(a, 1).is_empty() {
                    return Err(TrapCode::EmptySeparator.into());
                }
                // Safety: both arguments are live strings (verified register types); they stay
                // alive and unchanged while this built-in runs (no collection happens inside it).
                let (s, sep) = unsafe { (str_of(self.arg(a, 0)), str_of(self.arg(a, 1))) };
                // Count the parts first: nothing is allocated before the whole is reserved.
                let n = match sep.as_bytes() {
                    // A one-byte separator is ASCII: a byte search.
                    [b] => s.bytes().filter(|c| c == b).count() + 1,
                    _ => s.matches(sep).count() + 1,
                };
                if !self.heap.fits(strings_size(n, s.len())) {
                    // Near the limit: short parts already made, or repeated, cost nothing, so
                    // reserve what making the parts adds (after a collection, which may
                    // free some of the strings they would have been).
                    let parts = |vm: &Vm| match sep.as_bytes() {
                        [b] => vm.heap.new_strings_size(s.split(*b as char)),
                        _ => vm.heap.new_strings_size(s.split(sep)),
                    };
                    let array = n.saturating_mul(8);
                    if !self.heap.fits(array.saturating_add(parts(self))) {
                        self.collect_garbage();
                        if !self.heap.fits(array.saturating_add(parts(self))) {
                            return Err(TrapCode::OutOfMemory.into());
                        }
                    }
                }
                self.burn_work(s.len().saturating_add(n))?;
                let mut items: Vec<u64> = Vec::new();
                items.try_reserve_exact(n).map_err(|_| Trap::from(TrapCode::OutOfMemory))?;
                match sep.as_bytes() {
                    [b] => items.extend(s.split(*b as char).map(|p| self.heap.alloc_str(p))),
                    _ => items.extend(s.split(sep).map(|p| self.heap.alloc_str(p))),
                }
                self.heap.alloc_array(items, ArrayKind::Refs)
            }
            B::StrTrim => {
                let n = self.arg_str(a, 0).len();
                self.reserve_heap(n)?;
                self.burn_work(n)?;
                // Safety: nothing collects before the copy is made.
                let s = unsafe { self.arg_text(a, 0) }.trim();
                self.heap.try_alloc_str_parts(&[s]).ok_or(TrapCode::OutOfMemory)?
            }
            B::StrUpper | B::StrLower => {
                let n = self.arg_str(a, 0).len();
                self.reserve_heap(n)?;
                self.burn_work(n)?;
                // Safety: nothing collects before the copy is made.
                let s = unsafe { self.arg_text(a, 0) };
                let upper = b == B::StrUpper;
                // Safety: changing the case of ASCII letters keeps UTF-8 valid.
                let fill = |out: &mut [u8]| {
                    out.copy_from_slice(s.as_bytes());
                    if upper {
                        out.make_ascii_uppercase()
                    } else {
                        out.make_ascii_lowercase()
                    }
                };
                unsafe { self.heap.try_alloc_str_with(n, fill) }.ok_or(TrapCode::OutOfMemory)?
            }
            B::StrReplace => {
                let (s, from, to) = (self.arg_str(a, 0), self.arg_str(a, 1), self.arg_str(a, 2));
                let grow = if to.len() > from.len() {
                    s.matches(from).count().saturating_mul(to.len() - from.len())
                } else {
                    0
                };
                let (len, total) = (s.len(), s.len().saturating_add(grow));
                self.reserve_heap(total)?;
                self.burn_work(len.saturating_add(total))?;
                let s = self.arg_str(a, 0).replace(self.arg_str(a, 1), self.arg_str(a, 2));
                self.heap.try_alloc_str_parts(&[&s]).ok_or(TrapCode::OutOfMemory)?
            }
            B::StrRepeat => {
                let n = self.arg_int(a, 1);
                if n < 0 {
                    return Err(TrapCode::NegativeRepeatCount(n).into());
                }
                let total = (self.arg_str(a, 0).len() as u128) * (n as u128);
                if total > isize::MAX as u128 {
                    return Err(TrapCode::OutOfMemory.into());
                }
                let total = total as usize;
                self.reserve_heap(total)?;
                self.repeat_str(self.arg(a, 0), total)?
            }
            B::StrChars => {
                let n = self.arg_str(a, 0).chars().count();
                self.reserve_heap(strings_size(n, 4 * n))?;
                self.burn_work(n)?;
                // Safety: allocating does not collect.
                let s = unsafe { self.arg_text(a, 0) };
                let mut items: Vec<u64> = Vec::new();
                items.try_reserve_exact(n).map_err(|_| Trap::from(TrapCode::OutOfMemory))?;
                items.extend(s.chars().map(|c| self.heap.alloc_str(c.encode_utf8(&mut [0; 4]))));
                self.heap.alloc_array(items, ArrayKind::Refs)
            }
            B::StrBytes => {
                self.reserve_heap(self.arg_str(a, 0).len().saturating_mul(8))?;
                self.burn_work(self.arg_str(a, 0).len())?;
                let items: Vec<u64> = self.arg_str(a, 0).bytes().map(|b| b as u64).collect();
                self.heap.alloc_array(items, ArrayKind::Words)
            }
            B::ArrayPop => {
                // Safety (all array built-ins): the verifier's built-in signature rule makes
                // argument 0 an array type (`[E]`), and definite assignment makes it non-nil,
                // so it is a live array object. No other reference to its items is held.
                let arr = unsafe { array_of(self.arg(a, 0)) };
                match arr.pop() {
                    Some(v) => v,
                    None => return Err(TrapCode::PopFromEmpty.into()),
                }
            }
            B::ArrayInsert => {
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let i = self.arg_int(a, 1);
                if i < 0 || i as usize > arr.len() {
                    return Err(Trap::index_out_of_bounds(i, arr.len()));
                }
                if arr.len() == arr.capacity() {
                    self.reserve_heap(arr.capacity().max(4) * arr.kind().elem_size())?;
                }
                self.burn_work(arr.len() - i as usize)?;
                // Safety: the same live array (collecting does not move objects).
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let x = self.arg(a, 2);
                let grown = arr.try_reserve(1).ok_or(TrapCode::OutOfMemory)?;
                arr.insert(i as usize, x);
                self.heap.account(grown);
                return Ok(None);
            }
            B::ArrayRemove => {
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let i = self.arg_int(a, 1);
                if i < 0 || i as usize >= arr.len() {
                    return Err(Trap::index_out_of_bounds(i, arr.len()));
                }
                self.burn_work(arr.len() - i as usize)?;
                // Safety: the same live array.
                unsafe { array_of(self.arg(a, 0)) }.remove(i as usize)
            }
            B::ArraySlice => {
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let r = slice_range(self.arg_int(a, 1), self.arg_int(a, 2), arr.len())?;
                self.reserve_heap(r.len() * arr.kind().elem_size())?;
                self.burn_work(r.len())?;
                // Safety: the same live array (collecting does not move objects).
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let (items, kind) = (arr.to_vec(r), arr.kind());
                self.heap.alloc_array(items, kind)
            }
            B::ArrayClear => {
                unsafe { array_of(self.arg(a, 0)) }.clear();
                return Ok(None);
            }
            B::ArrayReverse => {
                self.burn_work(unsafe { array_of(self.arg(a, 0)) }.len())?;
                unsafe { array_of(self.arg(a, 0)) }.reverse();
                return Ok(None);
            }
            B::ArrayContains | B::ArrayIndexOf => {
                let et = self.elem_type(a, 0);
                let x = self.arg(a, 1);
                let arr = unsafe { array_of(self.arg(a, 0)) };
                self.burn_work(arr.len())?;
                let pos = arr.iter().position(|y| self.value_eq(et, x, y));
                if b == B::ArrayContains {
                    pos.is_some() as u64
                } else {
                    pos.map_or(-1i64, |p| p as i64) as u64
                }
            }
            B::ArraySort => {
                let et = self.elem_type(a, 0);
                let arr = unsafe { array_of(self.arg(a, 0)) };
                // n log n comparisons.
                let n = arr.len();
                self.burn_work(n.saturating_mul(n.max(2).ilog2() as usize))?;
                match self.module.ty(et) {
                    Type::Int => arr.words_mut().unwrap_or_default().sort_by_key(|&v| v as i64),
                    Type::Float => arr
                        .words_mut()
                        .unwrap_or_default()
                        .sort_by(|&x, &y| float_sort_key(x).total_cmp(&float_sort_key(y))),
                    // Safety: elements of a [str] are live strings: every instruction and
                    // built-in that stores into an array checks the value against the
                    // element type (NewArray, ArrayRepeat, SetIndex, ArrayPush, insert).
                    Type::Str => arr
                        .words_mut()
                        .unwrap_or_default()
                        .sort_by(|&x, &y| unsafe { str_of(x).as_bytes().cmp(str_of(y).as_bytes()) }),
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
                let words = arr.words().unwrap_or_default();
                let total = words.iter().fold(sep.len().saturating_mul(arr.len().saturating_sub(1)), |t, &x| {
                    t.saturating_add(unsafe { str_of(x) }.len())
                });
                self.reserve_heap(total)?;
                self.burn_work(total.saturating_add(arr.len()))?;
                // Safety: nothing collects before the copy is made.
                let sep = unsafe { self.arg_text(a, 1) };
                let arr = unsafe { array_of(self.arg(a, 0)) };
                let fill = |out: &mut [u8]| {
                    let mut at = 0;
                    for (i, &s) in arr.words().unwrap_or_default().iter().enumerate() {
                        if i > 0 {
                            out[at..at + sep.len()].copy_from_slice(sep.as_bytes());
                            at += sep.len();
                        }
                        // Safety: join's signature is `([str], str)`, and elements of a [str]
                        // are live strings (see ArraySort above).
                        let part = unsafe { str_of(s) }.as_bytes();
                        out[at..at + part.len()].copy_from_slice(part);
                        at += part.len();
                    }
                };
                // Safety: the bytes are whole strings one after another: UTF-8.
                unsafe { self.heap.try_alloc_str_with(total, fill) }.ok_or(TrapCode::OutOfMemory)?
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
                // Removing shifts the later entries (insertion order is kept).
                self.burn_work(m.map.len())?;
                let k = m.key(self.arg(a, 1));
                let v = m.map.shift_remove(&k);
                let is_ref = m.val_is_ref;
                self.boxed_or_raw(v, is_ref)
            }
            B::MapKeys => {
                let n = unsafe { map_of(self.arg(a, 0)) }.map.len();
                self.reserve_heap(n * 8)?;
                self.burn_work(n)?;
                let m = unsafe { map_of(self.arg(a, 0)) };
                let items: Vec<u64> = m.map.keys().map(|k| k.raw()).collect();
                let kind = m.keys_kind();
                self.heap.alloc_array(items, kind)
            }
            B::MapValues => {
                let n = unsafe { map_of(self.arg(a, 0)) }.map.len();
                self.reserve_heap(n * 8)?;
                self.burn_work(n)?;
                let m = unsafe { map_of(self.arg(a, 0)) };
                let items: Vec<u64> = m.map.values().copied().collect();
                let kind = m.vals;
                self.heap.alloc_array(items, kind)
            }
            B::MapClear => {
                unsafe { map_of(self.arg(a, 0)) }.map.clear();
                return Ok(None);
            }
            B::MapGetOr => {
                let m = unsafe { map_of(self.arg(a, 0)) };
                let k = m.key(self.arg(a, 1));
                m.map.get(&k).copied().unwrap_or_else(|| self.arg(a, 2))
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
        let arr = unsafe { array_of(arr_ref) };
        let (items, elem_ref) = (arr.to_vec(0..arr.len()), arr.elem_is_ref());
        // Keep the elements (when they are references: ints and floats are not) and the
        // comparator alive while the comparator runs.
        let mark = self.temp_roots.len();
        if elem_ref {
            self.temp_roots.extend_from_slice(&items);
        }
        self.temp_roots.push(cmp);
        self.temp_roots.push(arr_ref);
        let mut v = items;
        let r = self.merge_sort(&mut v, cmp);
        self.temp_roots.truncate(mark);
        r?;
        // Safety: still the same live array (it was rooted through the call).
        let arr = unsafe { array_of(arr_ref) };
        arr.replace_all(&v);
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

    /// `CallHost`: calls host import `imp` with arguments in registers `c..` of the
    /// innermost frame, and puts its result (if it has one) in `R[A]`. A panic in the host
    /// function does not cross into the program: it becomes the trap `host function
    /// "module.name" panicked`, and the VM stays usable. A safepoint afterwards (the result
    /// may be large).
    ///
    /// # Safety
    /// The instruction passed the verifier and its frame is the innermost.
    #[inline(never)]
    pub(crate) unsafe fn op_call_host(&mut self, a: u16, imp: u16, c: u16) -> Result<(), Trap> {
        let m = self.module.clone();
        let import = &m.imports[imp as usize];
        let name = || format!("{}.{}", import.module, import.name);
        // Safety: a frame is pushed (the caller's promise).
        let base = unsafe { self.top() }.base;
        let mut args = Vec::with_capacity(import.params.len());
        for (i, &t) in import.params.iter().enumerate() {
            // Safety: the verifier checks that CallHost's argument registers have exactly
            // the import's parameter types and are written (definite assignment).
            let v = unsafe { self.to_val(self.reg(base, c + i as u16), t) }
                .map_err(|e| Trap::new(format!("{}: argument {}: {e}", name(), i + 1)))?;
            args.push(v);
        }
        // Copying the arguments out is work in proportion to their size.
        self.burn_work(args.iter().map(val_size).sum())?;
        let f = self.host[imp as usize].callback.clone();
        let room = self.heap.room();
        // The store's data goes to the caller separately from the rest of the context.
        let mut data = std::mem::replace(&mut self.ctx.data, Box::new(()));
        let r = {
            let mut caller = Caller::new(&mut *self.out, &mut self.ctx, room, &mut *data);
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut caller, args)))
        };
        self.ctx.data = data;
        let r = r.map_err(|_| Trap::from(TrapCode::HostPanicked(name())))??;
        if let Some(t) = import.ret {
            self.burn_work(val_size(&r))?;
            // Whatever the host returns counts against the memory limit before it is copied in.
            self.reserve_heap(val_heap_bytes(&r))?;
            let v = self.from_val(&r, t).map_err(|e| Trap::new(format!("{}: its result: {e}", name())))?;
            self.set_reg(base, a, v);
        }
        self.safepoint()
    }
}

impl Vm {
    /// `s.repeat(n)` for the string object `s`, `total` = its length × n bytes (reserved by
    /// the caller): built by doubling, one unit of fuel per `WORK_PER_FUEL` bytes, the
    /// interrupt flag polled between steps, so even a result of gigabytes stops in time.
    fn repeat_str(&mut self, s: u64, total: usize) -> Result<u64, Trap> {
        // Safety: `s` is a live string (the caller read it from a verified str register).
        let unit = unsafe { str_of(s) }.as_bytes();
        if total == 0 || unit.is_empty() {
            return self.heap.try_alloc_str_parts(&[]).ok_or_else(|| TrapCode::OutOfMemory.into());
        }
        let mut buf: Vec<u8> = Vec::new();
        buf.try_reserve_exact(total).map_err(|_| Trap::from(TrapCode::OutOfMemory))?;
        buf.extend_from_slice(unit);
        while buf.len() < total {
            let n = buf.len().min(total - buf.len());
            self.burn_work(n)?;
            buf.extend_from_within(..n);
        }
        // Safety: copies of one UTF-8 string, whole, one after another.
        let text = unsafe { std::str::from_utf8_unchecked(&buf) };
        self.heap.try_alloc_str_parts(&[text]).ok_or_else(|| TrapCode::OutOfMemory.into())
    }
}

/// What `n` new strings holding `text` bytes in all cost the heap, with the array of them.
fn strings_size(n: usize, text: usize) -> usize {
    n.saturating_mul(std::mem::size_of::<StrObj>() + 8).saturating_add(text)
}

/// The range `lo..hi` if it lies within `0..=len`, else the slice trap.
fn slice_range(lo: i64, hi: i64, len: usize) -> Result<std::ops::Range<usize>, Trap> {
    if lo < 0 || hi < lo || hi as u64 > len as u64 {
        return Err(TrapCode::SliceOutOfBounds { lo, hi, len }.into());
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
