//! Runs many untrusted scripts at once, each in its own store on a worker thread, with a
//! timeout, a memory limit and no capabilities, and reports how each one ended.
//!
//! ```sh
//! cargo run --release --example parallel_scripts                 # examples/scripts/untrusted
//! cargo run --release --example parallel_scripts -- DIR_OR_FILES...
//! ```
//!
//! Stores share nothing, so no script can see or disturb another, and a script that
//! loops, hoards memory, recurses without end or reaches for the file system ends in a
//! clean trap while the others run on. A host can also stop every script early through
//! their interrupt handles (here: all of them after 5 seconds, should any still run).

use kite::{Capabilities, Config, Engine, EngineExt, Error, InterruptHandle, Limits, Linker, Module, Store};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Output of one script, kept in memory.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<Vec<u8>>>);

impl Write for Output {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let mut buf = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Keep the first 4 KiB: a chatty script cannot flood the host.
        let room = 4096usize.saturating_sub(buf.len());
        buf.extend_from_slice(&b[..b.len().min(room)]);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn scripts() -> Vec<PathBuf> {
    let args: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let roots = if args.is_empty() { vec![PathBuf::from("examples/scripts/untrusted")] } else { args };
    let mut files = Vec::new();
    for r in roots {
        match std::fs::read_dir(&r) {
            Ok(entries) => {
                files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "kite")))
            }
            Err(_) => files.push(r),
        }
    }
    files.sort();
    files
}

/// Runs one script; returns its output and how it ended.
fn run_one(
    engine: &Engine,
    linker: &Linker,
    module: &Module,
    handles: &Mutex<Vec<InterruptHandle>>,
) -> (String, String) {
    let limits = Limits::default().timeout(Duration::from_millis(500)).max_memory(32 << 20).max_depth(10_000);
    let mut store = Store::new(engine, Capabilities::none(), limits);
    let out = Output::default();
    store.set_stdout(out.clone());
    store.set_stderr(out.clone());
    handles.lock().unwrap_or_else(|e| e.into_inner()).push(store.interrupt_handle());
    let outcome = match linker.instantiate(&mut store, module).and_then(|inst| inst.run_main(&mut store)) {
        Ok(code) => format!("ok (exit code {code})"),
        Err(Error::Trap(t)) if t.is_limit() => format!("stopped: {}", t.message),
        Err(Error::Trap(t)) => format!("trapped: {}", t.message),
        Err(e) => format!("refused: {e}"),
    };
    let text = String::from_utf8_lossy(&out.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    (text, outcome)
}

fn main() {
    let engine = Engine::new(Config::default());
    let linker = Linker::new(&engine);
    let files = scripts();
    let queue = Arc::new(Mutex::new(files.into_iter().enumerate().collect::<Vec<_>>()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let handles = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (engine, linker, queue, results, handles) =
                (engine.clone(), linker.clone(), Arc::clone(&queue), Arc::clone(&results), Arc::clone(&handles));
            std::thread::spawn(move || loop {
                let Some((i, path)) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else { break };
                let t0 = Instant::now();
                let (output, outcome) = match engine.compile_file(&path) {
                    Ok(module) => run_one(&engine, &linker, &module, &handles),
                    Err(e) => (String::new(), format!("does not compile:\n{e}")),
                };
                results.lock().unwrap_or_else(|e| e.into_inner()).push((i, path, output, outcome, t0.elapsed()));
            })
        })
        .collect();
    // A last resort: stop whatever still runs after 5 seconds.
    let watcher = {
        let (handles, queue) = (Arc::clone(&handles), Arc::clone(&queue));
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
                if queue.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
                    return;
                }
            }
            for h in handles.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                h.interrupt();
            }
        })
    };
    for w in workers {
        let _ = w.join();
    }
    let _ = watcher.join();
    let mut results = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    results.sort_by_key(|r| r.0);
    for (_, path, output, outcome, took) in results {
        println!("{}: {outcome} after {} ms", path.display(), took.as_millis());
        for line in output.lines().take(5) {
            println!("    | {line}");
        }
    }
    println!("all done in {} ms", started.elapsed().as_millis());
}
