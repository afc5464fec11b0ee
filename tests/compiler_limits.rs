//! Every limit of the bytecode format, from the compiler's side: a program past one is a
//! compile error at the code that passes it (never a module the decoder or verifier
//! refuses), and a program within them compiles to a module that verifies and runs.
//! Sources are generated here because they are big; the small limits have `.kite` tests
//! in `tests/errors/`.

use kite::{Capabilities, Config, Engine, Limits, Linker, Store};
use kite_compiler::{compile_source, CompileError};
use kite_vm::bytecode::{verify, Module};
use std::fmt::Write as _;

/// Compiles `src`, which must fail; returns the error.
fn compile_err(src: &str) -> CompileError {
    match compile_source("big.kite", src) {
        Ok(_) => panic!("the program compiled"),
        Err(e) => e,
    }
}

/// Compiles `src`, which must succeed, and verifies the module.
fn compile_ok(src: &str) -> Module {
    let m = compile_source("big.kite", src).unwrap_or_else(|e| panic!("{:.2000}", e.to_string()));
    if let Err(e) = verify(&m) {
        panic!("the compiled module does not verify: {e}");
    }
    m
}

/// Asserts that the first error is on `line` and contains `text`.
fn assert_first_error(e: &CompileError, line: usize, text: &str) {
    let shown = e.to_string();
    let first = shown.lines().next().unwrap_or("");
    assert!(first.starts_with(&format!("big.kite:{line}:")), "expected line {line}: {first}");
    assert!(first.contains(text), "expected {text:?}: {first}");
}

/// Calls export `name` (no arguments, an int result) of a compiled module.
fn call_int(m: Module, name: &str) -> i64 {
    let engine = Engine::new(Config::default());
    let module = kite::Module::from_bytecode(&engine, m).expect("the module loads");
    let mut store = Store::new(&engine, Capabilities::none(), Limits::default());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).expect("instantiates");
    inst.call(&mut store, name, ()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `n` lines made by `line(i)`.
fn lines(n: usize, line: impl Fn(usize) -> String) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&line(i));
        s.push('\n');
    }
    s
}

#[test]
fn big_array_literals_compile_element_by_element() {
    let items: Vec<String> = (0..70_000).map(|i| i.to_string()).collect();
    let src = format!(
        "fn total() -> int {{\n    let xs = [{}];\n    var t = 0;\n    for x in xs {{ t += x; }}\n    return t * 1000000 + xs.len();\n}}\n",
        items.join(", ")
    );
    let sum: i64 = (0..70_000).sum();
    assert_eq!(call_int(compile_ok(&src), "total"), sum * 1_000_000 + 70_000);
    // Leading nils wait for the element type; the array is [int?].
    let mut items: Vec<String> = (0..70_000).map(|i| if i % 3 == 0 { "nil".into() } else { i.to_string() }).collect();
    items[1] = "nil".into();
    let src = format!(
        "fn total() -> int {{\n    let xs = [{}];\n    var t = 0;\n    for x in xs {{ t += x ?? 1000000; }}\n    return t;\n}}\n",
        items.join(", ")
    );
    let want: i64 = (0..70_000).map(|i| if i % 3 == 0 || i == 1 { 1_000_000 } else { i }).sum();
    assert_eq!(call_int(compile_ok(&src), "total"), want);
}

#[test]
fn big_map_literals_compile_entry_by_entry() {
    let entries: Vec<String> = (0..70_000).map(|i| format!("{i}: {}", i * 2)).collect();
    let src = format!(
        "fn total() -> int {{\n    let m = {{{}}};\n    return m.len() * 1000000 + m[69999];\n}}\n",
        entries.join(", ")
    );
    assert_eq!(call_int(compile_ok(&src), "total"), 70_000 * 1_000_000 + 139_998);
    // Entries whose value is nil wait for the value type.
    let entries: Vec<String> =
        (0..70_000).map(|i| if i < 5 { format!("\"k{i}\": nil") } else { format!("\"k{i}\": o") }).collect();
    let src = format!(
        "fn total() -> int {{\n    let o: int? = 7;\n    let m = {{{}}};\n    return (m[\"k3\"] ?? 100) + (m[\"k9\"] ?? 100) + m.len();\n}}\n",
        entries.join(", ")
    );
    assert_eq!(call_int(compile_ok(&src), "total"), 100 + 7 + 70_000);
}

#[test]
fn too_many_live_registers_is_an_error_at_the_code() {
    // Every `let` keeps its register to the end of the block.
    let src = format!("fn main() {{\n{}}}\n", lines(70_000, |i| format!("    let a{i} = {i};")));
    let e = compile_err(&src);
    assert_first_error(&e, 2 + 65_536, "function 'main' needs more than 65536 registers here");
    assert_eq!(e.count(), 1);
    // So is a call with more arguments than a frame can hold.
    let args: Vec<String> = (0..70_000).map(|i| i.to_string()).collect();
    let e = compile_err(&format!("fn main() {{\n    print({});\n}}\n", args.join(", ")));
    assert_first_error(&e, 2, "print takes at most 65535 arguments");
    assert!(e.to_string().contains("needs more than 65536 registers"), "{e:.300}");
}

#[test]
fn registers_of_finished_calls_and_literals_are_reused() {
    // 70,000 statements, each a call or a literal with its own window: they take turns.
    let body = lines(70_000, |i| match i % 4 {
        0 => format!("    t += add({i}, 1);"),
        1 => format!("    t += pick(\"s{i}\", {i}, 2.5);"),
        2 => format!("    t += [{i}, 1, 2][0];"),
        _ => format!("    t += P {{ a: {i}, b: \"x\" }}.a;"),
    });
    let src = format!(
        "struct P {{ a: int, b: str }}\nfn add(a: int, b: int) -> int {{ return a + b; }}\n\
         fn pick(s: str, n: int, f: float) -> int {{ return n + s.len(); }}\n\
         fn total() -> int {{\n    var t = 0;\n{body}    return t;\n}}\n"
    );
    let m = compile_ok(&src);
    let want: i64 = (0..70_000i64)
        .map(|i| match i % 4 {
            0 => i + 1,
            1 => i + format!("s{i}").len() as i64,
            _ => i,
        })
        .sum();
    assert_eq!(call_int(m, "total"), want);
}

#[test]
fn structs_with_many_fields() {
    // 60,000 fields: the literal's window fits in a frame.
    let n = 60_000;
    let decl = lines(n, |i| format!("    f{i}: int,"));
    let init: Vec<String> = (0..n).rev().map(|i| format!("f{i}: {i}")).collect();
    let src = format!(
        "struct Big {{\n{decl}}}\nfn total() -> int {{\n    let b = Big {{ {} }};\n    b.f59999 += 1;\n    return b.f0 + b.f12345 + b.f59999;\n}}\n",
        init.join(", ")
    );
    assert_eq!(call_int(compile_ok(&src), "total"), 12_345 + 60_000);
    // 70,000 fields: more than the format allows, an error at the struct.
    let src = format!("fn main() {{}}\nstruct Huge {{\n{}}}\n", lines(70_000, |i| format!("    f{i}: int,")));
    assert_first_error(&compile_err(&src), 2, "struct 'Huge' has 70000 fields, more than the limit of 65536");
}

#[test]
fn too_many_functions_structs_globals_or_host_functions() {
    let n = 70_000;
    // Functions: the error is at the first one past the limit.
    let src = lines(n, |i| format!("fn f{i}() {{}}"));
    let e = compile_err(&src);
    assert_first_error(&e, 65_537, "the program has more than 65536 functions");
    assert_eq!(e.count(), 1);
    let e = compile_err(&lines(n, |i| format!("struct S{i} {{}}")));
    assert_first_error(&e, 65_537, "the program has more than 65536 structs");
    let e = compile_err(&lines(n, |i| format!("let g{i} = {i};")));
    assert_first_error(&e, 65_537, "the program has more than 65536 globals");
    let e = compile_err(&lines(n, |i| format!("extern \"app\" fn h{i}();")));
    assert_first_error(&e, 65_537, "the program has more than 65536 host functions");
    // Up to the limit is fine: 65,000 functions, one calling the last.
    let mut src = lines(65_000, |i| format!("fn f{i}() -> int {{ return {i}; }}"));
    src.push_str("fn total() -> int { return f64999() + f1(); }\n");
    assert_eq!(call_int(compile_ok(&src), "total"), 65_000);
}

#[test]
fn too_many_distinct_types() {
    // Each struct brings itself and 16 array types around it: 62,000 × 17 types.
    let src = lines(62_000, |i| format!("struct S{i} {{ a: [[[[[[[[[[[[[[[[S{i}]]]]]]]]]]]]]]]] }}"));
    let e = compile_err(&src);
    assert!(e.to_string().contains("the program has more than 1048576 distinct types"), "{e:.500}");
    assert_eq!(e.count(), 1);
}

#[test]
fn more_than_256_parameters_or_captures() {
    let params: Vec<String> = (0..257).map(|i| format!("p{i}: int")).collect();
    let src = format!("fn main() {{}}\nfn wide({}) {{}}\n", params.join(", "));
    assert_first_error(&compile_err(&src), 2, "257 parameters, more than the limit of 256");
    let src = format!("fn main() {{}}\nextern \"app\" fn wide({});\n", params.join(", "));
    assert_first_error(&compile_err(&src), 2, "257 parameters, more than the limit of 256");
    let ints = vec!["int"; 257].join(", ");
    let src = format!("fn main() {{\n    let f: fn({ints})? = nil;\n}}\n");
    assert_first_error(&compile_err(&src), 2, "257 parameters, more than the limit of 256");
    let src = format!("fn main() {{\n    let f = fn({}) {{}};\n}}\n", params.join(", "));
    assert_first_error(&compile_err(&src), 2, "257 parameters, more than the limit of 256");
    let lets = lines(257, |i| format!("    let c{i} = {i};"));
    let uses: Vec<String> = (0..257).map(|i| format!("c{i}")).collect();
    let src = format!("fn main() {{\n{lets}    let f = fn() -> int {{ return {}; }};\n}}\n", uses.join(" + "));
    assert_first_error(&compile_err(&src), 259, "this closure captures 257 values, more than the limit of 256");
    // 256 of each is fine.
    let params: Vec<String> = (0..256).map(|i| format!("p{i}: int")).collect();
    compile_ok(&format!("fn wide({}) -> int {{ return p255; }}\n", params.join(", ")));
}

#[test]
fn long_jumps_compile() {
    // Bodies longer than a 16-bit branch offset: the function is lowered with long branches.
    let body = lines(40_000, |_| "        t += 1;".into());
    let src = format!(
        "fn count(x: int) -> int {{\n    var t = 0;\n    if x < 5 {{\n{body}    }}\n    for i in 0..x {{\n{body}    }}\n    \
         var k = 0;\n    while k < x && x > 7 {{\n        k += 1;\n{body}    }}\n    return t;\n}}\n\
         fn small() -> int {{ return count(1); }}\nfn big() -> int {{ return count(9); }}\n"
    );
    let m = compile_ok(&src);
    assert_eq!(call_int(m.clone(), "small"), 40_000 + 40_000);
    assert_eq!(call_int(m, "big"), 9 * 40_000 + 9 * 40_000);
}

#[test]
fn huge_strings_and_names_are_errors_at_the_literal() {
    // One test, so that the two big sources are not in memory at once.
    let limit = 1usize << 28;
    let mut src = String::with_capacity(limit + 100);
    src.push_str("fn main() {\n    let s = \"");
    src.push_str(&"a".repeat(limit + 1));
    src.push_str("\";\n}\n");
    let e = compile_err(&src);
    assert_first_error(
        &e,
        2,
        &format!("string literal is too long: {} bytes, more than the limit of {limit}", limit + 1),
    );
    drop(src);
    let max_ident = limit / 2 - 1;
    let mut src = String::with_capacity(max_ident + 100);
    src.push_str("fn main() {}\nfn ");
    src.push_str(&"x".repeat(max_ident + 1));
    src.push_str("() {}\n");
    let e = compile_err(&src);
    assert_first_error(
        &e,
        2,
        &format!("identifier is too long: {} bytes, more than the limit of {max_ident}", max_ident + 1),
    );
}

#[test]
fn too_many_files() {
    let dir = std::env::temp_dir().join(format!("kite-many-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let n = 65_536;
    let mut main = String::new();
    // Empty modules, most of them hard links (quicker to make than files; each name is a
    // file of its own), at most 10,000 names per file.
    for i in 0..n {
        let path = dir.join(format!("m{i}.kite"));
        if i % 10_000 == 0 {
            std::fs::write(&path, "").expect("write a module");
        } else {
            std::fs::hard_link(dir.join(format!("m{}.kite", i - i % 10_000)), &path).expect("link a module");
        }
        let _ = writeln!(main, "import m{i};");
    }
    main.push_str("fn main() {}\n");
    let path = dir.join("main.kite");
    std::fs::write(&path, &main).expect("write main");
    let result = kite_compiler::compile_file(&path);
    let _ = std::fs::remove_dir_all(&dir);
    let e = match result {
        Ok(_) => panic!("the program compiled"),
        Err(e) => e,
    };
    // The main file and 65,535 modules make 65,536 files: the next import is one too many.
    let first = e.to_string().lines().next().unwrap_or("").to_string();
    assert!(first.contains(":65536:1: error: the program has more than 65536 files"), "{first}");
    assert_eq!(e.count(), 1);
}
