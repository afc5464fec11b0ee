//! Checking and lowering. Declarations of every file are collected first (so items are
//! visible in any order and across imports); then global initializers are checked and
//! lowered into the init function in source order; then every function body is checked
//! and lowered to register bytecode in one pass per function, each expression yielding
//! its checked type and the register that holds it.

mod calls;
mod expr;
mod freevars;
mod func;
mod inline;
pub mod limits;
mod stmt;

use crate::ast::{self, Span};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::SourceText;
use crate::types::{Ty, TyNames, TypeTable};
use func::FnCtx;
use kite_vm::bytecode::verify::limits::MAX_TYPE_DEPTH;
use kite_vm::bytecode::{Const, Export, Field, Function, Global, Import, Loc, Module, StructDef};
use limits::{Caps, Limit};
use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::Arc;

/// A parsed source file and the modules it imports.
pub struct SourceFile {
    /// The path (as shown in diagnostics and stack traces) and the text.
    pub source: Arc<SourceText>,
    pub ast: ast::File,
    /// Import alias -> index of the imported file.
    pub imports: HashMap<String, usize>,
    /// Offsets of the syntax errors found in the file, in order. A declaration is
    /// checked only up to its first one: what follows it is likely misread.
    pub syntax_errors: Vec<u32>,
}

impl SourceFile {
    pub fn new(source: Arc<SourceText>, ast: ast::File) -> SourceFile {
        SourceFile { source, ast, imports: HashMap::new(), syntax_errors: Vec::new() }
    }

    pub fn path(&self) -> &str {
        &self.source.path
    }

    pub fn src(&self) -> &str {
        &self.source.text
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        self.source.line_col(offset)
    }
}

/// A top-level name of one file.
#[derive(Clone, Copy, Debug)]
enum Item {
    Fn(u32),
    Struct(u32),
    Global(u32),
    Extern(u32),
}

struct StructInfo {
    name: String,
    /// The file that declares it.
    file: usize,
    /// False when its fields could not be parsed: uses of it are not checked.
    known: bool,
    fields: Vec<(String, Ty)>,
    /// Field name -> index in `fields`.
    field_index: HashMap<String, u32>,
}

impl StructInfo {
    fn field(&self, name: &str) -> Option<usize> {
        self.field_index.get(name).map(|&i| i as usize)
    }
}

/// A named function (or method) and its signature.
struct FuncInfo {
    params: Vec<Ty>,
    ret: Ty,
    /// False when its signature could not be parsed: calls to it are not checked.
    known: bool,
}

struct GlobalInfo {
    name: String,
    /// Known once its initializer has been checked.
    ty: Option<Ty>,
    mutable: bool,
}

/// A constant other than a string, by value (strings are found by their hash).
#[derive(PartialEq, Eq, Hash)]
enum ConstKey {
    Int(i64),
    Float(u64),
}

/// The whole program being compiled.
pub struct Lowerer<'a> {
    files: &'a [SourceFile],
    /// The file being checked now.
    file: usize,
    /// The declaration being checked now (for the syntax errors in it).
    item: Span,
    /// The innermost statement being checked now (or the declaration).
    stmt: Span,
    diags: &'a mut Diagnostics,
    types: TypeTable,
    structs: Vec<StructInfo>,
    /// Struct names that more than one file declares: shown with their module.
    shared_struct_names: HashSet<String>,
    items: Vec<HashMap<String, Item>>,
    methods: HashMap<(u32, String), u32>,
    funcs: Vec<FuncInfo>,
    out_funcs: Vec<Option<Function>>,
    consts: Vec<Const>,
    const_ids: HashMap<ConstKey, u32>,
    /// Hash of a string constant's text -> the constants with that hash.
    str_ids: HashMap<u64, Vec<u32>>,
    globals: Vec<GlobalInfo>,
    imports: Vec<Import>,
    import_sigs: Vec<(Vec<Ty>, Ty)>,
    import_ids: HashMap<(String, String), u32>,
    /// Functions being lowered: the innermost (a closure) last.
    stack: Vec<FnCtx>,
    /// Program-wide limits already reported.
    limits_reported: HashSet<Limit>,
    caps: Caps,
    /// Parameter and result types of `extern` functions, checked once every struct's
    /// fields are known: (file, declaration, type's span, type).
    host_types: Vec<(usize, Span, Span, Ty)>,
}

impl<'a> Lowerer<'a> {
    fn new(files: &'a [SourceFile], diags: &'a mut Diagnostics) -> Lowerer<'a> {
        Lowerer {
            files,
            file: 0,
            item: Span::default(),
            stmt: Span::default(),
            diags,
            types: TypeTable::default(),
            structs: Vec::new(),
            shared_struct_names: HashSet::new(),
            items: vec![HashMap::new(); files.len()],
            methods: HashMap::new(),
            funcs: Vec::new(),
            out_funcs: Vec::new(),
            consts: Vec::new(),
            const_ids: HashMap::new(),
            str_ids: HashMap::new(),
            globals: Vec::new(),
            imports: Vec::new(),
            import_sigs: Vec::new(),
            import_ids: HashMap::new(),
            stack: Vec::new(),
            limits_reported: HashSet::new(),
            caps: Caps::default(),
            host_types: Vec::new(),
        }
    }

    /// Reports a diagnostic, unless it may come from a syntax error: in a declaration
    /// with a syntax error, what comes after the error and the statement that contains it
    /// are not reported on.
    fn report(&mut self, d: Diagnostic) {
        if let Some(at) = self.first_syntax_error() {
            if at <= d.span.lo || (self.stmt.lo <= at && at < self.stmt.hi) {
                return;
            }
        }
        self.diags.report(self.file, &self.files[self.file].source, d);
    }

    /// Starts checking the declaration at `span`.
    fn set_item(&mut self, span: Span) {
        self.item = span;
        self.stmt = span;
    }

    /// Where the first syntax error in the declaration being checked is, if it has one.
    fn first_syntax_error(&self) -> Option<u32> {
        let errors = &self.files[self.file].syntax_errors;
        let i = errors.partition_point(|&at| at < self.item.lo);
        errors.get(i).copied().filter(|&at| at < self.item.hi)
    }

    fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.report(Diagnostic::new(span, msg));
    }

    fn error_hint(&mut self, span: Span, msg: impl Into<String>, hint: impl Into<String>) {
        self.report(Diagnostic::new(span, msg).with_hint(hint));
    }

    /// The type's name with its article: `an int`, `a str`, `an [int]`.
    fn with_article(&self, t: &Ty) -> String {
        let name = self.show(t);
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u', '[', '{']) { "an" } else { "a" };
        format!("{article} {name}")
    }

    fn show(&self, t: &Ty) -> String {
        TyNames { struct_name: &|s| self.struct_display(s) }.show(t)
    }

    /// A struct's name as diagnostics show it: `Rect`, or `geometry.Rect` when another
    /// file declares a `Rect` too and this one is not the file being checked (qualified
    /// with the name the file being checked imports it as, else its module's name).
    fn struct_display(&self, s: u32) -> String {
        let Some(info) = self.structs.get(s as usize) else {
            return "?".into();
        };
        if info.file == self.file || !self.shared_struct_names.contains(&info.name) {
            return info.name.clone();
        }
        let alias = self.files[self.file].imports.iter().filter(|(_, &f)| f == info.file).map(|(a, _)| a).min();
        match alias {
            Some(a) => format!("{a}.{}", info.name),
            None => format!("{}.{}", module_name(self.files[info.file].path()), info.name),
        }
    }

    fn loc(&self, span: Span) -> Loc {
        let (line, col) = self.files[self.file].line_col(span.lo);
        Loc { file: self.file as u32, line, col }
    }

    /// The index of an int or float constant, added if new; `span` is where it is used.
    fn konst(&mut self, key: ConstKey, span: Span) -> u32 {
        if let Some(&id) = self.const_ids.get(&key) {
            return id;
        }
        let c = match &key {
            ConstKey::Int(v) => Const::Int(*v),
            ConstKey::Float(b) => Const::Float(f64::from_bits(*b)),
        };
        let id = self.add_const(c, span);
        self.const_ids.insert(key, id);
        id
    }

    /// The index of a string constant, added if new.
    fn str_const(&mut self, text: &str, span: Span) -> u32 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(text, &mut h);
        let h = std::hash::Hasher::finish(&h);
        if let Some(ids) = self.str_ids.get(&h) {
            for &id in ids {
                if matches!(&self.consts[id as usize], Const::Str(s) if s == text) {
                    return id;
                }
            }
        }
        let id = self.add_const(Const::Str(text.to_string()), span);
        self.str_ids.entry(h).or_default().push(id);
        id
    }

    fn add_const(&mut self, c: Const, span: Span) -> u32 {
        if self.consts.len() >= self.caps.consts {
            self.over_limit(Limit::Consts, span);
        }
        let id = self.consts.len() as u32;
        self.consts.push(c);
        id
    }

    /// The index of host import `module.name`, added if new; `span` is where it is
    /// declared or called.
    fn import_id(&mut self, module: &str, name: &str, params: Vec<Ty>, ret: Ty, span: Span) -> u32 {
        if let Some(&id) = self.import_ids.get(&(module.to_string(), name.to_string())) {
            return id;
        }
        if self.imports.len() >= limits::MAX_IMPORTS {
            self.over_limit(Limit::Imports, span);
        }
        let id = self.imports.len() as u32;
        let p = params.iter().map(|t| self.types.id(t)).collect();
        let r = self.types.ret_id(&ret);
        self.imports.push(Import { module: module.into(), name: name.into(), params: p, ret: r });
        self.import_sigs.push((params, ret));
        self.import_ids.insert((module.to_string(), name.to_string()), id);
        id
    }

    /// Declares a top-level name in the current file, reporting duplicates.
    fn declare(&mut self, name: &ast::Ident, item: Item) {
        if crate::builtins::is_builtin_module(&name.name) {
            self.error(name.span, format!("'{}' is a built-in module and cannot be redefined", name.name));
            return;
        }
        if self.items[self.file].contains_key(&name.name) || self.files[self.file].imports.contains_key(&name.name) {
            self.error(name.span, format!("duplicate definition of '{}'", name.name));
            return;
        }
        self.items[self.file].insert(name.name.clone(), item);
    }

    /// Whether `t` nests no deeper than the bytecode allows; reports it at `span` if not.
    fn check_depth(&mut self, t: &Ty, span: Span) -> bool {
        let d = t.depth();
        if d <= MAX_TYPE_DEPTH {
            return true;
        }
        let name = self.show(t);
        self.error(span, format!("the type {name} nests {d} levels deep, more than the limit of {MAX_TYPE_DEPTH}"));
        false
    }

    /// Resolves a written type in the current file; a type that nests too deeply is an
    /// error at the type.
    fn resolve_type(&mut self, t: &ast::TypeExpr) -> Ty {
        let ty = self.resolve_type_parts(t);
        let d = ty.depth();
        if d > MAX_TYPE_DEPTH {
            self.error(t.span, format!("type nests {d} levels deep, more than the limit of {MAX_TYPE_DEPTH}"));
            return Ty::Error;
        }
        ty
    }

    fn resolve_type_parts(&mut self, t: &ast::TypeExpr) -> Ty {
        use ast::TypeExprKind as K;
        match &t.kind {
            K::Named(id) => match id.name.as_str() {
                "int" => Ty::Int,
                "float" => Ty::Float,
                "bool" => Ty::Bool,
                "str" => Ty::Str,
                name => match self.items[self.file].get(name) {
                    Some(Item::Struct(s)) => Ty::Struct(*s),
                    _ => {
                        self.error(id.span, format!("unknown type '{name}'"));
                        Ty::Error
                    }
                },
            },
            K::Qualified(m, id) => {
                let Some(&f) = self.files[self.file].imports.get(&m.name) else {
                    self.error(m.span, format!("unknown module '{}'", m.name));
                    return Ty::Error;
                };
                match self.items[f].get(&id.name) {
                    Some(Item::Struct(s)) => Ty::Struct(*s),
                    _ => {
                        self.error(id.span, format!("unknown type '{}.{}'", m.name, id.name));
                        Ty::Error
                    }
                }
            }
            K::Array(e) => Ty::array(self.resolve_type_parts(e)),
            K::Map(k, v) => {
                let kt = self.resolve_type_parts(k);
                let vt = self.resolve_type_parts(v);
                if !kt.is_key() && !kt.is_error() {
                    self.error(k.span, format!("map key type must be int, str or bool, not {}", self.show(&kt)));
                }
                Ty::Map(Box::new(kt), Box::new(vt))
            }
            K::Optional(e) => {
                let inner = self.resolve_type_parts(e);
                if matches!(inner, Ty::Opt(_)) {
                    self.error(t.span, "nested optional type is not allowed");
                    return inner;
                }
                Ty::opt(inner)
            }
            K::Fn(ps, r) => {
                self.check_param_count(ps.len(), t.span);
                let ps = ps.iter().map(|p| self.resolve_type_parts(p)).collect();
                let r = match r {
                    Some(r) => self.resolve_type_parts(r),
                    None => Ty::Void,
                };
                Ty::Fn(ps, Box::new(r))
            }
        }
    }

    /// Pass 1: names of every file. Pass 2: struct fields and signatures.
    fn collect(&mut self) {
        for f in 0..self.files.len() {
            self.file = f;
            let file = &self.files[f];
            for item in &file.ast.items {
                self.set_item(item_span(item));
                match item {
                    ast::Item::Struct(s) => {
                        if self.structs.len() >= limits::MAX_STRUCTS {
                            self.over_limit(Limit::Structs, s.name.span);
                        }
                        let id = self.structs.len() as u32;
                        self.structs.push(StructInfo {
                            name: s.name.name.clone(),
                            file: f,
                            known: !s.recovered,
                            fields: Vec::new(),
                            field_index: HashMap::new(),
                        });
                        self.declare(&s.name, Item::Struct(id));
                    }
                    ast::Item::Fn(d) => {
                        let id = self.new_func_slot(d.name.span);
                        self.declare(&d.name, Item::Fn(id));
                    }
                    ast::Item::Global(g) => {
                        if self.globals.len() >= limits::MAX_GLOBALS {
                            self.over_limit(Limit::Globals, g.name.span);
                        }
                        let id = self.globals.len() as u32;
                        self.globals.push(GlobalInfo { name: g.name.name.clone(), ty: None, mutable: g.mutable });
                        self.declare(&g.name, Item::Global(id));
                    }
                    ast::Item::Extern(_) | ast::Item::Impl(_) | ast::Item::Import(_) => {}
                }
            }
        }
        let mut files_of: HashMap<&str, HashSet<usize>> = HashMap::new();
        for s in &self.structs {
            files_of.entry(s.name.as_str()).or_default().insert(s.file);
        }
        self.shared_struct_names =
            files_of.into_iter().filter(|(_, fs)| fs.len() > 1).map(|(n, _)| n.to_string()).collect();
        for f in 0..self.files.len() {
            self.file = f;
            let file = &self.files[f];
            for item in &file.ast.items {
                self.set_item(item_span(item));
                match item {
                    ast::Item::Struct(s) => {
                        let Some(Item::Struct(id)) = self.items[f].get(&s.name.name).copied() else {
                            continue;
                        };
                        if s.fields.len() > limits::MAX_FIELDS {
                            self.error(
                                s.name.span,
                                format!(
                                    "struct '{}' has {} fields, more than the limit of {}",
                                    s.name.name,
                                    s.fields.len(),
                                    limits::MAX_FIELDS
                                ),
                            );
                        }
                        let mut fields: Vec<(String, Ty)> = Vec::with_capacity(s.fields.len());
                        let mut field_index = HashMap::with_capacity(s.fields.len());
                        for p in &s.fields {
                            let t = self.resolve_type(&p.ty);
                            self.types.id(&t);
                            self.check_type_count(p.ty.span);
                            if field_index.contains_key(&p.name.name) {
                                self.error(p.name.span, format!("duplicate field '{}'", p.name.name));
                                continue;
                            }
                            field_index.insert(p.name.name.clone(), fields.len() as u32);
                            fields.push((p.name.name.clone(), t));
                        }
                        self.structs[id as usize].fields = fields;
                        self.structs[id as usize].field_index = field_index;
                    }
                    ast::Item::Fn(d) => {
                        let Some(Item::Fn(id)) = self.items[f].get(&d.name.name).copied() else {
                            continue;
                        };
                        if let Some(sp) = d.self_param {
                            self.error(sp, "'self' is only allowed in methods inside an impl block");
                        }
                        self.funcs[id as usize] = self.signature(d, None);
                    }
                    ast::Item::Impl(imp) => {
                        let sid = match self.items[f].get(&imp.name.name) {
                            Some(Item::Struct(s)) => *s,
                            _ => {
                                self.error(imp.name.span, format!("unknown struct '{}'", imp.name.name));
                                continue;
                            }
                        };
                        for m in &imp.methods {
                            self.set_item(m.span);
                            let key = (sid, m.name.name.clone());
                            if self.methods.contains_key(&key) {
                                self.error(m.name.span, format!("duplicate definition of '{}'", m.name.name));
                                continue;
                            }
                            let id = self.new_func_slot(m.name.span);
                            self.funcs[id as usize] = self.signature(m, Some(sid));
                            self.methods.insert(key, id);
                        }
                    }
                    ast::Item::Extern(e) => {
                        self.check_param_count(e.params.len(), e.name.span);
                        let params = e.params.iter().map(|p| self.host_type(&p.ty)).collect();
                        let ret = match &e.ret {
                            Some(r) => self.host_type(r),
                            None => Ty::Void,
                        };
                        if crate::builtins::is_builtin_module(&e.module) {
                            self.error(
                                e.module_span,
                                format!("'{}' is a built-in module; extern declares host modules", e.module),
                            );
                        }
                        let id = self.import_id(&e.module, &e.name.name, params, ret, e.name.span);
                        self.declare(&e.name, Item::Extern(id));
                    }
                    ast::Item::Global(_) | ast::Item::Import(_) => {}
                }
            }
        }
        self.check_host_types();
    }

    /// Resolves a parameter or result type of an `extern` function, to be checked for
    /// crossing the host boundary once all struct fields are known.
    fn host_type(&mut self, t: &ast::TypeExpr) -> Ty {
        let ty = self.resolve_type(t);
        self.host_types.push((self.file, self.item, t.span, ty.clone()));
        ty
    }

    /// Every type of an `extern` signature must cross the host boundary: no function
    /// type, however deep (in arrays, optionals, maps or struct fields).
    fn check_host_types(&mut self) {
        for (file, item, span, ty) in std::mem::take(&mut self.host_types) {
            if self.crosses_host(&ty, &mut HashSet::new()) {
                continue;
            }
            self.file = file;
            self.set_item(item);
            self.error_hint(
                span,
                format!("{} cannot cross the host boundary", self.show(&ty)),
                "host functions take and return int, float, bool, str, and arrays, optionals, maps and structs of those; functions cannot cross",
            );
        }
    }

    fn crosses_host(&self, t: &Ty, seen: &mut HashSet<u32>) -> bool {
        match t {
            Ty::Int | Ty::Float | Ty::Bool | Ty::Str | Ty::Error => true,
            Ty::Array(e) | Ty::Opt(e) => self.crosses_host(e, seen),
            Ty::Map(k, v) => self.crosses_host(k, seen) && self.crosses_host(v, seen),
            Ty::Struct(s) => {
                !seen.insert(*s)
                    || self
                        .structs
                        .get(*s as usize)
                        .is_none_or(|info| info.fields.iter().all(|(_, f)| self.crosses_host(f, seen)))
            }
            Ty::Void | Ty::Nil | Ty::Fn(..) => false,
        }
    }

    fn new_func_slot(&mut self, span: Span) -> u32 {
        if self.funcs.len() >= limits::MAX_FUNCTIONS {
            self.over_limit(Limit::Functions, span);
        }
        let id = self.funcs.len() as u32;
        self.funcs.push(FuncInfo { params: Vec::new(), ret: Ty::Void, known: true });
        self.out_funcs.push(None);
        id
    }

    fn signature(&mut self, d: &ast::FnDecl, self_struct: Option<u32>) -> FuncInfo {
        if d.recovered {
            return FuncInfo { params: Vec::new(), ret: Ty::Error, known: false };
        }
        self.check_param_count(d.params.len() + d.self_param.is_some() as usize, d.name.span);
        let mut params = Vec::new();
        if let Some(s) = self_struct {
            if d.self_param.is_some() {
                params.push(Ty::Struct(s));
            }
        }
        for p in &d.params {
            params.push(self.resolve_type(&p.ty));
        }
        let ret = match &d.ret {
            Some(r) => self.resolve_type(r),
            None => Ty::Void,
        };
        FuncInfo { params, ret, known: true }
    }

    /// Lowers the init function: every global initializer, files in import order.
    fn lower_globals(&mut self, order: &[usize]) -> Option<u32> {
        let first_global = order.iter().find_map(|&f| {
            self.files[f].ast.items.iter().find_map(|i| match i {
                ast::Item::Global(g) => Some((f, g.span)),
                _ => None,
            })
        });
        let (first_file, first_span) = first_global?;
        self.file = first_file;
        let id = self.new_func_slot(first_span);
        self.stack.push(FnCtx::new("<init>".into(), Ty::Void));
        for &f in order {
            self.file = f;
            for item in &self.files[f].ast.items {
                let ast::Item::Global(g) = item else { continue };
                self.set_item(g.span);
                let Some(Item::Global(gid)) = self.items[f].get(&g.name.name).copied() else {
                    continue;
                };
                let mark = self.ctx().mark();
                let declared = g.ty.as_ref().map(|t| self.resolve_type(t));
                let v = self.expr(&g.init, declared.as_ref(), None);
                let ty = match declared {
                    Some(t) => {
                        let v = self.coerce(v, &t, g.init.span);
                        self.set_global_reg(gid, v.reg, g.span);
                        t
                    }
                    None => {
                        let t = self.infer_binding_type(&v.ty, &g.init);
                        self.set_global_reg(gid, v.reg, g.span);
                        t
                    }
                };
                self.globals[gid as usize].ty = Some(ty);
                self.ctx().release(mark);
            }
        }
        let end = Span::default();
        self.emit_op(kite_vm::bytecode::Op::RetVoid, 0, 0, 0, end);
        let ctx = self.stack.pop().expect("init context");
        self.file = first_file;
        self.set_item(first_span);
        if ctx.code_len() > self.caps.code {
            self.error_hint(
                first_span,
                format!(
                    "the global initializers are too large: {} instructions, more than the limit of {}",
                    ctx.code_len(),
                    self.caps.code
                ),
                "initialize some globals in a function instead",
            );
        }
        self.out_funcs[id as usize] = Some(ctx.finish(&mut self.types, Vec::new(), Vec::new(), None));
        self.check_type_count(first_span);
        Some(id)
    }

    fn set_global_reg(&mut self, gid: u32, reg: u16, span: Span) {
        self.emit_bc(kite_vm::bytecode::Op::SetGlobal, reg, gid, span);
    }

    /// Lowers every named function and method body.
    fn lower_functions(&mut self) {
        for f in 0..self.files.len() {
            self.file = f;
            for item in &self.files[f].ast.items {
                match item {
                    ast::Item::Fn(d) => {
                        let Some(Item::Fn(id)) = self.items[f].get(&d.name.name).copied() else {
                            continue;
                        };
                        if !d.recovered {
                            self.set_item(d.span);
                            self.lower_fn(id, d, d.name.name.clone(), None);
                        }
                    }
                    ast::Item::Impl(imp) => {
                        let Some(Item::Struct(sid)) = self.items[f].get(&imp.name.name).copied() else {
                            continue;
                        };
                        for m in &imp.methods {
                            let Some(&id) = self.methods.get(&(sid, m.name.name.clone())) else {
                                continue;
                            };
                            if self.out_funcs[id as usize].is_some() || m.recovered {
                                continue;
                            }
                            self.set_item(m.span);
                            self.lower_fn(id, m, format!("{}.{}", imp.name.name, m.name.name), Some(sid));
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn lower_fn(&mut self, id: u32, d: &ast::FnDecl, name: String, self_struct: Option<u32>) {
        let info = &self.funcs[id as usize];
        let (params, ret) = (info.params.clone(), info.ret.clone());
        let mut names: Vec<&str> = Vec::new();
        if self_struct.is_some() && d.self_param.is_some() {
            names.push("self");
        }
        names.extend(d.params.iter().map(|p| p.name.name.as_str()));
        let make = || {
            let mut ctx = FnCtx::new(name.clone(), ret.clone());
            for (i, n) in names.iter().enumerate() {
                let t = params.get(i).cloned().unwrap_or(Ty::Error);
                let reg = ctx.alloc(&t);
                ctx.declare_fixed(n.to_string(), reg, t, "parameter");
            }
            ctx
        };
        let ctx = self.lower_function(&make, &d.body, &ret, d.name.span);
        let p = params.iter().map(|t| self.types.id(t)).collect();
        let r = self.types.ret_id(&ret);
        self.out_funcs[id as usize] = Some(ctx.finish(&mut self.types, p, Vec::new(), r));
        self.check_type_count(d.name.span);
    }

    /// Lowers a function's body in the context `make` builds (parameters and captures
    /// declared). If a branch's offset did not fit its operand, lowers it again with
    /// long branches (dropping the closures made the first time). A function with more
    /// instructions than the format allows is an error at `name_span`.
    pub(super) fn lower_function(
        &mut self,
        make: &dyn Fn() -> FnCtx,
        body: &ast::Block,
        ret: &Ty,
        name_span: Span,
    ) -> FnCtx {
        let funcs_before = self.funcs.len();
        let errors_before = self.diags.count();
        let mut long = false;
        loop {
            let mut ctx = make();
            ctx.long_branches = long;
            self.stack.push(ctx);
            self.lower_body(body, ret, name_span);
            let ctx = self.stack.pop().expect("function context");
            if ctx.branch_overflow && !long && self.diags.count() == errors_before {
                self.funcs.truncate(funcs_before);
                self.out_funcs.truncate(funcs_before);
                long = true;
                continue;
            }
            let len = ctx.code_len();
            if len > self.caps.code || ctx.branch_overflow && self.diags.count() == errors_before {
                let what = match ctx.name.as_str() {
                    "<closure>" => "this closure is".to_string(),
                    name => format!("function '{name}' is"),
                };
                self.error_hint(
                    name_span,
                    format!("{what} too large: {len} instructions, more than the limit of {}", self.caps.code),
                    "split it into smaller functions",
                );
            }
            return ctx;
        }
    }

    /// Lowers a function body and its implicit return.
    fn lower_body(&mut self, body: &ast::Block, ret: &Ty, name_span: Span) {
        let falls = self.block(body);
        if falls && self.first_syntax_error().is_none() {
            if *ret == Ty::Void || ret.is_error() {
                self.emit_op(
                    kite_vm::bytecode::Op::RetVoid,
                    0,
                    0,
                    0,
                    Span { lo: body.span.hi.saturating_sub(1), hi: body.span.hi },
                );
            } else {
                self.error(
                    name_span,
                    format!(
                        "missing return: the end of this function can be reached without returning {}",
                        self.with_article(ret)
                    ),
                );
            }
        }
    }

    fn finish(self, main: Option<u32>, init: Option<u32>) -> Module {
        let structs =
            self.structs.iter().map(|s| StructDef { name: s.name.clone(), fields: Vec::new() }).collect::<Vec<_>>();
        let mut types = self.types;
        let structs = structs
            .into_iter()
            .zip(self.structs.iter())
            .map(|(mut d, s)| {
                d.fields = s.fields.iter().map(|(n, t)| Field { name: n.clone(), ty: types.id(t) }).collect();
                d
            })
            .collect();
        let globals = self
            .globals
            .iter()
            .map(|g| Global { name: g.name.clone(), ty: types.id(g.ty.as_ref().unwrap_or(&Ty::Int)) })
            .collect();
        let mut exports = Vec::new();
        if let Some(items) = self.items.first() {
            let mut named: Vec<(&String, u32)> =
                items.iter().filter_map(|(n, i)| if let Item::Fn(f) = i { Some((n, *f)) } else { None }).collect();
            named.sort_by_key(|(_, f)| *f);
            exports = named.into_iter().map(|(n, f)| Export { name: n.clone(), func: f }).collect();
        }
        Module {
            types: types.types,
            structs,
            consts: self.consts,
            globals,
            functions: self.out_funcs.into_iter().map(|f| f.unwrap_or_else(empty_function)).collect(),
            imports: self.imports,
            exports,
            files: self.files.iter().map(|f| f.path().to_string()).collect(),
            init,
            main,
        }
    }
}

fn empty_function() -> Function {
    Function {
        name: "<missing>".into(),
        captures: Vec::new(),
        params: Vec::new(),
        ret: None,
        regs: Vec::new(),
        code: vec![kite_vm::bytecode::Instr::new(kite_vm::bytecode::Op::RetVoid, 0, 0, 0)],
        locs: vec![Loc::default()],
    }
}

/// Checks and lowers a whole program. `files[0]` is the main file; `init_order` lists
/// every file with each one after the files it imports (the order globals initialize in).
/// Reports every problem to `diags` (files by their index in `files`); returns the module
/// when `diags` has none (counting those reported before, such as syntax errors).
pub fn lower_program(files: &[SourceFile], init_order: &[usize], diags: &mut Diagnostics) -> Option<Module> {
    lower_program_with(files, init_order, diags, Caps::default())
}

/// [`lower_program`] with the limits `caps`.
fn lower_program_with(
    files: &[SourceFile],
    init_order: &[usize],
    diags: &mut Diagnostics,
    caps: Caps,
) -> Option<Module> {
    let mut l = Lowerer::new(files, diags);
    l.caps = caps;
    l.collect();
    let init = l.lower_globals(init_order);
    l.lower_functions();
    l.file = 0;
    l.set_item(main_span(&files[0]));
    // A file without `main` is a library: it exports its functions and has no entry point.
    let main = match l.items.first().and_then(|m| m.get("main")).copied() {
        Some(Item::Fn(id)) => {
            let f = &l.funcs[id as usize];
            if f.known && (!f.params.is_empty() || !(f.ret == Ty::Void || f.ret == Ty::Int)) {
                let span = main_span(&files[0]);
                l.error(span, "main must be declared as `fn main()` or `fn main() -> int`");
            }
            Some(id)
        }
        _ => None,
    };
    // Earlier errors (the parser's) count too: the program cannot be trusted then.
    if !l.diags.is_empty() {
        return None;
    }
    let mut module = l.finish(main, init);
    inline::inline_leaf_calls(&mut module);
    Some(module)
}

/// The span of a top-level declaration.
fn item_span(item: &ast::Item) -> Span {
    match item {
        ast::Item::Fn(d) => d.span,
        ast::Item::Struct(d) => d.span,
        ast::Item::Impl(d) => d.span,
        ast::Item::Global(d) => d.span,
        ast::Item::Import(d) => d.span,
        ast::Item::Extern(d) => d.span,
    }
}

/// The module name of a file: its name without `.kite`.
fn module_name(path: &str) -> String {
    std::path::Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn main_span(f: &SourceFile) -> Span {
    f.ast
        .items
        .iter()
        .find_map(|i| match i {
            ast::Item::Fn(d) if d.name.name == "main" => Some(d.name.span),
            _ => None,
        })
        .unwrap_or_default()
}
