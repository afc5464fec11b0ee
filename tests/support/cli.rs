//! What the tests of the `vm` command share: the command, and a fresh scratch folder.

use std::path::PathBuf;
use std::process::Command;

/// The `vm` binary of this build.
pub fn vm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vm"))
}

/// An empty folder of the system's temporary folder, for this process and `name`.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kite-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create a scratch folder");
    d
}
