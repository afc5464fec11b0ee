//! Writes the program of a seed to a folder, to run or read it:
//!
//! ```sh
//! cargo run -p kite-gen --example write -- 42 /tmp/seed-42
//! cargo run -- run --fuel=2000000 --stats /tmp/seed-42/main.kite
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(seed) = args.first().and_then(|s| s.parse::<u64>().ok()) else {
        eprintln!("usage: write SEED [DIR]   (DIR defaults to ./seed-SEED)");
        return ExitCode::from(2);
    };
    let dir = args.get(1).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(format!("seed-{seed}")));
    let program = kite_gen::from_seed(seed);
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| program.write_to(&dir)) {
        eprintln!("cannot write {}: {e}", dir.display());
        return ExitCode::from(1);
    }
    println!("{}", dir.join("main.kite").display());
    ExitCode::SUCCESS
}
