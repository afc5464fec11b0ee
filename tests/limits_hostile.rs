//! Limits against the worst inputs that are easier to make than to write down: deep
//! recursion through frames of thousands of registers, a FIFO in a granted folder, a
//! standard input that never speaks. Each case must end, with its exit code and message;
//! nothing here measures time.

#[path = "support/cli.rs"]
#[allow(dead_code)] // runs `vm` its own way
mod cli;
use cli::tmp;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, flags: &[&str], src: &str) -> Run {
    std::fs::write(dir.join("prog.kite"), src).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vm"))
        .arg("run")
        .args(flags)
        .arg("prog.kite")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run vm");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// A recursive function with `n` float locals, all live across the call.
fn wide_recursion(n: usize) -> String {
    let mut src = String::from("fn f(d: int, x: float) -> float {\n");
    for i in 0..n {
        src.push_str(&format!("    let v{i} = x + {i}.0;\n"));
    }
    src.push_str("    if d == 0 { return x; }\n    var s = f(d - 1, x + 1.0);\n");
    for i in 0..n {
        src.push_str(&format!("    s += v{i};\n"));
    }
    src.push_str("    return s;\n}\nfn main() { print(f(1000000, 0.0)); }\n");
    src
}

#[test]
fn recursion_through_wide_frames_ends_with_out_of_memory() {
    let d = tmp("wide");
    for n in [500, 2000] {
        let r = run(&d, &["--max-memory=64M"], &wide_recursion(n));
        assert_eq!((r.code, first_line(&r.stderr)), (3, "error: out of memory"), "{n} locals");
        assert!(r.stderr.contains("  ... "), "a deep trace is shortened: {}", r.stderr);
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_small_memory_limit_is_out_of_memory_not_stack_overflow() {
    let d = tmp("small");
    let r = run(&d, &["--max-memory=1M"], "fn main() { print(\"hi\"); }");
    assert_eq!((r.code, r.stdout.as_str()), (0, "hi\n"), "{}", r.stderr);
    let r = run(&d, &["--max-memory=1M"], "fn f(n: int) -> int { return f(n + 1) + 1; }\nfn main() { print(f(0)); }");
    assert_eq!((r.code, first_line(&r.stderr)), (3, "error: out of memory"), "{}", r.stderr);
    let _ = std::fs::remove_dir_all(&d);
}

#[cfg(unix)]
#[test]
fn a_fifo_in_a_granted_folder_is_neither_read_nor_written() {
    let d = tmp("fifo");
    std::fs::create_dir_all(d.join("data")).unwrap();
    let fifo = d.join("data/pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // Safety: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let src = "fn main() {\n    print(fs.read(\"data/pipe\"));\n    print(fs.write(\"data/pipe\", \"x\"));\n    print(fs.append(\"data/pipe\", \"x\"));\n    print(fs.exists(\"data/pipe\"));\n}\n";
    let r = run(&d, &["--allow-read=data", "--allow-write=data", "--timeout=20s"], src);
    assert_eq!((r.code, r.stdout.as_str()), (0, "nil\nfalse\nfalse\ntrue\n"), "{}", r.stderr);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_silent_standard_input_does_not_outlast_the_timeout() {
    let d = tmp("stdin");
    std::fs::write(d.join("prog.kite"), "fn main() { print(\"waiting\"); print(io.read_line()); }\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vm"))
        .args(["run", "--timeout=300ms", "prog.kite"])
        .current_dir(&d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vm");
    // Keep the input open and silent until the program has ended.
    let input = child.stdin.take().unwrap();
    let out = child.wait_with_output().unwrap();
    drop(input);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "waiting\n");
    assert_eq!(first_line(&String::from_utf8_lossy(&out.stderr)), "error: timeout");
    // Input that does come is read as before.
    let mut child = Command::new(env!("CARGO_BIN_EXE_vm"))
        .args(["run", "--timeout=20s", "prog.kite"])
        .current_dir(&d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run vm");
    child.stdin.take().unwrap().write_all(b"hello\r\nmore\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "waiting\nhello\n");
    let _ = std::fs::remove_dir_all(&d);
}
