//! The interpreter: a register machine over pre-decoded 8-byte instructions.
//!
//! All frames share one register stack (`Vec<u64>`); a frame is a window of it, starting
//! where its caller's registers end. Registers hold raw words (ints, float bits, bools,
//! references); each function's register types say which are references, which gives the
//! collector precise roots.

mod code;
mod dispatch;

use crate::bytecode::{verify, Const, Kind, Module, Type, VerifyError};
use crate::heap::{Heap, Layouts};
use crate::host::{HostContext, HostFunc, HostFuncs, LinkError};
use crate::runtime::trap::{TraceFrame, Trap};
use crate::sandbox::Interrupt;
use std::io::Write;
use std::sync::Arc;

/// Per-function facts the interpreter needs at every call.
pub(crate) struct FuncMeta {
    /// The function's code: the module's (owned by the VM's `Arc<Module>`) or its copy
    /// that uses no fuel (owned by `Vm::code`); see `code.rs`.
    pub code: *const crate::bytecode::Instr,
    pub nregs: usize,
    pub nparams: usize,
    pub ncaptures: usize,
    pub ref_regs: Box<[u16]>,
}

// Safety: `code` points into the module the VM holds through an `Arc` for its whole life;
// the code is never mutated, so the pointer may move to another thread with the VM.
unsafe impl Send for FuncMeta {}

#[derive(Clone, Copy)]
pub(crate) struct Frame {
    pub func: u32,
    pub base: usize,
    /// The next instruction (saved when this frame calls out or traps).
    pub pc: usize,
    /// Where the caller wants the result, relative to the caller's base.
    pub ret_dst: u16,
}

/// Options of one run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Frames deeper than this trap with `stack overflow`.
    pub max_depth: usize,
    /// An instruction budget: one unit is used by every call (`Call`, `CallClosure`, and a
    /// built-in calling a closure, as `sort_by` does) and every taken backward jump, and
    /// the run traps with `out of fuel` (a resource limit) when a unit is needed and none
    /// is left. Every loop takes a backward jump, so a run does at most about (fuel +
    /// call depth + 1) times the longest function's length instructions, apart from the
    /// work inside built-ins. It is deterministic: the same program and input use the same
    /// fuel. `None`: no limit.
    pub fuel: Option<u64>,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions { max_depth: DEFAULT_MAX_DEPTH, fuel: None }
    }
}

/// Why a module could not be instantiated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InstantiateError {
    /// The module failed verification; nothing of it ran.
    #[error("invalid bytecode: {0}")]
    Invalid(#[from] VerifyError),
    /// An import could not be resolved against the host's functions.
    #[error("{0}")]
    Link(#[from] LinkError),
}

/// The default call depth limit.
pub const DEFAULT_MAX_DEPTH: usize = 100_000;
/// The most fuel `refill` moves to the countdown at once: the interrupt flag is polled at
/// least this often (in calls and taken backward jumps).
pub(crate) const TICK_CHUNK: u64 = 1024;
/// How often built-ins may re-enter the interpreter (e.g. `sort_by` comparators) before
/// `stack overflow`: each level uses native stack.
const MAX_NATIVE_DEPTH: u32 = 200;

/// A program instantiated and ready to run: its heap, globals and stacks.
pub struct Vm {
    pub module: Arc<Module>,
    pub heap: Heap,
    pub(crate) stack: Vec<u64>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) globals: Vec<u64>,
    global_refs: Vec<usize>,
    /// Globals of non-optional reference type: reading one before its initializer ran traps.
    pub(crate) global_needs_init: Vec<bool>,
    pub(crate) consts: Vec<u64>,
    pub(crate) meta: Vec<FuncMeta>,
    pub(crate) host: Vec<HostFunc>,
    pub out: Box<dyn Write + Send>,
    pub err: Box<dyn Write + Send>,
    /// References held by built-ins across a re-entrant call.
    pub(crate) temp_roots: Vec<u64>,
    pub(crate) opts: RunOptions,
    /// Fuel left (`u64::MAX` when the run has no limit, which cannot run out in practice),
    /// apart from what was moved to `ticks`.
    pub(crate) fuel: u64,
    /// The countdown of fuel-counting runs: fuel taken from `fuel` in chunks of up to
    /// [`TICK_CHUNK`] and not used yet. When it reaches 0, `refill` polls the interrupt
    /// flag and takes the next chunk, so the flag costs nothing per instruction.
    pub(crate) ticks: u64,
    /// Set from another thread (an interrupt handle, the timeout watchdog) to stop the run.
    pub(crate) interrupt: Option<Arc<Interrupt>>,
    /// What host functions reach through their `Caller`: the sandbox, arguments, seed.
    pub(crate) ctx: Box<HostContext>,
    pub(crate) native_depth: u32,
    pub(crate) line: String,
    /// The value of each function without captures, made on first use.
    fn_values: Vec<u64>,
    /// The code with and without fuel counting; `meta[..].code` points at one of them.
    pub(crate) code: code::Code,
}

impl Vm {
    /// Instantiates a module: verifies it (the interpreter relies on the verifier's
    /// guarantees and nothing else), resolves its imports, allocates its constants and
    /// globals.
    pub fn new(
        module: Arc<Module>,
        host: &HostFuncs,
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
        opts: RunOptions,
    ) -> Result<Vm, InstantiateError> {
        verify(&module)?;
        let host = host.resolve(&module)?;
        let m = &module;
        let kind_of = |id: u32| m.kind(id);
        let layouts = Layouts {
            struct_refs: m
                .structs
                .iter()
                .map(|s| {
                    s.fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| kind_of(f.ty) == Kind::Ref)
                        .map(|(i, _)| i as u32)
                        .collect()
                })
                .collect(),
            closure_refs: m
                .functions
                .iter()
                .map(|f| {
                    f.captures
                        .iter()
                        .enumerate()
                        .filter(|(_, t)| kind_of(**t) == Kind::Ref)
                        .map(|(i, _)| i as u32)
                        .collect()
                })
                .collect(),
        };
        let mut heap = Heap::new(layouts);
        let consts = m
            .consts
            .iter()
            .map(|c| match c {
                Const::Int(i) => *i as u64,
                Const::Float(f) => f.to_bits(),
                Const::Str(s) => heap.alloc_str(s),
            })
            .collect();
        let meta = m
            .functions
            .iter()
            .map(|f| FuncMeta {
                code: f.code.as_ptr(),
                nregs: f.regs.len(),
                nparams: f.params.len(),
                ncaptures: f.captures.len(),
                ref_regs: f
                    .regs
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| kind_of(**t) == Kind::Ref)
                    .map(|(i, _)| i as u16)
                    .collect(),
            })
            .collect();
        let global_refs =
            m.globals.iter().enumerate().filter(|(_, g)| kind_of(g.ty) == Kind::Ref).map(|(i, _)| i).collect();
        let global_needs_init =
            m.globals.iter().map(|g| kind_of(g.ty) == Kind::Ref && !matches!(m.ty(g.ty), Type::Optional(_))).collect();
        Ok(Vm {
            globals: vec![0; m.globals.len()],
            global_refs,
            global_needs_init,
            consts,
            meta,
            host,
            heap,
            stack: Vec::with_capacity(1 << 12),
            frames: Vec::with_capacity(64),
            out,
            err,
            temp_roots: Vec::new(),
            fuel: opts.fuel.unwrap_or(u64::MAX),
            ticks: 0,
            interrupt: None,
            ctx: Box::default(),
            opts,
            native_depth: 0,
            line: String::new(),
            fn_values: vec![0; m.functions.len()],
            code: code::Code::new(m),
            module,
        })
    }

    /// Runs the global initializers, then `main`. Returns the exit code `main` gives (0
    /// when it returns nothing).
    pub fn run_main(&mut self) -> Result<i32, Trap> {
        let m = Arc::clone(&self.module);
        if let Some(init) = m.init {
            self.call(init, &[])?;
        }
        let Some(main) = m.main else {
            return Err(Trap::new("the module has no main function"));
        };
        let r = self.call(main, &[])?;
        self.flush();
        Ok(match m.functions[main as usize].ret {
            Some(_) => r as i64 as i32,
            None => 0,
        })
    }

    /// What host functions see of the world: the sandbox, `env.args()`, the `rand` seed.
    /// (A `Store` manages this; code that drives a `Vm` directly sets it here.)
    pub fn host_context_mut(&mut self) -> &mut HostContext {
        &mut self.ctx
    }

    /// Fuel left, if the run has a fuel limit.
    pub fn fuel_left(&self) -> Option<u64> {
        self.opts.fuel.map(|_| self.fuel + self.ticks)
    }

    /// Whether runs count fuel (and so poll the interrupt flag): with a fuel limit or an
    /// interrupt flag. Other runs run the copy of the code that uses no fuel (`code.rs`),
    /// so calls and loop jumps cost them nothing extra.
    #[inline]
    pub(crate) fn metered(&self) -> bool {
        self.opts.fuel.is_some() || self.interrupt.is_some()
    }

    /// The countdown reached 0: stops the run if the interrupt flag is set or the fuel is
    /// gone, else moves the next chunk of fuel to the countdown.
    #[cold]
    #[inline(never)]
    pub(crate) fn refill(&mut self) -> Result<(), Trap> {
        if let Some(why) = self.interrupt.as_ref().and_then(|i| i.take()) {
            return Err(Trap::limit(why));
        }
        if self.fuel == 0 {
            return Err(Trap::limit("out of fuel"));
        }
        let n = self.fuel.min(TICK_CHUNK);
        self.fuel -= n;
        self.ticks = n;
        Ok(())
    }

    /// The countdown wrapped below 0: refills it (or stops) and uses one unit.
    #[cold]
    #[inline(never)]
    pub(crate) fn refill_one(&mut self) -> Result<(), Trap> {
        self.ticks = 0;
        self.refill()?;
        self.ticks -= 1;
        Ok(())
    }

    /// Uses one unit of fuel (metered runs only).
    #[inline]
    pub(crate) fn burn(&mut self) -> Result<(), Trap> {
        if self.metered() {
            if self.ticks == 0 {
                self.refill()?;
            }
            self.ticks -= 1;
        }
        Ok(())
    }

    /// Makes sure `bytes` more fit under the memory limit, collecting first if that
    /// helps; else `out of memory`. Only at a safepoint: every live reference must be in
    /// a root (registers, globals, temporary roots).
    pub(crate) fn reserve_heap(&mut self, bytes: usize) -> Result<(), Trap> {
        if self.heap.fits(bytes) {
            return Ok(());
        }
        self.collect_garbage();
        if self.heap.fits(bytes) {
            Ok(())
        } else {
            Err(Trap::limit("out of memory"))
        }
    }

    /// Collects at a safepoint because the heap passed its threshold; `out of memory` if
    /// it is still over the limit afterwards.
    #[cold]
    #[inline(never)]
    pub(crate) fn collect_at_safepoint(&mut self) -> Result<(), Trap> {
        self.collect_garbage();
        if self.heap.bytes > self.heap.limit() {
            Err(Trap::limit("out of memory"))
        } else {
            Ok(())
        }
    }

    /// Flushes the program's output streams.
    pub fn flush(&mut self) {
        let _ = self.out.flush();
        let _ = self.err.flush();
    }

    /// Calls function `func` with raw argument words; returns its raw result (0 if none).
    pub fn call(&mut self, func: u32, args: &[u64]) -> Result<u64, Trap> {
        let base = match self.frames.last() {
            Some(f) => f.base + self.meta[f.func as usize].nregs,
            None => 0,
        };
        let entry = self.frames.len();
        self.push_frame(func, base, 0)?;
        for (i, a) in args.iter().enumerate() {
            self.stack[base + i] = *a;
        }
        self.run(entry)
    }

    /// Calls a closure object with raw arguments, from inside a built-in.
    pub(crate) fn call_closure_value(&mut self, closure: u64, args: &[u64]) -> Result<u64, Trap> {
        if self.native_depth >= MAX_NATIVE_DEPTH {
            return Err(Trap::limit("stack overflow"));
        }
        self.burn()?;
        // Safety: `closure` is a value of a `fn` type that the caller read from a verified
        // register (sort_by's comparator: the verifier's built-in signature rule types it
        // `fn(E, E) -> int`, and definite assignment makes it non-nil). Values of `fn` types
        // are made only by MakeClosure and `function_value`, so it is a live closure object
        // (kept alive by the caller's roots) of a function taking `args.len()` parameters.
        let c = unsafe { &*(closure as *const crate::heap::ClosureObj) };
        let func = c.hdr.aux;
        let caps: Vec<u64> = c.captures.to_vec();
        let base = match self.frames.last() {
            Some(f) => f.base + self.meta[f.func as usize].nregs,
            None => 0,
        };
        let entry = self.frames.len();
        self.push_frame(func, base, 0)?;
        let np = self.meta[func as usize].nparams;
        for (i, a) in args.iter().enumerate() {
            self.stack[base + i] = *a;
        }
        for (i, a) in caps.iter().enumerate() {
            self.stack[base + np + i] = *a;
        }
        self.native_depth += 1;
        let r = self.run(entry);
        self.native_depth -= 1;
        r
    }

    /// Pushes a frame for `func` at `base`, growing and clearing its registers.
    #[inline]
    pub(crate) fn push_frame(&mut self, func: u32, base: usize, ret_dst: u16) -> Result<(), Trap> {
        if self.frames.len() >= self.opts.max_depth {
            return Err(Trap::limit("stack overflow"));
        }
        let n = self.meta[func as usize].nregs;
        let top = base + n;
        if self.stack.len() < top {
            self.grow_stack(top)?;
        }
        // Registers must not hold stale references from an earlier frame.
        self.stack[base..top].fill(0);
        self.frames.push(Frame { func, base, pc: 0, ret_dst });
        Ok(())
    }

    /// Grows the register stack to at least `top` registers. It grows only into memory
    /// the memory limit leaves free; growing it past that, or past what the allocator
    /// gives, is `stack overflow` (never an abort).
    #[cold]
    fn grow_stack(&mut self, top: usize) -> Result<(), Trap> {
        let len = self.stack.len();
        let want = top.max(len * 2);
        let room = self.heap.room() / 8;
        let want = if want - len > room { top } else { want };
        if want - len > room || self.stack.try_reserve_exact(want - len).is_err() {
            return Err(Trap::limit("stack overflow"));
        }
        self.stack.resize(want, 0);
        Ok(())
    }

    /// Fills in the stack trace of a trap raised in the innermost frame (if not done yet)
    /// and unwinds to `entry` frames.
    pub(crate) fn unwind(&mut self, mut t: Trap, entry: usize) -> Trap {
        if t.trace.is_empty() {
            t.trace = self.trace();
        }
        self.frames.truncate(entry);
        t
    }

    /// The stack trace, innermost frame first. Each frame's `pc` is one past the
    /// instruction it is executing.
    pub(crate) fn trace(&self) -> Vec<TraceFrame> {
        let m = &self.module;
        self.frames
            .iter()
            .rev()
            .map(|fr| {
                let f = &m.functions[fr.func as usize];
                let loc = f.locs.get(fr.pc.saturating_sub(1)).copied().unwrap_or_default();
                TraceFrame {
                    function: f.name.clone(),
                    file: m.files.get(loc.file as usize).cloned().unwrap_or_default(),
                    line: loc.line,
                    col: loc.col,
                }
            })
            .collect()
    }

    /// The one closure object of function `f`, which has no captures.
    pub(crate) fn function_value(&mut self, f: u32) -> u64 {
        let v = self.fn_values[f as usize];
        if v != 0 {
            return v;
        }
        let v = self.heap.alloc_closure(f, Box::new([]));
        self.fn_values[f as usize] = v;
        v
    }

    /// Collects garbage. Every frame's `pc` need not be current; registers must be.
    pub(crate) fn collect_garbage(&mut self) {
        let stack = &self.stack;
        let frames = &self.frames;
        let meta = &self.meta;
        let frame_roots =
            frames.iter().flat_map(|f| meta[f.func as usize].ref_regs.iter().map(move |&r| stack[f.base + r as usize]));
        let global_roots = self.global_refs.iter().map(|&g| self.globals[g]);
        let const_roots =
            self.module.consts.iter().zip(&self.consts).filter(|(c, _)| matches!(c, Const::Str(_))).map(|(_, v)| *v);
        let temp = self.temp_roots.iter().chain(&self.fn_values).copied();
        self.heap.collect(frame_roots.chain(global_roots).chain(const_roots).chain(temp));
    }
}
