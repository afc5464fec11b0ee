//! Stores and interrupt handles.

use super::epoch::ticks_of;
use super::{Engine, Error, Instance, Module};
use crate::host::HostContext;
use crate::runtime::trap::{Trap, TrapCode};
use crate::runtime::RunOptions;
use crate::runtime::Vm;
use crate::sandbox::{Capabilities, Interrupt, Limits, Sandbox};
use std::fmt;
use std::io::{BufRead, Write};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// One isolated world for programs: the heaps and globals of its instances, the
/// capabilities it grants, the limits it enforces, its arguments, seed, output and
/// input, and the host's data for it (a `T`, which host functions reach through their
/// [`Caller`](crate::host::Caller)). Stores share nothing with each other; a store is
/// `Send`, so stores can run on many threads at once (one call at a time per store).
///
/// Limits apply to the store as a whole: fuel is one budget for all its calls
/// ([`Store::set_fuel`] adds more), memory bounds the heaps of all its instances
/// together, the depth and the timeout bound each call.
pub struct Store<T = ()> {
    id: u64,
    engine: Engine,
    limits: Limits,
    /// The host context, with the data (`T`) in it.
    ctx: Box<HostContext>,
    out: Box<dyn Write + Send>,
    err: Box<dyn Write + Send>,
    /// Set when the program writes to `out` or `err`: the call then flushes them.
    wrote: Arc<AtomicBool>,
    pub(crate) instances: Vec<Vm>,
    fuel: Option<u64>,
    fuel_used: u64,
    interrupt: Arc<Interrupt>,
    interruptible: bool,
    /// The timeout of each call, in ticks of the engine's clock.
    timeout_ticks: Option<u64>,
    /// Suspend the next call once this much fuel is used in all.
    suspend_at: Option<u64>,
    /// The snapshot of the call that was suspended, until taken.
    suspended: Option<Vec<u8>>,
    _data: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Store<T> {
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

/// Stops a store's calls from any thread. Cheap to clone; `Send` and `Sync`.
///
/// [`interrupt`](InterruptHandle::interrupt) sets a request that stays pending until a
/// call of the store takes it, and that call traps with `interrupted` (a limit):
///
/// - a running call takes it when it next polls: at its next fuel refill, within about
///   a thousand calls or loop iterations (or inside a long built-in, or while it waits
///   for input). A call that ends before polling (one without loops or calls, say)
///   leaves the request pending;
/// - a call that starts with a request pending takes it at once, before running any
///   code.
///
/// So a request is never lost, and stops exactly one call. A host function that blocks
/// delays it until it returns.
#[derive(Clone, Debug)]
pub struct InterruptHandle {
    flag: Arc<Interrupt>,
}

impl InterruptHandle {
    /// Asks the store's running call, or else its next call, to stop with `interrupted`.
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

/// A writer that notes that something was written, so a call flushes only then.
struct Tracked<W> {
    inner: W,
    wrote: Arc<AtomicBool>,
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.wrote.store(true, Ordering::Relaxed);
        self.inner.write(b)
    }
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.wrote.store(true, Ordering::Relaxed);
        self.inner.write_all(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Store<()> {
    /// A store for programs of `engine`, granting `caps` and enforcing `limits`, without
    /// host data. Its output goes to the process's standard output and error, and input
    /// (if granted) comes from standard input, until set otherwise.
    pub fn new(engine: &Engine, caps: Capabilities, limits: Limits) -> Store<()> {
        Store::with_data(engine, caps, limits, ())
    }
}

impl<T: Send + 'static> Store<T> {
    /// A store like [`Store::new`], holding `data` for the host: its host functions reach
    /// it through their [`Caller`](crate::host::Caller) (`caller.data()`), and the host
    /// through [`Store::data`] between calls.
    pub fn with_data(engine: &Engine, caps: Capabilities, limits: Limits, data: T) -> Store<T> {
        let interrupt = Arc::new(Interrupt::with_clock(engine.clock().counter()));
        let mut sandbox = Sandbox::new(caps);
        // A read blocked on the program's input stops when a call's time is up.
        sandbox.set_interrupt(Arc::clone(&interrupt));
        let mut ctx = Box::new(HostContext::new(sandbox));
        ctx.data = Box::new(data);
        let wrote = Arc::new(AtomicBool::new(false));
        Store {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            engine: engine.clone(),
            fuel: limits.get_fuel(),
            timeout_ticks: limits.get_timeout().map(ticks_of),
            limits,
            ctx,
            out: Box::new(Tracked { inner: std::io::stdout(), wrote: Arc::clone(&wrote) }),
            err: Box::new(Tracked { inner: std::io::stderr(), wrote: Arc::clone(&wrote) }),
            wrote,
            instances: Vec::new(),
            fuel_used: 0,
            interrupt,
            interruptible: false,
            suspend_at: None,
            suspended: None,
            _data: PhantomData,
        }
    }

    /// The host's data.
    pub fn data(&self) -> &T {
        match self.ctx.data.downcast_ref::<T>() {
            Some(d) => d,
            // The store made its context with a `T`, and only a running call (which
            // borrows the store) sets it aside.
            None => unreachable!("a store's data has the store's type"),
        }
    }

    /// The host's data, to change.
    pub fn data_mut(&mut self) -> &mut T {
        match self.ctx.data.downcast_mut::<T>() {
            Some(d) => d,
            None => unreachable!("a store's data has the store's type"),
        }
    }

    /// The host's data, ending the store (and its instances).
    pub fn into_data(mut self) -> T {
        let data = std::mem::replace(&mut self.ctx.data, Box::new(()));
        match data.downcast::<T>() {
            Ok(d) => *d,
            Err(_) => unreachable!("a store's data has the store's type"),
        }
    }
}

impl Store<()> {
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
        Store::resume_with_data(linker, caps, limits, bytes, ())
    }
}

impl<T: Send + 'static> Store<T> {
    /// [`Store::resume`] into a store holding `data` for the host.
    pub fn resume_with_data(
        linker: &super::Linker<T>,
        caps: Capabilities,
        limits: Limits,
        bytes: &[u8],
        data: T,
    ) -> Result<(Store<T>, Instance), Error> {
        let snap = crate::snapshot::read(bytes)?;
        let engine = linker.engine().clone();
        let mut store = Store::with_data(&engine, caps, limits, data);
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
        let inst = Instance::new(store.id, 0);
        Ok((store, inst))
    }
}

impl<T> Store<T> {
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
    /// heap. A store with more than one instance cannot be snapshot. The store's data
    /// (`T`) is the host's and is not in it.
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
        self.out = Box::new(Tracked { inner: out, wrote: Arc::clone(&self.wrote) });
    }

    /// Where `eprint` goes.
    pub fn set_stderr(&mut self, err: impl Write + Send + 'static) {
        self.err = Box::new(Tracked { inner: err, wrote: Arc::clone(&self.wrote) });
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

    /// A handle that interrupts this store's calls from another thread (see
    /// [`InterruptHandle`] for when a call sees the request). Calls made after a handle
    /// exists poll for requests (cheaply: with the fuel count).
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
        self.wrote.store(false, Ordering::Relaxed);
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
            if let Err(e) = self.run(index, |vm| Ok(vm.call_init(init, then_main)?)) {
                self.instances.pop();
                return Err(e);
            }
        }
        Ok(Instance::new(self.id, index))
    }

    /// Whether instance `index` of store `store` is one of this store's.
    #[inline]
    pub(crate) fn check(&self, store: u64, index: usize) -> Result<(), Error> {
        if store == self.id && index < self.instances.len() {
            Ok(())
        } else {
            Err(Error::WrongStore)
        }
    }

    /// Runs `f` on instance `index` with the store's output, host context and limits: arms
    /// the call's deadline, lends the output streams and the context (a guard gives them
    /// back, also if `f` unwinds), flushes what the program wrote, and counts the fuel.
    #[inline]
    pub(crate) fn run<R>(&mut self, index: usize, f: impl FnOnce(&mut Vm) -> Result<R, Error>) -> Result<R, Error> {
        if let Some(ticks) = self.timeout_ticks {
            self.interrupt.set_deadline(self.engine.clock().deadline(ticks));
        }
        if self.interruptible {
            // A request made while no call ran stops this one before it starts.
            if let Some(code) = self.interrupt.take() {
                return Err(Error::Trap(Trap::from(code)));
            }
        }
        let limit = match self.limits.get_max_memory() {
            None => usize::MAX,
            Some(max) if self.instances.len() == 1 => max,
            Some(max) => {
                let others: usize =
                    self.instances.iter().enumerate().filter(|(i, _)| *i != index).map(|(_, vm)| vm.heap.used()).sum();
                max.saturating_sub(others)
            }
        };
        let opts = RunOptions { max_depth: self.limits.get_max_depth(), fuel: self.fuel };
        let polls = self.interruptible || self.timeout_ticks.is_some();
        if self.instances[index].interrupt.is_some() != polls {
            self.instances[index].interrupt = polls.then(|| Arc::clone(&self.interrupt));
        }
        // Runs that count fuel in every tier: their fuel used is kept (a snapshot carries it).
        let counted = self.fuel.is_some() || polls || self.suspend_at.is_some();
        let (used_before, suspend_at) = (self.fuel_used, self.suspend_at);
        let mut lent = Lent::new(self, index);
        let vm = lent.vm();
        vm.set_options(opts);
        vm.heap.set_limit(limit);
        vm.set_fuel_base(used_before);
        vm.suspend_at_fuel(suspend_at);
        // A call from the host is a safepoint: garbage of earlier calls (their arguments,
        // say) is collected even if the program itself never allocates.
        let r = match vm.safepoint() {
            Ok(()) => f(vm),
            Err(t) => Err(Error::Trap(t)),
        };
        let left = vm.fuel_left();
        let used = vm.fuel_used();
        let suspension = vm.take_suspension();
        drop(lent);
        if counted {
            self.fuel_used = used;
        }
        if let (Some(_), Some(left)) = (self.fuel, left) {
            self.fuel = Some(left);
        }
        // Output the program wrote and the host could not take is an error of the call.
        if self.wrote.load(Ordering::Relaxed) {
            if let (Ok(_), Err(e)) = (&r, self.flush()) {
                return Err(Error::Trap(Trap::from(TrapCode::Output(e.to_string()))));
            }
        }
        match r {
            Err(Error::Trap(t)) if t.code == TrapCode::Suspended => {
                self.suspended = suspension;
                Err(Error::Suspended)
            }
            r => r,
        }
    }
}

// Stores move between threads; the API promises it.
const _: () = {
    const fn send<T: Send>() {}
    send::<Store>();
    send::<Store<Vec<String>>>();
    send::<Engine>();
    send::<Module>();
    send::<InterruptHandle>();
    send::<SuspendHandle>();
};

/// A store's output streams and host context, lent to one of its instances for a call;
/// dropping it gives them back (also when the call unwinds).
struct Lent<'s, T> {
    store: &'s mut Store<T>,
    index: usize,
}

impl<'s, T> Lent<'s, T> {
    #[inline]
    fn new(store: &'s mut Store<T>, index: usize) -> Lent<'s, T> {
        let vm = &mut store.instances[index];
        std::mem::swap(&mut vm.out, &mut store.out);
        std::mem::swap(&mut vm.err, &mut store.err);
        std::mem::swap(&mut vm.ctx, &mut store.ctx);
        Lent { store, index }
    }

    #[inline]
    fn vm(&mut self) -> &mut Vm {
        &mut self.store.instances[self.index]
    }
}

impl<T> Drop for Lent<'_, T> {
    #[inline]
    fn drop(&mut self) {
        let vm = &mut self.store.instances[self.index];
        std::mem::swap(&mut vm.out, &mut self.store.out);
        std::mem::swap(&mut vm.err, &mut self.store.err);
        std::mem::swap(&mut vm.ctx, &mut self.store.ctx);
    }
}
