//! The examples in the documentation run: every ` ```kite ` block of `docs/language.md` and
//! `README.md` is written to a file in a temporary folder and run through the `vm` binary
//! in every tier, and must do exactly what its comments say.
//!
//! A block's info string is `kite` or `kite,ATTRIBUTE`:
//!
//! - `kite` — a complete program (it must contain `fn main`): run with
//!   `vm run --tier=TIER FLAGS FILE ARGS`.
//! - `kite,fragment` — statements: written as `fn main() { ` + the block + `\n}` (the
//!   wrapper shares the block's first line, so line numbers stay the block's), then run.
//! - `kite,items` — top-level declarations: `fn main() {}` is appended and the file is
//!   compiled (`vm check`).
//! - `kite,check` — a complete program that is compiled but not run (for example one that
//!   declares `extern` functions, which `vm run` does not provide).
//! - `kite,module=NAME` — a module: written as `NAME.kite` next to every later block of the
//!   same document, which may `import NAME;`.
//! - `kite,ignore` — left alone.
//!
//! The comments a block carries are those of the test programs (`tests/conformance.rs`):
//! `// expect: TEXT` (the next line of standard output), `// expect-trap: MESSAGE` (standard
//! error starts with `error: MESSAGE`, exit code 1, or the `// exit:` code; at the end of a
//! code line, the innermost frame is on that line), `// expect-error: TEXT` (compiling fails
//! with exit code 2 and an error on that line containing TEXT), `// exit: N`, `// args: A B`,
//! `// stdin: TEXT` and `// flags: --allow-read=. ...` (`vm run` flags, given before the
//! file). A run's standard output must equal its `// expect:` lines exactly (nothing when
//! there are none). Programs run with their temporary folder as the current directory, so
//! `--allow-read=.` grants that folder only.
//!
//! Each block is one test, named `DOCUMENT:LINE` after the line of its opening fence; a
//! failure says which document line the problem is on.

use libtest_mimic::{Arguments, Failed, Trial};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The tiers every example runs in.
const TIERS: &[&str] = &["interp", "jit", "auto"];

/// The documents whose examples are checked, relative to the workspace root.
const DOCUMENTS: &[&str] = &["docs/language.md", "README.md"];

/// What a block is, from its info string.
#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Program,
    Fragment,
    Items,
    Check,
    Module(String),
    Ignore,
}

/// One ` ```kite ` block of a document.
#[derive(Clone, Debug)]
struct Block {
    doc: &'static str,
    /// 1-based line of the opening fence; the block's line `n` is document line `fence + n`.
    fence: usize,
    kind: Kind,
    text: String,
}

impl Block {
    fn name(&self) -> String {
        format!("{}:{}", self.doc, self.fence)
    }
    /// The document line of the block's (and its file's) line `n`.
    fn doc_line(&self, n: usize) -> usize {
        self.fence + n
    }
    /// The text of the file to compile.
    fn source(&self) -> String {
        match self.kind {
            Kind::Fragment => format!("fn main() {{ {}\n}}\n", self.text),
            Kind::Items => format!("{}\nfn main() {{}}\n", self.text),
            _ => self.text.clone(),
        }
    }
}

fn kind_of(info: &str) -> Result<Option<Kind>, String> {
    let mut parts = info.split(',').map(str::trim);
    if parts.next() != Some("kite") {
        return Ok(None);
    }
    let kind = match parts.next() {
        None => Kind::Program,
        Some("fragment") => Kind::Fragment,
        Some("items") => Kind::Items,
        Some("check") => Kind::Check,
        Some("ignore") => Kind::Ignore,
        Some(m) if m.starts_with("module=") && m.len() > "module=".len() => Kind::Module(m["module=".len()..].into()),
        Some(other) => return Err(format!("unknown attribute {other:?} in ```{info}")),
    };
    match parts.next() {
        None => Ok(Some(kind)),
        Some(extra) => Err(format!("unexpected {extra:?} in ```{info}")),
    }
}

/// Every ` ```kite ` block of a document, or the problems found reading it (each with its line).
fn blocks(doc: &'static str, text: &str) -> (Vec<Block>, Vec<String>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else { continue };
        let kind = match kind_of(info.trim()) {
            Ok(k) => k,
            Err(e) => {
                problems.push(format!("{doc}:{}: {e}", i + 1));
                None
            }
        };
        let mut body = String::new();
        let mut closed = false;
        for (_, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                closed = true;
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        if !closed {
            problems.push(format!("{doc}:{}: code block is not closed", i + 1));
        }
        if let Some(kind) = kind {
            found.push(Block { doc, fence: i + 1, kind, text: body });
        }
    }
    (found, problems)
}

/// What a block's comments say should happen.
#[derive(Default, Debug)]
struct Spec {
    stdout: String,
    /// The trap message and, when written after code, the block line it happens on.
    trap: Option<(String, Option<usize>)>,
    /// Compile errors: block line and text.
    errors: Vec<(usize, String)>,
    exit: Option<i32>,
    args: Vec<String>,
    flags: Vec<String>,
    stdin: String,
}

/// The text after `// NAME:` on a line, and whether the comment is alone on its line.
fn directive<'a>(line: &'a str, name: &str) -> Option<(&'a str, bool)> {
    let pos = line.find(&format!("// {name}:"))?;
    let rest = &line[pos + name.len() + 4..];
    Some((rest.strip_prefix(' ').unwrap_or(rest), line[..pos].trim().is_empty()))
}

fn parse_spec(src: &str) -> Spec {
    let mut s = Spec::default();
    for (i, line) in src.lines().enumerate() {
        let n = i + 1;
        if let Some((t, _)) = directive(line, "expect") {
            s.stdout.push_str(t);
            s.stdout.push('\n');
        }
        if let Some((t, own_line)) = directive(line, "expect-trap") {
            s.trap = Some((t.to_string(), (!own_line).then_some(n)));
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

fn vm(dir: &Path, args: &[&str], stdin: &str) -> Result<Output, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vm"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start vm: {e}"))?;
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| format!("cannot run vm: {e}"))?;
    Ok(Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Splits compiler output into diagnostics: each `FILE:LINE:COL: error:` line with its
/// `= hint:` lines (the echoed source line, which holds the block's own comment, is left out).
fn diagnostics(stderr: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in stderr.lines() {
        if line.contains(": error: ") || out.is_empty() {
            out.push(String::new());
        } else if !line.trim_start().starts_with("= hint:") {
            continue;
        }
        if let Some(cur) = out.last_mut() {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    out
}

const FILE: &str = "example.kite";

fn check_compiles(b: &Block, dir: &Path, spec: &Spec) -> Result<(), String> {
    let out = vm(dir, &["check", FILE], "")?;
    if spec.errors.is_empty() {
        return match out.code {
            0 => Ok(()),
            code => Err(format!("vm check exited with {code}:\n{}", out.stderr)),
        };
    }
    let mut problems = Vec::new();
    if out.code != 2 {
        problems.push(format!("vm check exited with {} (expected 2, a compile error)", out.code));
    }
    let diags = diagnostics(&out.stderr);
    for (line, text) in &spec.errors {
        let on_line = |d: &String| d.lines().next().is_some_and(|h| h.contains(&format!("{FILE}:{line}:")));
        if !diags.iter().any(|d| on_line(d) && d.contains(text.as_str())) {
            problems.push(format!("no error on line {} containing {text:?}", b.doc_line(*line)));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\nstderr:\n{}", problems.join("\n"), out.stderr))
    }
}

fn check_run(b: &Block, spec: &Spec, out: &Output) -> Vec<String> {
    let mut problems = Vec::new();
    if out.stdout != spec.stdout {
        problems.push(format!("stdout differs\n--- expected\n{}--- actual\n{}", spec.stdout, out.stdout));
    }
    match &spec.trap {
        Some((msg, line)) => {
            let want = spec.exit.unwrap_or(1);
            if out.code != want {
                problems.push(format!("exit code {} (expected {want})", out.code));
            }
            let first = out.stderr.lines().next().unwrap_or("");
            if first != format!("error: {msg}") {
                problems.push(format!("stderr starts with {first:?}, expected \"error: {msg}\""));
            }
            if let Some(line) = line {
                let frame = out.stderr.lines().nth(1).unwrap_or("");
                if !frame.contains(&format!("{FILE}:{line}:")) {
                    problems.push(format!("innermost frame {frame:?} is not on line {}", b.doc_line(*line)));
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
    problems
}

fn run_block(b: &Block, modules: &[(String, String)], dir: &Path) -> Result<(), String> {
    if b.kind == Kind::Program && !b.text.contains("fn main") {
        return Err(
            "a ```kite block without `fn main` must be marked fragment, items, check, module=NAME or ignore".into()
        );
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, text) in modules {
        std::fs::write(dir.join(format!("{name}.kite")), text).map_err(|e| format!("cannot write module: {e}"))?;
    }
    let src = b.source();
    std::fs::write(dir.join(FILE), &src).map_err(|e| format!("cannot write example: {e}"))?;
    let spec = parse_spec(&src);
    if !spec.errors.is_empty() || matches!(b.kind, Kind::Items | Kind::Check) {
        return check_compiles(b, dir, &spec);
    }
    let mut failures = Vec::new();
    for tier in TIERS {
        let tier_flag = format!("--tier={tier}");
        let mut cmd = vec!["run", tier_flag.as_str()];
        cmd.extend(spec.flags.iter().map(String::as_str));
        cmd.push(FILE);
        cmd.extend(spec.args.iter().map(String::as_str));
        let out = vm(dir, &cmd, &spec.stdin)?;
        failures.extend(check_run(b, &spec, &out).into_iter().map(|p| format!("[{tier}] {p}")));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

fn trial(b: Block, modules: Vec<(String, String)>, scratch: PathBuf) -> Trial {
    let name = b.name();
    Trial::test(name.clone(), move || {
        let dir = scratch.join(name.replace(['/', ':', '.'], "_"));
        let result = run_block(&b, &modules, &dir);
        let _ = std::fs::remove_dir_all(&dir);
        result.map_err(|e| Failed::from(format!("the block at {name}: {e}")))
    })
}

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = std::env::temp_dir().join(format!("kite-doc-examples-{}", std::process::id()));
    let mut trials = Vec::new();
    for &doc in DOCUMENTS {
        let text = match std::fs::read_to_string(root.join(doc)) {
            Ok(t) => t,
            Err(e) => {
                let msg = format!("cannot read {doc}: {e}");
                trials.push(Trial::test(format!("{doc}: read"), move || Err(Failed::from(msg))));
                continue;
            }
        };
        let (found, problems) = blocks(doc, &text);
        if found.iter().all(|b| matches!(b.kind, Kind::Ignore | Kind::Module(_))) {
            let msg = format!("{doc} has no ```kite example to run");
            trials.push(Trial::test(format!("{doc}: has examples"), move || Err(Failed::from(msg))));
        }
        for p in problems {
            trials.push(Trial::test(format!("{doc}: markup"), move || Err(Failed::from(p))));
        }
        let mut modules: Vec<(String, String)> = Vec::new();
        for b in found {
            match &b.kind {
                Kind::Module(name) => modules.push((name.clone(), b.text.clone())),
                Kind::Ignore => trials.push(Trial::test(b.name(), || Ok(())).with_ignored_flag(true)),
                _ => trials.push(trial(b, modules.clone(), scratch.clone())),
            }
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    let _ = std::fs::remove_dir_all(&scratch);
    conclusion.exit();
}
