//! Differential runs: one compiled program in every tier and from its bytecode, which
//! must agree exactly. `vm fuzz`, the `differential` fuzz target and the tests use it.
//!
//! [`WAYS`] are the interpreter (the reference), the JIT with everything compiled first,
//! `auto` with JIT thresholds that compile at the first call and enter loops natively at
//! their first turn (1), part way through a loop (7) and late (the default), the JIT once
//! more from the module encoded to bytecode and decoded again, and two runs split by a
//! snapshot: suspended part way (at a fraction of the fuel the reference run used) in one
//! tier, written out, read back and resumed in another. Every run gets the same fuel and
//! memory limits and must give the same stdout, stderr (the output of `eprint`, the trap
//! message and stack trace), exit code and fuel used.

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
    /// Suspended after this fraction of the reference run's fuel (at the next safepoint),
    /// and resumed from its snapshot in another tier.
    pub split: Option<Split>,
}

/// Where a run is suspended, and the tier it resumes in.
#[derive(Clone, Copy, Debug)]
pub struct Split {
    /// The fraction `(numerator, denominator)` of the reference run's fuel.
    pub at: (u64, u64),
    /// The tier of the resumed run (`auto` with the suspending way's threshold).
    pub resume_in: Tier,
}

const fn way(name: &'static str, tier: Tier, threshold: u32) -> Way {
    Way { name, tier, threshold, from_bytes: false, split: None }
}

/// Every way a program is run: the first is the reference.
pub const WAYS: &[Way] = &[
    way("interp", Tier::Interp, 1),
    way("jit", Tier::Jit, 1),
    way("auto(1)", Tier::Auto, 1),
    way("auto(7)", Tier::Auto, 7),
    way("auto", Tier::Auto, crate::vm::exec::DEFAULT_JIT_THRESHOLD),
    Way { from_bytes: true, ..way("jit, .bc", Tier::Jit, 1) },
    Way {
        split: Some(Split { at: (1, 2), resume_in: Tier::Jit }),
        ..way("interp, suspended at 1/2, resumed in jit", Tier::Interp, 1)
    },
    Way {
        split: Some(Split { at: (1, 3), resume_in: Tier::Interp }),
        ..way("auto(7), suspended at 1/3, resumed in interp", Tier::Auto, 7)
    },
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

/// Runs the compiled program `m` one way; `reference_fuel` is the fuel the reference run
/// used (where a split way suspends).
pub fn run_way(m: &crate::vm::bytecode::Module, way: Way, reference_fuel: Option<u64>) -> Result<Outcome, String> {
    run_way_split(m, way, reference_fuel).map(|(outcome, _)| outcome)
}

/// [`run_way`], and whether the run was suspended into a snapshot and resumed (a split
/// way's run is not when the program ends before its safepoint).
pub fn run_way_split(
    m: &crate::vm::bytecode::Module,
    way: Way,
    reference_fuel: Option<u64>,
) -> Result<(Outcome, bool), String> {
    let engine = Engine::new(Config::default().tier(way.tier).jit_threshold(way.threshold));
    let module = if way.from_bytes {
        let bytes = crate::vm::bytecode::encode::encode(m);
        crate::Module::from_bytes(&engine, &bytes)
    } else {
        crate::Module::from_bytecode(&engine, m.clone())
    }
    .map_err(|e| format!("load: {e}"))?;
    let limits = || Limits::default().fuel(FUEL).max_memory(MEMORY);
    let mut store = Store::new(&engine, Capabilities::none(), limits());
    // (The reference run used at most `FUEL`, so the product does not overflow.)
    let split = way.split.zip(reference_fuel).map(|(s, total)| (s, (total * s.at.0 / s.at.1).max(1)));
    if let Some((_, k)) = split {
        store.suspend_at_fuel(Some(k));
    }
    let (result, out, err) = capture_main(&engine, &module, &mut store);
    compiled_all(&store)?;
    let suspended = matches!(result, Err(Error::Suspended));
    let (result, mut store) = match (result, split) {
        (Err(Error::Suspended), Some((s, _))) => {
            let bytes = store.snapshot().map_err(|e| format!("snapshot: {e}"))?;
            drop(store);
            let engine = Engine::new(Config::default().tier(s.resume_in).jit_threshold(way.threshold));
            let linker = Linker::new(&engine);
            let (mut resumed, inst) = Store::resume(&linker, Capabilities::none(), limits(), &bytes)
                .map_err(|e| format!("resume its snapshot: {e}"))?;
            resumed.set_stdout(out.clone());
            resumed.set_stderr(err.clone());
            let result = inst.resume_main(&mut resumed);
            compiled_all(&resumed)?;
            (result, resumed)
        }
        (result, _) => (result, store),
    };
    Ok((outcome(result, &mut store, &out, &err)?, suspended))
}

/// An error if some function of `store`'s program could not be compiled.
fn compiled_all(store: &Store) -> Result<(), String> {
    match store.stats().tiers.compile_failures {
        0 => Ok(()),
        n => Err(format!("{n} functions could not be compiled")),
    }
}

/// Instantiates `module` in `store` (with no host functions but the built-in modules) and
/// runs its `main`, capturing what `vm run` would show: stdout, stderr followed by the
/// trap's message and trace, the exit code and the fuel used. An error that is not a trap
/// (a link error) is `Err`.
pub fn run_main_in(engine: &Engine, module: &crate::Module, mut store: Store) -> Result<(Outcome, Store), String> {
    let (result, out, err) = capture_main(engine, module, &mut store);
    let outcome = outcome(result, &mut store, &out, &err)?;
    Ok((outcome, store))
}

/// Points `store`'s stdout and stderr at buffers, instantiates `module` in it (with no host
/// functions but the built-in modules) and runs its `main`: the result and the buffers.
fn capture_main(
    engine: &Engine,
    module: &crate::Module,
    store: &mut Store,
) -> (Result<i32, Error>, Captured, Captured) {
    let (out, err) = (Captured::default(), Captured::default());
    store.set_stdout(out.clone());
    store.set_stderr(err.clone());
    let result = Linker::new(engine).instantiate(store, module).and_then(|inst| inst.run_main(store));
    (result, out, err)
}

/// What a run that ended with `result` in `store`, writing to `out` and `err`, showed.
fn outcome(result: Result<i32, Error>, store: &mut Store, out: &Captured, err: &Captured) -> Result<Outcome, String> {
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
    Ok(Outcome { stdout: out.text(), stderr, code, fuel: store.stats().fuel_used })
}

/// The ways a compiled program disagrees with the reference run (the first of [`WAYS`]),
/// each with its differences in indented lines (see [`diff`]); empty when every way agrees.
pub fn check(m: &crate::vm::bytecode::Module) -> Vec<(Way, String)> {
    let mut problems = Vec::new();
    let reference = match run_way(m, WAYS[0], None) {
        Ok(o) => o,
        Err(e) => return vec![(WAYS[0], format!("  {e}\n"))],
    };
    for &way in &WAYS[1..] {
        match run_way(m, way, reference.fuel) {
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
