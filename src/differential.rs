//! Differential runs: one compiled program in every tier and from its bytecode, which
//! must agree exactly. `vm fuzz`, the `differential` fuzz target and the tests use it.
//!
//! [`WAYS`] are the interpreter (the reference), the JIT with everything compiled first,
//! `auto` with JIT thresholds that compile at the first call and enter loops natively at
//! their first turn (1), part way through a loop (7) and late (the default), and the JIT
//! once more from the module encoded to bytecode and decoded again. Every run gets the same
//! fuel and memory limits and must give the same stdout, stderr (the output of `eprint`,
//! the trap message and stack trace), exit code and fuel used.

use crate::{Capabilities, Config, Engine, Error, Limits, Linker, Store, Tier};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The fuel every run gets: generated programs stay well under it; running out is an
/// allowed outcome (at the same point in every tier).
pub const FUEL: u64 = 2_000_000;
/// The memory limit of every run.
pub const MEMORY: usize = 256 << 20;

/// One way to run a program.
#[derive(Clone, Copy, Debug)]
pub struct Way {
    /// How reports name it.
    pub name: &'static str,
    /// The tier it runs in.
    pub tier: Tier,
    /// `auto`'s JIT threshold (units of fuel before a function is compiled).
    pub threshold: u32,
    /// Run from the module's bytecode, encoded and decoded again.
    pub from_bytes: bool,
}

/// Every way a program is run: the first is the reference.
pub const WAYS: &[Way] = &[
    Way { name: "interp", tier: Tier::Interp, threshold: 1, from_bytes: false },
    Way { name: "jit", tier: Tier::Jit, threshold: 1, from_bytes: false },
    Way { name: "auto(1)", tier: Tier::Auto, threshold: 1, from_bytes: false },
    Way { name: "auto(7)", tier: Tier::Auto, threshold: 7, from_bytes: false },
    Way { name: "auto", tier: Tier::Auto, threshold: crate::vm::exec::DEFAULT_JIT_THRESHOLD, from_bytes: false },
    Way { name: "jit, .bc", tier: Tier::Jit, threshold: 1, from_bytes: true },
];

/// What a run showed.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    /// What the program printed.
    pub stdout: String,
    /// What it printed to stderr, then its trap (message and trace), if it trapped.
    pub stderr: String,
    /// Its exit code, as `vm run` would end with it.
    pub code: i32,
    /// Fuel used.
    pub fuel: Option<u64>,
}

/// Output kept in memory: give a clone to [`Store::set_stdout`] (or `set_stderr`) and
/// read what the program wrote with [`Captured::text`].
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("output lock"))?.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// What was written so far, as text (bytes that are not UTF-8 become U+FFFD).
    pub fn text(&self) -> String {
        self.0.lock().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }
}

/// Runs the compiled program `m` one way.
pub fn run_way(m: &crate::vm::bytecode::Module, way: Way) -> Result<Outcome, String> {
    let engine = Engine::new(Config::default().tier(way.tier).jit_threshold(way.threshold));
    let module = if way.from_bytes {
        let bytes = crate::vm::bytecode::encode::encode(m);
        crate::Module::from_bytes(&engine, &bytes)
    } else {
        crate::Module::from_bytecode(&engine, m.clone())
    }
    .map_err(|e| format!("load: {e}"))?;
    let store = Store::new(&engine, Capabilities::none(), Limits::default().fuel(FUEL).max_memory(MEMORY));
    let (outcome, store) = run_main_in(&engine, &module, store)?;
    let failures = store.stats().tiers.compile_failures;
    if failures > 0 {
        return Err(format!("{failures} functions could not be compiled"));
    }
    Ok(outcome)
}

/// Instantiates `module` in `store` (with no host functions but the built-in modules) and
/// runs its `main`, capturing what `vm run` would show: stdout, stderr followed by the
/// trap's message and trace, the exit code and the fuel used. An error that is not a trap
/// (a link error) is `Err`.
pub fn run_main_in(engine: &Engine, module: &crate::Module, mut store: Store) -> Result<(Outcome, Store), String> {
    let (out, err) = (Captured::default(), Captured::default());
    store.set_stdout(out.clone());
    store.set_stderr(err.clone());
    let linker = Linker::new(engine);
    let result = linker.instantiate(&mut store, module).and_then(|inst| inst.run_main(&mut store));
    let _ = store.flush();
    let mut stderr = err.text();
    let code = match result {
        Ok(code) => code,
        Err(Error::Trap(trap)) => {
            stderr.push_str(&trap.to_string());
            trap.exit_code()
        }
        Err(e) => return Err(format!("instantiate or run: {e}")),
    };
    let outcome = Outcome { stdout: out.text(), stderr, code, fuel: store.stats().fuel_used };
    Ok((outcome, store))
}

/// The ways a compiled program disagrees with the reference run (the first of [`WAYS`]),
/// each with its differences in indented lines (see [`diff`]); empty when every way agrees.
pub fn check(m: &crate::vm::bytecode::Module) -> Vec<(Way, String)> {
    let mut problems = Vec::new();
    let reference = match run_way(m, WAYS[0]) {
        Ok(o) => o,
        Err(e) => return vec![(WAYS[0], format!("  {e}\n"))],
    };
    for &way in &WAYS[1..] {
        match run_way(m, way) {
            Err(e) => problems.push((way, format!("  {e}\n"))),
            Ok(o) if o != reference => problems.push((way, diff(WAYS[0].name, &reference, way.name, &o))),
            Ok(_) => {}
        }
    }
    problems
}

/// Where outcome `b` (of the run named `b_name`) differs from `a`, a line for each field
/// that differs (its first differing line for the outputs); empty when they agree.
pub fn diff(a_name: &str, a: &Outcome, b_name: &str, b: &Outcome) -> String {
    let mut out = String::new();
    if a.code != b.code {
        out.push_str(&format!("  exit code: {a_name} {}, {b_name} {}\n", a.code, b.code));
    }
    if a.fuel != b.fuel {
        out.push_str(&format!("  fuel: {a_name} {:?}, {b_name} {:?}\n", a.fuel, b.fuel));
    }
    for (what, x, y) in [("stdout", &a.stdout, &b.stdout), ("stderr", &a.stderr, &b.stderr)] {
        if x != y {
            let line =
                x.lines().zip(y.lines()).position(|(p, q)| p != q).unwrap_or(x.lines().count().min(y.lines().count()));
            out.push_str(&format!(
                "  {what} differs at line {}: {a_name} {:?}, {b_name} {:?}\n",
                line + 1,
                x.lines().nth(line).unwrap_or("<end>"),
                y.lines().nth(line).unwrap_or("<end>")
            ));
        }
    }
    out
}
