//! Snapshots through the embedding API: a call suspended by fuel or from another thread,
//! its state taken with `Store::snapshot`, continued by `Store::resume` in a new store (of
//! another tier, with other capabilities and host functions of the same types), and the
//! state of an idle store carried between calls.

use kite::differential::Captured;
use kite::{Capabilities, Config, Engine, EngineExt, Error, Limits, Linker, Module, Store, Tier, Val};
use std::time::Duration;

const SCRIPT: &str = r#"
extern "app" fn weight(i: int) -> int;
var total = 0;
var log: [str] = [];
fn work(n: int) -> int {
    var i = 0;
    while i < n {
        total += weight(i);
        if i % 1000 == 0 { log.push("at " + str(i)); print("step", i); }
        i += 1;
    }
    return total;
}
fn entries() -> int { return log.len(); }
fn main() -> int { return work(5000) % 256; }
"#;

fn engine(tier: Tier) -> Engine {
    Engine::new(Config::new().tier(tier).jit_threshold(1))
}

fn linker(engine: &Engine, factor: i64) -> Linker {
    let mut l = Linker::new(engine);
    l.func("app", "weight", move |i: i64| i % 7 * factor).unwrap();
    l
}

fn module(engine: &Engine) -> Module {
    engine.compile_source("script.kite", SCRIPT).unwrap_or_else(|e| panic!("{e}"))
}

fn fresh(engine: &Engine, limits: Limits) -> (Store, Captured) {
    let mut s = Store::new(engine, Capabilities::none(), limits);
    let out = Captured::default();
    s.set_stdout(out.clone());
    (s, out)
}

/// The result and output of `work(5000)` run to its end.
fn uninterrupted(tier: Tier) -> (i64, String, u64) {
    let e = engine(tier);
    let (mut s, out) = fresh(&e, Limits::none().fuel(u64::MAX));
    let inst = linker(&e, 1).instantiate(&mut s, &module(&e)).unwrap();
    let r: i64 = inst.call(&mut s, "work", 5000i64).unwrap();
    let used = u64::MAX - s.fuel_remaining().unwrap();
    (r, out.text(), used)
}

#[test]
fn a_call_suspended_by_fuel_continues_in_another_store_and_tier() {
    let (want, want_out, want_fuel) = uninterrupted(Tier::Interp);
    for (from, to) in [(Tier::Interp, Tier::Jit), (Tier::Jit, Tier::Interp), (Tier::Auto, Tier::Auto)] {
        for k in [1, 777, want_fuel / 2, want_fuel - 1] {
            let e = engine(from);
            let (mut s, out) = fresh(&e, Limits::none());
            let inst = linker(&e, 1).instantiate(&mut s, &module(&e)).unwrap();
            s.suspend_at_fuel(Some(k));
            let r = inst.call::<_, i64>(&mut s, "work", 5000i64);
            assert!(matches!(r, Err(Error::Suspended)), "{from:?} k={k}: {r:?}");
            let bytes = s.snapshot().unwrap();

            let e2 = engine(to);
            let (mut s2, inst2) = Store::resume(&linker(&e2, 1), Capabilities::none(), Limits::none(), &bytes).unwrap();
            let out2 = Captured::default();
            s2.set_stdout(out2.clone());
            let v = inst2.resume_call(&mut s2).unwrap();
            assert_eq!(v, Val::Int(want), "{from:?}->{to:?} k={k}");
            assert_eq!(out.text() + &out2.text(), want_out, "{from:?}->{to:?} k={k}");
            // The resumed call sees the globals the first part wrote.
            let n: i64 = inst2.call(&mut s2, "entries", ()).unwrap();
            assert_eq!(n, 5);
        }
    }
}

#[test]
fn a_fuel_limit_counts_the_fuel_used_before_the_snapshot() {
    let (_, _, want_fuel) = uninterrupted(Tier::Interp);
    let e = engine(Tier::Interp);
    let (mut s, _) = fresh(&e, Limits::none());
    let inst = linker(&e, 1).instantiate(&mut s, &module(&e)).unwrap();
    s.suspend_at_fuel(Some(want_fuel / 2));
    assert!(matches!(inst.call::<_, i64>(&mut s, "work", 5000i64), Err(Error::Suspended)));
    let bytes = s.snapshot().unwrap();
    // Enough fuel for the whole run: it ends.
    let (mut s2, i2) =
        Store::resume(&linker(&e, 1), Capabilities::none(), Limits::none().fuel(want_fuel), &bytes).unwrap();
    s2.set_stdout(std::io::sink());
    assert!(i2.resume_call(&mut s2).is_ok());
    assert_eq!(s2.fuel_remaining(), Some(0));
    // One unit less: out of fuel.
    let (mut s3, i3) =
        Store::resume(&linker(&e, 1), Capabilities::none(), Limits::none().fuel(want_fuel - 1), &bytes).unwrap();
    s3.set_stdout(std::io::sink());
    match i3.resume_call(&mut s3) {
        Err(Error::Trap(t)) => assert_eq!(t.message, "out of fuel"),
        other => panic!("expected out of fuel, got {other:?}"),
    }
}

#[test]
fn another_thread_suspends_a_running_call() {
    let e = engine(Tier::Auto);
    let src = "var n = 0;\nfn spin() -> int { while true { n += 1; if n < 0 { break; } } return n; }\nfn get() -> int { return n; }\nfn main() {}";
    let m = e.compile_source("spin.kite", src).unwrap();
    let (mut s, _) = fresh(&e, Limits::none());
    let inst = Linker::new(&e).instantiate(&mut s, &m).unwrap();
    let handle = s.suspend_handle();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        handle.suspend();
    });
    assert!(matches!(inst.call::<_, i64>(&mut s, "spin", ()), Err(Error::Suspended)));
    t.join().unwrap();
    let bytes = s.snapshot().unwrap();
    let (mut s2, i2) =
        Store::resume(&Linker::new(&e), Capabilities::none(), Limits::none().fuel(1000), &bytes).unwrap();
    let before: i64 = i2.call(&mut s2, "get", ()).unwrap();
    assert!(before > 0);
    // The resumed loop runs on until the fuel limit.
    assert!(matches!(i2.resume_call(&mut s2), Err(Error::Trap(_))));
}

#[test]
fn an_idle_store_carries_its_globals_and_heap() {
    let e = engine(Tier::Interp);
    let (mut s, _) = fresh(&e, Limits::none());
    let inst = linker(&e, 2).instantiate(&mut s, &module(&e)).unwrap();
    let t: i64 = inst.call(&mut s, "work", 2001i64).unwrap();
    let bytes = s.snapshot().unwrap();
    let (mut s2, i2) = Store::resume(&linker(&e, 2), Capabilities::none(), Limits::none(), &bytes).unwrap();
    s2.set_stdout(std::io::sink());
    assert_eq!(i2.call::<_, i64>(&mut s2, "entries", ()).unwrap(), 3);
    // Nothing was suspended: resuming the call does nothing.
    assert_eq!(i2.resume_call(&mut s2).unwrap(), Val::Nil);
    let t2: i64 = i2.call(&mut s2, "work", 1i64).unwrap();
    assert_eq!(t2, t);
    assert_eq!(i2.call::<_, i64>(&mut s2, "entries", ()).unwrap(), 4);
}

#[test]
fn a_damaged_snapshot_or_a_missing_host_function_is_an_error() {
    let e = engine(Tier::Interp);
    let (mut s, _) = fresh(&e, Limits::none());
    linker(&e, 1).instantiate(&mut s, &module(&e)).unwrap();
    let mut bytes = s.snapshot().unwrap();
    assert!(matches!(
        Store::resume(&Linker::new(&e), Capabilities::none(), Limits::none(), &bytes),
        Err(Error::Snapshot(_))
    ));
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    match Store::resume(&linker(&e, 1), Capabilities::none(), Limits::none(), &bytes) {
        Err(e @ Error::Snapshot(_)) => assert!(e.to_string().contains("checksum"), "{e}"),
        other => panic!("expected a snapshot error, got {:?}", other.map(|_| ())),
    }
    assert!(matches!(
        Store::resume(&linker(&e, 1), Capabilities::none(), Limits::none(), b"not a snapshot"),
        Err(Error::Snapshot(_))
    ));
}

/// A snapshot numbers objects in their headers while it writes them: a store snapshot
/// twice gives the same bytes, runs on unharmed (its collector and its cycles intact),
/// and the snapshot resumes with objects that refer to themselves.
#[test]
fn a_snapshot_leaves_the_heap_as_it_found_it() {
    const CYCLES: &str = r#"
struct Node { v: int, next: Node?, tags: [str] }
var ring: [Node] = [];
fn build(n: int) {
    let self_loop = Node { v: -1, next: nil, tags: ["me"] };
    self_loop.next = self_loop;
    ring.push(self_loop);
    for i in 0..n { ring.push(Node { v: i, next: nil, tags: ["t" + str(i % 3), "x"] }); }
    for i in 1..ring.len() { ring[i].next = ring[(i % n) + 1]; }
}
fn walk(steps: int) -> int {
    var at = ring[1];
    var sum = 0;
    for i in 0..steps { sum += at.v + at.tags.len(); at = at.next!; }
    let me = ring[0].next!;
    return sum * 10 + me.next!.v;
}
fn churn(n: int) -> int { var t = 0; for i in 0..n { let xs = [str(i), "y"]; t += xs.len(); } return t; }
"#;
    for tier in [Tier::Interp, Tier::Auto] {
        let e = engine(tier);
        let m = e.compile_source("cycles.kite", CYCLES).unwrap_or_else(|e| panic!("{e}"));
        let l = Linker::new(&e);
        let (mut s, _) = fresh(&e, Limits::none());
        let inst = l.instantiate(&mut s, &m).unwrap();
        inst.call::<i64, ()>(&mut s, "build", 50).unwrap();
        let want: i64 = inst.call(&mut s, "walk", 1000i64).unwrap();
        let first = s.snapshot().unwrap();
        let second = s.snapshot().unwrap();
        assert!(first == second, "{tier:?}: two snapshots of the same state differ");
        // The store runs on: allocation and collection over the heap the snapshot walked.
        assert_eq!(inst.call::<i64, i64>(&mut s, "churn", 200_000).unwrap(), 400_000);
        assert_eq!(inst.call::<i64, i64>(&mut s, "walk", 1000).unwrap(), want);
        assert!(s.snapshot().unwrap() == first, "{tier:?}: the heap changed under the snapshot");
        let (mut r, inst) = Store::resume(&l, Capabilities::none(), Limits::none(), &first).unwrap();
        assert_eq!(inst.call::<i64, i64>(&mut r, "walk", 1000).unwrap(), want);
        assert_eq!(inst.call::<i64, i64>(&mut r, "churn", 1000).unwrap(), 2000);
    }
}

/// A resumed heap is all live data (a snapshot holds only what is reachable): the program
/// goes on without collecting it again at once, as after a collection; and a snapshot sent
/// as one frame through a socket arrives whole.
#[test]
fn a_resumed_heap_is_not_collected_again_at_once_and_crosses_a_socket_whole() {
    const BIG: &str = r#"
var keep: [str] = [];
fn fill(n: int) { for i in 0..n { keep.push("entry number " + str(i) + " of the kept strings"); } }
fn touch() -> int { var t = 0; for i in 0..100 { t += keep[i].len(); } return t; }
"#;
    let e = engine(Tier::Interp);
    let m = e.compile_source("big.kite", BIG).unwrap();
    let (mut s, _) = fresh(&e, Limits::none());
    let inst = Linker::new(&e).instantiate(&mut s, &m).unwrap();
    inst.call::<_, ()>(&mut s, "fill", 100_000i64).unwrap();
    let live = s.stats().heap_bytes;
    assert!(live > 4 << 20, "{live} bytes: more than the first collection's threshold");
    let bytes = s.snapshot().unwrap();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let receiver = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        kite::snapshot::read_frame(&mut conn, 1 << 30).unwrap()
    });
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    kite::snapshot::write_frame(&mut conn, &bytes).unwrap();
    let got = receiver.join().unwrap();
    assert_eq!(got, bytes);

    let (mut s2, i2) = Store::resume(&Linker::new(&e), Capabilities::none(), Limits::none(), &got).unwrap();
    let t: i64 = i2.call(&mut s2, "touch", ()).unwrap();
    assert!(t > 0);
    assert_eq!(s2.stats().gc_cycles, 0, "the restored heap was collected at the first safepoint");
}
