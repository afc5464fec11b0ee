//! `vm inspect`: what a bytecode file or a snapshot holds and needs, without running it.

use crate::load::FileKind;
use kite_vm::bytecode::decode::{decode_with_header, read_header, Header};
use kite_vm::bytecode::encode::encode;
use kite_vm::bytecode::{verify, Module, VerifyError};
use kite_vm::modules::signatures::BUILTIN_MODULES;
use kite_vm::snapshot::{self, Snapshot};
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

/// Runs `vm inspect FILE`: a .bc file, a snapshot, or a .kite program compiled to the
/// bytes `vm build` would write. Exit code 2 if the file cannot be read, decoded or
/// compiled, or does not verify (the report is printed first in that last case).
pub fn run(file: &Path) -> ExitCode {
    let kind = crate::load::kind(file);
    let bytes = if kind != FileKind::Source {
        match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => return fail(&format!("cannot read {}: {e}", file.display())),
        }
    } else {
        match kite_compiler::compile_file(file) {
            Ok(m) => encode(&m),
            Err(e) => {
                crate::output::to_stderr(&e.to_string());
                return ExitCode::from(2);
            }
        }
    };
    if kind == FileKind::Snapshot {
        return match snapshot::read(&bytes) {
            Ok(snap) => match crate::output::to_stdout(&snapshot_report(file, &bytes, &snap)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(code) => code,
            },
            Err(e) => fail(&format!("{}: invalid snapshot: {e}", file.display())),
        };
    }
    let (m, header) = match decode_with_header(&bytes) {
        Ok(x) => x,
        Err(e) => return fail(&format!("{}: invalid bytecode {e}", file.display())),
    };
    let verified = verify(&m);
    if let Err(code) = crate::output::to_stdout(&report(file, bytes.len(), &header, &m, &verified)) {
        return code;
    }
    match verified {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("{}: invalid bytecode: {e}", file.display())),
    }
}

fn fail(msg: &str) -> ExitCode {
    crate::output::error_line(msg);
    ExitCode::from(2)
}

fn signature(m: &Module, params: &[u32], ret: Option<u32>) -> String {
    let ps: Vec<String> = params.iter().map(|t| m.type_name(*t)).collect();
    match ret {
        Some(r) => format!("({}) -> {}", ps.join(", "), m.type_name(r)),
        None => format!("({})", ps.join(", ")),
    }
}

/// The module's imports, a line each: capability modules (granted by `vm run` and `vm
/// resume` flags) and host functions, with their signatures.
fn imports(o: &mut String, m: &Module) {
    let _ = writeln!(o, "imports    {}", m.imports.len());
    for imp in &m.imports {
        let kind = if BUILTIN_MODULES.contains(&imp.module.as_str()) { "capability" } else { "host" };
        let _ = writeln!(o, "  {kind:<10} {}.{}{}", imp.module, imp.name, signature(m, &imp.params, imp.ret));
    }
}

fn report(file: &Path, size: usize, h: &Header, m: &Module, verified: &Result<(), VerifyError>) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "file       {}", file.display());
    let _ = writeln!(o, "size       {size} bytes");
    let _ = writeln!(o, "version    {}.{}", h.major, h.minor);
    let _ = writeln!(o, "digest     sha256:{}", h.digest_hex());
    match verified {
        Ok(()) => {
            let _ = writeln!(o, "verified   yes");
        }
        Err(e) => {
            let _ = writeln!(o, "verified   no: {e}");
        }
    }
    let _ = writeln!(o, "functions  {}", m.functions.len());
    let heads: Vec<String> =
        m.functions.iter().map(|f| format!("{}{}", f.name, signature(m, &f.params, f.ret))).collect();
    let width = heads.iter().map(|h| h.chars().count()).max().unwrap_or(0).min(48);
    let id_width = format!("f{}", m.functions.len().saturating_sub(1)).len();
    for (i, (f, head)) in m.functions.iter().zip(&heads).enumerate() {
        let mut tags = Vec::new();
        if m.main == Some(i as u32) {
            tags.push("main".to_string());
        }
        if m.init == Some(i as u32) {
            tags.push("init".to_string());
        }
        for e in m.exports.iter().filter(|e| e.func == i as u32) {
            tags.push(format!("export {}", e.name));
        }
        if !f.captures.is_empty() {
            tags.push(format!("captures {}", f.captures.len()));
        }
        let tags = if tags.is_empty() { String::new() } else { format!("  [{}]", tags.join(", ")) };
        let id = format!("f{i}");
        let _ = writeln!(
            o,
            "  {id:<id_width$}  {head:<width$}  params {}, registers {}, instructions {}{tags}",
            f.params.len(),
            f.regs.len(),
            f.code.len()
        );
    }
    imports(&mut o, m);
    let _ = writeln!(o, "exports    {}", m.exports.len());
    for e in &m.exports {
        let _ = writeln!(o, "  {} -> f{}", e.name, e.func);
    }
    o
}

/// What a snapshot holds: the program (its bytecode's digest), where and how far it had
/// run, its heap and the input and host state it carries. `bytes` have been read into
/// `snap` (so the header is whole).
fn snapshot_report(file: &Path, bytes: &[u8], snap: &Snapshot) -> String {
    let mut o = String::new();
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let m = snap.module();
    let _ = writeln!(o, "file       {}", file.display());
    let _ = writeln!(o, "size       {} bytes", bytes.len());
    let _ = writeln!(o, "snapshot   version {}.{}, checksum ok, verified", u16_at(4), u16_at(6));
    let program = encode(m);
    if let Ok(h) = read_header(&program) {
        let _ = writeln!(o, "program    sha256:{} ({} bytes of bytecode)", h.digest_hex(), program.len());
    }
    let main = m.main.map(|f| m.functions[f as usize].name.as_str()).unwrap_or("(none)");
    let _ = writeln!(o, "functions  {} (main: {main})", m.functions.len());
    // What it may need granted again on resume (a snapshot holds no grant).
    imports(&mut o, m);
    let frames = |n: usize| if n == 1 { "1 frame".to_string() } else { format!("{n} frames") };
    let state = match (snap.depth(), snap.then_main()) {
        (0, _) => "idle: between calls (no frame running)".to_string(),
        (n, true) => format!("suspended in {} of the global initializers; main runs after them", frames(n)),
        (n, false) => format!("suspended in {}", frames(n)),
    };
    let _ = writeln!(o, "state      {state}");
    let _ = writeln!(o, "fuel used  {}", snap.fuel_used());
    let _ = writeln!(o, "seed       {}", snap.seed());
    let args: Vec<String> = snap.args().iter().map(|a| format!("{a:?}")).collect();
    let _ = writeln!(
        o,
        "arguments  {}{}",
        args.len(),
        if args.is_empty() { String::new() } else { format!(": {}", args.join(" ")) }
    );
    let _ = writeln!(o, "input      {} bytes read from stdin and not consumed", snap.unread_input());
    let host: Vec<String> = snap.host_state().map(|(k, n)| format!("{k} ({n} bytes)")).collect();
    let _ = writeln!(o, "host state {}", if host.is_empty() { "none".to_string() } else { host.join(", ") });
    let h = snap.heap();
    let _ = writeln!(o, "heap       {} objects, {} bytes when restored", h.objects(), h.bytes);
    for (n, what) in [
        (h.strings, "strings"),
        (h.arrays, "arrays"),
        (h.maps, "maps"),
        (h.structs, "structs"),
        (h.closures, "closures"),
        (h.boxes, "boxes"),
    ] {
        if n > 0 {
            let _ = writeln!(o, "  {n:>10} {what}");
        }
    }
    let trace = snap.trace();
    if !trace.is_empty() {
        let _ = writeln!(o, "frames     {}, innermost first", trace.len());
        for f in &trace {
            let _ = writeln!(o, "  at {} ({}:{}:{})", f.function, f.file, f.line, f.col);
        }
    }
    o
}
