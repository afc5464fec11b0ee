//! Generates the parser (`$OUT_DIR/grammar.rs`) from `src/grammar.lalrpop`.

fn main() {
    println!("cargo:rerun-if-changed=src/grammar.lalrpop");
    if let Err(e) = lalrpop::Configuration::new().process_dir("src") {
        panic!("lalrpop failed to generate the Kite parser: {e}");
    }
}
