//! Human-readable listing of a module, generated from the opcode table's formats.

use super::module::{Const, Module};
use super::opcodes::{Format, Instr, MathFn};
use super::Builtin;
use std::fmt::Write;

/// The text of one instruction, with operands named by their roles.
pub fn instr_text(m: &Module, ins: &Instr, at: usize) -> String {
    let (a, b, c) = (ins.a, ins.b, ins.c);
    let target = |off: i64| (at as i64 + 1 + off).to_string();
    let ops = match ins.op.format() {
        Format::N => String::new(),
        Format::A => format!("r{a}"),
        Format::AB => format!("r{a}, r{b}"),
        Format::ABC => format!("r{a}, r{b}, r{c}"),
        Format::ABsC => format!("r{a}, r{b}, {}", ins.sc()),
        Format::AsBC => format!("r{a}, {}", ins.sbc()),
        Format::AK => {
            let k = match m.consts.get(ins.bc() as usize) {
                Some(Const::Int(i)) => i.to_string(),
                Some(Const::Float(f)) => format!("{f:?}"),
                Some(Const::Str(s)) => format!("{s:?}"),
                None => "?".into(),
            };
            format!("r{a}, k{} ; {k}", ins.bc())
        }
        Format::AG => {
            let name = m.globals.get(ins.bc() as usize).map_or("?", |g| g.name.as_str());
            format!("r{a}, g{} ; {name}", ins.bc())
        }
        Format::J => format!("-> {}", target(ins.sbc() as i64)),
        Format::AJ => format!("r{a}, -> {}", target(ins.sbc() as i64)),
        Format::ABJ => format!("r{a}, r{b}, -> {}", target(ins.sc() as i64)),
        Format::AsBJ => format!("r{a}, {}, -> {}", ins.sb(), target(ins.sc() as i64)),
        Format::AFC => {
            let name = m.functions.get(b as usize).map_or("?", |f| f.name.as_str());
            format!("r{a}, f{b} ; {name}, args from r{c}")
        }
        Format::ASC => {
            let name = m.structs.get(b as usize).map_or("?", |s| s.name.as_str());
            format!("r{a}, s{b} ; {name}, fields from r{c}")
        }
        Format::AHC => {
            let name = m.imports.get(b as usize).map_or("?".to_string(), |i| format!("{}.{}", i.module, i.name));
            format!("r{a}, h{b} ; {name}, args from r{c}")
        }
        Format::ABuC => {
            let name = Builtin::from_u16(b).map_or("?", |x| x.name());
            format!("r{a}, {name}, args from r{c}")
        }
        Format::ABF => format!("r{a}, r{b}, field {c}"),
        Format::AFB => format!("r{a}, field {b}, r{c}"),
        Format::ABN => format!("r{a}, r{b}, count {c}"),
        Format::BN => format!("r{b}, count {c}"),
        Format::ABM => format!("r{a}, r{b}, {}", MathFn::from_u16(c).map_or("?", |f| f.name())),
    };
    format!("{:<12} {ops}", ins.op.name())
}

/// The whole module as text: types, structs, globals, imports, then each function.
pub fn disassemble(m: &Module) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "; files: {}", m.files.join(", "));
    for (i, s) in m.structs.iter().enumerate() {
        let fields: Vec<String> = s.fields.iter().map(|f| format!("{}: {}", f.name, m.type_name(f.ty))).collect();
        let _ = writeln!(out, "struct s{i} {} {{ {} }}", s.name, fields.join(", "));
    }
    for (i, g) in m.globals.iter().enumerate() {
        let _ = writeln!(out, "global g{i} {}: {}", g.name, m.type_name(g.ty));
    }
    for (i, imp) in m.imports.iter().enumerate() {
        let ps: Vec<String> = imp.params.iter().map(|t| m.type_name(*t)).collect();
        let ret = imp.ret.map(|r| format!(" -> {}", m.type_name(r))).unwrap_or_default();
        let _ = writeln!(out, "import h{i} {}.{}({}){ret}", imp.module, imp.name, ps.join(", "));
    }
    for (fi, f) in m.functions.iter().enumerate() {
        let ps: Vec<String> = f.params.iter().map(|t| m.type_name(*t)).collect();
        let ret = f.ret.map(|r| format!(" -> {}", m.type_name(r))).unwrap_or_default();
        let mut tags = Vec::new();
        if m.main == Some(fi as u32) {
            tags.push("main");
        }
        if m.init == Some(fi as u32) {
            tags.push("init");
        }
        let tags = if tags.is_empty() { String::new() } else { format!(" [{}]", tags.join(", ")) };
        let _ = writeln!(out, "\nfn f{fi} {}({}){ret}{tags}", f.name, ps.join(", "));
        if !f.captures.is_empty() {
            let cs: Vec<String> = f.captures.iter().map(|t| m.type_name(*t)).collect();
            let _ = writeln!(out, "  ; captures: {}", cs.join(", "));
        }
        let regs: Vec<String> = f.regs.iter().enumerate().map(|(i, t)| format!("r{i}: {}", m.type_name(*t))).collect();
        let _ = writeln!(out, "  ; registers: {}", regs.join(", "));
        let mut last_line = 0;
        for (pc, ins) in f.code.iter().enumerate() {
            let loc = f.locs.get(pc).copied().unwrap_or_default();
            let line = if loc.line != last_line {
                last_line = loc.line;
                format!("; line {}", loc.line)
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {pc:5}  {:<56} {line}", instr_text(m, ins, pc));
        }
    }
    out
}
