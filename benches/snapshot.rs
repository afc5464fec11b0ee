//! Snapshot cost: how long a running program takes to stop and be written out, how big the
//! snapshot is, how long it takes to load and continue, and the pause a migration sees
//! (stop + send over a localhost TCP socket + load). Two workloads: binarytrees at depth 18
//! stopped in the middle of its run, and a program holding about 100 MB of live heap.
//!
//! `cargo bench --bench snapshot` prints a table and writes it to benches/SNAPSHOT.md.
//!
//! The bench allocates with mimalloc, as the `vm` binary (`vm run --snapshot-to`, `vm
//! resume`) does.

use kite::{Capabilities, Config, Engine, EngineExt, Error, Limits, Linker, Module, Store, Tier};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: usize = 5;

/// Holds about 100 MB: 200,000 structs, each with a 400-byte string and an array of 8
/// ints, in a global, then works on them until stopped.
const BIG_HEAP: &str = r#"
struct Rec { name: str, vals: [int], next: int }
var recs: [Rec] = [];
fn main() {
    let pad = "x".repeat(400);
    for i in 0..200000 {
        recs.push(Rec { name: pad + str(i), vals: [i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7], next: (i * 7919) % 200000 });
    }
    var at = 0;
    var sum = 0;
    while true {
        let r = recs[at];
        sum += r.vals[at % 8] + r.name.len();
        at = r.next;
    }
}
"#;

struct Figures {
    stop: Duration,
    send: Duration,
    bytes: usize,
    load: Duration,
    heap: usize,
}

/// Runs `module`'s main, asks it to suspend after `after`, and times the stop (from the
/// request to the snapshot bytes in hand) and the load (`Store::resume` to a store ready
/// to continue), then checks the resumed program runs on.
fn measure(engine: &Engine, module: &Module, args: &[&str], after: Duration) -> Figures {
    let linker = Linker::new(engine);
    let mut store = Store::new(engine, Capabilities::none(), Limits::none());
    store.set_args(args.iter().copied());
    store.set_stdout(std::io::sink());
    let inst = linker.instantiate(&mut store, module).unwrap();
    let handle = store.suspend_handle();
    let asked = std::thread::spawn(move || {
        std::thread::sleep(after);
        handle.suspend();
        Instant::now()
    });
    let r = inst.run_main(&mut store);
    let asked = asked.join().unwrap();
    assert!(matches!(r, Err(Error::Suspended)), "the program ended before it was stopped: {r:?}");
    let bytes = store.snapshot().unwrap();
    let stop = asked.elapsed();
    let heap = store.stats().heap_bytes;
    drop(store);

    let t = Instant::now();
    let bytes = send_over_localhost(&bytes);
    let send = t.elapsed();

    let t = Instant::now();
    let (mut resumed, inst) =
        Store::resume(&linker, Capabilities::none(), Limits::none().fuel(1_000_000), &bytes).unwrap();
    let load = t.elapsed();
    resumed.set_stdout(std::io::sink());
    // The resumed program runs on (here until the fuel limit).
    match inst.resume_main(&mut resumed) {
        Ok(_) => {}
        Err(Error::Trap(t)) if t.message == "out of fuel" => {}
        Err(e) => panic!("the resumed program failed: {e}"),
    }
    Figures { stop, send, bytes: bytes.len(), load, heap }
}

/// `bytes` sent through a localhost TCP connection, as the receiving end has them: one
/// frame (`kite::snapshot::write_frame`, `read_frame`).
fn send_over_localhost(bytes: &[u8]) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let receiver = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        kite::snapshot::read_frame(&mut conn, 1 << 30).unwrap()
    });
    let mut conn = TcpStream::connect(addr).unwrap();
    kite::snapshot::write_frame(&mut conn, bytes).unwrap();
    receiver.join().unwrap()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// The time to touch `bytes` of freshly allocated memory, one write per 4 KiB page: what
/// the page faults of rebuilding a heap that large cost on this machine at least, before
/// any work of the loader's own.
fn first_touch(bytes: usize) -> Duration {
    use std::alloc::{GlobalAlloc, Layout, System};
    // The system allocator maps an allocation this large afresh from the kernel (the
    // program's own allocator would hand back pages an earlier run already touched).
    let layout = Layout::from_size_align(bytes, 4096).expect("a valid layout");
    let start = Instant::now();
    // Safety: `layout` has a non-zero size; the block is written only inside its bounds and
    // freed with the same layout.
    unsafe {
        let p = System.alloc(layout);
        assert!(!p.is_null(), "out of memory");
        for at in (0..bytes).step_by(4096) {
            // A volatile write: the touch is not optimized away.
            p.add(at).write_volatile(1);
        }
        let t = start.elapsed();
        System.dealloc(p, layout);
        t
    }
}

fn report(table: &mut String, name: &str, tier: Tier, runs: Vec<Figures>) -> usize {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let bytes = runs.iter().map(|f| f.bytes).max().unwrap();
    let heap = runs.iter().map(|f| f.heap).max().unwrap();
    let stop = median(runs.iter().map(|f| f.stop).collect());
    let load = median(runs.iter().map(|f| f.load).collect());
    let send = median(runs.iter().map(|f| f.send).collect());
    let pause = median(runs.iter().map(|f| f.stop + f.send + f.load).collect());
    let row = format!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
        format!("{tier:?}").to_lowercase(),
        heap as f64 / 1e6,
        bytes as f64 / 1e6,
        ms(stop),
        ms(send),
        ms(load),
        ms(pause)
    );
    println!("{row}");
    table.push_str(&row);
    table.push('\n');
    heap
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let trees = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/programs/binarytrees.kite"))
        .expect("benches/programs/binarytrees.kite");
    let mut table = String::from(
        "| program | tier | heap MB | snapshot MB | stop ms | send ms | load ms | pause ms |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    print!("{table}");
    let mut big = 0;
    for tier in [Tier::Interp, Tier::Auto] {
        let engine = Engine::new(Config::new().tier(tier));
        let m = engine.compile_source("binarytrees.kite", &trees).unwrap();
        let runs = (0..ROUNDS).map(|_| measure(&engine, &m, &["18"], Duration::from_millis(700))).collect();
        report(&mut table, "binarytrees 18, mid-run", tier, runs);
        let m = engine.compile_source("big_heap.kite", BIG_HEAP).unwrap();
        let runs = (0..ROUNDS).map(|_| measure(&engine, &m, &[], Duration::from_millis(2500))).collect();
        big = big.max(report(&mut table, "100 MB live heap", tier, runs));
    }
    let touch = median((0..ROUNDS).map(|_| first_touch(big)).collect());
    let floor = format!(
        "\nThe floor under *load* (and under *stop*, which writes a snapshot as large into new memory) on this \
         machine: touching {:.1} MB of freshly allocated memory, one write per 4 KiB page, takes {:.1} ms \
         (median of {ROUNDS}) — the page faults alone, before any work of the loader's own.\n",
        big as f64 / 1e6,
        touch.as_secs_f64() * 1000.0
    );
    print!("{floor}");
    let doc = format!(
        "# Snapshot cost\n\nGenerated by `cargo bench --bench snapshot` (benches/snapshot.rs); do not edit by hand.\n\n\
         - Date: {}\n- Machine: {}\n\n\
         Median of {ROUNDS} runs. *heap*: the store's heap bytes when stopped; *stop*: from the suspend request to the \
         snapshot bytes in hand (reaching a safepoint, numbering the reachable objects, writing them, the checksum); \
         *send*: through a localhost TCP connection; *load*: `Store::resume` (checksum, parse, checks against the \
         module, rebuilding the heap) to a store ready to continue; *pause* = stop + send + load, what a migrated \
         program sees. Allocator: mimalloc (as the `vm` binary).\n\n{table}{floor}",
        command_line("date -u '+%Y-%m-%d %H:%M UTC'"),
        command_line("lscpu | sed -n 's/^Model name: *//p' | head -1; nproc | sed 's/$/ CPUs/'").replace('\n', ", ")
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/SNAPSHOT.md");
    std::fs::write(path, doc).expect("benches/SNAPSHOT.md");
    println!("wrote {path}");
}

/// The trimmed output of a shell command, or `?`.
fn command_line(cmd: &str) -> String {
    std::process::Command::new("sh")
        .args(["-c", cmd])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "?".into())
}
