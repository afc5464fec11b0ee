//! Every program the compiler builds from `tests/**/*.kite` and `examples/*.kite` (except
//! those expecting a compile error, and `_*.kite` modules that others import) passes the
//! verifier, and survives an encode/decode round trip unchanged.

use kite_vm::bytecode::{decode::decode, encode::encode, verify};
use std::path::{Path, PathBuf};

#[path = "support/programs.rs"]
mod programs;
use programs::collect;

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

fn vm(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vm")).args(args).output().expect("run vm");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kite-verify-all-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

#[test]
fn inspect_shows_version_digest_functions_imports_and_exports() {
    let src = temp("inspected.kite");
    std::fs::write(
        &src,
        "extern \"app\" fn log(msg: str, level: int) -> bool;\n\
         fn twice(x: int) -> int { return x * 2; }\n\
         fn main() { let a = env.args(); print(twice(a.len())); }\n",
    )
    .unwrap();
    let bc = temp("inspected.bc");
    let (code, _, err) = vm(&["build", src.to_str().unwrap(), "-o", bc.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let size = std::fs::metadata(&bc).unwrap().len();
    let (code, out, err) = vm(&["inspect", bc.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let digest = kite_vm::bytecode::decode::read_header(&std::fs::read(&bc).unwrap()).unwrap().digest_hex();
    for want in [
        format!("size       {size} bytes"),
        "version    1.3".to_string(),
        format!("digest     sha256:{digest}"),
        "verified   yes".to_string(),
        "twice(int) -> int".to_string(),
        "params 1, registers".to_string(),
        "main()".to_string(),
        "capability env.args() -> [str]".to_string(),
        "host       app.log(str, int) -> bool".to_string(),
        "twice -> f".to_string(),
    ] {
        assert!(out.contains(&want), "no {want:?} in:\n{out}");
    }
}

#[test]
fn run_refuses_bytecode_that_does_not_verify() {
    // A valid program whose `print` reads a string register that was never written.
    let m = kite_compiler::compile_source("bad.kite", "fn main() { let s = \"x\"; print(s); }").expect("compiles");
    let mut m = m;
    let main = m.main.unwrap() as usize;
    let f = &mut m.functions[main];
    let first_write = f.code.iter().position(|i| i.op == kite_vm::bytecode::Op::LoadConst).expect("a LoadConst");
    f.code[first_write] = kite_vm::bytecode::Instr::new(kite_vm::bytecode::Op::Nop, 0, 0, 0);
    let bc = temp("unverified.bc");
    std::fs::write(&bc, encode(&m)).unwrap();
    let (code, _, err) = vm(&["run", bc.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.starts_with(&format!("error: {}: invalid bytecode: function", bc.display())), "{err}");
    assert!(err.contains("may be read before it is written"), "{err}");
    // A damaged file: the digest no longer matches.
    let mut bytes = encode(&m);
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    std::fs::write(&bc, bytes).unwrap();
    let (code, _, err) = vm(&["run", bc.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid bytecode at byte 8: digest mismatch"), "{err}");
}
