//! Running code: the tiers, and which one runs a `Vm`'s frames. The runtime (`runtime/`)
//! holds the state and the meaning of every operation; a tier only executes instructions
//! against it, and this module picks the tier.

use crate::bytecode::VerifiedModule;
use crate::host::{HostFuncs, LinkError};
use crate::runtime::{RunOptions, Vm};
use std::io::Write;

/// How programs are executed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Tier {
    /// The interpreter.
    #[default]
    Interp,
}

impl Tier {
    /// Every tier, in the order `--help` lists them.
    pub const ALL: &'static [Tier] = &[Tier::Interp];

    /// The tier's name, as `vm run --tier=NAME` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Interp => "interp",
        }
    }

    /// The tier named `name`.
    pub fn from_name(name: &str) -> Option<Tier> {
        Tier::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// What the tier does, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Tier::Interp => "the interpreter",
        }
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
        Vm::new_in(Tier::Interp, module, host, out, err, opts)
    }

    /// Instantiates a verified module to run in `tier`.
    pub fn new_in(
        tier: Tier,
        module: VerifiedModule,
        host: &HostFuncs,
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
        opts: RunOptions,
    ) -> Result<Vm, LinkError> {
        let runner = match tier {
            Tier::Interp => crate::interp::run,
        };
        Vm::instantiate(module, host, out, err, opts, runner)
    }
}
