//! Loads a program: the main file and, transitively, the sibling files it imports.
//! Import cycles and missing modules are errors at the `import` that causes them.

use crate::ast::{self, Span};
use crate::diagnostic::{Diagnostic, Diagnostics, FileDiagnostic};
use crate::lower::limits::{MAX_FILES, MAX_SOURCE};
use crate::lower::{lower_program, SourceFile};
use crate::source::SourceText;
use kite_vm::bytecode::Module;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a program did not compile: the first diagnostics in file order (at most
/// [`crate::diagnostic::MAX_DIAGNOSTICS`]), and how many more there were.
#[derive(Clone)]
pub struct CompileError {
    pub diagnostics: Vec<FileDiagnostic>,
    /// Diagnostics found but not kept.
    pub omitted: usize,
}

impl CompileError {
    fn io(path: &str, msg: String) -> CompileError {
        let source = Arc::new(SourceText::unreadable(path.to_string()));
        CompileError {
            diagnostics: vec![FileDiagnostic { source, diagnostic: Diagnostic::new(Span::default(), msg) }],
            omitted: 0,
        }
    }

    fn from_diagnostics(ds: Diagnostics) -> CompileError {
        let (diagnostics, omitted) = ds.finish();
        CompileError { diagnostics, omitted }
    }

    /// How many errors were found (shown or not).
    pub fn count(&self) -> usize {
        self.diagnostics.len() + self.omitted
    }
}

/// The rendered diagnostics, as `Display` gives them (not the source text they hold).
impl fmt::Debug for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CompileError:\n{self}")
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", d.render())?;
        }
        let n = self.count();
        if self.omitted > 0 {
            let s = if self.omitted == 1 { "" } else { "s" };
            writeln!(f, "\nand {} more error{s} ({n} in all)", self.omitted)?;
        } else if n > 1 {
            writeln!(f, "\n{n} errors")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompileError {}

/// Where the source text of a module comes from.
trait Source {
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

struct Disk;

impl Source for Disk {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// The main file given as a string; imports still come from disk next to `path`.
struct MainInMemory<'a> {
    path: PathBuf,
    src: &'a str,
}

impl Source for MainInMemory<'_> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        if path == self.path {
            Ok(self.src.to_string())
        } else {
            std::fs::read_to_string(path)
        }
    }
}

struct Loader<'s> {
    source: &'s dyn Source,
    files: Vec<SourceFile>,
    by_path: HashMap<PathBuf, usize>,
    /// Files whose imports are being loaded (for cycle detection).
    visiting: Vec<usize>,
    order: Vec<usize>,
    diags: Diagnostics,
    /// Whether a file could not be read or an import not resolved (then nothing is lowered).
    load_failed: bool,
}

impl Loader<'_> {
    fn load(&mut self, path: &Path, display: String) -> Option<usize> {
        let src = match self.source.read(path) {
            Ok(s) => s,
            Err(e) => {
                let source = Arc::new(SourceText::unreadable(display));
                let d = Diagnostic::new(Span::default(), format!("cannot read file: {e}"));
                self.diags.report(self.files.len(), &source, d);
                self.load_failed = true;
                return None;
            }
        };
        if src.len() > MAX_SOURCE {
            let source = Arc::new(SourceText::unreadable(display));
            let msg = format!("the file has {} bytes, more than the limit of {MAX_SOURCE}", src.len());
            self.diags.report(self.files.len(), &source, Diagnostic::new(Span::default(), msg));
            self.load_failed = true;
            return None;
        }
        let source = Arc::new(SourceText::new(display, src));
        let idx = self.files.len();
        // Parse errors do not stop the compile: the rest of the program is still checked.
        let parsed = crate::parser::parse_recovering(&source.text);
        for d in parsed.errors {
            self.diags.report(idx, &source, d);
        }
        let mut file = SourceFile::new(source, parsed.file);
        file.syntax_errors = parsed.syntax_errors;
        self.files.push(file);
        // Registered under its canonical path before its imports load, so a cycle back to
        // it is found whatever spelling the import uses.
        self.by_path.insert(canonical(path), idx);
        self.visiting.push(idx);
        let imports: Vec<ast::ImportDecl> = self.files[idx]
            .ast
            .items
            .iter()
            .filter_map(|i| if let ast::Item::Import(d) = i { Some(d.clone()) } else { None })
            .collect();
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for imp in imports {
            self.import(idx, &dir, &imp);
        }
        self.visiting.pop();
        self.order.push(idx);
        Some(idx)
    }

    fn err(&mut self, file: usize, span: Span, msg: String) {
        let source = Arc::clone(&self.files[file].source);
        self.diags.report(file, &source, Diagnostic::new(span, msg));
        self.load_failed = true;
    }

    fn import(&mut self, from: usize, dir: &Path, imp: &ast::ImportDecl) {
        let name = &imp.module.name;
        let alias = imp.alias.as_ref().unwrap_or(&imp.module).name.clone();
        if crate::builtins::is_builtin_module(name) || crate::builtins::is_builtin_module(&alias) {
            self.err(
                from,
                imp.span,
                format!(
                    "a user module cannot be named '{}': it is a built-in module",
                    if crate::builtins::is_builtin_module(name) { name } else { &alias }
                ),
            );
            return;
        }
        if self.files[from].imports.contains_key(&alias) {
            self.err(from, imp.span, format!("duplicate definition of '{alias}'"));
            return;
        }
        let path = dir.join(format!("{name}.kite"));
        if let Some(&idx) = self.by_path.get(&canonical(&path)) {
            if let Some(pos) = self.visiting.iter().position(|&v| v == idx) {
                let chain: Vec<String> = self.visiting[pos..]
                    .iter()
                    .chain(std::iter::once(&idx))
                    .map(|&i| module_name(self.files[i].path()))
                    .collect();
                self.err(from, imp.span, format!("import cycle: {}", chain.join(" -> ")));
                return;
            }
            self.files[from].imports.insert(alias, idx);
            return;
        }
        if !path.is_file() {
            self.err(from, imp.module.span, format!("cannot find module '{name}' (looked for {})", path.display()));
            return;
        }
        if self.files.len() >= MAX_FILES {
            self.err(
                from,
                imp.span,
                format!("the program has more than {MAX_FILES} files, the limit of the bytecode format"),
            );
            return;
        }
        let display = path.display().to_string();
        let display = display.strip_prefix("./").map(str::to_string).unwrap_or(display);
        if let Some(idx) = self.load(&path, display) {
            self.files[from].imports.insert(alias, idx);
        }
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn module_name(path: &str) -> String {
    Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn compile_with(source: &dyn Source, path: &Path) -> Result<Module, CompileError> {
    let display = path.display().to_string();
    let mut l = Loader {
        source,
        files: Vec::new(),
        by_path: HashMap::new(),
        visiting: Vec::new(),
        order: Vec::new(),
        diags: Diagnostics::new(),
        load_failed: false,
    };
    l.load(path, display);
    if l.load_failed {
        return Err(CompileError::from_diagnostics(l.diags));
    }
    let mut diags = l.diags;
    match lower_program(&l.files, &l.order, &mut diags) {
        Some(m) if diags.is_empty() => Ok(m),
        _ => Err(CompileError::from_diagnostics(diags)),
    }
}

/// Compiles the program whose main file is `path`.
pub fn compile_file(path: impl AsRef<Path>) -> Result<Module, CompileError> {
    let path = path.as_ref();
    if !path.is_file() {
        return Err(CompileError::io(&path.display().to_string(), "no such file".into()));
    }
    compile_with(&Disk, path)
}

/// Compiles a program given as text; `path` names it in diagnostics and locates imports.
pub fn compile_source(path: impl AsRef<Path>, src: &str) -> Result<Module, CompileError> {
    let path = path.as_ref();
    compile_with(&MainInMemory { path: path.to_path_buf(), src }, path)
}
