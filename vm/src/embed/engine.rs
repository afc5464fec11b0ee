//! The engine and its configuration.

use super::epoch::Clock;
use std::fmt;
use std::sync::Arc;

use crate::exec::TierOptions;
pub use crate::exec::{Tier, DEFAULT_JIT_THRESHOLD};

/// Settings shared by every module and store made from an [`Engine`]: the execution tier
/// and the JIT threshold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    tiers: TierOptions,
}

impl Config {
    /// The default configuration: the `auto` tier (where the JIT is built) with the default
    /// threshold.
    pub fn new() -> Config {
        Config::default()
    }

    /// The execution tier. All tiers behave the same; they differ in speed.
    pub fn tier(mut self, tier: Tier) -> Config {
        self.tiers.tier = tier;
        self
    }

    /// The execution tier chosen.
    pub fn get_tier(&self) -> Tier {
        self.tiers.tier
    }

    /// In the `auto` tier: about how many units of fuel a function runs in the interpreter
    /// before it is compiled (default [`DEFAULT_JIT_THRESHOLD`]; 1 compiles at the first
    /// call or loop iteration).
    pub fn jit_threshold(mut self, units: u32) -> Config {
        self.tiers.jit_threshold = units.max(1);
        self
    }

    /// The JIT threshold chosen.
    pub fn get_jit_threshold(&self) -> u32 {
        self.tiers.jit_threshold
    }

    pub(crate) fn tier_options(&self) -> TierOptions {
        self.tiers
    }
}

/// The shared context of modules, linkers and stores: the configuration, and the clock
/// that times calls out. Cheap to clone (all clones are the same engine); `Send` and
/// `Sync`.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    clock: Clock,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine").field("config", &self.inner.config).finish()
    }
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new(Config::default())
    }
}

impl Engine {
    /// An engine with `config`. Its clock thread starts with the first call that has a
    /// timeout, runs while some call's deadline lies ahead (it advances a counter every
    /// millisecond), and ends when the last clone of the engine is dropped.
    pub fn new(config: Config) -> Engine {
        Engine { inner: Arc::new(EngineInner { config, clock: Clock::new() }) }
    }

    /// The engine's configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Whether `self` and `other` are clones of the same engine.
    pub fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }
}
