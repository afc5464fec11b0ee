//! The CLI's own output: reports on standard output, diagnostics on standard error.
//!
//! - A closed pipe ends the process quietly, as it does other Unix tools (`vm disasm x.kite
//!   | head`): the default action of `SIGPIPE` is restored at start-up.
//! - Any other failure to write standard output (a full disk, `/dev/full`) is an error: a
//!   message on standard error and exit code 1. Output that was lost is never a success.
//! - Failing to write standard error cannot be reported; it changes nothing but what the
//!   user sees: the exit code still says what happened.

use std::io::Write;
use std::process::ExitCode;

/// Exit code when the program's or the CLI's output could not be written.
pub const EXIT_OUTPUT: u8 = 1;

/// Lets a write to a closed pipe end the process, as `SIGPIPE` does by default (the Rust
/// runtime ignores it, which would turn `vm run prog | head` into write errors).
pub fn restore_sigpipe() {
    #[cfg(unix)]
    // Safety: setting the disposition of SIGPIPE to its default before any other thread
    // exists; no handler runs, so nothing else is affected.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Writes `text` to standard error (best effort: there is nowhere left to report a failure).
pub fn to_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Writes `error: MSG` and a newline to standard error.
pub fn error_line(msg: &str) {
    to_stderr(&format!("error: {msg}\n"));
}

/// Writes `text` to standard output and flushes it; a failure is reported on standard
/// error and becomes exit code [`EXIT_OUTPUT`].
pub fn to_stdout(text: &str) -> Result<(), ExitCode> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| {
        error_line(&format!("cannot write output: {e}"));
        ExitCode::from(EXIT_OUTPUT)
    })
}
