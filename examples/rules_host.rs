//! A host that runs a user-supplied rules script under limits, with host functions.
//!
//! ```sh
//! cargo run --example rules_host                      # examples/scripts/rules.kite
//! cargo run --example rules_host -- my_rules.kite
//! ```
//!
//! The script declares what it needs from the host (`extern "app" fn orders_of(...)`);
//! the host registers those functions as plain Rust closures. A missing or mismatched
//! function is reported before any of the script runs. Each call into the script is
//! bounded by fuel, memory, call depth and time, and a script that fails (a bug, a denied
//! capability, an exhausted limit) is reported and skipped: the host keeps going.

use kite::{Capabilities, Config, Engine, EngineExt, Error, Limits, Linker, Store};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "examples/scripts/rules.kite".to_string());
    if let Err(e) = run(&path) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(path: &str) -> Result<(), Error> {
    // The host's data, shared with the host functions.
    let orders: Arc<HashMap<&str, Vec<i64>>> =
        Arc::new(HashMap::from([("alice", vec![1200, 8000, 4550, 23000]), ("bob", vec![999]), ("carol", vec![])]));
    let tiers = HashMap::from([("alice", "gold"), ("bob", "silver"), ("carol", "basic")]);

    let engine = Engine::new(Config::default());
    let module = engine.compile_file(path)?;
    println!("{path} needs:");
    for i in module.imports() {
        println!("  {}.{}{}", i.module, i.name, i.signature);
    }

    let mut linker = Linker::new(&engine);
    linker.func("app", "log", |msg: String| println!("  [script] {msg}"))?;
    let o = Arc::clone(&orders);
    linker.func("app", "orders_of", move |customer: String| -> Result<Vec<i64>, String> {
        o.get(customer.as_str()).cloned().ok_or_else(|| format!("unknown customer {customer:?}"))
    })?;
    linker.func("app", "tier", move |customer: String| tiers.get(customer.as_str()).unwrap_or(&"basic").to_string())?;

    // No files, environment or clock; bounded fuel, memory, depth and time per call.
    let limits =
        Limits::default().fuel(1_000_000).max_memory(16 << 20).max_depth(1_000).timeout(Duration::from_secs(1));
    let mut store = Store::new(&engine, Capabilities::none(), limits);
    let rules = linker.instantiate(&mut store, &module)?;

    for (customer, total) in [("alice", 12000), ("bob", 60000), ("carol", 3000), ("dave", 1000)] {
        println!("order of {customer} for {}.{:02}:", total / 100, total % 100);
        // Fuel is a budget for the whole store: give each order a fresh one.
        store.set_fuel(1_000_000);
        let discount = rules.call::<_, i64>(&mut store, "discount", (customer, total));
        let approved = rules.call::<_, bool>(&mut store, "approve", (customer, total));
        match (discount, approved) {
            (Ok(d), Ok(a)) => println!("  {d}% off, {}", if a { "approved" } else { "needs review" }),
            (Err(e), _) | (_, Err(e)) => println!("  rule failed: {e}"),
        }
        store.set_fuel(100_000);
        match rules.call::<_, i64>(&mut store, "streak", customer) {
            Ok(n) => println!("  streak {n}"),
            Err(Error::Trap(t)) if t.is_limit() => {
                println!("  streak stopped: {} (fuel left {:?})", t.message, store.fuel_remaining())
            }
            Err(e) => println!("  streak failed: {e}"),
        }
    }
    let st = store.stats();
    println!("fuel used {}, peak heap {} bytes", st.fuel_used.unwrap_or(0), st.peak_heap_bytes);
    Ok(())
}
