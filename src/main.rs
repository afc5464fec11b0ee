//! `vm`: build, check, disassemble and run Kite programs.

mod inspect;

use clap::{Parser, Subcommand, ValueEnum};
use kite::{Capabilities, Config, Engine, Error, Limits, Linker, Store};
use kite_vm::bytecode::{decode::decode, disasm::disassemble, encode::encode, verify, Module};
use kite_vm::interp::DEFAULT_MAX_DEPTH;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for usage, compile and load errors.
const EXIT_USAGE: u8 = 2;

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
    /// 2 on a usage, compile or load error, 3 when a resource limit is hit.
    Run(RunArgs),
    /// Compile a .kite program to a .bc bytecode file.
    Build {
        /// The main source file.
        file: PathBuf,
        /// Where to write the bytecode (default: FILE with the extension .bc).
        #[arg(short, long, value_name = "OUT.bc")]
        output: Option<PathBuf>,
    },
    /// Type-check a .kite program without running it; prints every error found.
    Check {
        /// The main source file.
        file: PathBuf,
    },
    /// Print the bytecode of a program (.kite or .bc) in readable form.
    Disasm {
        /// A .kite source file or a .bc bytecode file.
        file: PathBuf,
    },
    /// Describe a bytecode file: version, digest, size, functions, the imports it needs
    /// (capability modules and host functions, with signatures) and its exports.
    Inspect {
        /// A .bc bytecode file (or a .kite program, compiled first).
        file: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Tier {
    /// The interpreter.
    Interp,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Execution tier.
    #[arg(long, value_enum, default_value = "interp")]
    tier: Tier,
    /// Seed of the `rand` module (runs with the same seed print the same numbers).
    #[arg(long, default_value_t = 0, value_name = "N")]
    seed: u64,
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
    /// taken backward jump (each loop iteration). Deterministic. Default: no limit.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Stop with `out of memory` (exit code 3) when the heap needs more than this, even
    /// after collecting: bytes, or with a K, M or G suffix (64M). Default: no limit.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<usize>,
    /// Maximum call depth before `stack overflow` (exit code 3).
    #[arg(long, default_value_t = DEFAULT_MAX_DEPTH, value_name = "N")]
    max_depth: usize,
    /// Stop with `timeout` (exit code 3) after this much wall-clock time: a number with
    /// ms, s or m (500ms, 2s, 1m). Default: no limit.
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// The program: FILE.kite or FILE.bc.
    file: PathBuf,
    /// Arguments for the program (`env.args()`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !needs_deep_stack(&cli) {
        return real_main(cli);
    }
    // The compiler recurses over nested source: give it room (the parser bounds nesting).
    let child = std::thread::Builder::new().stack_size(256 << 20).spawn(|| real_main(cli));
    match child.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: internal error");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Whether the command compiles source (which recurses deeply); running bytecode does not.
fn needs_deep_stack(cli: &Cli) -> bool {
    let file = match &cli.command {
        Command::Run(args) => &args.file,
        Command::Disasm { file } | Command::Inspect { file } => file,
        Command::Build { .. } | Command::Check { .. } => return true,
        #[allow(unreachable_patterns)]
        _ => return false,
    };
    file.extension().is_none_or(|e| e != "bc")
}

fn real_main(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Build { file, output } => {
            let m = match compile(&file) {
                Ok(m) => m,
                Err(code) => return code,
            };
            let out = output.unwrap_or_else(|| file.with_extension("bc"));
            match std::fs::write(&out, encode(&m)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("cannot write {}: {e}", out.display())),
            }
        }
        Command::Check { file } => match compile(&file) {
            Ok(_) => ExitCode::SUCCESS,
            Err(code) => code,
        },
        Command::Disasm { file } => match load(&file) {
            Ok(m) => {
                print!("{}", disassemble(&m));
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Inspect { file } => inspect::run(&file),
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_USAGE)
}

fn compile(file: &Path) -> Result<Module, ExitCode> {
    kite_compiler::compile_file(file).map_err(|e| {
        eprint!("{e}");
        ExitCode::from(EXIT_USAGE)
    })
}

/// A module from a .bc file, or compiled from source.
fn load(file: &Path) -> Result<Module, ExitCode> {
    if file.extension().is_some_and(|e| e == "bc") {
        let bytes = std::fs::read(file).map_err(|e| fail(&format!("cannot read {}: {e}", file.display())))?;
        let m = decode(&bytes).map_err(|e| fail(&format!("{}: invalid bytecode {e}", file.display())))?;
        verify(&m).map_err(|e| fail(&format!("{}: invalid bytecode: {e}", file.display())))?;
        Ok(m)
    } else {
        compile(file)
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

/// `2s` → 2 seconds (ms, s and m suffixes; no suffix: seconds).
fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let bad = || format!("{s:?} is not a time such as 500ms, 2s or 1m");
    let (num, unit) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let x: f64 = num.parse().map_err(|_| bad())?;
    Duration::try_from_secs_f64(x * unit).map_err(|_| bad())
}

fn run(args: RunArgs) -> ExitCode {
    let Tier::Interp = args.tier;
    for (flag, dirs) in [("--allow-read", &args.allow_read), ("--allow-write", &args.allow_write)] {
        if let Some(d) = dirs.iter().find(|d| !d.is_dir()) {
            return fail(&format!("{flag}={}: no such folder", d.display()));
        }
    }
    let engine = Engine::new(Config::default());
    let file = &args.file;
    let module = if file.extension().is_some_and(|e| e == "bc") {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => return fail(&format!("cannot read {}: {e}", file.display())),
        };
        kite::Module::from_bytes(&engine, &bytes)
    } else {
        engine.compile_file(file)
    };
    let module = match module {
        Ok(m) => m,
        Err(Error::Compile(e)) => {
            eprint!("{e}");
            return ExitCode::from(EXIT_USAGE);
        }
        Err(e) => return fail(&format!("{}: {e}", file.display())),
    };

    // `vm run` grants standard input; the rest only by flag.
    let mut caps = Capabilities::none().allow_stdin();
    for d in &args.allow_read {
        caps = caps.allow_read(d);
    }
    for d in &args.allow_write {
        caps = caps.allow_write(d);
    }
    match args.allow_env {
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

    let mut store = Store::new(&engine, caps, limits);
    store.set_args(args.args);
    store.set_seed(args.seed);
    store.set_stdout(BufWriter::with_capacity(1 << 16, std::io::stdout()));
    let linker = Linker::new(&engine);
    let started = std::time::Instant::now();
    let result = linker.instantiate(&mut store, &module).and_then(|inst| inst.run_main(&mut store));
    store.flush();
    if args.stats {
        let st = store.stats();
        let fuel = match (args.fuel, st.fuel_used) {
            (_, Some(used)) => format!("fuel used {used}, "),
            _ => String::new(),
        };
        eprintln!(
            "stats: time {:.3}s, {fuel}peak heap {} bytes, allocated {} bytes, gc cycles {}",
            started.elapsed().as_secs_f64(),
            st.peak_heap_bytes,
            st.allocated_bytes,
            st.gc_cycles
        );
    }
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(Error::Trap(trap)) => {
            let _ = std::io::stderr().write_all(trap.to_string().as_bytes());
            ExitCode::from(trap.exit_code() as u8)
        }
        Err(e) => fail(&e.to_string()),
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
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
