//! A host that configures a pricing script from a Rust struct (through serde), calls one
//! of its functions many times through a typed handle, and keeps each customer's data in
//! that customer's store (`Store<Customer>`), where host functions reach it.
//!
//! ```sh
//! cargo run --example config_host          # examples/scripts/pricing.kite
//! ```
//!
//! - **serde**: `Settings` and `Line` are ordinary Rust structs with `#[derive(Serialize)]`;
//!   wrapped in [`kite::Serde`] they cross as the script's `struct Settings` and
//!   `[Line]`, field by field. A field of the wrong type is an error that names it
//!   (`argument 1 of configure: bulk["apple"]: expected int, found str`).
//! - **typed handle**: `quote` is looked up and its signature checked once; each call
//!   through the handle then goes straight to the function.
//! - **store data**: every customer has a store whose data is a `Customer`; the host
//!   functions `app.visits` and `app.note` take a `Caller<'_, Customer>` and read or
//!   change it. Stores share nothing: one customer's script state cannot reach another's.

use indexmap::IndexMap;
use kite::{Caller, Capabilities, Engine, EngineExt, Error, Limits, Linker, Serde, Store};
use serde::Serialize;

/// The script's configuration, as the host has it.
#[derive(Serialize)]
struct Settings {
    currency: String,
    loyal_after: u32,
    loyal_pct: u8,
    /// Items of a SKU from which a line gets the bulk price, in the order they apply.
    bulk: IndexMap<String, u32>,
}

/// One line of a basket.
#[derive(Serialize, Clone)]
struct Line {
    sku: &'static str,
    cents: i64,
    qty: u32,
}

/// What the host keeps per customer, in the customer's store.
struct Customer {
    name: &'static str,
    visits: i64,
    notes: Vec<String>,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Error> {
    let engine = Engine::default();
    let module = engine.compile_file("examples/scripts/pricing.kite")?;

    let mut linker: Linker<Customer> = Linker::new(&engine);
    linker.func("app", "visits", |c: Caller<'_, Customer>| c.data().visits)?;
    linker.func("app", "note", |mut c: Caller<'_, Customer>, msg: &str| c.data_mut().notes.push(msg.to_string()))?;

    let settings = Settings {
        currency: "EUR".into(),
        loyal_after: 3,
        loyal_pct: 5,
        bulk: IndexMap::from([("apple".to_string(), 6), ("pear".to_string(), 4)]),
    };
    let baskets = [
        vec![Line { sku: "apple", cents: 40, qty: 6 }, Line { sku: "bread", cents: 250, qty: 1 }],
        vec![Line { sku: "pear", cents: 55, qty: 2 }],
        vec![Line { sku: "pear", cents: 55, qty: 8 }, Line { sku: "milk", cents: 99, qty: 2 }],
    ];

    for (name, visits) in [("ann", 1), ("bo", 7)] {
        let customer = Customer { name, visits, notes: Vec::new() };
        let limits = Limits::default().fuel(1_000_000).max_memory(16 << 20);
        let mut store = Store::with_data(&engine, Capabilities::none(), limits, customer);
        let inst = linker.instantiate(&mut store, &module)?;

        let said: String = inst.call(&mut store, "configure", Serde(&settings))?;
        let quote = inst.typed_func::<Serde<Vec<Line>>, i64>(&store, "quote")?;
        let mut total = 0;
        for round in 0..1000 {
            let basket = &baskets[round % baskets.len()];
            total += quote.call(&mut store, Serde(basket.clone()))?;
        }
        let c = store.data();
        println!(
            "{}: {said}; 1000 baskets: {}.{:02} {}; {} notes, the last: {:?}",
            c.name,
            total / 100,
            total % 100,
            settings.currency,
            c.notes.len(),
            c.notes.last().map(String::as_str).unwrap_or("-")
        );
    }

    // A configuration of the wrong shape is refused with the path to the bad field.
    let mut store = Store::with_data(
        &engine,
        Capabilities::none(),
        Limits::default(),
        Customer { name: "cy", visits: 0, notes: Vec::new() },
    );
    let inst = linker.instantiate(&mut store, &module)?;
    #[derive(Serialize)]
    struct Wrong {
        currency: &'static str,
        loyal_after: u32,
        loyal_pct: u8,
        bulk: IndexMap<&'static str, &'static str>,
    }
    let wrong = Wrong { currency: "EUR", loyal_after: 1, loyal_pct: 1, bulk: IndexMap::from([("apple", "six")]) };
    match inst.call::<_, String>(&mut store, "configure", Serde(wrong)) {
        Err(e) => println!("a wrong configuration: {e}"),
        Ok(s) => println!("unexpectedly accepted: {s}"),
    }
    Ok(())
}
