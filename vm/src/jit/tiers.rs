//! The `jit` and `auto` tiers: when functions are compiled, and how their frames run.
//!
//! - `jit` compiles every function when the instance is made; every call runs natively
//!   (apart from calls deeper than the machine stack allows, which the interpreter runs).
//! - `auto` starts in the interpreter and counts fuel even without a limit. Each time the
//!   countdown runs out (every `chunk` units) is a sample of where the program is; a
//!   function sampled often enough is compiled, and if the sample was a loop jump the
//!   running frame enters native code at that loop's header (on-stack replacement). A
//!   function that native code keeps calling in the interpreter is compiled too. The
//!   policy depends only on fuel, so a program tiers up at the same points in every run.

use super::code::JitCode;
use crate::runtime::trap::Trap;
use crate::runtime::vm::Hot;
use crate::runtime::Vm;
use std::time::Instant;

/// When `auto` compiles: after about `threshold` units of fuel used in a function (or
/// that many interpreted calls of it from native code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TierPolicy {
    /// Compile everything up front (`jit`), or as the program runs (`auto`).
    pub eager: bool,
    pub threshold: u32,
}

/// The JIT's state in a `Vm`: the code, and the counts of the policy.
struct JitState {
    /// Made at the first compile, so that a run that never gets hot (`auto`) starts as
    /// fast as the interpreter.
    code: Option<JitCode>,
    samples: Vec<u32>,
    calls: Vec<u32>,
    /// Samples (or calls) that make a function hot.
    needed: u32,
    /// Whether compiling failed for a function (it stays interpreted).
    failed: Vec<bool>,
}

/// Gives `vm` native code: all of it now (`eager`), or as it gets hot. Without a code
/// generator for this machine, the VM stays in the interpreter.
pub(crate) fn install(vm: &mut Vm, policy: TierPolicy) {
    let code = if policy.eager {
        let Ok(code) = JitCode::new() else {
            vm.tier_stats.compile_failures += vm.module.functions.len() as u64;
            return;
        };
        Some(code)
    } else {
        None
    };
    let n = vm.module.functions.len();
    let threshold = policy.threshold.max(1) as u64;
    let chunk = threshold.min(crate::runtime::fuel::TICK_CHUNK);
    let needed = threshold.div_ceil(chunk) as u32;
    vm.tier_state =
        Some(Box::new(JitState { code, samples: vec![0; n], calls: vec![0; n], needed, failed: vec![false; n] }));
    if policy.eager {
        for f in 0..n as u32 {
            compile(vm, f);
        }
        vm.runner = run_native_first;
    } else {
        vm.sampling = true;
        vm.tick_chunk = chunk;
        vm.on_hot = Some(on_hot);
    }
}

/// Functions larger than this (instructions, or registers) stay in the interpreter:
/// compiling them would take longer than interpreting them saves (a generated table, a
/// literal of thousands of elements), and both tiers behave the same.
pub const MAX_INSTRUCTIONS: usize = 16 << 10;
pub const MAX_REGISTERS: usize = 4 << 10;

/// Compiles function `f` into the VM's code (once); whether it has native code.
fn compile(vm: &mut Vm, f: u32) -> bool {
    if vm.native_table[f as usize] != 0 {
        return true;
    }
    let func = &vm.module.functions[f as usize];
    if func.code.len() > MAX_INSTRUCTIONS || func.regs.len() > MAX_REGISTERS {
        if let Some(st) = vm.tier_state.as_mut().and_then(|s| s.downcast_mut::<JitState>()) {
            if !st.failed[f as usize] {
                st.failed[f as usize] = true;
                vm.tier_stats.too_large += 1;
            }
        }
        return false;
    }
    let Some(mut state) = vm.tier_state.take() else { return false };
    let ok = match state.downcast_mut::<JitState>() {
        Some(st) if !st.failed[f as usize] => {
            let started = Instant::now();
            let r = match &mut st.code {
                Some(code) => code.compile(&vm.module, &vm.funcs.meta, f),
                None => JitCode::new().and_then(|code| st.code.insert(code).compile(&vm.module, &vm.funcs.meta, f)),
            };
            let ns = started.elapsed().as_nanos() as u64;
            vm.tier_stats.compile_ns += ns;
            vm.tier_stats.max_compile_ns = vm.tier_stats.max_compile_ns.max(ns);
            vm.tier_stats.compile_ns_each.push(ns);
            match r {
                Ok(addr) => {
                    vm.native_table[f as usize] = addr;
                    vm.tier_stats.functions_compiled += 1;
                    true
                }
                Err(_) => {
                    st.failed[f as usize] = true;
                    vm.tier_stats.compile_failures += 1;
                    false
                }
            }
        }
        _ => false,
    };
    vm.tier_state = Some(state);
    ok
}

/// `auto`'s policy (see the module docs).
fn on_hot(vm: &mut Vm, hot: Hot) -> bool {
    let (f, count) = match hot {
        Hot::Sample => {
            let f = vm.frames()[vm.depth() - 1].func;
            (f, true)
        }
        Hot::Call(f) => (f, false),
    };
    if vm.native_table[f as usize] != 0 {
        return true;
    }
    let hot_now = match vm.tier_state.as_mut().and_then(|s| s.downcast_mut::<JitState>()) {
        Some(st) => {
            let c = if count { &mut st.samples[f as usize] } else { &mut st.calls[f as usize] };
            *c = c.saturating_add(1);
            *c >= st.needed.max(if count { 1 } else { 2 })
        }
        None => false,
    };
    hot_now && compile(vm, f)
}

/// `jit`'s runner: the frame to run starts natively when its function has native code
/// and it is at its start; otherwise (a frame resumed in the middle) the interpreter runs
/// it, entering native code at its next loop header.
fn run_native_first(vm: &mut Vm, entry: usize) -> Result<u64, Trap> {
    let f = vm.frames()[vm.depth() - 1];
    let nf = vm.native_table[f.func as usize];
    let probe = 0u8;
    if nf == 0 || f.pc != 0 || (&probe as *const u8 as usize) <= vm.ex.stack_limit {
        return crate::interp::run(vm, entry);
    }
    // Safety: the table holds the native code of this VM's functions; the frame is the
    // innermost, freshly pushed with its arguments (pc 0).
    unsafe {
        let regs = vm.ex.regs.add(f.base);
        vm.enter_native(nf, regs, 0)
    }
}
