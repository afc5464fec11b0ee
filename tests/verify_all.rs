//! Every program the compiler builds from `tests/**/*.kite` and `examples/*.kite` (except
//! those expecting a compile error, and `_*.kite` modules that others import) passes the
//! verifier, and survives an encode/decode round trip unchanged.

use kite_vm::bytecode::{decode::decode, encode::encode, verify};
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "kite")
            && !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('_'))
        {
            out.push(p);
        }
    }
}

#[test]
fn every_program_verifies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("tests"), &mut files);
    collect(&root.join("examples"), &mut files);
    files.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in &files {
        let src = std::fs::read_to_string(path).expect("read program");
        if src.contains("// expect-error:") {
            continue;
        }
        let m = match kite_compiler::compile_file(path) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{}: does not compile:\n{e}", path.display()));
                continue;
            }
        };
        if let Err(e) = verify(&m) {
            failures.push(format!("{}: {e}", path.display()));
            continue;
        }
        // Compared as bytes: NaN constants are not equal to themselves.
        let bytes = encode(&m);
        match decode(&bytes) {
            Ok(back) if encode(&back) == bytes => {}
            Ok(_) => failures.push(format!("{}: the decoded module differs", path.display())),
            Err(e) => failures.push(format!("{}: does not decode: {e}", path.display())),
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{} of {} programs failed:\n{}", failures.len(), files.len(), failures.join("\n"));
    assert!(checked > 100, "only {checked} programs were checked");
}
