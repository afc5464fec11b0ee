//! `vm run` as a sandbox: reads outside the granted folders (relative, `..`, absolute,
//! through a symbolic link) and writes without `--allow-write` end in `capability
//! denied`; limits end in their traps with exit code 3; bad flags are usage errors.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `vm run FLAGS prog.kite` in `dir`, with `src` as the program.
fn run_in(dir: &Path, flags: &[&str], src: &str) -> Run {
    std::fs::write(dir.join("prog.kite"), src).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vm"))
        .arg("run")
        .args(flags)
        .arg("prog.kite")
        .current_dir(dir)
        .output()
        .expect("run vm");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh folder with `data/in.txt`, `secret.txt` and, on Unix, `data/link` pointing
/// at the secret.
fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kite-sandbox-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("data")).unwrap();
    std::fs::write(d.join("data/in.txt"), "inside").unwrap();
    std::fs::write(d.join("secret.txt"), "secret").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(d.join("secret.txt"), d.join("data/link")).unwrap();
        std::os::unix::fs::symlink("../secret.txt", d.join("data/rel_link")).unwrap();
    }
    d
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[test]
fn reads_outside_the_grant_are_denied() {
    let d = workdir("read");
    let ok = run_in(&d, &["--allow-read=data"], "fn main() { print(fs.read(\"data/in.txt\")); }");
    assert_eq!((ok.code, ok.stdout.as_str()), (0, "inside\n"), "{}", ok.stderr);
    let secret = d.join("secret.txt");
    let mut paths = vec!["secret.txt".to_string(), "../secret.txt".into(), "data/../secret.txt".into()];
    paths.push(secret.to_str().unwrap().to_string());
    for p in &paths {
        let r = run_in(&d, &["--allow-read=data"], &format!("fn main() {{ print(fs.read({p:?})); }}"));
        assert_eq!(r.code, 1, "{p}: {}", r.stderr);
        assert_eq!(
            first_line(&r.stderr),
            format!(
                "error: capability denied: fs.read {p:?} is outside the readable folders (grant with --allow-read=DIR)"
            )
        );
        assert!(r.stderr.contains("  at main (prog.kite:1:"), "{}", r.stderr);
        assert!(!r.stdout.contains("secret"));
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[cfg(unix)]
#[test]
fn symbolic_links_cannot_lead_out_of_a_grant() {
    let d = workdir("link");
    for p in ["data/link", "data/rel_link"] {
        let r = run_in(&d, &["--allow-read=data"], &format!("fn main() {{ print(fs.read({p:?})); }}"));
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_eq!(
            first_line(&r.stderr),
            format!(
                "error: capability denied: fs.read {p:?} leads outside the readable folders through a symbolic link (grant with --allow-read=DIR)"
            )
        );
        let w = run_in(&d, &["--allow-write=data"], &format!("fn main() {{ print(fs.write({p:?}, \"pwned\")); }}"));
        assert_eq!(w.code, 1, "{}", w.stderr);
        assert!(first_line(&w.stderr).starts_with("error: capability denied: fs.write"), "{}", w.stderr);
    }
    assert_eq!(std::fs::read_to_string(d.join("secret.txt")).unwrap(), "secret");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn writes_need_allow_write() {
    let d = workdir("write");
    let src = "fn main() { print(fs.write(\"data/out.txt\", \"x\")); print(fs.append(\"data/out.txt\", \"y\")); }";
    let r = run_in(&d, &["--allow-read=data"], src);
    assert_eq!(r.code, 1);
    assert_eq!(
        first_line(&r.stderr),
        "error: capability denied: fs.write \"data/out.txt\" is outside the writable folders (grant with --allow-write=DIR)"
    );
    assert!(!d.join("data/out.txt").exists());
    let r = run_in(&d, &["--allow-write=data"], src);
    assert_eq!((r.code, r.stdout.as_str()), (0, "true\ntrue\n"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(d.join("data/out.txt")).unwrap(), "xy");
    let r = run_in(&d, &["--allow-write=data"], "fn main() { print(fs.write(\"out.txt\", \"x\")); }");
    assert_eq!(r.code, 1);
    assert!(!d.join("out.txt").exists());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn limits_end_in_clean_traps() {
    let d = workdir("limits");
    let cases: &[(&[&str], &str, &str)] = &[
        (&["--fuel=5000"], "fn main() { var i = 0; while true { i += 1; } }", "out of fuel"),
        (&["--timeout=200ms"], "fn main() { var i = 0; while true { i += 1; } }", "timeout"),
        (
            &["--max-memory=16M"],
            "fn main() { let xs = [1]; while true { let c = xs.slice(0, xs.len()); for x in c { xs.push(x); } } }",
            "out of memory",
        ),
        (&[], "fn f(n: int) -> int { return f(n + 1) + 1; }\nfn main() { print(f(0)); }", "stack overflow"),
        (&["--max-memory=1M"], "fn main() { print(\"ab\".repeat(1000000).len()); }", "out of memory"),
        (&[], "fn main() { print(\"ab\".repeat(1 << 40).len()); }", "out of memory"),
    ];
    for (flags, src, msg) in cases {
        let r = run_in(&d, flags, src);
        assert_eq!(r.code, 3, "{flags:?} {src}: {}", r.stderr);
        assert_eq!(first_line(&r.stderr), format!("error: {msg}"), "{flags:?}");
        assert!(r.stderr.lines().nth(1).is_some_and(|l| l.starts_with("  at ")), "{}", r.stderr);
        // A deep trace is shortened.
        assert!(r.stderr.lines().count() <= 52, "{}", r.stderr.lines().count());
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn fuel_is_deterministic_and_reported() {
    let d = workdir("fuel");
    let src = "fn main() { var i = 0; while true { print(i); i += 1; } }";
    let a = run_in(&d, &["--fuel=777"], src);
    let b = run_in(&d, &["--fuel=777"], src);
    assert_eq!(a.code, 3);
    assert_eq!(a.stdout, b.stdout);
    // Each unit pays for one backward jump: 777 jumps, 778 passes through the body.
    assert_eq!(a.stdout.lines().count(), 778);
    let r = run_in(&d, &["--stats"], "fn main() { var t = 0; for i in 0..100 { t += i; } print(t); }");
    assert_eq!(r.stdout, "4950\n");
    // About one unit per iteration (how many exactly depends on the loop's lowering).
    let used: u64 = r.stderr.split("fuel used ").nth(1).and_then(|t| t.split(',').next()?.parse().ok()).unwrap();
    assert!((99..=101).contains(&used), "{}", r.stderr);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_flags_and_missing_imports_are_usage_errors() {
    let d = workdir("usage");
    let src = "fn main() {}";
    let r = run_in(&d, &["--allow-read=nope"], src);
    assert_eq!((r.code, first_line(&r.stderr)), (2, "error: --allow-read=nope: no such folder"));
    let r = run_in(&d, &[], "extern \"app\" fn log(msg: str);\nfn main() { print(\"ran\"); log(\"x\"); }");
    assert_eq!(
        (r.code, first_line(&r.stderr), r.stdout.as_str()),
        (2, "error: the program imports app.log(str), which the host does not provide", "")
    );
    for flags in [["--max-memory=lots"], ["--timeout=soon"], ["--fuel=-1"]] {
        assert_eq!(run_in(&d, &flags, src).code, 2, "{flags:?}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// Runs `vm run FLAGS prog.kite ARGS` in `dir`.
fn run_with_args(dir: &Path, flags: &[&str], src: &str, args: &[&str]) -> Run {
    std::fs::write(dir.join("prog.kite"), src).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vm"))
        .arg("run")
        .args(flags)
        .arg("prog.kite")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run vm");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn words_after_the_program_file_are_the_programs_and_grant_nothing() {
    let d = workdir("args");
    // The program prints its arguments, then uses every capability a flag could grant.
    let src = "fn main() {\n    print(env.args());\n    print(fs.read(\"secret.txt\"));\n}\n";
    for word in [
        "--allow-read=.",
        "--allow-read",
        "--allow-write=.",
        "--allow-env",
        "--allow-time",
        "--fuel=1",
        "--max-memory=1K",
        "--max-depth=1",
        "--timeout=1ms",
        "--seed=3",
        "--stats",
        "--tier=interp",
        "--help",
        "-h",
        "--",
        "-",
    ] {
        let r = run_with_args(&d, &[], src, &[word, "x"]);
        assert_eq!(r.stdout, format!("[{word:?}, \"x\"]\n"), "{word}: {}", r.stderr);
        assert_eq!(r.code, 1, "{word}: {}", r.stderr);
        assert_eq!(
            first_line(&r.stderr),
            "error: capability denied: fs.read \"secret.txt\" is outside the readable folders (grant with --allow-read=DIR)",
            "{word}"
        );
    }
    let env = run_with_args(&d, &[], "fn main() { print(env.get(\"HOME\")); }", &["--allow-env"]);
    assert!(first_line(&env.stderr).starts_with("error: capability denied: env.get"), "{}", env.stderr);
    let time = run_with_args(&d, &[], "fn main() { print(time.mono_ns() > 0); }", &["--allow-time"]);
    assert!(first_line(&time.stderr).starts_with("error: capability denied: time.mono_ns"), "{}", time.stderr);
    // Flags before the file still apply; `--` may end them.
    let r = run_with_args(&d, &["--allow-read=."], src, &["a"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "[\"a\"]\nsecret\n"), "{}", r.stderr);
    let r = run_with_args(&d, &["--allow-read=.", "--"], src, &["--fuel=1"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "[\"--fuel=1\"]\nsecret\n"), "{}", r.stderr);
    // `vm run --help` still explains itself.
    let help = Command::new(env!("CARGO_BIN_EXE_vm")).args(["run", "--help"]).output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("Every word after the program file is the program's"));
    let _ = std::fs::remove_dir_all(&d);
}
