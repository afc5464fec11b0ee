//! The CLI's output and argument edges: lost output is an error, a closed pipe ends
//! quietly, bytecode is recognized by content, and limit values that could not be enforced
//! are refused.

#[path = "support/cli.rs"]
mod cli;
use cli::{tmp, vm};
use std::io::Read;
use std::process::{Command, Stdio};

#[cfg(target_os = "linux")]
fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full")
}

#[cfg(target_os = "linux")]
#[test]
fn output_that_cannot_be_written_is_an_error() {
    let d = tmp("full");
    let prog = d.join("hi.kite");
    std::fs::write(&prog, "fn main() { print(\"hi\"); }\n").unwrap();
    // The program's output.
    let out = vm().arg("run").arg(&prog).stdout(dev_full()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: cannot write output: "), "{err}");
    // The CLI's own reports.
    for cmd in ["disasm", "inspect"] {
        let out = vm().arg(cmd).arg(&prog).stdout(dev_full()).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: cannot write output: "), "{cmd}");
    }
    // Diagnostics to a full stderr: nothing can be said, the exit code still tells.
    let bad = d.join("bad.kite");
    std::fs::write(&bad, "fn main() { let x = 1 + 2.0; }\n").unwrap();
    for cmd in ["check", "build", "run"] {
        let out = vm().arg(cmd).arg(&bad).stderr(dev_full()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd}");
    }
    let trap = d.join("trap.kite");
    std::fs::write(&trap, "fn main() { panic(\"x\"); }\n").unwrap();
    let out = vm().arg("run").arg(&trap).stderr(dev_full()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&d);
}

/// Reads `n` bytes of the child's stdout, closes the pipe and waits.
fn read_then_close(mut cmd: Command, n: usize) -> std::process::ExitStatus {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = vec![0u8; n];
    out.read_exact(&mut buf).unwrap();
    drop(out);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(err, "", "nothing on stderr after a closed pipe");
    status
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let d = tmp("pipe");
    let prog = d.join("loop.kite");
    std::fs::write(&prog, "fn main() { var i = 0; while true { print(i); i += 1; } }\n").unwrap();
    let mut run = vm();
    run.arg("run").arg(&prog);
    let status = read_then_close(run, 100);
    assert!(status.success() || status.signal() == Some(libc_sigpipe()), "{status:?}");
    // A report larger than a pipe's buffer.
    let big = d.join("big.kite");
    let mut src = String::from("fn main() {\n");
    for i in 0..5000 {
        src.push_str(&format!("    print({i});\n"));
    }
    src.push_str("}\n");
    std::fs::write(&big, src).unwrap();
    let mut dis = vm();
    dis.arg("disasm").arg(&big);
    let status = read_then_close(dis, 100);
    assert!(status.success() || status.signal() == Some(libc_sigpipe()), "{status:?}");
    let _ = std::fs::remove_dir_all(&d);
}

#[cfg(unix)]
fn libc_sigpipe() -> i32 {
    13
}

#[test]
fn bytecode_is_recognized_by_content() {
    let d = tmp("magic");
    let prog = d.join("p.kite");
    std::fs::write(&prog, "fn main() { print(\"from bytecode\"); }\n").unwrap();
    let out_txt = d.join("out.txt");
    let b = vm().arg("build").arg(&prog).arg("-o").arg(&out_txt).output().unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    for cmd in ["run", "disasm", "inspect"] {
        let r = vm().arg(cmd).arg(&out_txt).output().unwrap();
        assert!(r.status.success(), "{cmd}: {}", String::from_utf8_lossy(&r.stderr));
    }
    let r = vm().arg("run").arg(&out_txt).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&r.stdout), "from bytecode\n");
    // Source named .bc is source.
    let src_bc = d.join("src.bc");
    std::fs::write(&src_bc, "fn main() { print(\"from source\"); }\n").unwrap();
    let r = vm().arg("run").arg(&src_bc).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&r.stdout), "from source\n", "{}", String::from_utf8_lossy(&r.stderr));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn timeouts_need_a_unit_and_at_least_a_millisecond() {
    let d = tmp("timeout");
    let prog = d.join("p.kite");
    std::fs::write(&prog, "fn main() { print(1); }\n").unwrap();
    for bad in ["0s", "1", "0.000001s", "0ms", "0.5ms", "-1s", "soon"] {
        let r = vm().arg("run").arg(format!("--timeout={bad}")).arg(&prog).output().unwrap();
        assert_eq!(r.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("500ms, 2s, 1.5m"), "{bad}: {err}");
        assert_eq!(r.stdout, b"", "{bad}");
    }
    for good in ["1ms", "2s", "1.5m"] {
        let r = vm().arg("run").arg(format!("--timeout={good}")).arg(&prog).output().unwrap();
        assert_eq!(r.status.code(), Some(0), "{good}");
    }
    let _ = std::fs::remove_dir_all(&d);
}
