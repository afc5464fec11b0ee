//! `vm`: build, check, disassemble and run Kite programs.

mod inspect;

use clap::{Parser, Subcommand, ValueEnum};
use kite_stdlib::host::StdConfig;
use kite_vm::bytecode::{decode::decode, disasm::disassemble, encode::encode, verify, Module};
use kite_vm::host::HostFuncs;
use kite_vm::interp::{RunOptions, Vm, DEFAULT_MAX_DEPTH};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

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
    /// Print statistics to stderr after the run: time, peak heap, bytes allocated, GC cycles.
    #[arg(long)]
    stats: bool,
    /// Maximum call depth before `stack overflow`.
    #[arg(long, default_value_t = DEFAULT_MAX_DEPTH, value_name = "N")]
    max_depth: usize,
    /// The program: FILE.kite or FILE.bc.
    file: PathBuf,
    /// Arguments for the program (`env.args()`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    // Deeply nested programs and values recurse in the compiler and printer: give them room.
    let child = std::thread::Builder::new().stack_size(512 << 20).spawn(|| real_main(Cli::parse()));
    match child.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: internal error");
            ExitCode::from(EXIT_USAGE)
        }
    }
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

fn run(args: RunArgs) -> ExitCode {
    let Tier::Interp = args.tier;
    let module = match load(&args.file) {
        Ok(m) => Arc::new(m),
        Err(code) => return code,
    };
    let mut host = HostFuncs::new();
    kite_stdlib::host::add_to(&mut host, &StdConfig { args: args.args, seed: args.seed, stdin: true });
    let out = Box::new(BufWriter::with_capacity(1 << 16, std::io::stdout()));
    let err = Box::new(std::io::stderr());
    let opts = RunOptions { max_depth: args.max_depth, ..RunOptions::default() };
    let mut vm = match Vm::new(module, &host, out, err, opts) {
        Ok(vm) => vm,
        Err(e) => return fail(&e.to_string()),
    };
    let started = std::time::Instant::now();
    let result = vm.run_main();
    vm.flush();
    if args.stats {
        let st = vm.heap.stats;
        eprintln!(
            "stats: time {:.3}s, peak heap {} bytes, allocated {} bytes, gc cycles {}",
            started.elapsed().as_secs_f64(),
            st.peak_bytes,
            st.allocated_bytes,
            st.collections
        );
    }
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(trap) => {
            let _ = std::io::stderr().write_all(trap.to_string().as_bytes());
            ExitCode::from(trap.exit_code() as u8)
        }
    }
}
