//! Stores, instances and interrupt handles.

use super::module::signature_text;
use super::typed::{Params, Results};
use super::{Engine, Error, Module};
use crate::bytecode::Type;
use crate::host::{signature, HostContext, Val, ValType};
use crate::runtime::trap::{Trap, TrapCode};
use crate::runtime::RunOptions;
use crate::runtime::Vm;
use crate::sandbox::{Capabilities, Interrupt, Limits, Sandbox};
use std::fmt;
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// One isolated world for programs: the heaps and globals of its instances, the
/// capabilities it grants, the limits it enforces, its arguments, seed, output and
/// input. Stores share nothing with each other; a store is `Send`, so stores can run on
/// many threads at once (one call at a time per store).
///
/// Limits apply to the store as a whole: fuel is one budget for all its calls
/// ([`Store::set_fuel`] adds more), memory bounds the heaps of all its instances
/// together, the depth and the timeout bound each call.
pub struct Store {
    id: u64,
    engine: Engine,
    limits: Limits,
    ctx: Box<HostContext>,
    out: Box<dyn Write + Send>,
    err: Box<dyn Write + Send>,
    instances: Vec<Vm>,
    fuel: Option<u64>,
    fuel_used: u64,
    interrupt: Arc<Interrupt>,
    interruptible: bool,
    /// Suspend the next call once this much fuel is used in all.
    suspend_at: Option<u64>,
    /// The snapshot of the call that was suspended, until taken.
    suspended: Option<Vec<u8>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("limits", &self.limits)
            .field("sandbox", &self.ctx.sandbox)
            .field("instances", &self.instances.len())
            .field("fuel", &self.fuel)
            .finish_non_exhaustive()
    }
}

/// Counters of a store's work so far, over all its instances.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Fuel used (calls plus taken backward jumps), if the store has a fuel limit.
    pub fuel_used: Option<u64>,
    /// Heap bytes in use now (as of the last collection plus what was allocated since).
    pub heap_bytes: usize,
    /// The most heap bytes any instance held at once.
    pub peak_heap_bytes: usize,
    /// Bytes allocated in all.
    pub allocated_bytes: u64,
    /// Garbage collections run.
    pub gc_cycles: u64,
    /// The execution tiers' counters (functions compiled, on-stack replacements, compile
    /// time, where the time went), over all instances.
    pub tiers: crate::runtime::vm::TierStats,
}

/// Stops a store's running call from any thread: the call traps with `interrupted`
/// within about a thousand calls or loop iterations. If no call is running, the next
/// call stops at its start. Cheap to clone; `Send` and `Sync`.
#[derive(Clone, Debug)]
pub struct InterruptHandle {
    flag: Arc<Interrupt>,
}

impl InterruptHandle {
    /// Asks the store's running (or next) call to stop with `interrupted`.
    pub fn interrupt(&self) {
        self.flag.interrupt();
    }
}

/// Asks a store's running call to suspend at its next safepoint (a call or loop jump,
/// within about a thousand of them) so that [`Store::snapshot`] can take its state; the
/// call returns [`Error::Suspended`]. If no call is running, the next call suspends at its
/// first safepoint. Cheap to clone; `Send` and `Sync`; [`SuspendHandle::suspend`] is one
/// atomic operation, safe to call from a signal handler.
#[derive(Clone, Debug)]
pub struct SuspendHandle {
    flag: Arc<Interrupt>,
}

impl SuspendHandle {
    /// Asks the store's running (or next) call to suspend.
    pub fn suspend(&self) {
        self.flag.request_suspend();
    }
}

/// A module instantiated in a store: a handle to use with that store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    store: u64,
    index: usize,
}

impl Store {
    /// A store for programs of `engine`, granting `caps` and enforcing `limits`. Its
    /// output goes to the process's standard output and error, and input (if granted)
    /// comes from standard input, until set otherwise.
    pub fn new(engine: &Engine, caps: Capabilities, limits: Limits) -> Store {
        let interrupt = Arc::new(Interrupt::new());
        let mut sandbox = Sandbox::new(caps);
        // A read blocked on the program's input stops when a call's time is up.
        sandbox.set_interrupt(Arc::clone(&interrupt));
        Store {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            engine: engine.clone(),
            fuel: limits.get_fuel(),
            limits,
            ctx: Box::new(HostContext::new(sandbox)),
            out: Box::new(std::io::stdout()),
            err: Box::new(std::io::stderr()),
            instances: Vec::new(),
            fuel_used: 0,
            interrupt,
            interruptible: false,
            suspend_at: None,
            suspended: None,
        }
    }

    /// A store holding the state of a snapshot ([`Store::snapshot`], or `vm run
    /// --snapshot-to`), with the instance of its program, ready to continue
    /// ([`Instance::resume_main`], [`Instance::resume_call`]) or to be called. The snapshot
    /// is checked first (a hostile one is refused with [`Error::Snapshot`]); `linker`
    /// provides its imports; `caps` and `limits` are this store's, and may differ from the
    /// original run's. Fuel counts on from what the snapshot had used: a fuel limit bounds
    /// the total.
    pub fn resume(
        linker: &super::Linker,
        caps: Capabilities,
        limits: Limits,
        bytes: &[u8],
    ) -> Result<(Store, Instance), Error> {
        let snap = crate::snapshot::read(bytes)?;
        let engine = linker.engine().clone();
        let mut store = Store::new(&engine, caps, limits);
        let used = snap.fuel_used();
        let tier = engine.config().tier_options();
        let (out, err) = (Box::new(std::io::sink()), Box::new(std::io::sink()));
        let mut vm = Vm::from_snapshot(
            tier,
            snap,
            linker.funcs(),
            out,
            err,
            RunOptions::default(),
            store.limits.get_max_memory(),
        )?;
        store.ctx.adopt_resumed(&mut vm.ctx);
        store.fuel_used = used;
        store.fuel = store.limits.get_fuel().map(|f| f.saturating_sub(used));
        store.instances.push(vm);
        let inst = Instance { store: store.id, index: 0 };
        Ok((store, inst))
    }

    /// Suspends the next call (and any later one) at its first safepoint once `used`
    /// units of fuel are used in all, counted from the program's start (across snapshots);
    /// the call returns [`Error::Suspended`]. `None`: never.
    pub fn suspend_at_fuel(&mut self, used: Option<u64>) {
        self.suspend_at = used;
    }

    /// A handle that suspends this store's calls from another thread or a signal
    /// handler. Calls made after a handle exists count fuel (to find safepoints).
    pub fn suspend_handle(&mut self) -> SuspendHandle {
        self.interruptible = true;
        SuspendHandle { flag: Arc::clone(&self.interrupt) }
    }

    /// The store's program state as snapshot bytes (layout in `docs/snapshot.md`): of the
    /// call that just returned [`Error::Suspended`], or, between calls, of its globals and
    /// heap. A store with more than one instance cannot be snapshot.
    pub fn snapshot(&mut self) -> Result<Vec<u8>, Error> {
        if let Some(b) = self.suspended.take() {
            return Ok(b);
        }
        if self.instances.len() != 1 {
            return Err(Error::Snapshot(crate::snapshot::SnapshotError::Invalid(format!(
                "a store with {} instances cannot be snapshot (one instance only)",
                self.instances.len()
            ))));
        }
        let used = self.fuel_used;
        let mut lent = Lent::new(self, 0);
        let vm = lent.vm();
        vm.set_options(RunOptions { max_depth: vm.options().max_depth, fuel: None });
        vm.set_fuel_base(used);
        Ok(vm.snapshot_idle())
    }

    /// The store's engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The limits the store enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The capabilities the store grants.
    pub fn capabilities(&self) -> &Capabilities {
        self.ctx.sandbox.capabilities()
    }

    /// The program's arguments, as `env.args()` returns them.
    pub fn set_args<I, S>(&mut self, args: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.ctx.args = args.into_iter().map(Into::into).collect();
    }

    /// The seed of the `rand` module (default 0). Set it before the first call that uses
    /// `rand`.
    pub fn set_seed(&mut self, seed: u64) {
        self.ctx.seed = seed;
    }

    /// Where `print` and `write` go.
    pub fn set_stdout(&mut self, out: impl Write + Send + 'static) {
        self.out = Box::new(out);
    }

    /// Where `eprint` goes.
    pub fn set_stderr(&mut self, err: impl Write + Send + 'static) {
        self.err = Box::new(err);
    }

    /// Where `io.read_line` and `io.read_all` read from (they also need
    /// [`Capabilities::allow_stdin`]).
    pub fn set_stdin(&mut self, input: impl BufRead + Send + 'static) {
        self.ctx.sandbox.set_stdin(Box::new(input));
    }

    /// Fuel left, if the store has a fuel limit.
    pub fn fuel_remaining(&self) -> Option<u64> {
        self.fuel
    }

    /// Sets the fuel left to `units` (gives a store without a fuel limit one).
    pub fn set_fuel(&mut self, units: u64) {
        self.fuel = Some(units);
    }

    /// A handle that interrupts this store's calls from another thread. Calls made
    /// after a handle exists poll the interrupt flag (cheaply: with the fuel count).
    pub fn interrupt_handle(&mut self) -> InterruptHandle {
        self.interruptible = true;
        InterruptHandle { flag: Arc::clone(&self.interrupt) }
    }

    /// Counters of the work done so far.
    pub fn stats(&self) -> StoreStats {
        let mut s = StoreStats { fuel_used: self.limits.get_fuel().map(|_| self.fuel_used), ..StoreStats::default() };
        for vm in &self.instances {
            let h = &vm.heap;
            s.heap_bytes += h.bytes;
            s.peak_heap_bytes = s.peak_heap_bytes.max(h.stats.peak_bytes);
            s.allocated_bytes += h.stats.allocated_bytes;
            s.gc_cycles += h.stats.collections;
            let (t, v) = (&mut s.tiers, &vm.tier_stats);
            t.functions_compiled += v.functions_compiled;
            t.compile_failures += v.compile_failures;
            t.too_large += v.too_large;
            t.osr_entries += v.osr_entries;
            t.compile_ns += v.compile_ns;
            t.max_compile_ns = t.max_compile_ns.max(v.max_compile_ns);
            t.compile_ns_each.extend_from_slice(&v.compile_ns_each);
            t.native_samples += v.native_samples;
            t.interp_samples += v.interp_samples;
        }
        s
    }

    /// Flushes the program's output; an error says output was lost.
    pub fn flush(&mut self) -> std::io::Result<()> {
        let out = self.out.flush();
        let err = self.err.flush();
        out.and(err)
    }

    /// Adds an instance and runs its global initializers. If they are suspended, the
    /// store keeps their snapshot (in which `main` runs after them), not the instance.
    pub(crate) fn add_instance(&mut self, vm: Vm, module: &Module) -> Result<Instance, Error> {
        self.instances.push(vm);
        let index = self.instances.len() - 1;
        if let Some(init) = module.bytecode().init {
            let then_main = module.bytecode().main.is_some();
            if let Err(e) = self.run(index, |vm| vm.call_init(init, then_main)) {
                self.instances.pop();
                return Err(e);
            }
        }
        Ok(Instance { store: self.id, index })
    }

    /// Runs `f` on instance `index` with the store's output, sandbox and limits. What it
    /// swaps into the instance (output streams, host context) is swapped back by a guard,
    /// so the store stays whole even if `f` unwinds.
    fn run<T>(&mut self, index: usize, f: impl FnOnce(&mut Vm) -> Result<T, Trap>) -> Result<T, Error> {
        let others: usize =
            self.instances.iter().enumerate().filter(|(i, _)| *i != index).map(|(_, vm)| vm.heap.used()).sum();
        let timeout = self.limits.get_timeout();
        let opts = RunOptions { max_depth: self.limits.get_max_depth(), fuel: self.fuel };
        let interrupt = (self.interruptible || timeout.is_some()).then(|| Arc::clone(&self.interrupt));
        let limit = self.limits.get_max_memory().map_or(usize::MAX, |m| m.saturating_sub(others));
        let ticket = timeout.map(|t| {
            self.interrupt.clear_timeout();
            // A deadline too far to represent is no deadline (a century from now).
            let now = Instant::now();
            let deadline = now.checked_add(t).unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
            self.engine.watchdog().arm(deadline, Arc::clone(&self.interrupt))
        });
        // Runs that count fuel in every tier: their fuel used is kept.
        let counted = self.fuel.is_some() || interrupt.is_some() || self.suspend_at.is_some();
        let (used_before, suspend_at) = (self.fuel_used, self.suspend_at);
        let mut lent = Lent::new(self, index);
        let vm = lent.vm();
        vm.set_options(opts);
        vm.interrupt = interrupt;
        vm.heap.set_limit(limit);
        vm.set_fuel_base(used_before);
        vm.suspend_at_fuel(suspend_at);
        let r = f(vm);
        // Output the program wrote and the host could not take is an error of the call.
        let flushed = vm.flush();
        let left = vm.fuel_left();
        let used = vm.fuel_used();
        let suspension = vm.take_suspension();
        drop(lent);
        drop(ticket);
        let r = match (r, flushed) {
            (Ok(_), Err(e)) => Err(Trap::from(TrapCode::Output(e.to_string()))),
            (r, _) => r,
        };
        if counted {
            self.fuel_used = used;
        }
        if let (Some(_), Some(left)) = (self.fuel, left) {
            self.fuel = Some(left);
        }
        match r {
            Err(t) if t.code == TrapCode::Suspended => {
                self.suspended = suspension;
                Err(Error::Suspended)
            }
            r => r.map_err(Error::Trap),
        }
    }

    fn check(&self, inst: &Instance) -> Result<(), Error> {
        if inst.store == self.id && inst.index < self.instances.len() {
            Ok(())
        } else {
            Err(Error::WrongStore)
        }
    }
}

/// Whether `v` is a value of type `t`.
fn has_type(v: &Val, t: &ValType) -> bool {
    match (v, t) {
        (Val::Nil, ValType::Optional(_)) => true,
        (v, ValType::Optional(inner)) => has_type(v, inner),
        (Val::Int(_), ValType::Int) | (Val::Float(_), ValType::Float) | (Val::Bool(_), ValType::Bool) => true,
        (Val::Str(_), ValType::Str) => true,
        (Val::Array(xs), ValType::Array(e)) => xs.iter().all(|x| has_type(x, e)),
        _ => false,
    }
}

fn val_type_text(v: &Val) -> String {
    match v {
        Val::Nil => "nil".into(),
        Val::Int(_) => "int".into(),
        Val::Float(_) => "float".into(),
        Val::Bool(_) => "bool".into(),
        Val::Str(_) => "str".into(),
        Val::Array(xs) => match xs.first() {
            Some(x) => format!("[{}]", val_type_text(x)),
            None => "[]".into(),
        },
    }
}

/// An export's function index, parameter and result types (`None` for a type that
/// cannot cross the boundary), and its signature text.
struct ExportSig {
    func: u32,
    params: Vec<Option<ValType>>,
    ret: Option<Option<ValType>>,
    text: String,
}

impl Instance {
    /// The export `name`.
    fn export(&self, store: &Store, name: &str) -> Result<ExportSig, Error> {
        store.check(self)?;
        let m = &store.instances[self.index].module;
        let e = m.exports.iter().find(|e| e.name == name).ok_or_else(|| Error::NoExport { name: name.to_string() })?;
        let f = &m.functions[e.func as usize];
        let params = f.params.iter().map(|&p| ValType::from_type(m, p)).collect();
        let ret = f.ret.map(|r| ValType::from_type(m, r));
        Ok(ExportSig { func: e.func, params, ret, text: signature_text(m, &f.params, f.ret) })
    }

    /// Calls the exported function `name` with typed arguments (`()`, one value, or a
    /// tuple) and a typed result (`()` for a function that returns nothing). The
    /// signature is checked first ([`Error::Signature`]); a runtime error or an exhausted
    /// limit is [`Error::Trap`], with the message and stack trace, and leaves the store
    /// usable.
    pub fn call<P: Params, R: Results>(&self, store: &mut Store, name: &str, args: P) -> Result<R, Error> {
        let ExportSig { func, params, ret, text: expected } = self.export(store, name)?;
        let (want_params, want_ret) = (P::types(), R::ret_type());
        let matches = params.len() == want_params.len()
            && params.iter().zip(&want_params).all(|(p, w)| p.as_ref() == Some(w))
            && match (&ret, &want_ret) {
                (None, None) => true,
                (Some(r), Some(w)) => r.as_ref() == Some(w),
                _ => false,
            };
        if !matches {
            return Err(Error::Signature {
                name: name.to_string(),
                expected,
                found: signature(&want_params, &want_ret),
            });
        }
        let v = self.call_func(store, func, args.into_vals())?;
        R::from_ret(v).ok_or_else(|| Error::Trap(Trap::new(format!("{name} returned a value of another type"))))
    }

    /// Calls the exported function `name` with untyped arguments, checked against its
    /// signature; returns its result (`Val::Nil` if it returns nothing).
    pub fn call_dynamic(&self, store: &mut Store, name: &str, args: &[Val]) -> Result<Val, Error> {
        let ExportSig { func, params, text: expected, .. } = self.export(store, name)?;
        let ok = params.len() == args.len()
            && params.iter().zip(args).all(|(p, a)| p.as_ref().is_some_and(|p| has_type(a, p)));
        if !ok {
            let found: Vec<String> = args.iter().map(val_type_text).collect();
            return Err(Error::Signature {
                name: name.to_string(),
                expected,
                found: format!("({})", found.join(", ")),
            });
        }
        self.call_func(store, func, args.to_vec())
    }

    /// Runs the module's `main`, as `vm run` does after instantiation; returns the exit
    /// code (`main`'s value, or 0 when it returns nothing).
    pub fn run_main(&self, store: &mut Store) -> Result<i32, Error> {
        store.check(self)?;
        let m = store.instances[self.index].module.clone();
        let Some(main) = m.main else {
            return Err(Error::NoExport { name: "main".into() });
        };
        let r = store.run(self.index, |vm| vm.call(main, &[]))?;
        Ok(match m.functions[main as usize].ret {
            Some(_) => r as i64 as i32,
            None => 0,
        })
    }

    /// Continues the program of a store made by [`Store::resume`] the way
    /// [`Instance::run_main`] runs one: the suspended frames from where they stopped, then
    /// `main` if the snapshot was taken in the global initializers. Returns the exit code
    /// (the value of `main`, or 0). It may be suspended again.
    pub fn resume_main(&self, store: &mut Store) -> Result<i32, Error> {
        store.check(self)?;
        store.run(self.index, |vm| vm.resume_main())
    }

    /// Continues the call a snapshot suspended (made by [`Store::resume`]) to its end;
    /// returns its result (`Val::Nil` if it returns nothing or was suspended between calls,
    /// or in the global initializers). It may be suspended again.
    pub fn resume_call(&self, store: &mut Store) -> Result<Val, Error> {
        store.check(self)?;
        store.run(self.index, |vm| {
            let Some(f) = vm.outermost_function() else { return Ok(Val::Nil) };
            let m = vm.module.clone();
            let r = vm.resume_call()?;
            Ok(match m.functions[f as usize].ret {
                Some(t) if !matches!(m.ty(t), Type::Map(..) | Type::Struct(_) | Type::Fn(..)) => vm.to_val(r, t),
                _ => Val::Nil,
            })
        })
    }

    fn call_func(&self, store: &mut Store, func: u32, args: Vec<Val>) -> Result<Val, Error> {
        store.run(self.index, |vm| {
            let m = vm.module.clone();
            let f = &m.functions[func as usize];
            // Allocation never collects, so the arguments stay alive until the call puts
            // them in registers.
            let mut raw = Vec::with_capacity(args.len());
            for (v, &t) in args.iter().zip(&f.params) {
                raw.push(vm.from_val(v, t)?);
            }
            let r = vm.call(func, &raw)?;
            Ok(match f.ret {
                Some(t) if !matches!(m.ty(t), Type::Map(..) | Type::Struct(_) | Type::Fn(..)) => vm.to_val(r, t),
                _ => Val::Nil,
            })
        })
    }
}

// Stores move between threads; the API promises it.
const _: () = {
    const fn send<T: Send>() {}
    send::<Store>();
    send::<Engine>();
    send::<Module>();
    send::<InterruptHandle>();
    send::<SuspendHandle>();
};

/// A store's output streams and host context, lent to one of its instances for a call;
/// dropping it gives them back (also when the call unwinds).
struct Lent<'s> {
    store: &'s mut Store,
    index: usize,
}

impl<'s> Lent<'s> {
    fn new(store: &'s mut Store, index: usize) -> Lent<'s> {
        let vm = &mut store.instances[index];
        std::mem::swap(&mut vm.out, &mut store.out);
        std::mem::swap(&mut vm.err, &mut store.err);
        std::mem::swap(&mut vm.ctx, &mut store.ctx);
        Lent { store, index }
    }

    fn vm(&mut self) -> &mut Vm {
        &mut self.store.instances[self.index]
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let vm = &mut self.store.instances[self.index];
        std::mem::swap(&mut vm.out, &mut self.store.out);
        std::mem::swap(&mut vm.err, &mut self.store.err);
        std::mem::swap(&mut vm.ctx, &mut self.store.ctx);
    }
}
