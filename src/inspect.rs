//! `vm inspect`: what a bytecode file holds and needs, without running it.

use kite_vm::bytecode::decode::{decode_with_header, Header};
use kite_vm::bytecode::encode::encode;
use kite_vm::bytecode::{verify, Module, VerifyError};
use kite_vm::modules::signatures::BUILTIN_MODULES;
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

/// Runs `vm inspect FILE`: a .bc file, or a .kite program compiled to the bytes `vm build`
/// would write. Exit code 2 if the file cannot be read, decoded or compiled, or does not
/// verify (the report is printed first in that last case).
pub fn run(file: &Path) -> ExitCode {
    let bytes = if crate::load::is_bytecode(file) {
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
    let _ = writeln!(o, "imports    {}", m.imports.len());
    for imp in &m.imports {
        let kind = if BUILTIN_MODULES.contains(&imp.module.as_str()) { "capability" } else { "host" };
        let _ = writeln!(o, "  {kind:<10} {}.{}{}", imp.module, imp.name, signature(m, &imp.params, imp.ret));
    }
    let _ = writeln!(o, "exports    {}", m.exports.len());
    for e in &m.exports {
        let _ = writeln!(o, "  {} -> f{}", e.name, e.func);
    }
    o
}
