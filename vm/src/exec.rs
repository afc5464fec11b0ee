//! Running code: the tiers, and which one runs a `Vm`'s frames. The runtime (`runtime/`)
//! holds the state and the meaning of every operation; a tier only executes instructions
//! against it, and this module picks the tier.

use crate::bytecode::VerifiedModule;
use crate::host::{HostFuncs, LinkError};
use crate::runtime::{RunOptions, Vm};
use std::io::Write;

/// How programs are executed. Every tier behaves the same: same output, traps, traces,
/// fuel and exit codes; they differ in speed only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Tier {
    /// The interpreter only.
    Interp,
    /// Native code for every function, compiled before the program starts.
    Jit,
    /// The interpreter first; functions and loops that get hot are compiled and continue
    /// as native code (a loop in the middle of a running function, too).
    Auto,
}

impl Default for Tier {
    fn default() -> Tier {
        if cfg!(feature = "jit") {
            Tier::Auto
        } else {
            Tier::Interp
        }
    }
}

impl Tier {
    /// Every tier this build has, in the order `--help` lists them.
    pub const ALL: &'static [Tier] =
        if cfg!(feature = "jit") { &[Tier::Auto, Tier::Jit, Tier::Interp] } else { &[Tier::Interp] };

    /// The tier's name, as `vm run --tier=NAME` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Interp => "interp",
            Tier::Jit => "jit",
            Tier::Auto => "auto",
        }
    }

    /// The tier named `name`, if this build has it.
    pub fn from_name(name: &str) -> Option<Tier> {
        Tier::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// What the tier does, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Tier::Interp => "the interpreter only",
            Tier::Jit => "native code for every function, compiled before the program starts",
            Tier::Auto => "the interpreter, then native code for what gets hot (the default)",
        }
    }
}

/// The default JIT threshold: a function is compiled after about this many units of fuel
/// (calls and loop iterations) in the interpreter.
pub const DEFAULT_JIT_THRESHOLD: u32 = 2048;

/// How a `Vm` runs: its tier, and when `auto` compiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierOptions {
    pub tier: Tier,
    /// Units of fuel a function runs in the interpreter before `auto` compiles it (at
    /// least 1: 1 compiles a function at its first call or loop iteration, and enters
    /// every loop natively at its first turn).
    pub jit_threshold: u32,
}

impl Default for TierOptions {
    fn default() -> TierOptions {
        TierOptions { tier: Tier::default(), jit_threshold: DEFAULT_JIT_THRESHOLD }
    }
}

impl Vm {
    /// Instantiates a verified module to run in the interpreter: resolves its imports,
    /// allocates its constants, globals and stacks.
    pub fn new(
        module: VerifiedModule,
        host: &HostFuncs,
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
        opts: RunOptions,
    ) -> Result<Vm, LinkError> {
        let interp = TierOptions { tier: Tier::Interp, ..TierOptions::default() };
        Vm::new_in(interp, module, host, out, err, opts)
    }

    /// Instantiates a verified module to run in a tier.
    pub fn new_in(
        tier: TierOptions,
        module: VerifiedModule,
        host: &HostFuncs,
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
        opts: RunOptions,
    ) -> Result<Vm, LinkError> {
        #[allow(unused_mut)]
        let mut vm = Vm::instantiate(module, host, out, err, opts, crate::interp::run)?;
        match tier.tier {
            Tier::Interp => {}
            #[cfg(feature = "jit")]
            Tier::Jit => {
                crate::jit::install(&mut vm, crate::jit::TierPolicy { eager: true, threshold: tier.jit_threshold })
            }
            #[cfg(feature = "jit")]
            Tier::Auto => {
                crate::jit::install(&mut vm, crate::jit::TierPolicy { eager: false, threshold: tier.jit_threshold })
            }
            #[cfg(not(feature = "jit"))]
            _ => {}
        }
        Ok(vm)
    }
}
