// Scratch: generate seeds and report compile errors.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let lo: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let hi: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(lo + 1);
    let mut bad = 0;
    for seed in lo..hi {
        let p = kite_gen::from_seed(seed);
        let dir = std::env::temp_dir().join(format!("kg-{seed}"));
        std::fs::create_dir_all(&dir).unwrap();
        p.write_to(&dir).unwrap();
        match kite_compiler::compile_file(dir.join("main.kite")) {
            Ok(m) => {
                if let Err(e) = kite_vm::bytecode::verify(&m) {
                    println!("seed {seed}: VERIFY {e}");
                    bad += 1;
                }
            }
            Err(e) => {
                bad += 1;
                let s = e.to_string();
                println!("seed {seed}: {}", s.lines().take(6).collect::<Vec<_>>().join("\n   "));
            }
        }
    }
    println!("{bad} bad of {}", hi - lo);
}
