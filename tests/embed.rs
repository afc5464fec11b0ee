//! The embedding API: typed host functions, link errors before anything runs, typed
//! calls, capabilities, every limit ending in a clean trap the host survives, interrupts
//! from another thread, and many stores running at once.

use kite::differential::Captured;
use kite::{Capabilities, Config, Engine, EngineExt, Error, Limits, Linker, Module, Store, Tier, Val};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn compile(engine: &Engine, src: &str) -> Module {
    engine.compile_source("script.kite", src).unwrap_or_else(|e| panic!("{e}"))
}

fn store(engine: &Engine, limits: Limits) -> (Store, Captured) {
    let mut s = Store::new(engine, Capabilities::none(), limits);
    let out = Captured::default();
    s.set_stdout(out.clone());
    (s, out)
}

fn trap_message(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Err(Error::Trap(t)) => t.message,
        other => panic!("expected a trap, got {other:?}"),
    }
}

const RULES: &str = r#"
extern "app" fn log(msg: str);
extern "app" fn bonus(name: str) -> int;
var calls = 0;
fn score(name: str, points: int) -> int {
    calls += 1;
    log("scoring " + name);
    return points * 10 + bonus(name);
}
fn count() -> int { return calls; }
fn main() {}
"#;

fn rules_linker(engine: &Engine, log: Arc<Mutex<Vec<String>>>) -> Linker {
    let mut linker = Linker::new(engine);
    linker.func("app", "log", move |msg: String| log.lock().unwrap().push(msg)).unwrap();
    linker
        .func("app", "bonus", |name: String| -> Result<i64, String> {
            match name.as_str() {
                "alice" => Ok(5),
                "bob" => Ok(0),
                _ => Err(format!("no customer named {name:?}")),
            }
        })
        .unwrap();
    linker
}

#[test]
fn typed_host_functions_and_calls() {
    let engine = Engine::new(Config::default());
    let module = compile(&engine, RULES);
    let log = Arc::new(Mutex::new(Vec::new()));
    let linker = rules_linker(&engine, Arc::clone(&log));
    let (mut store, _) = store(&engine, Limits::default());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let s: i64 = inst.call(&mut store, "score", ("alice", 3)).unwrap();
    assert_eq!(s, 35);
    let s: i64 = inst.call(&mut store, "score", (String::from("bob"), 4i64)).unwrap();
    assert_eq!(s, 40);
    assert_eq!(inst.call::<_, i64>(&mut store, "count", ()).unwrap(), 2);
    assert_eq!(*log.lock().unwrap(), vec!["scoring alice", "scoring bob"]);
    assert_eq!(inst.call_dynamic(&mut store, "score", &[Val::Str("bob".into()), Val::Int(1)]).unwrap(), Val::Int(10));
}

#[test]
fn a_host_error_is_a_trap_naming_the_function_and_the_store_goes_on() {
    let engine = Engine::default();
    let module = compile(&engine, RULES);
    let linker = rules_linker(&engine, Arc::default());
    let (mut store, _) = store(&engine, Limits::default());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let err = inst.call::<_, i64>(&mut store, "score", ("mallory", 1)).unwrap_err();
    let trap = err.trap().expect("a trap");
    assert_eq!(trap.message, "app.bonus: no customer named \"mallory\"");
    assert!(!trap.is_limit());
    assert_eq!(trap.trace[0].function, "score");
    assert_eq!(trap.trace[0].line, 8);
    assert!(err.to_string().starts_with("app.bonus: no customer named \"mallory\"\n  at score (script.kite:8:"));
    // The instance is still usable.
    assert_eq!(inst.call::<_, i64>(&mut store, "score", ("bob", 1)).unwrap(), 10);
}

#[test]
fn a_panicking_host_function_is_a_trap() {
    let engine = Engine::default();
    let module = compile(&engine, "extern \"app\" fn boom() -> int;\nfn f() -> int { return boom(); }\nfn main() {}");
    let mut linker = Linker::new(&engine);
    linker.func("app", "boom", || -> i64 { panic!("kaboom") }).unwrap();
    let (mut store, _) = store(&engine, Limits::default());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(trap_message(inst.call::<_, i64>(&mut store, "f", ())), "app.boom: panicked: kaboom");
}

#[test]
fn a_panicking_raw_host_function_is_a_trap_and_the_store_stays_usable() {
    let engine = Engine::default();
    let src = "extern \"app\" fn boom(x: int) -> int;\nfn f(x: int) -> int { print(\"before\", x); return boom(x); }\nfn main() {}";
    let module = compile(&engine, src);
    let mut linker = Linker::new(&engine);
    linker
        .func_raw("app", "boom", vec![kite::ValType::Int], Some(kite::ValType::Int), |_, args| match args[0] {
            Val::Int(0) => panic!("raw kaboom"),
            Val::Int(x) => Ok(Val::Int(x * 2)),
            _ => Ok(Val::Nil),
        })
        .unwrap();
    let (mut store, out) = store(&engine, Limits::default());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let err = inst.call::<_, i64>(&mut store, "f", 0i64).unwrap_err();
    let trap = err.trap().expect("a trap");
    assert_eq!(trap.message, "host function \"app.boom\" panicked");
    assert_eq!(trap.trace[0].function, "f");
    // The store's output and context were given back: the next call runs and prints.
    assert_eq!(inst.call::<_, i64>(&mut store, "f", 21i64).unwrap(), 42);
    assert_eq!(out.text(), "before 0\nbefore 21\n");
}

#[test]
fn a_missing_or_mismatched_import_fails_before_anything_runs() {
    let engine = Engine::default();
    let module = compile(
        &engine,
        &format!("let started = print_start();\nfn print_start() -> int {{ print(\"ran\"); return 1; }}\n{RULES}"),
    );
    let (mut store, out) = store(&engine, Limits::default());

    let mut linker = Linker::new(&engine);
    linker.func("app", "log", |_: String| {}).unwrap();
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(matches!(err, Error::Link(_)), "{err:?}");
    assert_eq!(err.to_string(), "the program imports app.bonus(str) -> int, which the host does not provide");

    linker.func("app", "bonus", |_: i64| 1i64).unwrap();
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the program imports app.bonus(str) -> int, but the host provides app.bonus(int) -> int"
    );
    assert_eq!(out.text(), "", "no code may run before linking succeeds");

    let err = linker.func("app", "log", |_: String| {}).unwrap_err();
    assert_eq!(err.to_string(), "app.log is already defined");
}

#[test]
fn calls_are_checked_against_the_export() {
    let engine = Engine::default();
    let module = compile(&engine, RULES);
    let linker = rules_linker(&engine, Arc::default());
    let (mut store, _) = store(&engine, Limits::default());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let err = inst.call::<_, i64>(&mut store, "score", (3, "alice")).unwrap_err();
    assert_eq!(err.to_string(), "score is fn(str, int) -> int in the program, but was called as fn(int, str) -> int");
    let err = inst.call::<_, String>(&mut store, "score", ("alice", 3)).unwrap_err();
    assert!(matches!(err, Error::Signature { .. }), "{err:?}");
    let err = inst.call::<_, ()>(&mut store, "nope", ()).unwrap_err();
    assert_eq!(err.to_string(), "the module exports no function named \"nope\"");
    assert!(matches!(inst.call_dynamic(&mut store, "score", &[Val::Int(1)]).unwrap_err(), Error::Signature { .. }));
    // An instance works only with its own store.
    let (mut other, _) = store_with(&engine);
    assert!(matches!(inst.call::<_, i64>(&mut other, "count", ()).unwrap_err(), Error::WrongStore));
}

fn store_with(engine: &Engine) -> (Store, Captured) {
    store(engine, Limits::default())
}

#[test]
fn arrays_optionals_and_floats_cross_the_boundary() {
    let engine = Engine::default();
    let src = r#"
extern "app" fn weights() -> [float];
extern "app" fn find(name: str) -> int?;
fn total(xs: [int]) -> int { var t = 0; for x in xs { t += x; } return t; }
fn weighted() -> float { var t = 0.0; for w in weights() { t += w; } return t; }
fn lookup(name: str) -> int { return find(name) ?? -1; }
fn names() -> [str] { return ["a", "b"]; }
fn maybe(x: int) -> str? { if x > 0 { return "yes"; } return nil; }
fn main() {}
"#;
    let module = compile(&engine, src);
    let mut linker = Linker::new(&engine);
    linker.func("app", "weights", || vec![0.5, 0.25]).unwrap();
    linker.func("app", "find", |name: String| if name == "x" { Some(7i64) } else { None }).unwrap();
    let (mut store, _) = store(&engine, Limits::default());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(inst.call::<_, i64>(&mut store, "total", vec![1i64, 2, 3]).unwrap(), 6);
    assert_eq!(inst.call::<_, i64>(&mut store, "total", (&[4i64, 5][..],)).unwrap(), 9);
    assert_eq!(inst.call::<_, f64>(&mut store, "weighted", ()).unwrap(), 0.75);
    assert_eq!(inst.call::<_, i64>(&mut store, "lookup", "x").unwrap(), 7);
    assert_eq!(inst.call::<_, i64>(&mut store, "lookup", "y").unwrap(), -1);
    assert_eq!(inst.call::<_, Vec<String>>(&mut store, "names", ()).unwrap(), vec!["a", "b"]);
    assert_eq!(inst.call::<_, Option<String>>(&mut store, "maybe", 1).unwrap().as_deref(), Some("yes"));
    assert_eq!(inst.call::<_, Option<String>>(&mut store, "maybe", 0).unwrap(), None);
}

const HOSTILE: &str = r#"
fn spin() { var i = 0; while true { i += 1; } }
fn recurse(n: int) -> int { return recurse(n + 1) + 1; }
fn hog() -> int { let xs = [1]; while true { let ys = xs.slice(0, xs.len()); for y in ys { xs.push(y); } } }
fn big() -> int { return "abc".repeat(1 << 40).len(); }
fn fine(n: int) -> int { var t = 0; for i in 0..n { t += i; } return t; }
fn main() {}
"#;

fn hostile(limits: Limits) -> (Store, kite::Instance) {
    let engine = Engine::default();
    let module = compile(&engine, HOSTILE);
    let (mut store, _) = store(&engine, limits);
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    (store, inst)
}

#[test]
fn fuel_stops_an_infinite_loop_deterministically() {
    let (mut store, inst) = hostile(Limits::default().fuel(10_000));
    let err = inst.call::<_, ()>(&mut store, "spin", ()).unwrap_err();
    let t = err.trap().unwrap();
    assert_eq!((t.message.as_str(), t.is_limit()), ("out of fuel", true));
    assert_eq!(t.trace[0].function, "spin");
    assert_eq!(store.fuel_remaining(), Some(0));
    assert_eq!(store.stats().fuel_used, Some(10_000));
    // More fuel, and the same store goes on; fuel use is exact and repeatable.
    store.set_fuel(1_000);
    assert_eq!(inst.call::<_, i64>(&mut store, "fine", 100).unwrap(), 4950);
    let left = store.fuel_remaining().unwrap();
    store.set_fuel(1_000);
    inst.call::<_, i64>(&mut store, "fine", 100).unwrap();
    assert_eq!(store.fuel_remaining().unwrap(), left);
}

#[test]
fn a_store_runs_with_and_without_fuel_in_turn() {
    // Without a limit the calls run the code's copy that counts nothing; with one, the
    // code that counts. The same instance switches between them from call to call.
    let (mut store, inst) = hostile(Limits::default());
    assert_eq!(inst.call::<_, i64>(&mut store, "fine", 100).unwrap(), 4950);
    assert_eq!(store.fuel_remaining(), None);
    // `for i in 0..100` takes its loop jump 99 times: one unit each.
    store.set_fuel(98);
    assert_eq!(trap_message(inst.call::<_, i64>(&mut store, "fine", 100)), "out of fuel");
    store.set_fuel(99);
    assert_eq!(inst.call::<_, i64>(&mut store, "fine", 100).unwrap(), 4950);
    assert_eq!(store.fuel_remaining(), Some(0));
}

#[test]
fn a_timeout_stops_an_infinite_loop() {
    let (mut store, inst) = hostile(Limits::default().timeout(Duration::from_millis(200)));
    assert_eq!(trap_message(inst.call::<_, ()>(&mut store, "spin", ())), "timeout");
    // The next call has its own deadline.
    assert_eq!(inst.call::<_, i64>(&mut store, "fine", 10).unwrap(), 45);
}

#[test]
fn an_interrupt_from_another_thread_stops_a_call() {
    let (mut store, inst) = hostile(Limits::default());
    // A call before the handle exists polls nothing; the calls after it do.
    assert_eq!(inst.call::<_, i64>(&mut store, "fine", 10).unwrap(), 45);
    let handle = store.interrupt_handle();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        handle.interrupt();
    });
    let err = inst.call::<_, ()>(&mut store, "spin", ()).unwrap_err();
    t.join().unwrap();
    assert_eq!(err.trap().unwrap().message, "interrupted");
    assert_eq!(inst.call::<_, i64>(&mut store, "fine", 10).unwrap(), 45);
}

#[test]
fn memory_recursion_and_huge_strings_are_bounded() {
    let (mut store, inst) = hostile(Limits::default().max_memory(8 << 20).max_depth(1000));
    assert_eq!(trap_message(inst.call::<_, i64>(&mut store, "hog", ())), "out of memory");
    assert!(store.stats().peak_heap_bytes <= 8 << 20);
    assert_eq!(trap_message(inst.call::<_, i64>(&mut store, "recurse", 0)), "stack overflow");
    assert_eq!(trap_message(inst.call::<_, i64>(&mut store, "big", ())), "out of memory");
    assert_eq!(inst.call::<_, i64>(&mut store, "fine", 10).unwrap(), 45);
    // Without a memory limit a single huge string is still refused, before any memory is used.
    let (mut store, inst) = hostile(Limits::default());
    assert_eq!(trap_message(inst.call::<_, i64>(&mut store, "big", ())), "out of memory");
    assert_eq!(trap_message(inst.call::<_, i64>(&mut store, "recurse", 0)), "stack overflow");
}

#[test]
fn capabilities_are_granted_per_store() {
    let dir = std::env::temp_dir().join(format!("kite-embed-caps-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/in.txt"), "42").unwrap();
    std::fs::write(dir.join("secret.txt"), "s").unwrap();
    let engine = Engine::default();
    let src = r#"
fn read(p: str) -> str { return fs.read(p) ?? "<none>"; }
fn save(p: str, s: str) -> bool { return fs.write(p, s); }
fn line() -> str { return io.read_line() ?? "<eof>"; }
fn home() -> str { return env.get("KITE_EMBED_TEST_VAR") ?? "<unset>"; }
fn main() {}
"#;
    let module = compile(&engine, src);
    let linker = Linker::new(&engine);
    let caps = Capabilities::none().allow_read("data").allow_write("data").allow_stdin().working_dir(&dir);
    let mut store = Store::new(&engine, caps, Limits::default());
    store.set_stdin(std::io::Cursor::new("first\nsecond\n"));
    let inst = linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(inst.call::<_, String>(&mut store, "read", "data/in.txt").unwrap(), "42");
    assert!(inst.call::<_, bool>(&mut store, "save", ("data/out.txt", "hi")).unwrap());
    assert_eq!(std::fs::read_to_string(dir.join("data/out.txt")).unwrap(), "hi");
    assert_eq!(inst.call::<_, String>(&mut store, "line", ()).unwrap(), "first");
    let denied = trap_message(inst.call::<_, String>(&mut store, "read", "../secret.txt"));
    assert!(denied.starts_with("capability denied: fs.read \"../secret.txt\" is outside the readable folders"));
    let denied = trap_message(inst.call::<_, String>(&mut store, "home", ()));
    assert_eq!(denied, "capability denied: env.get \"KITE_EMBED_TEST_VAR\" is not granted (grant with --allow-env=KITE_EMBED_TEST_VAR)");

    // Another store of the same engine and linker has none of these grants.
    let (mut bare, _) = store_with(&engine);
    let inst = linker.instantiate(&mut bare, &module).unwrap();
    assert!(trap_message(inst.call::<_, String>(&mut bare, "read", "data/in.txt")).starts_with("capability denied"));
    assert!(trap_message(inst.call::<_, String>(&mut bare, "line", ())).starts_with("capability denied: io.read_line"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bytecode_round_trips_through_module_from_bytes() {
    let engine = Engine::default();
    let module = compile(&engine, RULES);
    let again = Module::from_bytes(&engine, &module.to_bytes()).unwrap();
    assert_eq!(again.exports(), module.exports());
    assert_eq!(again.imports()[1].signature, "(str) -> int");
    let mut bad = module.to_bytes();
    bad.truncate(bad.len() / 2);
    assert!(matches!(Module::from_bytes(&engine, &bad), Err(Error::Decode(_))));
}

#[test]
fn a_hundred_stores_on_eight_threads() {
    // In every tier: with the JIT, each store's instance has native code of its own.
    for tier in [Tier::Interp, Tier::Jit, Tier::Auto] {
        hundred_stores(Engine::new(Config::default().tier(tier).jit_threshold(1)));
    }
}

fn hundred_stores(engine: Engine) {
    let src = format!(
        "{RULES}\nfn roll() -> int {{ return rand.int(0, 1000000); }}\n\
         fn work(n: int) -> int {{ var t = 0; for i in 0..n {{ t += i % 7; }} return t; }}"
    );
    let module = compile(&engine, &src);
    let linker = rules_linker(&engine, Arc::default());
    let expected_roll = {
        let (mut s, _) = store_with(&engine);
        s.set_seed(7);
        let inst = linker.instantiate(&mut s, &module).unwrap();
        inst.call::<_, i64>(&mut s, "roll", ()).unwrap()
    };
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (engine, module, linker) = (engine.clone(), module.clone(), linker.clone());
            std::thread::spawn(move || {
                let mut results = Vec::new();
                for i in (t..100).step_by(8) {
                    let limits = Limits::default().fuel(100_000).max_memory(4 << 20).timeout(Duration::from_secs(60));
                    let mut store = Store::new(&engine, Capabilities::none(), limits);
                    store.set_seed(7);
                    let inst = linker.instantiate(&mut store, &module).unwrap();
                    let s: i64 = inst.call(&mut store, "score", ("alice", i as i64)).unwrap();
                    let n: i64 = inst.call(&mut store, "count", ()).unwrap();
                    let r: i64 = inst.call(&mut store, "roll", ()).unwrap();
                    let w: i64 = inst.call(&mut store, "work", 1000 + i as i64).unwrap();
                    results.push((i, s, n, r, w));
                }
                results
            })
        })
        .collect();
    let mut all: Vec<_> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    all.sort();
    assert_eq!(all.len(), 100);
    for (i, s, n, r, w) in all {
        assert_eq!(s, i as i64 * 10 + 5);
        assert_eq!(n, 1, "each store has its own globals");
        assert_eq!(r, expected_roll, "each store has its own generator");
        assert_eq!(w, (0..1000 + i as i64).map(|k| k % 7).sum::<i64>());
    }
}

#[test]
fn fuel_is_exact_across_closures_called_by_built_ins() {
    let engine = Engine::default();
    let src = r#"
fn sorted(n: int) -> int {
    let xs: [int] = [];
    for i in 0..n { xs.push((i * 7919) % n); }
    xs.sort_by(fn(a: int, b: int) -> int { var t = 0; for k in 0..3 { t += k; } return a - b; });
    return xs[0] + xs[n - 1];
}
fn main() {}
"#;
    let module = compile(&engine, src);
    let run = |fuel: u64| {
        let (mut store, _) = store(&engine, Limits::default().fuel(fuel));
        let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let r = inst.call::<_, i64>(&mut store, "sorted", 200);
        (r.map_err(|e| e.trap().map(|t| t.message.clone())), store.fuel_remaining().unwrap())
    };
    let (r, left) = run(1_000_000);
    assert_eq!(r, Ok(199));
    let used = 1_000_000 - left;
    assert!(used > 200 * 7, "the comparator's loops and calls use fuel: {used}");
    assert_eq!(run(used), (Ok(199), 0), "exactly enough fuel");
    assert_eq!(run(used - 1), (Err(Some("out of fuel".to_string())), 0), "one unit short");
}

#[test]
fn a_compile_error_debugs_as_its_diagnostics_not_its_source() {
    let engine = Engine::new(Config::new());
    let filler = "// a long comment line that only makes the source big\n".repeat(2000);
    let src = format!("{filler}fn main() {{ let x: int = \"s\"; }}\n");
    let e = engine.compile_source("big.kite", &src).expect_err("a type error");
    let debug = format!("{e:?}");
    assert!(debug.contains("big.kite:2001:") && debug.contains("expected int, found str"), "{debug}");
    assert!(debug.len() < 2000, "Debug of a compile error is {} bytes", debug.len());
}
