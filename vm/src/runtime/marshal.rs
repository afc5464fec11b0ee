//! Marshalling: a program's values (register words of a type) as host values ([`Val`])
//! and back, for host calls and for the embedding API.
//!
//! Out of the program, a value is copied as a tree: a part shared by several containers
//! is copied once per place. So the copy is bounded — in nesting, by
//! [`MAX_VALUE_DEPTH`] (which a cyclic value reaches too), and in size, by the memory the
//! program may hold (its memory limit; without one, by nothing, as for `print`) — and
//! functions never cross.

use super::vm::Vm;
use crate::bytecode::{Kind, Type, TypeId};
use crate::heap::map::{key_kind_of, MapKey, MapObj};
use crate::heap::{array_of, map_of, str_of, BoxObj, StrObj, StructObj};
use crate::host::{Val, ValError, MAX_VALUE_DEPTH};

/// A map key as a path step shows it: `"name"`, `3`, `true`.
pub(crate) fn key_text(k: &Val) -> String {
    match k {
        Val::Str(s) => format!("{s:?}"),
        Val::Int(i) => i.to_string(),
        Val::Bool(b) => b.to_string(),
        other => other.kind(),
    }
}

/// The error for a value nested too deeply (or cyclic).
pub(crate) fn too_deep() -> ValError {
    ValError::new(format!("nested more than {MAX_VALUE_DEPTH} levels deep (or cyclic)"))
}

/// The error for a value whose copy would take more memory than the program may hold.
pub(crate) fn too_large() -> ValError {
    ValError::new("too large: its copy would take more memory than the program may use")
}

/// How much memory a copy of program values out into Rust values may still take: at
/// most what the program may hold (its memory limit).
pub(crate) struct Budget(usize);

impl Budget {
    /// The budget of a copy out of `vm`.
    pub(crate) fn of(vm: &Vm) -> Budget {
        Budget(vm.heap.limit())
    }

    /// Takes `bytes` from the budget, or fails with [`too_large`].
    pub(crate) fn charge(&mut self, bytes: usize) -> Result<(), ValError> {
        self.0 = self.0.checked_sub(bytes).ok_or_else(too_large)?;
        Ok(())
    }

    /// At most how many items of `size` bytes fit what is left (to size a vector).
    fn room(&self, size: usize) -> usize {
        self.0 / size
    }
}

/// The copy of a program value into a [`Val`].
struct ToVal<'v> {
    vm: &'v Vm,
    budget: Budget,
}

impl ToVal<'_> {
    fn charge(&mut self, bytes: usize) -> Result<(), ValError> {
        self.budget.charge(bytes)
    }

    /// # Safety
    /// `v` is a live value of type `t`.
    unsafe fn val(&mut self, v: u64, t: TypeId, depth: usize) -> Result<Val, ValError> {
        if depth > MAX_VALUE_DEPTH {
            return Err(too_deep());
        }
        self.charge(std::mem::size_of::<Val>())?;
        let m = &self.vm.module;
        // Safety (all reads below): `v` is a live value of type `t` (the caller's promise);
        // elements, entries, fields, boxes and the values inside optionals have the types
        // their container's type says (every instruction and built-in that stores into a
        // container checks the value against its type).
        unsafe {
            Ok(match m.ty(t) {
                Type::Int => Val::Int(v as i64),
                Type::Float => Val::Float(f64::from_bits(v)),
                Type::Bool => Val::Bool(v != 0),
                Type::Str => {
                    let s = str_of(v);
                    self.charge(s.len())?;
                    Val::Str(s.to_owned())
                }
                Type::Array(e) => {
                    let items = array_of(v);
                    let mut out = Vec::with_capacity(items.len().min(self.budget.room(std::mem::size_of::<Val>())));
                    for (i, x) in items.iter().enumerate() {
                        out.push(self.val(x, *e, depth + 1).map_err(|err| err.in_index(i))?);
                    }
                    Val::Array(out)
                }
                Type::Map(k, val_t) => {
                    let map = &map_of(v).map;
                    let mut out = Vec::with_capacity(map.len().min(self.budget.room(std::mem::size_of::<Val>())));
                    for (key, &x) in map.iter() {
                        let key = self.val(key.raw(), *k, depth + 1)?;
                        let x = self.val(x, *val_t, depth + 1).map_err(|err| err.in_key(key_text(&key)))?;
                        out.push((key, x));
                    }
                    Val::Map(out)
                }
                Type::Optional(e) => {
                    if v == 0 {
                        Val::Nil
                    } else if m.kind(*e) == Kind::Ref {
                        self.val(v, *e, depth)?
                    } else {
                        self.val((*(v as *const BoxObj)).value, *e, depth)?
                    }
                }
                Type::Struct(s) => {
                    let def = &m.structs[*s as usize];
                    let mut fields = Vec::with_capacity(def.fields.len());
                    for (i, f) in def.fields.iter().enumerate() {
                        let x = *StructObj::field(v as *mut StructObj, i);
                        fields
                            .push((f.name.clone(), self.val(x, f.ty, depth + 1).map_err(|err| err.in_field(&f.name))?));
                    }
                    Val::Struct { name: def.name.clone(), fields }
                }
                Type::Fn(..) => {
                    return Err(ValError::new(format!("{} cannot cross the host boundary", m.type_name(t))));
                }
            })
        }
    }
}

impl Vm {
    /// A register word of type `t` as a host value: a copy, as a tree. Functions cannot
    /// cross; nor can a value nested more than [`MAX_VALUE_DEPTH`] levels deep (or
    /// cyclic), or one whose copy would take more memory than the program may hold.
    ///
    /// # Safety
    /// `v` is a live value of type `t` (a word read from a register of that type, or from
    /// a container holding values of that type), and no collection runs before this
    /// returns.
    pub unsafe fn to_val(&self, v: u64, t: TypeId) -> Result<Val, ValError> {
        let mut out = ToVal { vm: self, budget: Budget::of(self) };
        // Safety: the caller's promise.
        unsafe { out.val(v, t, 0) }
    }

    /// A host value as a register word of type `t`, allocating as needed (allocation
    /// never collects, so the words made so far stay valid). Struct fields are matched by
    /// name (a missing optional field is `nil`); a map with `str` keys also makes a
    /// struct, and a struct also makes a map with `str` keys.
    pub fn from_val(&mut self, v: &Val, t: TypeId) -> Result<u64, ValError> {
        self.word_of_val_at(v, t, 0)
    }

    fn word_of_val_at(&mut self, v: &Val, t: TypeId, depth: usize) -> Result<u64, ValError> {
        if depth > MAX_VALUE_DEPTH {
            return Err(too_deep());
        }
        let m = self.module.clone();
        let bad = || ValError::expected(m.type_name(t), v.kind());
        Ok(match (m.ty(t), v) {
            (Type::Int, Val::Int(i)) => *i as u64,
            (Type::Float, Val::Float(f)) => f.to_bits(),
            (Type::Bool, Val::Bool(b)) => *b as u64,
            (Type::Str, Val::Str(s)) => self.heap.alloc_str(s),
            (Type::Array(e), Val::Array(xs)) => {
                let mut items = Vec::with_capacity(xs.len());
                for (i, x) in xs.iter().enumerate() {
                    items.push(self.word_of_val_at(x, *e, depth + 1).map_err(|err| err.in_index(i))?);
                }
                self.heap.alloc_array(items, super::code::array_kind(&m, *e))
            }
            (Type::Optional(_), Val::Nil) => 0,
            (Type::Optional(e), v) => {
                let inner = self.word_of_val_at(v, *e, depth)?;
                if m.kind(*e) == Kind::Ref {
                    inner
                } else {
                    self.heap.alloc_box(inner)
                }
            }
            (Type::Map(k, val_t), Val::Map(entries)) => {
                let mut words = Vec::with_capacity(entries.len());
                for (key, x) in entries {
                    let kw = self.word_of_val_at(key, *k, depth + 1).map_err(|err| err.in_key(key_text(key)))?;
                    let xw = self.word_of_val_at(x, *val_t, depth + 1).map_err(|err| err.in_key(key_text(key)))?;
                    words.push((kw, xw));
                }
                self.new_map(*k, *val_t, words)
            }
            (Type::Map(k, val_t), Val::Struct { fields, .. }) if matches!(m.ty(*k), Type::Str) => {
                let mut words = Vec::with_capacity(fields.len());
                for (name, x) in fields {
                    let kw = self.heap.alloc_str(name);
                    let xw = self.word_of_val_at(x, *val_t, depth + 1).map_err(|err| err.in_field(name))?;
                    words.push((kw, xw));
                }
                self.new_map(*k, *val_t, words)
            }
            (Type::Struct(s), Val::Struct { fields, .. }) => {
                let given: Vec<(&str, &Val)> = fields.iter().map(|(n, x)| (n.as_str(), x)).collect();
                self.new_struct(*s, &given, depth)?
            }
            (Type::Struct(s), Val::Map(entries)) => {
                let mut given = Vec::with_capacity(entries.len());
                for (key, x) in entries {
                    match key {
                        Val::Str(name) => given.push((name.as_str(), x)),
                        other => return Err(ValError::expected("a str key (a field name)", other.kind())),
                    }
                }
                self.new_struct(*s, &given, depth)?
            }
            _ => return Err(bad()),
        })
    }

    /// A map of key type `k` and value type `v` holding `entries` (words of those types).
    pub(crate) fn new_map(&mut self, k: TypeId, v: TypeId, entries: Vec<(u64, u64)>) -> u64 {
        let m = &self.module;
        let mut obj = MapObj::new(key_kind_of(m.ty(k)), super::code::array_kind(m, v));
        obj.map.reserve(entries.len());
        for (kw, xw) in entries {
            obj.map.insert(MapKey::from_raw(obj.key_kind, kw), xw);
        }
        self.heap.alloc_map(obj)
    }

    /// A struct of type `s` from its fields by name.
    fn new_struct(&mut self, s: u32, given: &[(&str, &Val)], depth: usize) -> Result<u64, ValError> {
        let m = self.module.clone();
        let def = &m.structs[s as usize];
        if let Some((extra, _)) = given.iter().find(|(n, _)| !def.fields.iter().any(|f| f.name == *n)) {
            return Err(ValError::new(format!("{} has no field '{extra}'", def.name)));
        }
        let mut words = Vec::with_capacity(def.fields.len());
        for f in &def.fields {
            let w = match given.iter().find(|(n, _)| *n == f.name) {
                Some((_, x)) => self.word_of_val_at(x, f.ty, depth + 1).map_err(|err| err.in_field(&f.name))?,
                None if matches!(m.ty(f.ty), Type::Optional(_)) => 0,
                None => return Err(ValError::new(format!("missing field '{}' of {}", f.name, def.name))),
            };
            words.push(w);
        }
        Ok(self.heap.alloc_struct(s, &words))
    }
}

/// The size of a host value, for fuel: one per value, plus its bytes for a string.
pub(crate) fn val_size(v: &Val) -> usize {
    match v {
        Val::Str(s) => 1 + s.len(),
        Val::Array(xs) => 1 + xs.iter().map(val_size).sum::<usize>(),
        Val::Map(es) => 1 + es.iter().map(|(k, x)| val_size(k) + val_size(x)).sum::<usize>(),
        Val::Struct { fields, .. } => 1 + fields.iter().map(|(_, x)| val_size(x)).sum::<usize>(),
        _ => 1,
    }
}

/// At least the heap bytes a host value takes once copied in (objects' headers and
/// contents), to reserve before copying it.
pub(crate) fn val_heap_bytes(v: &Val) -> usize {
    let words = |n: usize| n.saturating_mul(8);
    match v {
        Val::Str(s) => std::mem::size_of::<StrObj>().saturating_add(s.len()),
        Val::Array(xs) => xs.iter().fold(words(xs.len()), |t, x| t.saturating_add(val_heap_bytes(x))),
        Val::Map(es) => es.iter().fold(words(es.len()).saturating_mul(4), |t, (k, x)| {
            t.saturating_add(val_heap_bytes(k)).saturating_add(val_heap_bytes(x))
        }),
        Val::Struct { fields, .. } => {
            fields.iter().fold(words(fields.len()), |t, (_, x)| t.saturating_add(val_heap_bytes(x)))
        }
        _ => 0,
    }
}
