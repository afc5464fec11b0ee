//! Host functions: values that cross the boundary between a program and its host, their
//! types ([`Val`], [`ValType`]), what a host function can reach while it runs ([`Caller`]), and the
//! registry that resolves a module's imports by name.

#![warn(missing_docs)]

mod val;

pub use val::{crosses, Val, ValError, ValType, MAX_VALUE_DEPTH};

use crate::bytecode::{Import, Module};
use crate::runtime::trap::Trap;
use crate::sandbox::Sandbox;
use std::any::{Any, TypeId as RustTypeId};
use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::sync::Arc;

/// The per-store state host functions can reach through a [`Caller`]: the sandbox, the
/// program's arguments, the `rand` seed, typed slots for host-defined state (such as
/// the `rand` generator), and the store's data (`Store<T>`'s `T`).
pub struct HostContext {
    /// The capabilities granted to the program, opened.
    pub sandbox: Sandbox,
    /// `env.args()`: the program's arguments.
    pub args: Vec<String>,
    /// Seed of the `rand` module.
    pub seed: u64,
    slots: HashMap<RustTypeId, Box<dyn Any + Send>>,
    /// The store's data, of the store's type `T` (`()` unless the host gave some).
    pub(crate) data: Box<dyn Any + Send>,
    /// How to save each [`Persist`] slot of `slots`, by its key.
    savers: Vec<(&'static str, RustTypeId, SaveFn)>,
    /// Saved state from a snapshot, by key, not asked for yet.
    restored: HashMap<String, Vec<u8>>,
}

/// Serialises one [`Persist`] slot of [`HostContext`].
type SaveFn = fn(&dyn Any) -> Vec<u8>;

/// Per-store state of a host module that a snapshot keeps, so that a resumed program finds
/// it again (the `rand` generator keeps its place in its sequence).
pub trait Persist: Any + Send + Sized {
    /// A name for the state, unique among host modules (`"rand"`).
    const KEY: &'static str;
    /// The state as portable bytes.
    fn save(&self) -> Vec<u8>;
    /// The state back from [`Persist::save`]'s bytes; `None` if they are not valid (a
    /// damaged snapshot: the state starts afresh).
    fn load(bytes: &[u8]) -> Option<Self>;
}

impl HostContext {
    /// The saved state of every [`Persist`] slot (and of any restored one not used
    /// since), sorted by key.
    pub(crate) fn saved_data(&self) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = self.restored.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (key, ty, save) in &self.savers {
            if let Some(v) = self.slots.get(ty) {
                out.push((key.to_string(), save(v.as_ref())));
            }
        }
        out.sort();
        out
    }

    /// Takes over what a program resumed from a snapshot carries in `from` (a context made
    /// by the restore): its arguments, seed, host modules' state and unconsumed input.
    pub(crate) fn adopt_resumed(&mut self, from: &mut HostContext) {
        self.args = std::mem::take(&mut from.args);
        self.seed = from.seed;
        self.restored = std::mem::take(&mut from.restored);
        self.sandbox.unread_input(from.sandbox.pending_input());
    }

    /// State saved by a snapshot, for [`Caller::persistent`] to pick up.
    pub(crate) fn restore_data(&mut self, data: Vec<(String, Vec<u8>)>) {
        self.restored = data.into_iter().collect();
    }
}

impl Default for HostContext {
    fn default() -> HostContext {
        HostContext::new(Sandbox::default())
    }
}

impl fmt::Debug for HostContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostContext").field("sandbox", &self.sandbox).field("args", &self.args).finish()
    }
}

impl HostContext {
    /// A context enforcing `sandbox`, with no arguments, seed 0 and no data.
    pub fn new(sandbox: Sandbox) -> HostContext {
        HostContext {
            sandbox,
            args: Vec::new(),
            seed: 0,
            slots: HashMap::new(),
            data: Box::new(()),
            savers: Vec::new(),
            restored: HashMap::new(),
        }
    }
}

/// What a host function can reach while it runs: the program's output, the store's
/// sandbox (every capability check goes through it), the program's arguments and the
/// `rand` seed, per-store slots of host state, the store's data (`T`, as in
/// `Store<T>`), and how much memory the program may still use.
///
/// A typed host closure receives it as its first parameter (`|caller: Caller<'_, T>,
/// x: i64| ...`); a raw one as `&mut Caller<'_, T>`. A host function defined for stores of
/// any data type ([`HostFunc`]) sees the data as `dyn Any + Send`.
pub struct Caller<'a, T: ?Sized = ()> {
    out: &'a mut dyn Write,
    ctx: &'a mut HostContext,
    room: usize,
    data: &'a mut T,
}

impl<'a, T: ?Sized> Caller<'a, T> {
    /// A caller writing to `out`, checking against `ctx`, with `room` bytes of memory
    /// left to the program, and the store's `data`.
    pub(crate) fn new(out: &'a mut dyn Write, ctx: &'a mut HostContext, room: usize, data: &'a mut T) -> Self {
        Caller { out, ctx, room, data }
    }

    /// The program's standard output (flush it before blocking on input).
    pub fn out(&mut self) -> &mut dyn Write {
        &mut *self.out
    }

    /// The store's sandbox: the capability checks and the operations they guard.
    pub fn sandbox(&mut self) -> &mut Sandbox {
        &mut self.ctx.sandbox
    }

    /// The program's arguments (`env.args()`).
    pub fn args(&self) -> &[String] {
        &self.ctx.args
    }

    /// Seed of the `rand` module.
    pub fn seed(&self) -> u64 {
        self.ctx.seed
    }

    /// Bytes the program may still allocate before `out of memory` (`usize::MAX` without
    /// a memory limit). A host function about to hand back something large checks it.
    pub fn memory_room(&self) -> usize {
        self.room
    }

    /// The store's data (the `T` of `Store<T>`).
    pub fn data(&self) -> &T {
        self.data
    }

    /// The store's data, to change.
    pub fn data_mut(&mut self) -> &mut T {
        self.data
    }

    /// The store's slot of type `U`, made by `init` on first use: per-store state of host
    /// functions that serve stores of any data type (the `rand` module keeps its
    /// generator here), without globals.
    pub fn slot<U: Any + Send>(&mut self, init: impl FnOnce() -> U) -> &mut U {
        let slot = self.ctx.slots.entry(RustTypeId::of::<U>()).or_insert_with(|| Box::new(init()));
        match slot.downcast_mut::<U>() {
            Some(v) => v,
            // Each slot is keyed by the type id of the value stored in it.
            None => unreachable!("store slot of the wrong type"),
        }
    }

    /// Like [`Caller::slot`], for state a snapshot keeps: made from the snapshot's saved
    /// bytes when the program was resumed from one, else by `init`.
    pub fn persistent<U: Persist>(&mut self, init: impl FnOnce() -> U) -> &mut U {
        let ty = RustTypeId::of::<U>();
        if !self.ctx.slots.contains_key(&ty) {
            let v = match self.ctx.restored.remove(U::KEY) {
                Some(bytes) => U::load(&bytes).unwrap_or_else(init),
                None => init(),
            };
            self.ctx.slots.insert(ty, Box::new(v));
            let save: fn(&dyn Any) -> Vec<u8> = |v| v.downcast_ref::<U>().map(U::save).unwrap_or_default();
            self.ctx.savers.push((U::KEY, ty, save));
        }
        match self.ctx.slots.get_mut(&ty).and_then(|v| v.downcast_mut::<U>()) {
            Some(v) => v,
            // Inserted above under its own type id.
            None => unreachable!("store data slot of the wrong type"),
        }
    }
}

impl Caller<'_, dyn Any + Send> {
    /// The same caller with the store's data as a `U`, if it is one.
    pub(crate) fn downcast<U: Any>(&mut self) -> Option<Caller<'_, U>> {
        let data = self.data.downcast_mut::<U>()?;
        Some(Caller { out: &mut *self.out, ctx: &mut *self.ctx, room: self.room, data })
    }
}

/// The Rust side of a host function, for stores of any data type.
pub type HostCallback = Arc<dyn Fn(&mut Caller<'_, dyn Any + Send>, Vec<Val>) -> Result<Val, Trap> + Send + Sync>;

/// A host function with its signature.
#[derive(Clone)]
pub struct HostFunc {
    /// Parameter types, checked against the import at instantiation.
    pub params: Vec<ValType>,
    /// `None`: returns nothing (the callback returns `Val::Nil`).
    pub ret: Option<ValType>,
    /// The function itself; it receives arguments of the declared types.
    pub callback: HostCallback,
}

/// Why a module's imports could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// The program imports a function the host does not provide.
    Missing {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
        /// The import's signature, as source text.
        signature: String,
    },
    /// The host provides the function with another signature.
    Mismatch {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
        /// The signature the program expects.
        expected: String,
        /// The signature the host provides.
        found: String,
    },
    /// The import has a type that cannot cross the host boundary (a function, or a
    /// struct with one).
    Unsupported {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
    /// The host defined the same function twice.
    Duplicate {
        /// The function's module.
        module: String,
        /// The function's name.
        name: String,
    },
    /// A host closure takes the caller as a parameter other than the first.
    CallerNotFirst {
        /// The function's module.
        module: String,
        /// The function's name.
        name: String,
    },
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Missing { module, name, signature } => {
                write!(f, "the program imports {module}.{name}{signature}, which the host does not provide")
            }
            LinkError::Mismatch { module, name, expected, found } => {
                write!(f, "the program imports {module}.{name}{expected}, but the host provides {module}.{name}{found}")
            }
            LinkError::Unsupported { module, name } => {
                write!(f, "import {module}.{name} uses a type that cannot cross the host boundary")
            }
            LinkError::Duplicate { module, name } => write!(f, "{module}.{name} is already defined"),
            LinkError::CallerNotFirst { module, name } => {
                write!(f, "{module}.{name}: a host closure takes the Caller as its first parameter only")
            }
        }
    }
}

impl std::error::Error for LinkError {}

/// A signature as source text: `(int, str) -> bool`, `(str)`.
pub fn signature(params: &[ValType], ret: &Option<ValType>) -> String {
    let ps: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    match ret {
        Some(r) => format!("({}) -> {r}", ps.join(", ")),
        None => format!("({})", ps.join(", ")),
    }
}

/// Host functions by `module.name`.
#[derive(Clone, Default)]
pub struct HostFuncs {
    funcs: HashMap<(String, String), HostFunc>,
}

impl HostFuncs {
    /// An empty registry.
    pub fn new() -> HostFuncs {
        HostFuncs::default()
    }

    /// Registers (or replaces) `module.name`.
    pub fn define(&mut self, module: &str, name: &str, f: HostFunc) {
        self.funcs.insert((module.to_string(), name.to_string()), f);
    }

    /// The function registered as `module.name`.
    pub fn get(&self, module: &str, name: &str) -> Option<&HostFunc> {
        self.funcs.get(&(module.to_string(), name.to_string()))
    }

    /// Resolves every import of `m`, checking signatures, in import order.
    pub fn resolve(&self, m: &Module) -> Result<Vec<HostFunc>, LinkError> {
        m.imports.iter().map(|imp| self.resolve_one(m, imp)).collect()
    }

    fn resolve_one(&self, m: &Module, imp: &Import) -> Result<HostFunc, LinkError> {
        let unsupported = || LinkError::Unsupported { module: imp.module.clone(), name: imp.name.clone() };
        if !imp.params.iter().chain(imp.ret.iter()).all(|&t| crosses(m, t)) {
            return Err(unsupported());
        }
        let params: Vec<ValType> =
            imp.params.iter().map(|p| ValType::from_type(m, *p)).collect::<Option<_>>().ok_or_else(unsupported)?;
        let ret = match imp.ret {
            Some(r) => Some(ValType::from_type(m, r).ok_or_else(unsupported)?),
            None => None,
        };
        let Some(f) = self.get(&imp.module, &imp.name) else {
            return Err(LinkError::Missing {
                module: imp.module.clone(),
                name: imp.name.clone(),
                signature: signature(&params, &ret),
            });
        };
        let ret_ok = match (&f.ret, &ret) {
            (None, None) => true,
            (Some(h), Some(p)) => h.accepts(p),
            _ => false,
        };
        if f.params.len() != params.len() || !f.params.iter().zip(&params).all(|(h, p)| h.accepts(p)) || !ret_ok {
            return Err(LinkError::Mismatch {
                module: imp.module.clone(),
                name: imp.name.clone(),
                expected: signature(&params, &ret),
                found: signature(&f.params, &f.ret),
            });
        }
        Ok(f.clone())
    }
}
