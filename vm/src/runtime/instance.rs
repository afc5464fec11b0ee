//! Instantiation, and calls into a program from outside it (the host, or a built-in that
//! calls a closure): the frame is pushed here, and the `Vm`'s runner (the tier) runs it.

use super::code::Funcs;
use super::trap::{Trap, TrapCode};
use super::vm::{Exec, RunOptions, Runner, Vm};
use crate::bytecode::{Const, Kind, Type, VerifiedModule};
use crate::heap::{ClosureObj, Heap, Layouts};
use crate::host::{HostFuncs, LinkError};
use std::io::Write;

/// Bytes of machine stack native code may use below where the host called in, unless set
/// otherwise ([`Vm::set_native_stack`]): safe on any thread with the usual 2 MiB stack.
pub const DEFAULT_NATIVE_STACK: usize = 256 << 10;

/// How often built-ins may re-enter the program (e.g. `sort_by` comparators) before
/// `stack overflow`: each level uses native stack.
const MAX_NATIVE_DEPTH: u32 = 200;

impl Vm {
    /// Instantiates a verified module: resolves its imports against `host`, allocates its
    /// constants, globals and stacks. `runner` is the tier that will run its code.
    pub(crate) fn instantiate(
        module: VerifiedModule,
        host: &HostFuncs,
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
        opts: RunOptions,
        runner: Runner,
    ) -> Result<Vm, LinkError> {
        let host = host.resolve(&module)?;
        let m = &*module;
        let refs_of = |tys: &[u32]| -> Vec<u32> {
            tys.iter().enumerate().filter(|(_, t)| m.kind(**t) == Kind::Ref).map(|(i, _)| i as u32).collect()
        };
        let layouts = Layouts {
            struct_refs: m
                .structs
                .iter()
                .map(|s| refs_of(&s.fields.iter().map(|f| f.ty).collect::<Vec<_>>()))
                .collect(),
            closure_refs: m.functions.iter().map(|f| refs_of(&f.captures)).collect(),
        };
        let mut heap = Heap::new(layouts);
        let mut const_store: Vec<u64> = m
            .consts
            .iter()
            .map(|c| match c {
                Const::Int(i) => *i as u64,
                Const::Float(f) => f.to_bits(),
                Const::Str(s) => heap.alloc_str(s),
            })
            .collect();
        let mut global_store = vec![0u64; m.globals.len()];
        let global_refs =
            m.globals.iter().enumerate().filter(|(_, g)| m.kind(g.ty) == Kind::Ref).map(|(i, _)| i).collect();
        let global_needs_init =
            m.globals.iter().map(|g| m.kind(g.ty) == Kind::Ref && !matches!(m.ty(g.ty), Type::Optional(_))).collect();
        let funcs = Funcs::new(m);
        let fn_values = vec![0; m.functions.len()];
        let ex = Exec {
            regs: std::ptr::null_mut(),
            regs_len: 0,
            frames: std::ptr::null_mut(),
            depth: 0,
            frames_cap: 0,
            max_depth: opts.max_depth,
            depth_limit: 0,
            ticks: 0,
            globals: global_store.as_mut_ptr(),
            consts: const_store.as_mut_ptr(),
            natives: std::ptr::null(),
            stack_limit: 0,
            status: 0,
        };
        let native_table = vec![0usize; m.functions.len()];
        let mut vm = Vm {
            ex,
            heap,
            global_store,
            global_refs,
            global_needs_init,
            const_store,
            funcs,
            host,
            out,
            err,
            temp_roots: Vec::new(),
            fuel: opts.fuel.unwrap_or(u64::MAX),
            opts,
            interrupt: None,
            pending: None,
            ctx: Box::default(),
            native_depth: 0,
            line: String::new(),
            fn_values,
            runner,
            interpret: runner,
            native_table,
            tier_state: None,
            on_hot: None,
            sampling: false,
            tick_chunk: super::fuel::TICK_CHUNK,
            native_stack: DEFAULT_NATIVE_STACK,
            tier_stats: Default::default(),
            fuel_base: 0,
            fuel_start: u64::MAX,
            suspend_at: None,
            then_main: false,
            suspension: None,
            module,
        };
        vm.ex.natives = vm.native_table.as_ptr();
        vm.fuel_start = vm.fuel;
        vm.alloc_stacks();
        Ok(vm)
    }

    /// Runs the global initializers, then `main`. Returns the exit code `main` gives (0
    /// when it returns nothing).
    pub fn run_main(&mut self) -> Result<i32, Trap> {
        if let Some(init) = self.module.init {
            self.call_init(init, true)?;
        }
        let Some(main) = self.module.main else {
            return Err(TrapCode::NoMain.into());
        };
        let r = self.call(main, &[])?;
        if let Err(e) = self.flush() {
            return Err(TrapCode::Output(e.to_string()).into());
        }
        Ok(match self.module.functions[main as usize].ret {
            Some(_) => r as i64 as i32,
            None => 0,
        })
    }

    /// Calls function `func` with raw argument words; returns its raw result (0 if none).
    /// The words must be values of the parameters' types (the typed embedding API checks
    /// them); `func` must be a function of the module.
    pub fn call(&mut self, func: u32, args: &[u64]) -> Result<u64, Trap> {
        let Some(f) = self.module.functions.get(func as usize) else {
            return Err(Trap::new(format!("no function {func}")));
        };
        if args.len() != f.params.len() || !f.captures.is_empty() {
            return Err(Trap::new(format!("function {func} takes {} arguments", f.params.len())));
        }
        let base = self.next_base();
        let entry = self.depth();
        self.push_frame(func, base, 0, args.len())?;
        self.regs_mut()[base..base + args.len()].copy_from_slice(args);
        self.run(entry)
    }

    /// How much machine stack native code may use below the point where the host calls in
    /// (the rest of the thread's stack must stay free for the runtime's own work, and for
    /// the frame of the last native function called before the limit: native code checks
    /// the limit before a call). Calls deeper than that run in the interpreter, which
    /// behaves the same.
    pub fn set_native_stack(&mut self, bytes: usize) {
        self.native_stack = bytes;
    }

    /// Runs the frames above `entry` in this `Vm`'s tier; on a trap, fills in its trace and
    /// drops those frames.
    pub(crate) fn run(&mut self, entry: usize) -> Result<u64, Trap> {
        if entry == 0 {
            // The host calls in: native code may use the stack from here down.
            let here = &entry as *const usize as usize;
            self.ex.stack_limit = here.saturating_sub(self.native_stack);
        }
        let runner = self.runner;
        match runner(self, entry) {
            Ok(v) => Ok(v),
            Err(t) => {
                if entry == 0 && t.code == TrapCode::Suspended {
                    // Every frame is in VM memory, stopped at a safepoint: keep it.
                    self.suspension = Some(crate::snapshot::capture(self));
                }
                Err(self.unwind(t, entry))
            }
        }
    }

    /// Calls a closure object with raw arguments, from inside a built-in (its caller's
    /// frame is the innermost). Uses a unit of fuel, as a call does.
    pub(crate) fn call_closure_value(&mut self, closure: u64, args: &[u64]) -> Result<u64, Trap> {
        if self.native_depth >= MAX_NATIVE_DEPTH {
            return Err(TrapCode::StackOverflow.into());
        }
        self.burn()?;
        // Safety: `closure` is a value of a `fn` type that the caller read from a verified
        // register (sort_by's comparator: the built-in table types it `fn(E, E) -> int`,
        // and definite assignment makes it non-nil). Values of `fn` types are made only by
        // MakeClosure and `function_value`, so it is a live closure object (kept alive by
        // the caller's roots) of a function taking `args.len()` parameters.
        let (func, caps) = unsafe {
            let c = &*(closure as *const ClosureObj);
            (c.hdr.aux, c.captures.to_vec())
        };
        let base = self.next_base();
        let entry = self.depth();
        self.push_frame(func, base, 0, 0)?;
        let regs = &mut self.regs_mut()[base..];
        regs[..args.len()].copy_from_slice(args);
        regs[args.len()..args.len() + caps.len()].copy_from_slice(&caps);
        self.native_depth += 1;
        let r = self.run(entry);
        self.native_depth -= 1;
        r
    }
}
