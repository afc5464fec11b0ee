//! Differential fuzzing on generated programs: the input chooses a Kite program
//! (`kite_gen::generate`), which must compile and verify; it then runs in-process
//! through the embedding API twice, from the compiled module and from that module
//! encoded to bytecode and decoded again, under the same fuel and memory limits. Both
//! runs must print the same stdout and stderr and end the same way (the same exit code,
//! or the same trap with the same stack trace) after using the same fuel.
//!
//! A failing input is reproduced with `cargo +nightly fuzz run differential CRASH`; the
//! panic message contains the program's source.

#![no_main]

use kite::vm::bytecode::{self, decode::decode, encode::encode, verify};
use kite::{Capabilities, Config, Engine, Error, Limits, Linker, Store};
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Generated programs use well under this; running out is an allowed outcome.
const FUEL: u64 = 1_000_000;
const MAX_MEMORY: usize = 64 << 20;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("output lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().expect("output lock"))
    }
}

/// How a run ended, and what it printed.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// The exit code, or the trap as `vm run` prints it.
    end: Result<i32, String>,
    fuel: Option<u64>,
}

fn run(engine: &Engine, m: bytecode::Module) -> Outcome {
    let module = kite::Module::from_bytecode(engine, m).expect("a verified module loads");
    let mut store = Store::new(engine, Capabilities::none(), Limits::default().fuel(FUEL).max_memory(MAX_MEMORY));
    let (out, err) = (Captured::default(), Captured::default());
    store.set_stdout(out.clone());
    store.set_stderr(err.clone());
    let linker = Linker::new(engine);
    let end = match linker.instantiate(&mut store, &module).and_then(|inst| inst.run_main(&mut store)) {
        Ok(code) => Ok(code),
        Err(Error::Trap(t)) => Err(t.to_string()),
        Err(e) => panic!("not a trap: {e}"),
    };
    store.flush();
    Outcome { stdout: out.take(), stderr: err.take(), end, fuel: store.stats().fuel_used }
}

/// Compiles the program: in memory, or from a scratch folder when it imports a module.
fn compile(p: &kite_gen::Program) -> Result<bytecode::Module, String> {
    if p.modules.is_empty() {
        return kite::compiler::compile_source("main.kite", &p.main).map_err(|e| e.to_string());
    }
    let dir = std::env::temp_dir().join(format!("kite-fuzz-differential-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    p.write_to(&dir).map_err(|e| e.to_string())?;
    kite::compiler::compile_file(dir.join("main.kite")).map_err(|e| e.to_string())
}

fn listing(p: &kite_gen::Program) -> String {
    let mut out = format!("=== main.kite\n{}", p.main);
    for (stem, text) in &p.modules {
        out.push_str(&format!("\n=== {stem}.kite\n{text}"));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let p = kite_gen::generate(&mut arbitrary::Unstructured::new(data));
    let m = compile(&p).unwrap_or_else(|e| panic!("a generated program does not compile:\n{e}\n{}", listing(&p)));
    if let Err(e) = verify(&m) {
        panic!("the verifier refuses a compiled program: {e}\n{}", listing(&p));
    }
    let bytes = encode(&m);
    let decoded = decode(&bytes).unwrap_or_else(|e| panic!("its bytecode does not decode: {e}\n{}", listing(&p)));
    let engine = Engine::new(Config::default());
    let compiled = run(&engine, m);
    let loaded = run(&engine, decoded);
    if compiled != loaded {
        panic!(
            "compiled and decoded modules disagree:\n  compiled: {:?} fuel {:?}\n  decoded:  {:?} fuel {:?}\n  stdout equal: {}, stderr equal: {}\n{}",
            compiled.end,
            compiled.fuel,
            loaded.end,
            loaded.fuel,
            compiled.stdout == loaded.stdout,
            compiled.stderr == loaded.stderr,
            listing(&p)
        );
    }
});
