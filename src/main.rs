//! `vm`: build, check, disassemble and run Kite programs.

mod fuzz;
mod inspect;
mod load;
mod output;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};
use kite::{Capabilities, Config, Engine, EngineExt, Error, Limits, Linker, Store};
use kite_vm::bytecode::{decode::decode, disasm::disassemble, encode::encode, verify, Module};
use kite_vm::exec::Tier;
use kite_vm::sandbox::DEFAULT_MAX_DEPTH;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for usage, compile and load errors.
const EXIT_USAGE: u8 = 2;
/// Exit code of a resource limit (as a trap of kind `Limit` ends a run).
const EXIT_LIMIT: u8 = 3;
/// Exit code of a run suspended for a snapshot (`--snapshot-on`).
const EXIT_SUSPENDED: u8 = 4;

#[derive(Parser)]
#[command(name = "vm", version, about = "Kite: compile and run programs on a portable bytecode VM")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a program (.kite source, compiled on the fly, or .bc bytecode).
    ///
    /// Exit code: 0 on success (or the value `fn main() -> int` returns), 1 on a trap,
    /// 2 on a usage, compile or load error, 3 when a resource limit is hit, 4 when
    /// suspended for a snapshot (--snapshot-on).
    #[command(override_usage = "vm run [OPTIONS] [--] FILE [ARGS]...")]
    Run(RunArgs),
    /// Continue a program from a snapshot written by `vm run --snapshot-on` (in any tier,
    /// on any machine). Grants and limits are given again and may differ from the first
    /// run's; the program keeps its arguments, seed and the input it had not consumed.
    /// Exit codes as for `vm run`.
    Resume {
        #[command(flatten)]
        flags: RunFlags,
        /// The snapshot file.
        snapshot: PathBuf,
    },
    /// Compile a .kite program to a .bc bytecode file.
    Build {
        /// The main source file.
        file: PathBuf,
        /// Where to write the bytecode (default: FILE with the extension .bc).
        #[arg(short, long, value_name = "OUT.bc")]
        output: Option<PathBuf>,
    },
    /// Type-check a .kite program without running it; prints every error found, or `FILE: ok`.
    Check {
        /// The main source file.
        file: PathBuf,
    },
    /// Print the bytecode of a program (.kite, .bc, or the program a snapshot holds) in
    /// readable form.
    Disasm {
        /// A .kite source file, a .bc bytecode file or a snapshot.
        file: PathBuf,
        /// `interp` (default): the bytecode. `jit`: what the JIT makes of each function —
        /// its Cranelift IR after optimization, its machine code, and the code's size.
        #[arg(long, default_value = "interp", value_name = "TIER", value_parser = tier_parser())]
        tier: Tier,
        /// Only the functions of this name (`main`, `Point.norm`).
        #[arg(long, value_name = "NAME")]
        function: Option<String>,
    },
    /// Describe a bytecode file: version, digest, size, functions, the imports it needs
    /// (capability modules and host functions, with signatures) and its exports. Of a
    /// snapshot: the program's digest and imports, where it stopped (its frames), fuel used, seed,
    /// arguments, unread input and its heap by kind of object — after checking it as
    /// `vm resume` would.
    Inspect {
        /// A .bc bytecode file, a snapshot (or a .kite program, compiled first).
        file: PathBuf,
    },
    /// Print a random, well-typed, terminating program (the differential fuzzer's), as a
    /// readable reproducer: the same seed always gives the same program.
    Gen {
        /// Which program.
        #[arg(long, default_value_t = 0, value_name = "N")]
        seed: u64,
        /// Write main.kite (and the module it imports) into this folder instead.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Differential fuzzing: run generated programs in every tier (interpreter, JIT, auto
    /// with several thresholds) and from bytecode, and report any difference in output,
    /// trap, trace, exit code or fuel. Prints programs per second as it goes; exit code 1
    /// if any program diverged (each is kept, with what differed, under --keep).
    Fuzz {
        /// The first seed.
        #[arg(long, default_value_t = 0, value_name = "N")]
        seed: u64,
        /// Stop after this many programs.
        #[arg(long, value_name = "N")]
        programs: Option<u64>,
        /// Stop after this much time (500ms, 30s, 10m; default: 1000 programs).
        #[arg(long, value_name = "TIME", value_parser = parse_duration)]
        time: Option<Duration>,
        /// Where diverging programs are kept.
        #[arg(long, value_name = "DIR", default_value = "fuzz-divergences")]
        keep: PathBuf,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    flags: RunFlags,
    /// Seed of the `rand` module (runs with the same seed print the same numbers).
    #[arg(long, default_value_t = 0, value_name = "N")]
    seed: u64,
    /// The program (FILE.kite or FILE.bc), then its arguments (`env.args()`). Every word
    /// after the program file is the program's, even one that looks like a flag: flags for
    /// `vm run` go before the file (`--` may end them explicitly).
    #[arg(value_name = "FILE", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    program: Vec<String>,
}

/// The flags of `vm run` and `vm resume`: tier, grants, limits, statistics, snapshots.
#[derive(clap::Args)]
struct RunFlags {
    /// Execution tier. Every tier gives the same output, traps, fuel and exit codes.
    #[arg(long, default_value = Tier::default().name(), value_name = "TIER", value_parser = tier_parser())]
    tier: Tier,
    /// In the auto tier: compile a function after about N units of fuel (calls and loop
    /// iterations) in the interpreter; 1 compiles everything at its first call and enters
    /// every loop natively at its first turn.
    #[arg(long, value_name = "N", default_value_t = kite_vm::exec::DEFAULT_JIT_THRESHOLD, value_parser = clap::value_parser!(u32).range(1..))]
    jit_threshold: u32,
    /// Print statistics to stderr after the run: time, fuel used (calls plus taken
    /// backward jumps, the unit of --fuel; not an instruction count), peak heap, bytes
    /// allocated and GC cycles. The run counts fuel to report it.
    #[arg(long)]
    stats: bool,
    /// Let the program read files (fs.read, fs.list, fs.exists) inside these folders.
    /// Relative paths in the program are taken from the current directory, so with
    /// --allow-read=data the program reads `data/x.txt`. `..`, absolute paths and
    /// symbolic links cannot lead outside the folders.
    #[arg(long, value_name = "DIR[,DIR]", value_delimiter = ',')]
    allow_read: Vec<PathBuf>,
    /// Let the program write files (fs.write, fs.append, fs.remove) inside these folders.
    #[arg(long, value_name = "DIR[,DIR]", value_delimiter = ',')]
    allow_write: Vec<PathBuf>,
    /// Let env.get read these environment variables (all of them without a list).
    #[arg(long, value_name = "NAME[,NAME]", value_delimiter = ',', num_args = 0.., require_equals = true)]
    allow_env: Option<Vec<String>>,
    /// Let the program read the clocks (time.now, time.mono_ns).
    #[arg(long)]
    allow_time: bool,
    /// Stop with `out of fuel` (exit code 3) after N units of fuel: one per call and per
    /// taken backward jump (each loop iteration). Deterministic. Default: no limit. A
    /// resumed program counts the fuel it used before its snapshot.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Stop with `out of memory` (exit code 3) when the heap needs more than this, even
    /// after collecting: bytes, or with a K, M or G suffix (64M). Default: no limit.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<usize>,
    /// Maximum call depth before `stack overflow` (exit code 3).
    #[arg(long, default_value_t = DEFAULT_MAX_DEPTH, value_name = "N")]
    max_depth: usize,
    /// Stop with `timeout` (exit code 3) after this much wall-clock time: a number with a
    /// unit, ms, s or m (500ms, 2s, 1.5m), at least 1ms. Default: no limit.
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Suspend the program and write a snapshot (to --snapshot-to; exit code 4), at the
    /// first call or loop iteration once N units of fuel are used in all (`fuel:N`), or
    /// soon after the process receives a signal (SIGUSR1, SIGUSR2, SIGHUP, SIGINT or
    /// SIGTERM). `vm resume` continues it. See docs/snapshot.md.
    #[arg(long, value_name = "fuel:N|SIGNAL", value_parser = parse_snapshot_on, requires = "snapshot_to")]
    snapshot_on: Option<SnapshotOn>,
    /// Where --snapshot-on writes the snapshot (through a temporary file made before the
    /// program starts: a destination that cannot be written is an error up front).
    #[arg(long, value_name = "FILE", requires = "snapshot_on")]
    snapshot_to: Option<PathBuf>,
}

/// When `--snapshot-on` suspends the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SnapshotOn {
    Fuel(u64),
    Signal(i32),
}

fn parse_snapshot_on(s: &str) -> Result<SnapshotOn, String> {
    if let Some(n) = s.strip_prefix("fuel:") {
        return n.parse().map(SnapshotOn::Fuel).map_err(|_| format!("fuel:{n}: not a number of fuel units"));
    }
    let name = s.to_ascii_uppercase();
    let name = name.strip_prefix("SIG").unwrap_or(&name);
    let sig = match name {
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "TERM" => libc::SIGTERM,
        _ => return Err(format!("{s}: expected fuel:N or one of SIGUSR1, SIGUSR2, SIGHUP, SIGINT, SIGTERM")),
    };
    Ok(SnapshotOn::Signal(sig))
}

impl RunArgs {
    /// The program file.
    fn file(&self) -> PathBuf {
        PathBuf::from(&self.program[0])
    }
    /// The program's own arguments: every word after the file.
    fn program_args(&self) -> Vec<String> {
        self.program[1..].to_vec()
    }
}

fn main() -> ExitCode {
    output::restore_sigpipe();
    let cli = Cli::parse();
    if !needs_deep_stack(&cli) {
        return real_main(cli);
    }
    // The compiler recurses over nested source: give it room (the parser bounds nesting).
    let child = std::thread::Builder::new().stack_size(256 << 20).spawn(|| real_main(cli));
    match child.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            output::error_line("internal error");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Whether the command compiles source (which recurses deeply); running bytecode does not.
fn needs_deep_stack(cli: &Cli) -> bool {
    let file = match &cli.command {
        Command::Run(args) => args.file(),
        Command::Disasm { file, .. } | Command::Inspect { file } => file.clone(),
        Command::Build { .. } | Command::Check { .. } | Command::Fuzz { .. } => return true,
        #[allow(unreachable_patterns)]
        _ => return false,
    };
    load::kind(&file) == load::FileKind::Source
}

fn real_main(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Resume { flags, snapshot } => resume(flags, &snapshot),
        Command::Build { file, output } => {
            let m = match compile(&file, "build") {
                Ok(m) => m,
                Err(code) => return code,
            };
            let out = output.unwrap_or_else(|| file.with_extension("bc"));
            let bytes = encode(&m);
            match std::fs::write(&out, &bytes) {
                Ok(()) => match output::to_stdout(&format!("{}: {} bytes written\n", out.display(), bytes.len())) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(code) => code,
                },
                Err(e) => fail(&format!("cannot write {}: {e}", out.display())),
            }
        }
        Command::Check { file } => match compile(&file, "check") {
            Ok(m) => match output::to_stdout(&check_summary(&file, &m)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(code) => code,
            },
            Err(code) => code,
        },
        Command::Disasm { file, tier, function } => match load(&file) {
            Ok(m) => match disasm_text(m, tier, function.as_deref()) {
                Ok(text) => match output::to_stdout(&text) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(code) => code,
                },
                Err(e) => fail(&e),
            },
            Err(code) => code,
        },
        Command::Inspect { file } => inspect::run(&file),
        Command::Gen { seed, out } => match fuzz::gen(seed, out.as_ref()) {
            Ok(text) => match output::to_stdout(&text) {
                Ok(()) => ExitCode::SUCCESS,
                Err(code) => code,
            },
            Err(e) => fail(&e),
        },
        Command::Fuzz { seed, programs, time, keep } => {
            let programs = if programs.is_none() && time.is_none() { Some(1000) } else { programs };
            match fuzz::fuzz(seed, programs, time, &keep) {
                Ok(0) => ExitCode::SUCCESS,
                Ok(_) => ExitCode::from(1),
                Err(e) => fail(&e),
            }
        }
    }
}

/// What `vm check` prints for a program that compiles: `FILE: ok`, and for a library
/// (no `main`) how many functions it exports.
fn check_summary(file: &Path, m: &Module) -> String {
    match m.main {
        Some(_) => format!("{}: ok\n", file.display()),
        None => {
            let n = m.exports.len();
            let s = if n == 1 { "" } else { "s" };
            format!("{}: ok (a library: no main, {n} exported function{s})\n", file.display())
        }
    }
}

/// `vm disasm`: the bytecode, or (`--tier=jit`) each function's Cranelift IR and machine
/// code size; only the functions named `function`, if given.
fn disasm_text(m: Module, tier: Tier, function: Option<&str>) -> Result<String, String> {
    if tier == Tier::Interp {
        if function.is_some() {
            return Err("--function needs --tier=jit (the bytecode is shown whole)".into());
        }
        return Ok(disassemble(&m));
    }
    let m = kite_vm::bytecode::VerifiedModule::new(m).map_err(|e| format!("invalid bytecode: {e}"))?;
    let compiled = kite_vm::jit::compile_for_isa(&m, None)?;
    let mut out = String::new();
    let mut shown = 0;
    for f in compiled.iter().filter(|f| function.is_none_or(|n| n == f.name)) {
        shown += 1;
        out.push_str(&format!("; function {}: {} bytes of machine code\n{}\n{}\n", f.name, f.code_size, f.ir, f.asm));
    }
    if let (Some(name), 0) = (function, shown) {
        return Err(format!("no compiled function named {name:?}"));
    }
    let total: usize = compiled.iter().map(|f| f.code_size).sum();
    out.push_str(&format!("; {} functions, {total} bytes of machine code\n", compiled.len()));
    Ok(out)
}

fn fail(msg: &str) -> ExitCode {
    output::error_line(msg);
    ExitCode::from(EXIT_USAGE)
}

/// The module compiled from source file `file`, for `vm COMMAND`; a usage error if the file
/// holds bytecode or a snapshot instead.
fn compile(file: &Path, command: &str) -> Result<Module, ExitCode> {
    if let Some(msg) = load::not_source(file, command) {
        return Err(fail(&msg));
    }
    compile_source(file)
}

/// The module compiled from `file`, known to hold source.
fn compile_source(file: &Path) -> Result<Module, ExitCode> {
    kite_compiler::compile_file(file).map_err(|e| {
        output::to_stderr(&e.to_string());
        ExitCode::from(EXIT_USAGE)
    })
}

/// A module from a bytecode file or a snapshot (recognized by their magic bytes: a
/// snapshot's is the program it holds), or compiled from source.
fn load(file: &Path) -> Result<Module, ExitCode> {
    let read = || std::fs::read(file).map_err(|e| fail(&format!("cannot read {}: {e}", file.display())));
    match load::kind(file) {
        load::FileKind::Bytecode => {
            let bytes = read()?;
            let m = decode(&bytes).map_err(|e| fail(&format!("{}: invalid bytecode {e}", file.display())))?;
            verify(&m).map_err(|e| fail(&format!("{}: invalid bytecode: {e}", file.display())))?;
            Ok(m)
        }
        load::FileKind::Snapshot => {
            let bytes = read()?;
            match kite_vm::snapshot::read(&bytes) {
                Ok(snap) => Ok(Module::clone(snap.module())),
                Err(e) => Err(fail(&format!("{}: invalid snapshot: {e}", file.display()))),
            }
        }
        load::FileKind::Source => compile_source(file),
    }
}

/// `64M` → bytes (K, M and G are powers of 1024; no suffix: bytes).
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1usize << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    let n: usize = num.parse().map_err(|_| format!("{s:?} is not a size such as 65536, 512K, 64M or 1G"))?;
    n.checked_mul(mult).ok_or_else(|| format!("{s:?} is too large"))
}

/// `2s` → 2 seconds. A unit is required (`ms`, `s` or `m`), and the time must be at least
/// one millisecond: the resolution of the clock that times calls out. Anything else is a usage error naming the
/// accepted forms, never a limit that is silently not enforced.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let forms = "a time of at least 1ms with a unit: 500ms, 2s, 1.5m";
    let (num, unit) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        return Err(format!("{s:?} has no unit: expected {forms}"));
    };
    let x: f64 = num.trim().parse().map_err(|_| format!("{s:?} is not {forms}"))?;
    let d = Duration::try_from_secs_f64(x * unit).map_err(|_| format!("{s:?} is not {forms}"))?;
    if d < Duration::from_millis(1) {
        return Err(format!("{s:?} is too short: expected {forms}"));
    }
    Ok(d)
}

/// `--tier`: the tiers the VM has, with what each does.
fn tier_parser() -> impl TypedValueParser<Value = Tier> {
    PossibleValuesParser::new(Tier::ALL.iter().map(|t| PossibleValue::new(t.name()).help(t.description())))
        .map(|name| Tier::from_name(&name).unwrap_or_default())
}

/// The capabilities and limits the flags grant.
fn grants(args: &RunFlags) -> Result<(Capabilities, Limits), String> {
    for (flag, dirs) in [("--allow-read", &args.allow_read), ("--allow-write", &args.allow_write)] {
        if let Some(d) = dirs.iter().find(|d| !d.is_dir()) {
            return Err(format!("{flag}={}: no such folder", d.display()));
        }
    }
    // `vm run` grants standard input; the rest only by flag.
    let mut caps = Capabilities::none().allow_stdin();
    for d in &args.allow_read {
        caps = caps.allow_read(d);
    }
    for d in &args.allow_write {
        caps = caps.allow_write(d);
    }
    match args.allow_env.clone() {
        Some(names) if names.is_empty() => caps = caps.allow_env_all(),
        Some(names) => {
            for n in names {
                caps = caps.allow_env(n);
            }
        }
        None => {}
    }
    if args.allow_time {
        caps = caps.allow_time();
    }
    let mut limits = Limits::default().max_depth(args.max_depth);
    match (args.fuel, args.stats) {
        (Some(f), _) => limits = limits.fuel(f),
        // Counting fuel for --stats: a budget that cannot run out.
        (None, true) => limits = limits.fuel(u64::MAX),
        (None, false) => {}
    }
    if let Some(m) = args.max_memory {
        limits = limits.max_memory(m);
    }
    if let Some(t) = args.timeout {
        limits = limits.timeout(t);
    }
    Ok((caps, limits))
}

fn engine_for(args: &RunFlags) -> Engine {
    Engine::new(Config::default().tier(args.tier).jit_threshold(args.jit_threshold))
}

fn run(args: RunArgs) -> ExitCode {
    let (caps, limits) = match grants(&args.flags) {
        Ok(g) => g,
        Err(e) => return fail(&e),
    };
    let engine = engine_for(&args.flags);
    let file = &args.file();
    let module = match load::kind(file) {
        load::FileKind::Bytecode => match std::fs::read(file) {
            Ok(bytes) => kite::Module::from_bytes(&engine, &bytes),
            Err(e) => return fail(&format!("cannot read {}: {e}", file.display())),
        },
        load::FileKind::Source => engine.compile_file(file),
        kind @ load::FileKind::Snapshot => {
            return fail(&load::not_source_of_kind(file, kind, "run").unwrap_or_default());
        }
    };
    let module = match module {
        Ok(m) => m,
        Err(Error::Compile(e)) => {
            output::to_stderr(&e.to_string());
            return ExitCode::from(EXIT_USAGE);
        }
        Err(e) => return fail(&format!("{}: {e}", file.display())),
    };
    if module.bytecode().main.is_none() {
        return fail(&format!(
            "{} has no fn main: it is a library (vm check and vm build accept it; an embedding host calls its exports)",
            file.display()
        ));
    }
    let mut store = Store::new(&engine, caps, limits);
    store.set_args(args.program_args());
    store.set_seed(args.seed);
    let linker = Linker::new(&engine);
    finish(&args.flags, store, |store| linker.instantiate(store, &module).and_then(|inst| inst.run_main(store)))
}

fn resume(args: RunFlags, snapshot: &Path) -> ExitCode {
    let (caps, limits) = match grants(&args) {
        Ok(g) => g,
        Err(e) => return fail(&e),
    };
    let bytes = match std::fs::read(snapshot) {
        Ok(b) => b,
        Err(e) => return fail(&format!("cannot read {}: {e}", snapshot.display())),
    };
    if load::kind_of(&bytes) == load::FileKind::Bytecode {
        let p = snapshot.display();
        return fail(&format!("{p} is Kite bytecode, not a snapshot: run it with `vm run {p}`"));
    }
    let engine = engine_for(&args);
    let linker = Linker::new(&engine);
    let (store, inst) = match Store::resume(&linker, caps, limits, &bytes) {
        Ok(r) => r,
        // A program that does not fit under --max-memory hits a limit, as it would running.
        Err(Error::Snapshot(e @ kite::SnapshotError::Memory { .. })) => {
            output::error_line(&format!("out of memory: {}: {e}", snapshot.display()));
            return ExitCode::from(EXIT_LIMIT);
        }
        Err(e) => return fail(&format!("{}: {e}", snapshot.display())),
    };
    finish(&args, store, |store| inst.resume_main(store))
}

/// The store of `vm run` or `vm resume` whose snapshot handle the signal handler uses.
static SUSPEND: std::sync::OnceLock<kite::SuspendHandle> = std::sync::OnceLock::new();

extern "C" fn on_signal(_: libc::c_int) {
    // One atomic store (async-signal-safe).
    if let Some(h) = SUSPEND.get() {
        h.suspend();
    }
}

/// Runs `go` in `store` with the flags' snapshot trigger, then reports: statistics, a
/// trap, or the snapshot written; the exit code.
fn finish(args: &RunFlags, mut store: Store, go: impl FnOnce(&mut Store) -> Result<i32, Error>) -> ExitCode {
    // (--snapshot-on requires --snapshot-to.)
    let to = args.snapshot_to.as_deref().unwrap_or(Path::new("snapshot.ksnap"));
    let target = match args.snapshot_on.map(|_| SnapshotFile::create(to)).transpose() {
        Ok(t) => t,
        Err(e) => return fail(&format!("cannot write the snapshot to {}: {e}", to.display())),
    };
    match args.snapshot_on {
        Some(SnapshotOn::Fuel(n)) => store.suspend_at_fuel(Some(n)),
        Some(SnapshotOn::Signal(sig)) => {
            let _ = SUSPEND.set(store.suspend_handle());
            // Safety: the handler only does an atomic store through a handle that lives
            // for the rest of the process.
            unsafe { libc::signal(sig, on_signal as *const () as libc::sighandler_t) };
        }
        None => {}
    }
    store.set_stdout(BufWriter::with_capacity(1 << 16, std::io::stdout()));
    let started = std::time::Instant::now();
    let mut result = go(&mut store);
    if let (Ok(_), Err(e)) = (&result, store.flush()) {
        result = Err(Error::Trap(kite::Trap::new(format!("cannot write output: {e}"))));
    }
    if args.stats {
        print_stats(args, &store, started.elapsed().as_secs_f64());
    }
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(Error::Trap(trap)) => {
            output::to_stderr(&trap.to_string());
            ExitCode::from(trap.exit_code() as u8)
        }
        Err(Error::Suspended) => {
            // (The program's output was flushed above.)
            let Some(target) = target else { return fail("suspended without --snapshot-on") };
            match store.snapshot().map_err(|e| e.to_string()).and_then(|b| target.commit(&b).map(|()| b.len())) {
                Ok(n) => {
                    output::to_stderr(&format!(
                        "vm: suspended; snapshot written to {} ({n} bytes); continue with: vm resume {}\n",
                        to.display(),
                        to.display()
                    ));
                    ExitCode::from(EXIT_SUSPENDED)
                }
                Err(e) => fail(&format!("cannot write the snapshot to {}: {e}", to.display())),
            }
        }
        Err(e) => fail(&e.to_string()),
    }
}

/// Where `--snapshot-to` writes: a temporary file next to the destination, made before the
/// program starts (a destination that cannot be written is an error then, not a run lost
/// when it stops), and renamed into place once the snapshot is written whole (the
/// destination never holds part of one). Removed if no snapshot is written.
struct SnapshotFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<std::fs::File>,
}

impl SnapshotFile {
    fn create(path: &Path) -> Result<SnapshotFile, String> {
        if path.is_dir() {
            return Err("it is a folder".into());
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let file = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
        Ok(SnapshotFile { path: path.to_path_buf(), tmp, file: Some(file) })
    }

    fn commit(mut self, bytes: &[u8]) -> Result<(), String> {
        use std::io::Write;
        let mut file = self.file.take().ok_or("written already")?;
        file.write_all(bytes).and_then(|()| file.flush()).map_err(|e| e.to_string())?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path).map_err(|e| e.to_string())?;
        self.tmp.clear();
        Ok(())
    }
}

impl Drop for SnapshotFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn print_stats(args: &RunFlags, store: &Store, elapsed: f64) {
    let st = store.stats();
    let fuel = match st.fuel_used {
        Some(used) => format!("fuel used {used}, "),
        None => String::new(),
    };
    output::to_stderr(&format!(
        "stats: time {elapsed:.3}s, {fuel}peak heap {} bytes, allocated {} bytes, gc cycles {}\n",
        st.peak_heap_bytes, st.allocated_bytes, st.gc_cycles
    ));
    if args.tier != Tier::Interp {
        let t = &st.tiers;
        let samples = (t.native_samples + t.interp_samples).max(1) as f64;
        output::to_stderr(&format!(
            "stats: tier {}, functions compiled {}, too large to compile {}, compile failures {}, osr entries {}, compile time {:.3}ms (per function: median {:.3}ms, longest {:.3}ms), time native {:.0}% / interpreted {:.0}% (sampled)\n",
            args.tier.name(),
            t.functions_compiled,
            t.too_large,
            t.compile_failures,
            t.osr_entries,
            t.compile_ns as f64 / 1e6,
            t.median_compile_ns() as f64 / 1e6,
            t.max_compile_ns as f64 / 1e6,
            100.0 * t.native_samples as f64 / samples,
            100.0 * t.interp_samples as f64 / samples,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_parse() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1ms"), Ok(Duration::from_millis(1)));
        for bad in ["-1s", "soon", "1", "1.5", "0s", "0ms", "0.000001s", "0.5ms", "NaNs", "infs", ""] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
