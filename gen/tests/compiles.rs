//! Every generated program compiles and passes the verifier: a range of seeds, inputs
//! at the edges (empty, all zeros, all ones), and short random inputs.

mod support;

use kite_gen::{from_seed, generate, Program, SplitMix64};

const SEEDS: u64 = 400;

fn check(p: &Program, what: &str) {
    if let Err(e) = support::compile(p, "compiles") {
        panic!("{what}: {e}\n{}", support::listing(p));
    }
}

fn from_bytes(bytes: &[u8]) -> Program {
    generate(&mut arbitrary::Unstructured::new(bytes))
}

#[test]
fn seeds_compile_and_verify() {
    for seed in 0..SEEDS {
        check(&from_seed(seed), &format!("seed {seed}"));
    }
}

#[test]
fn edge_inputs_compile_and_verify() {
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("one zero byte", vec![0]),
        ("all 0x00", vec![0; 4096]),
        ("all 0xFF", vec![0xff; 4096]),
        ("all 0xFF, long", vec![0xff; 1 << 16]),
        ("all 0x80", vec![0x80; 4096]),
        ("counting", (0..=255u8).cycle().take(8192).collect()),
        ("alternating", [0x00, 0xff].iter().copied().cycle().take(4096).collect()),
    ];
    for (what, bytes) in inputs {
        check(&from_bytes(&bytes), what);
    }
}

#[test]
fn short_random_inputs_compile_and_verify() {
    let mut rng = SplitMix64::new(0x5eed);
    for i in 0..300 {
        let len = (rng.next_u64() % 600) as usize;
        let bytes = rng.bytes(len);
        check(&from_bytes(&bytes), &format!("random input {i} ({len} bytes)"));
    }
}

#[test]
fn the_empty_input_gives_a_small_program() {
    let p = from_bytes(&[]);
    assert!(p.main.contains("fn main()"), "{}", p.main);
    assert!(p.modules.is_empty());
    assert!(p.main.lines().count() < 60, "{}", p.main);
}

#[test]
fn seeds_are_deterministic() {
    for seed in [0, 1, 42, u64::MAX] {
        assert_eq!(from_seed(seed), from_seed(seed));
    }
    assert_ne!(from_seed(1).main, from_seed(2).main);
    assert!(from_seed(9).main.starts_with("// kite-gen seed 9\n"));
}

#[test]
fn write_to_writes_every_file() {
    let p = (0..200).map(from_seed).find(|p| !p.modules.is_empty()).expect("a program with a module");
    let dir = support::scratch("write-to");
    p.write_to(&dir).expect("write");
    assert_eq!(std::fs::read_to_string(dir.join("main.kite")).expect("main.kite"), p.main);
    let (stem, text) = &p.modules[0];
    assert_eq!(&std::fs::read_to_string(dir.join(format!("{stem}.kite"))).expect("module"), text);
    let _ = std::fs::remove_dir_all(&dir);
}
