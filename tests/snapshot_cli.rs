//! `vm run --snapshot-on --snapshot-to` and `vm resume`: the suspended and resumed parts
//! of a run print what the whole run prints, end with its exit code and use its fuel, in
//! every pair of tiers; input read before the snapshot is not read again; a signal
//! suspends; bad flags and bad snapshot files are clear errors.

#[path = "support/cli.rs"]
mod cli;
use cli::{tmp, vm};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const WORDS: &str = r#"
fn main() -> int {
    var sum = 0;
    let seen: {str: int} = {};
    var line = io.read_line();
    while line != nil {
        let w = line ?? "";
        seen[w] = (seen.get(w) ?? 0) + 1;
        var i = 0;
        while i < 3000 { sum += i % 7 + rand.int(0, 3); i += 1; }
        print(w, sum);
        line = io.read_line();
    }
    print(seen);
    return sum % 100;
}
"#;

/// Runs `cmd` with `input` on its standard input.
fn run_with_input(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn fuel_used(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let at = err.find("fuel used ").unwrap_or_else(|| panic!("no --stats in {err}"));
    err[at..].split(',').next().unwrap().to_string()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn suspend(prog: &Path, tier: &str, k: u64, snap: &Path, input: &str) -> Output {
    let mut cmd = vm();
    cmd.args(["run", "--seed=9", &format!("--tier={tier}"), &format!("--snapshot-on=fuel:{k}")])
        .arg(format!("--snapshot-to={}", snap.display()))
        .arg(prog);
    run_with_input(cmd, input)
}

fn resume(snap: &Path, tier: &str, input: &str) -> Output {
    let mut cmd = vm();
    cmd.args(["resume", "--stats", "--jit-threshold=1", &format!("--tier={tier}")]).arg(snap);
    run_with_input(cmd, input)
}

#[test]
fn suspended_and_resumed_runs_match_the_whole_run_in_every_tier_pair() {
    let d = tmp("pairs");
    let prog = d.join("words.kite");
    std::fs::write(&prog, WORDS).unwrap();
    let input = "a\nb\na\nc\n";
    let mut whole = vm();
    whole.args(["run", "--stats", "--seed=9"]).arg(&prog);
    let whole = run_with_input(whole, input);
    let want_code = whole.status.code();
    assert!(whole.status.success() || want_code.unwrap() > 4);
    let snap = d.join("run.snap");
    for (from, to) in [("interp", "jit"), ("jit", "interp"), ("auto", "auto")] {
        for k in [1, 4500, 9001] {
            let first = suspend(&prog, from, k, &snap, input);
            assert_eq!(first.status.code(), Some(4), "{}", String::from_utf8_lossy(&first.stderr));
            assert!(String::from_utf8_lossy(&first.stderr).contains("snapshot written to"));
            // The input was read into the first process: the resumed one gets none.
            let second = resume(&snap, to, "");
            assert_eq!(text(&first) + &text(&second), text(&whole), "{from}->{to} at {k}");
            assert_eq!(second.status.code(), want_code, "{from}->{to} at {k}");
            assert_eq!(fuel_used(&second), fuel_used(&whole), "{from}->{to} at {k}");
        }
    }
    // Snapshots of the same point are the same bytes in every tier.
    let bytes: Vec<Vec<u8>> = ["interp", "jit", "auto"]
        .iter()
        .map(|t| {
            suspend(&prog, t, 4500, &snap, input);
            std::fs::read(&snap).unwrap()
        })
        .collect();
    assert!(bytes.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn the_resumed_program_reads_the_unread_input_then_its_own() {
    let d = tmp("input");
    let prog = d.join("words.kite");
    std::fs::write(&prog, WORDS).unwrap();
    let mut whole = vm();
    whole.args(["run", "--seed=9"]).arg(&prog);
    let whole = run_with_input(whole, "x\ny\nz\nw\n");
    let snap = d.join("run.snap");
    // The first process is given only the first part of the input.
    let first = suspend(&prog, "interp", 3500, &snap, "x\ny\n");
    assert_eq!(first.status.code(), Some(4));
    // It suspends while counting the second word, having printed the first.
    assert_eq!(text(&first), text(&whole).lines().next().unwrap().to_string() + "\n");
    // What it needs and carries: its imports (grants are given again on resume) and the
    // state of its random generator.
    let report = text(&vm().arg("inspect").arg(&snap).output().unwrap());
    for line in [
        "imports    2\n  capability io.read_line() -> str?\n  capability rand.int(int, int) -> int\n",
        "seed       9\n",
        "host state rand (32 bytes)\n",
    ] {
        assert!(report.contains(line), "no {line:?} in\n{report}");
    }
    let second = resume(&snap, "interp", "z\nw\n");
    assert_eq!(text(&first) + &text(&second), text(&whole));
}

#[cfg(unix)]
#[test]
fn a_signal_suspends_a_running_program() {
    let d = tmp("signal");
    let prog = d.join("spin.kite");
    std::fs::write(&prog, "fn main() { var i = 0; var s = 0; while i >= 0 { s += i % 13; i += 1; } print(s); }\n")
        .unwrap();
    let snap = d.join("spin.snap");
    let child = vm()
        .args(["run", "--snapshot-on=SIGUSR1"])
        .arg(format!("--snapshot-to={}", snap.display()))
        .arg(&prog)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Safety: sending a signal to our own child process, which is still running (it loops
    // until signalled).
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGUSR1) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    // The resumed loop goes on until the limits of the resuming process stop it.
    let r = vm().args(["resume", "--timeout=200ms"]).arg(&snap).output().unwrap();
    assert_eq!(r.status.code(), Some(3), "{}", String::from_utf8_lossy(&r.stderr));
    let msg = String::from_utf8_lossy(&r.stderr);
    assert!(msg.starts_with("error: timeout\n  at main (") && msg.contains("spin.kite:1:"), "{msg}");
}

#[test]
fn bad_flags_and_bad_snapshots_are_clear_errors() {
    let d = tmp("errors");
    let prog = d.join("p.kite");
    std::fs::write(&prog, "fn main() { print(1); }\n").unwrap();
    let err = |o: Output| (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned());

    let (code, msg) = err(vm().args(["run", "--snapshot-on=fuel:10"]).arg(&prog).output().unwrap());
    assert_eq!(code, Some(2));
    assert!(msg.contains("--snapshot-to"), "{msg}");
    for bad in ["fuel:", "fuel:x", "SIGKILL", "later"] {
        let (code, msg) = err(vm()
            .args(["run", &format!("--snapshot-on={bad}"), "--snapshot-to=x.snap"])
            .arg(&prog)
            .output()
            .unwrap());
        assert_eq!(code, Some(2), "{bad}: {msg}");
        assert!(msg.contains("--snapshot-on"), "{bad}: {msg}");
    }
    // A program that ends before the trigger just ends, writing nothing (and leaving no
    // temporary file behind).
    let snap = d.join("never.snap");
    let o = suspend(&prog, "auto", 1000, &snap, "");
    assert_eq!((o.status.code(), text(&o)), (Some(0), "1\n".to_string()));
    assert!(!snap.exists());
    let left: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 1, "{left:?}");
    // A destination that cannot be written is an error before the program starts, not a
    // run lost when it stops.
    for (to, why) in [(d.join("no-such-folder").join("x.snap"), "No such file"), (d.clone(), "it is a folder")] {
        let (code, msg) = err(vm()
            .args(["run", "--snapshot-on=fuel:1", &format!("--snapshot-to={}", to.display())])
            .arg(&prog)
            .output()
            .unwrap());
        assert_eq!(code, Some(2), "{msg}");
        assert!(msg.starts_with("error: cannot write the snapshot to ") && msg.contains(why), "{msg}");
    }
    let o = vm()
        .args(["run", "--snapshot-on=fuel:1"])
        .arg(format!("--snapshot-to={}", d.display()))
        .arg(&prog)
        .output()
        .unwrap();
    assert!(o.stdout.is_empty(), "the program ran: {}", text(&o));

    // A resumed program that does not fit under the memory limit hits the limit.
    let big = d.join("big.kite");
    std::fs::write(&big, "fn main() { let s = \"x\".repeat(1 << 20); var i = 0; while i < 100000 { i += s.len() / (1 << 20); } print(i); }\n").unwrap();
    let snap = d.join("big.snap");
    let o = suspend(&big, "auto", 10, &snap, "");
    assert_eq!(o.status.code(), Some(4), "{}", String::from_utf8_lossy(&o.stderr));
    let (code, msg) = err(vm().args(["resume", "--max-memory=512K"]).arg(&snap).output().unwrap());
    assert_eq!(code, Some(3), "{msg}");
    assert!(msg.starts_with("error: out of memory: ") && msg.contains("more than the limit of 524288"), "{msg}");
    let o = vm().args(["resume", "--max-memory=8M"]).arg(&snap).output().unwrap();
    assert_eq!((o.status.code(), text(&o)), (Some(0), "100000\n".to_string()));

    let (code, msg) = err(vm().arg("resume").arg(&prog).output().unwrap());
    assert_eq!(code, Some(2));
    assert!(msg.contains("not a Kite snapshot"), "{msg}");
    let (code, msg) = err(vm().arg("resume").arg(d.join("missing.snap")).output().unwrap());
    assert_eq!(code, Some(2));
    assert!(msg.contains("missing.snap"), "{msg}");
}

const DEEP: &str = r#"
let names: [str] = ["a", "bb", "ccc"];
fn down(n: int, acc: [int]) -> int {
    if n == 0 {
        var s = 0;
        var i = 0;
        while i < 100000 { s += i % 3; i += 1; }
        return s;
    }
    acc.push(n);
    let r = down(n - 1, acc);
    return r + acc.len();
}
fn main() {
    let counts: {str: int} = {"x": 1};
    print(down(3, []) + counts.len(), names.len());
}
"#;

/// `DEEP` as source, as bytecode, and suspended after 2000 units of fuel in `tier` (from
/// the file `from`: "kite" or "bc"), in a scratch folder named `name`.
fn deep_files(name: &str, tier: &str, from: &str) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    let d = tmp(name);
    let prog = d.join("deep.kite");
    std::fs::write(&prog, DEEP).unwrap();
    let bc = d.join("deep.bc");
    assert!(vm().arg("build").arg(&prog).arg("-o").arg(&bc).status().unwrap().success());
    let snap = d.join("deep.snap");
    let o = suspend(if from == "bc" { &bc } else { &prog }, tier, 2000, &snap, "");
    assert_eq!(o.status.code(), Some(4), "{}", String::from_utf8_lossy(&o.stderr));
    (d, prog, bc, snap)
}

#[test]
fn inspect_describes_a_snapshot_and_disasm_shows_its_program() {
    let (d, _, bc, snap) = deep_files("inspect", "auto", "bc");

    let o = vm().arg("inspect").arg(&snap).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let report = text(&o);
    for line in [
        "snapshot   version 1.0, checksum ok, verified\n",
        "state      suspended in 5 frames\n",
        "fuel used  2000\n",
        "seed       9\n",
        "arguments  0\n",
        "input      0 bytes read from stdin and not consumed\n",
        "         1 maps\n",
        "         2 arrays\n",
        "frames     5, innermost first\n",
    ] {
        assert!(report.contains(line), "no {line:?} in\n{report}");
    }
    // Innermost first: the loop the countdown stopped in, the three calls, then main.
    let frames: Vec<&str> = report.lines().filter(|l| l.starts_with("  at ")).collect();
    assert_eq!(frames.len(), 5, "{report}");
    assert!(frames[0].starts_with("  at down (") && frames[0].ends_with("deep.kite:7:15)"), "{report}");
    assert!(frames[1..4].iter().all(|f| f.starts_with("  at down (") && f.ends_with("deep.kite:11:13)")), "{report}");
    assert!(frames[4].starts_with("  at main (") && frames[4].ends_with("deep.kite:16:11)"), "{report}");
    // The program is the very bytecode that was suspended.
    let digest = |r: &str, key: &str| {
        r.lines().find(|l| l.starts_with(key)).map(|l| l.split_whitespace().nth(1).unwrap().to_string())
    };
    let of_bc = text(&vm().arg("inspect").arg(&bc).output().unwrap());
    assert_eq!(digest(&report, "program"), digest(&of_bc, "digest"), "{report}\n{of_bc}");
    let disasm = |f: &Path| text(&vm().arg("disasm").arg(f).output().unwrap());
    assert_eq!(disasm(&snap), disasm(&bc));

    // A damaged snapshot is refused as `vm resume` refuses it, with the byte offset.
    let mut bytes = std::fs::read(&snap).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let bad = d.join("bad.snap");
    std::fs::write(&bad, &bytes).unwrap();
    let o = vm().arg("inspect").arg(&bad).output().unwrap();
    let msg = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{msg}");
    assert!(msg.contains("invalid snapshot: at byte 8: the body does not match"), "{msg}");
    assert!(o.stdout.is_empty());
}

#[test]
fn a_snapshot_or_bytecode_where_another_file_is_expected_names_the_command_that_takes_it() {
    let (_, prog, bc, snap) = deep_files("kinds", "interp", "kite");
    let err = |args: &[&str], f: &Path| {
        let o = vm().args(args).arg(f).output().unwrap();
        assert!(o.stdout.is_empty(), "{args:?}");
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    for cmd in [&["run"][..], &["check"], &["build"]] {
        let (code, msg) = err(cmd, &snap);
        assert_eq!(code, Some(2), "{cmd:?}: {msg}");
        assert!(msg.contains("is a snapshot of a suspended program: continue it with `vm resume "), "{cmd:?}: {msg}");
    }
    for cmd in ["check", "build"] {
        let (code, msg) = err(&[cmd], &bc);
        assert_eq!(code, Some(2), "{cmd}: {msg}");
        assert!(msg.contains(&format!("is Kite bytecode, not source: vm {cmd} takes a .kite file")), "{cmd}: {msg}");
    }
    let (code, msg) = err(&["resume"], &bc);
    assert_eq!(code, Some(2), "{msg}");
    assert!(msg.contains("is Kite bytecode, not a snapshot: run it with `vm run "), "{msg}");
    // And the snapshot still resumes to the whole run's output.
    let whole = vm().arg("run").arg(&prog).output().unwrap();
    let o = vm().arg("resume").arg(&snap).output().unwrap();
    assert_eq!((o.status.code(), text(&o)), (whole.status.code(), text(&whole)));
}
