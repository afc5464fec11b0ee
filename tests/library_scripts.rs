//! A file without `fn main` is a library: it compiles (for embedding, `vm check` and
//! `vm build`) to a module with exports and no entry point.

use kite_vm::bytecode::decode::decode;
use kite_vm::bytecode::verify;
use std::process::Command;

const LIBRARY: &str = "\
let RATE = 3;
fn score(points: int) -> int { return points * RATE; }
fn label(points: int) -> str { return \"score \" + str(score(points)); }
";

#[test]
fn a_library_compiles_to_a_module_without_main() {
    let m = kite_compiler::compile_source("lib.kite", LIBRARY).expect("a library compiles");
    assert_eq!(m.main, None);
    assert!(m.init.is_some(), "its globals still initialize");
    let names: Vec<&str> = m.exports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["score", "label"]);
    verify(&m).expect("the module verifies");
}

#[test]
fn an_empty_file_is_an_empty_library() {
    let m = kite_compiler::compile_source("empty.kite", "// nothing here\n").expect("compiles");
    assert_eq!((m.main, m.init, m.exports.len()), (None, None, 0));
    verify(&m).expect("the module verifies");
}

#[test]
fn vm_check_and_build_accept_a_library() {
    let dir = std::env::temp_dir().join(format!("kite-library-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let src = dir.join("lib.kite");
    let bc = dir.join("lib.bc");
    std::fs::write(&src, LIBRARY).expect("write");
    let vm = |args: &[&std::ffi::OsStr]| Command::new(env!("CARGO_BIN_EXE_vm")).args(args).output().expect("run vm");
    let check = vm(&["check".as_ref(), src.as_os_str()]);
    assert!(check.status.success(), "vm check: {}", String::from_utf8_lossy(&check.stderr));
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(said.ends_with("lib.kite: ok (a library: no main, 2 exported functions)\n"), "vm check says ok: {said}");
    let build = vm(&["build".as_ref(), src.as_os_str(), "-o".as_ref(), bc.as_os_str()]);
    assert!(build.status.success(), "vm build: {}", String::from_utf8_lossy(&build.stderr));
    assert!(String::from_utf8_lossy(&build.stdout).contains("lib.bc: "), "vm build says what it wrote");
    let m = decode(&std::fs::read(&bc).expect("read .bc")).expect("decodes");
    verify(&m).expect("verifies");
    assert_eq!(m.main, None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn vm_run_of_a_library_says_it_has_no_main() {
    let dir = std::env::temp_dir().join(format!("kite-library-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let src = dir.join("lib.kite");
    // Its initializer would print: a library's globals do not run under `vm run`.
    std::fs::write(&src, "let X = f();\nfn f() -> int { print(\"init\"); return 1; }\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_vm")).arg("run").arg(&src).output().expect("run vm");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lib.kite has no fn main: it is a library"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
