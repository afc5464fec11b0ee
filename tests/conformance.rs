//! The conformance suite: every `tests/**/*.kite` and `examples/*.kite` program (except
//! `_*.kite` modules they import; scripts in subfolders of `examples/` belong to the Rust
//! embedding examples) runs through the `vm` binary in every tier, from source and from a
//! built `.bc`, and must produce exactly what its comments say:
//!
//! - `// expect: TEXT` — the next line of standard output.
//! - `// expect-trap: MESSAGE` — stderr starts with `error: MESSAGE`, exit code 1 (3 with
//!   `// exit: 3`); written at the end of a code line, the innermost frame is on that line.
//! - `// expect-error: TEXT` — a compile error on this line: exit code 2 and stderr has
//!   `:LINE:` and TEXT.
//! - `// exit: N`, `// args: A B`, `// stdin: TEXT` — exit code, arguments, input lines.
//! - `// flags: --fuel=N --allow-read=DIR ...` — `vm run` flags (grants and limits), given
//!   before the program file; relative folders are taken from the workspace root.

use libtest_mimic::{Arguments, Failed, Trial};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The tiers every program runs in, with the flags that pick them. `auto` runs with a low
/// JIT threshold, so that in these short programs functions are compiled as they run and
/// loops are entered natively in the middle of a running frame.
const TIERS: &[(&str, &[&str])] =
    &[("interp", &["--tier=interp"]), ("jit", &["--tier=jit"]), ("auto", &["--tier=auto", "--jit-threshold=7"])];

#[derive(Default, Debug)]
struct Spec {
    stdout: String,
    trap: Option<(String, Option<usize>)>,
    errors: Vec<(usize, String)>,
    exit: Option<i32>,
    args: Vec<String>,
    flags: Vec<String>,
    stdin: String,
}

fn directive<'a>(line: &'a str, name: &str) -> Option<(&'a str, bool)> {
    let pos = line.find(&format!("// {name}:"))?;
    let rest = &line[pos + name.len() + 4..];
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let own_line = line[..pos].trim().is_empty();
    Some((rest, own_line))
}

fn parse_spec(src: &str) -> Spec {
    let mut s = Spec::default();
    for (i, line) in src.lines().enumerate() {
        let n = i + 1;
        if let Some((t, _)) = directive(line, "expect") {
            s.stdout.push_str(t);
            s.stdout.push('\n');
        }
        if let Some((t, own)) = directive(line, "expect-trap") {
            s.trap = Some((t.to_string(), if own { None } else { Some(n) }));
        }
        if let Some((t, _)) = directive(line, "expect-error") {
            s.errors.push((n, t.to_string()));
        }
        if let Some((t, _)) = directive(line, "exit") {
            s.exit = t.trim().parse().ok();
        }
        if let Some((t, _)) = directive(line, "flags") {
            s.flags = t.split_whitespace().map(String::from).collect();
        }
        if let Some((t, _)) = directive(line, "args") {
            s.args = t.split_whitespace().map(String::from).collect();
        }
        if let Some((t, _)) = directive(line, "stdin") {
            s.stdin.push_str(t);
            s.stdin.push('\n');
        }
    }
    s
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn vm(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vm"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vm");
    let mut input = child.stdin.take().expect("stdin");
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    let out = child.wait_with_output().expect("run vm");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn check_run(what: &str, spec: &Spec, out: &Output) -> Result<(), String> {
    let mut problems = Vec::new();
    if out.stdout != spec.stdout {
        problems.push(format!("stdout differs\n--- expected\n{}--- actual\n{}", spec.stdout, out.stdout));
    }
    match &spec.trap {
        Some((msg, line)) => {
            let want_code = spec.exit.unwrap_or(1);
            if out.code != want_code {
                problems.push(format!("exit code {} (expected {want_code})", out.code));
            }
            let first = out.stderr.lines().next().unwrap_or("");
            if first != format!("error: {msg}") {
                problems.push(format!("stderr starts with {first:?}, expected \"error: {msg}\""));
            }
            if let Some(line) = line {
                let frame = out.stderr.lines().nth(1).unwrap_or("");
                if !frame.contains(&format!(":{line}:")) {
                    problems.push(format!("innermost frame {frame:?} is not on line {line}"));
                }
            }
        }
        None => {
            let want = spec.exit.unwrap_or(0);
            if out.code != want {
                problems.push(format!("exit code {} (expected {want})\nstderr:\n{}", out.code, out.stderr));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{what}: {}", problems.join("\n")))
    }
}

/// Splits compiler output into diagnostics: each is a `FILE:LINE:COL: error:` line and
/// its `= hint:` lines. The echoed source line is left out: it holds the test's own
/// `// expect-error:` comment, which would match any message.
fn diagnostics(stderr: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in stderr.lines() {
        if line.contains(": error: ") || out.is_empty() {
            out.push(String::new());
        } else if !line.trim_start().starts_with("= hint:") {
            continue;
        }
        let cur = out.last_mut().expect("a diagnostic");
        cur.push_str(line);
        cur.push('\n');
    }
    out
}

fn run_file(path: &Path) -> Result<(), Failed> {
    let src = std::fs::read_to_string(path).map_err(|e| format!("read: {e}"))?;
    let spec = parse_spec(&src);
    let file = path.to_str().ok_or("path is not UTF-8")?;
    if !spec.errors.is_empty() {
        let out = vm(&["check", file], "");
        let mut problems = Vec::new();
        if out.code != 2 {
            problems.push(format!("exit code {} (expected 2)", out.code));
        }
        for (line, text) in &spec.errors {
            let found = diagnostics(&out.stderr).iter().any(|d| {
                d.lines().next().is_some_and(|h| h.contains(&format!(":{line}:"))) && d.contains(text.as_str())
            });
            if !found {
                problems.push(format!("no error on line {line} containing {text:?}"));
            }
        }
        if !problems.is_empty() {
            return Err(format!("{}\nstderr:\n{}", problems.join("\n"), out.stderr).into());
        }
        return Ok(());
    }
    let mut failures = Vec::new();
    let args: Vec<&str> = spec.args.iter().map(String::as_str).collect();
    let flags: Vec<&str> = spec.flags.iter().map(String::as_str).collect();
    for (tier, tier_flags) in TIERS {
        let mut cmd = vec!["run"];
        cmd.extend(tier_flags.iter());
        cmd.extend(&flags);
        cmd.push(file);
        cmd.extend(&args);
        if let Err(e) = check_run(&format!("[{tier}, source]"), &spec, &vm(&cmd, &spec.stdin)) {
            failures.push(e);
        }
    }
    // The same program through a .bc file.
    let dir = std::env::temp_dir().join(format!("kite-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let bc = dir.join(format!("{}.bc", file.replace(['/', '\\'], "_")));
    let bc_s = bc.to_str().ok_or("temp path is not UTF-8")?;
    let built = vm(&["build", file, "-o", bc_s], "");
    if built.code != 0 {
        failures.push(format!("vm build failed ({}):\n{}", built.code, built.stderr));
    } else {
        for (tier, tier_flags) in TIERS {
            let mut cmd = vec!["run"];
            cmd.extend(tier_flags.iter());
            cmd.extend(&flags);
            cmd.push(bc_s);
            cmd.extend(&args);
            if let Err(e) = check_run(&format!("[{tier}, .bc]"), &spec, &vm(&cmd, &spec.stdin)) {
                failures.push(e);
            }
        }
        let _ = std::fs::remove_file(&bc);
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

fn collect(dir: &Path, recurse: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if recurse {
                collect(&p, recurse, out);
            }
        } else if p.extension().is_some_and(|x| x == "kite")
            && !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('_'))
        {
            out.push(p);
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(root).expect("cd to the workspace");
    let mut files = Vec::new();
    collect(Path::new("tests"), true, &mut files);
    collect(Path::new("examples"), false, &mut files);
    files.sort();
    let trials = files
        .into_iter()
        .map(|p| {
            let name = p.to_string_lossy().into_owned();
            Trial::test(name, move || run_file(&p))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
