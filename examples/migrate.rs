//! Live migration of a running script to another process (stop and copy over a localhost
//! TCP socket): the source runs the script, stops it at a safepoint, sends its snapshot;
//! the target, a second process, loads the snapshot, links its own host functions, grants
//! its own capabilities and limits, and finishes the run. The output continues where it
//! stopped, nothing printed twice.
//!
//! ```sh
//! cargo run --release --example migrate                  # examples/scripts/migrating.kite
//! cargo run --release --example migrate -- SCRIPT.kite [AFTER_MS]
//! ```
//!
//! The source stops the script AFTER_MS milliseconds (default 300) into its run. It reports
//! the pause the program saw: from the stop request until the target had the program
//! loaded and ready to go on (stop + snapshot + transfer + load).

use kite::{Capabilities, Config, Engine, EngineExt, Error, Limits, Linker, Store};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// The target's memory limit for the resumed program, and the largest snapshot it accepts.
const MAX_MEMORY: usize = 512 << 20;

/// The host functions, the same in both processes (a snapshot holds no host state but
/// what a host module persists; the target links its own functions of the same types).
fn linker(engine: &Engine, side: &'static str) -> Linker {
    let mut l = Linker::new(engine);
    l.func("host", "side", move || side.to_string()).expect("host.side");
    l
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("--target") => target(args.get(1).map(String::as_str).unwrap_or("")),
        _ => source(
            args.first().map(String::as_str).unwrap_or("examples/scripts/migrating.kite"),
            args.get(1).and_then(|s| s.parse().ok()).unwrap_or(300),
        ),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn source(path: &str, after_ms: u64) -> Result<u8, Box<dyn std::error::Error>> {
    let src = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let engine = Engine::new(Config::new());
    let module = engine.compile_source(path, &src)?;
    let mut store = Store::new(&engine, Capabilities::none(), Limits::none().max_memory(512 << 20));
    let instance = linker(&engine, "source").instantiate(&mut store, &module)?;

    // The target process, waiting for the snapshot.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    let mut child = Command::new(std::env::current_exe()?).args(["--target", &addr]).spawn()?;
    let (mut conn, _) = listener.accept()?;

    let handle = store.suspend_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(after_ms));
        handle.suspend();
        Instant::now()
    });
    let code = match instance.run_main(&mut store) {
        Err(Error::Suspended) => None,
        Ok(code) => Some(code),
        Err(e) => return Err(e.into()),
    };
    let asked = stopper.join().expect("stopper thread");
    store.flush()?;
    if let Some(code) = code {
        eprintln!("migrate: the script ended before it was stopped; nothing to migrate");
        kite::snapshot::write_frame(&mut conn, &[])?;
        child.wait()?;
        return Ok(code as u8);
    }
    let bytes = store.snapshot()?;
    let stopped = asked.elapsed();
    kite::snapshot::write_frame(&mut conn, &bytes)?;
    // The target answers with one byte once the program is loaded and about to go on.
    let mut ready = [0u8; 1];
    conn.read_exact(&mut ready)?;
    let pause = asked.elapsed();
    eprintln!(
        "migrate: stopped in {:.1} ms, snapshot {:.1} MB, program paused {:.1} ms in all (stop + send + load)",
        stopped.as_secs_f64() * 1e3,
        bytes.len() as f64 / 1e6,
        pause.as_secs_f64() * 1e3
    );
    let status = child.wait()?;
    Ok(status.code().unwrap_or(1) as u8)
}

fn target(addr: &str) -> Result<u8, Box<dyn std::error::Error>> {
    let mut conn = TcpStream::connect(addr)?;
    // The length comes from the other end: at most what the target would resume.
    let bytes = kite::snapshot::read_frame(&mut conn, MAX_MEMORY)?;
    if bytes.is_empty() {
        return Ok(0);
    }
    let engine = Engine::new(Config::new());
    let (mut store, instance) =
        Store::resume(&linker(&engine, "target"), Capabilities::none(), Limits::none().max_memory(MAX_MEMORY), &bytes)?;
    conn.write_all(&[1])?;
    let code = instance.resume_main(&mut store)?;
    store.flush()?;
    Ok(code as u8)
}
