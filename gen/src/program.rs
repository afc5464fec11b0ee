//! The whole program: its structs, globals and functions (in the main file and the
//! optional second module), generated in dependency order and then written out with the
//! declarations of each file shuffled (Kite declarations are visible in any order).

use crate::scope::{Cost, Fx, FxKind, CLOSURE_BUDGET, FUNC_BUDGET, MAIN_BUDGET};
use crate::source::Src;
use crate::types::{Ty, S_MAX};
use crate::Program;

/// Which file an item is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum File {
    Main,
    Module,
}

pub(crate) struct StructDef {
    pub name: String,
    pub file: File,
    pub fields: Vec<(String, Ty)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FnKind {
    Free,
    /// A method of struct `s`; `has_self: false` is a static one (`S.name(...)`).
    Method {
        s: usize,
        has_self: bool,
    },
}

#[derive(Clone)]
pub(crate) struct FuncDef {
    pub name: String,
    pub file: File,
    /// Parameters after `self`.
    pub params: Vec<Ty>,
    pub ret: Option<Ty>,
    pub kind: FnKind,
    /// The first parameter is a recursion depth; callers pass a small literal.
    pub recursive: bool,
    /// Cost of one call (set when its body is done).
    pub cost: Cost,
    pub done: bool,
}

pub(crate) struct GlobalDef {
    pub name: String,
    pub file: File,
    pub ty: Ty,
    pub mutable: bool,
}

/// Deepest recursion a call asks for.
pub(crate) const MAX_REC_DEPTH: i64 = 12;

/// One top-level declaration's text. Globals keep their relative order (they initialize
/// in source order); everything else may go anywhere.
struct Item {
    text: String,
    global: bool,
}

pub(crate) struct Gen<'a, 'b> {
    pub src: Src<'a, 'b>,
    pub structs: Vec<StructDef>,
    pub funcs: Vec<FuncDef>,
    pub globals: Vec<GlobalDef>,
    /// The file being generated.
    pub file: File,
    pub stem: String,
    /// The name the main file uses for the module (its stem, or an `as` alias).
    pub alias: String,
    pub fx: Vec<Fx>,
    pub counter: usize,
    /// Whether unguarded trapping operations may be generated (rarely).
    pub hazard: bool,
    items: [Vec<Item>; 2],
}

impl<'a, 'b> Gen<'a, 'b> {
    pub fn new(src: Src<'a, 'b>) -> Self {
        Gen {
            src,
            structs: Vec::new(),
            funcs: Vec::new(),
            globals: Vec::new(),
            file: File::Main,
            stem: String::new(),
            alias: String::new(),
            fx: Vec::new(),
            counter: 0,
            hazard: false,
            items: [Vec::new(), Vec::new()],
        }
    }

    fn push_item(&mut self, text: String, global: bool) {
        let i = if self.file == File::Main { 0 } else { 1 };
        self.items[i].push(Item { text, global });
    }

    /// Whether the rare, unguarded form of a trapping operation is chosen here.
    pub fn rare_trap(&mut self) -> bool {
        self.hazard && self.src.one_in(40)
    }

    pub fn program(mut self) -> Program {
        self.hazard = self.src.chance(2, 3);
        let with_module = self.src.chance(2, 5);
        let mut modules = Vec::new();
        if with_module {
            self.counter += 1;
            self.stem = format!("mod{}", self.counter);
            self.alias = if self.src.one_in(2) { format!("m{}", self.counter) } else { self.stem.clone() };
            self.file = File::Module;
            self.file_items();
            let text = self.assemble(1, "");
            modules.push((self.stem.clone(), text));
        }
        self.file = File::Main;
        self.file_items();
        self.main_fn();
        let header = if with_module {
            if self.alias == self.stem {
                format!("import {};\n\n", self.stem)
            } else {
                format!("import {} as {};\n\n", self.stem, self.alias)
            }
        } else {
            String::new()
        };
        let main = self.assemble(0, &header);
        Program { main, modules }
    }

    /// Declarations in shuffled order; globals keep their relative order.
    fn assemble(&mut self, which: usize, header: &str) -> String {
        let items = std::mem::take(&mut self.items[which]);
        let (globals, mut others): (Vec<Item>, Vec<Item>) = items.into_iter().partition(|i| i.global);
        // A Fisher-Yates shuffle driven by the input.
        for i in (1..others.len()).rev() {
            let j = self.src.below(i + 1);
            others.swap(i, j);
        }
        let mut out = String::from(header);
        let mut gi = globals.into_iter().peekable();
        let mut oi = others.into_iter().peekable();
        loop {
            let take_global = match (gi.peek(), oi.peek()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(_), Some(_)) => self.src.one_in(3),
            };
            let item = if take_global { gi.next() } else { oi.next() };
            if let Some(item) = item {
                out.push_str(&item.text);
                out.push('\n');
                if !item.global {
                    out.push('\n');
                }
            }
        }
        out
    }

    /// Structs, globals and functions of the current file.
    fn file_items(&mut self) {
        let n_structs = self.src.weighted(&[3, 4, 3, 2]);
        for _ in 0..n_structs {
            self.struct_decl();
        }
        let n_globals = self.src.weighted(&[3, 3, 3, 2, 1]);
        for _ in 0..n_globals {
            self.global_decl();
        }
        let n_funcs = if self.file == File::Module { 1 + self.src.below(4) } else { 1 + self.src.below(7) };
        for _ in 0..n_funcs {
            self.function_decl();
        }
    }

    /// The struct types this file can name.
    pub fn visible_structs(&self) -> Vec<usize> {
        (0..self.structs.len()).filter(|&s| self.struct_visible(s)).collect()
    }

    pub fn struct_visible(&self, s: usize) -> bool {
        self.structs[s].file == self.file || self.file == File::Main
    }

    /// A random type of at most `depth` levels of constructors.
    pub fn rand_ty(&mut self, depth: usize) -> Ty {
        let structs = self.visible_structs();
        let w_struct = if structs.is_empty() { 0 } else { 3 };
        let deep = if depth == 0 { 0 } else { 1 };
        match self.src.weighted(&[6, 3, 3, 4, 3 * deep, 2 * deep, 2 * deep, w_struct, deep]) {
            0 => Ty::Int,
            1 => Ty::Float,
            2 => Ty::Bool,
            3 => Ty::Str,
            4 => Ty::array(self.rand_ty(depth - 1)),
            5 => {
                let k = self.key_ty();
                Ty::map(k, self.rand_ty(depth - 1))
            }
            6 => {
                let t = self.rand_ty(depth - 1);
                if t.can_be_optional() {
                    Ty::opt(t)
                } else {
                    t
                }
            }
            7 => Ty::Struct(*self.src.pick(&structs).unwrap_or(&0)),
            _ => self.fn_ty(depth - 1),
        }
    }

    pub fn key_ty(&mut self) -> Ty {
        match self.src.weighted(&[3, 2, 1]) {
            0 => Ty::Int,
            1 => Ty::Str,
            _ => Ty::Bool,
        }
    }

    pub fn fn_ty(&mut self, depth: usize) -> Ty {
        let n = self.src.below(3);
        let ps = (0..n).map(|_| self.rand_ty(depth.min(1))).collect();
        let ret = if self.src.one_in(4) { None } else { Some(Box::new(self.rand_ty(depth.min(1)))) };
        Ty::Fn(ps, ret)
    }

    /// How a type is written in the current file.
    pub fn ty_text(&self, t: &Ty) -> String {
        match t {
            Ty::Int => "int".into(),
            Ty::Float => "float".into(),
            Ty::Bool => "bool".into(),
            Ty::Str => "str".into(),
            Ty::Array(e) => format!("[{}]", self.ty_text(e)),
            Ty::Map(k, v) => format!("{{{}: {}}}", self.ty_text(k), self.ty_text(v)),
            Ty::Opt(e) => format!("{}?", self.ty_text(e)),
            Ty::Struct(s) => self.struct_ref(*s),
            Ty::Fn(ps, r) => {
                let ps: Vec<String> = ps.iter().map(|p| self.ty_text(p)).collect();
                match r {
                    Some(r) => format!("fn({}) -> {}", ps.join(", "), self.ty_text(r)),
                    None => format!("fn({})", ps.join(", ")),
                }
            }
        }
    }

    /// A struct's name as written in the current file (`alias.S` for the module's).
    pub fn struct_ref(&self, s: usize) -> String {
        let d = &self.structs[s];
        if d.file == self.file {
            d.name.clone()
        } else {
            format!("{}.{}", self.alias, d.name)
        }
    }

    fn struct_decl(&mut self) {
        let id = self.structs.len();
        let name = self.fresh("S");
        self.structs.push(StructDef { name: name.clone(), file: self.file, fields: Vec::new() });
        let n = 1 + self.src.weighted(&[2, 4, 3, 2]);
        let mut fields = Vec::new();
        let mut linked = false;
        for _ in 0..n {
            let fname = self.fresh("x");
            // Its own type at most once, behind an optional: values are lists (which can
            // be cyclic). Two links would allow DAGs whose text is exponential in their
            // size, which no fuel or memory limit bounds.
            let t = if !linked && self.src.one_in(6) {
                linked = true;
                Ty::opt(Ty::Struct(id))
            } else {
                let mut t = self.rand_ty(2);
                if mentions_struct(&t, id) {
                    t = Ty::Int;
                }
                t
            };
            fields.push((fname, t));
        }
        self.structs[id].fields = fields.clone();
        let body: Vec<String> = fields.iter().map(|(f, t)| format!("    {f}: {},", self.ty_text(t))).collect();
        let text = format!("struct {name} {{\n{}\n}}", body.join("\n"));
        self.push_item(text, false);
    }

    fn global_decl(&mut self) {
        let ty = self.rand_ty(2);
        let mutable = self.src.one_in(2);
        let name = self.fresh("G");
        self.fx.push(Fx::new(FxKind::Init, Cost::default(), None, 0, 0));
        let annotate = self.src.one_in(2);
        let w = crate::expr::Want { typed: annotate, max: S_MAX };
        let e = self.expr(&ty, 2, w);
        self.fx.pop();
        let kw = if mutable { "var" } else { "let" };
        let text = if annotate {
            format!("{kw} {name}: {} = {};", self.ty_text(&ty), e.text)
        } else {
            format!("{kw} {name} = {};", e.text)
        };
        self.globals.push(GlobalDef { name, file: self.file, ty, mutable });
        self.push_item(text, true);
    }

    fn function_decl(&mut self) {
        let structs: Vec<usize> = (0..self.structs.len()).filter(|&s| self.structs[s].file == self.file).collect();
        let kind = match structs.is_empty() || self.src.chance(3, 5) {
            true => FnKind::Free,
            false => FnKind::Method { s: *self.src.pick(&structs).unwrap_or(&0), has_self: !self.src.one_in(4) },
        };
        let recursive = kind == FnKind::Free && self.src.one_in(5);
        let tiny = !recursive && self.src.one_in(5);
        let n_params = self.src.below(4);
        let mut params: Vec<Ty> = (0..n_params).map(|_| self.rand_ty(if tiny { 0 } else { 2 })).collect();
        if recursive {
            params.insert(0, Ty::Int);
        }
        let ret = if recursive || tiny || !self.src.one_in(4) {
            Some(if tiny { self.tiny_ret() } else { self.rand_ty(2) })
        } else {
            None
        };
        let name = match kind {
            FnKind::Free => self.fresh("f"),
            FnKind::Method { has_self: true, .. } => self.fresh("m"),
            FnKind::Method { has_self: false, .. } => self.fresh("make"),
        };
        let id = self.funcs.len();
        self.funcs.push(FuncDef {
            name: name.clone(),
            file: self.file,
            params: params.clone(),
            ret: ret.clone(),
            kind,
            recursive,
            cost: Cost::default(),
            done: false,
        });
        let stmts = if tiny { 0 } else { 4 + self.src.below(16) as u32 };
        let indent = if kind == FnKind::Free { 1 } else { 2 };
        let mut fx = Fx::new(FxKind::Func, FUNC_BUDGET, ret.clone(), indent, stmts);
        if recursive {
            fx.rec = Some(id);
            fx.rec_call_left = true;
        }
        self.fx.push(fx);
        let mut sig = Vec::new();
        if let FnKind::Method { s, has_self: true } = kind {
            sig.push("self".to_string());
            self.declare("self", Ty::Struct(s), false, S_MAX);
        }
        let mut depth_name = String::new();
        for (i, t) in params.iter().enumerate() {
            let p = self.fresh("p");
            sig.push(format!("{p}: {}", self.ty_text(t)));
            if recursive && i == 0 {
                depth_name = p.clone();
                // The depth is read by the base case and the self-call only.
                self.cur_mut().locals.push(crate::scope::Local {
                    name: p,
                    ty: Ty::Int,
                    mutable: false,
                    counter: true,
                    bound: S_MAX,
                });
            } else {
                self.declare(&p, t.clone(), false, S_MAX);
            }
        }
        if recursive {
            self.recursive_body(&depth_name);
        } else if tiny {
            let r = ret.clone().unwrap_or(Ty::Int);
            let e = self.expr(&r, 3, crate::expr::Want::STORE);
            self.line(format!("return {};", e.text));
        } else {
            self.body();
        }
        let fx = self.fx.pop().expect("function context");
        let mut cost = fx.cost.plus(Cost::new(1, 0));
        if recursive {
            cost = cost.times(MAX_REC_DEPTH as u64 + 2);
        }
        self.funcs[id].cost = cost;
        self.funcs[id].done = true;
        let ret_text = match &ret {
            Some(t) => format!(" -> {}", self.ty_text(t)),
            None => String::new(),
        };
        let head = format!("fn {name}({}){ret_text} {{", sig.join(", "));
        let body = if fx.lines.is_empty() { String::new() } else { format!("{}\n", fx.lines.join("\n")) };
        let text = match kind {
            FnKind::Free => format!("{head}\n{body}}}"),
            FnKind::Method { s, .. } => format!("impl {} {{\n    {head}\n{body}    }}\n}}", self.structs[s].name),
        };
        self.push_item(text, false);
    }

    fn tiny_ret(&mut self) -> Ty {
        match self.src.weighted(&[4, 2, 2]) {
            0 => Ty::Int,
            1 => Ty::Float,
            _ => Ty::Bool,
        }
    }

    /// Statements, then a `return` if the function has a result.
    fn body(&mut self) {
        let n = 1 + self.src.below(6);
        self.stmts(n);
        if let Some(t) = self.cur().ret.clone() {
            let e = self.ret_expr(&t);
            self.line(format!("return {};", e));
        }
    }

    /// The value of a `return` in the current function.
    pub fn ret_expr(&mut self, t: &Ty) -> String {
        let e = self.expr(t, 3, crate::expr::Want::STORE);
        if self.cur().main_int && !self.rare_trap() {
            format!("{} & 255", e.wrap())
        } else {
            e.text
        }
    }

    /// `if d <= 0 { base } ...; let r = f(d - 1, ...); ...; return ...;` — the base case
    /// sometimes the bare `return d;` or `return 3;` that native code decides at the call.
    fn recursive_body(&mut self, depth: &str) {
        let ret = self.cur().ret.clone().unwrap_or(Ty::Int);
        self.line(format!("if {depth} <= 0 {{"));
        self.cur_mut().indent += 1;
        let saved = self.cur().locals.len();
        if ret == Ty::Int && self.src.one_in(3) {
            let e = if self.src.one_in(2) { depth.to_string() } else { self.src.below(5).to_string() };
            self.line(format!("return {e};"));
        } else {
            let n = self.src.below(3);
            self.stmts(n);
            let e = self.expr(&ret, 2, crate::expr::Want::STORE);
            self.line(format!("return {};", e.text));
        }
        self.cur_mut().locals.truncate(saved);
        self.cur_mut().indent -= 1;
        self.line("}");
        let n = self.src.below(3);
        self.stmts(n);
        if self.cur().rec_call_left {
            self.cur_mut().rec_call_left = false;
            let call = self.self_call(depth);
            let r = self.fresh("v");
            self.line(format!("let {r} = {call};"));
            self.declare(&r, ret.clone(), false, S_MAX);
        }
        let n = self.src.below(3);
        self.stmts(n);
        let e = self.expr(&ret, 3, crate::expr::Want::STORE);
        self.line(format!("return {};", e.text));
    }

    /// The one recursive call of a recursive function, with `depth - 1`.
    pub fn self_call(&mut self, depth: &str) -> String {
        let id = self.cur().rec.expect("recursive function");
        let f = self.funcs[id].clone();
        let mut args = vec![format!("{depth} - 1")];
        for t in &f.params[1..] {
            args.push(self.expr(t, 1, crate::expr::Want::STORE).text);
        }
        format!("{}({})", f.name, args.join(", "))
    }

    fn main_fn(&mut self) {
        let main_int = self.src.one_in(3);
        let ret = if main_int { Some(Ty::Int) } else { None };
        let mut fx = Fx::new(FxKind::Main, MAIN_BUDGET, ret, 1, 120);
        fx.main_int = main_int;
        self.fx.push(fx);
        let n = 8 + self.src.below(24);
        self.stmts(n);
        if main_int {
            let e = self.ret_expr(&Ty::Int);
            self.line(format!("return {e};"));
        }
        let fx = self.fx.pop().expect("main context");
        let head = if main_int { "fn main() -> int {" } else { "fn main() {" };
        self.push_item(format!("{head}\n{}\n}}", fx.lines.join("\n")), false);
    }

    /// The budget of a new closure.
    pub fn closure_budget(&self) -> Cost {
        CLOSURE_BUDGET
    }
}

fn mentions_struct(t: &Ty, s: usize) -> bool {
    match t {
        Ty::Struct(x) => *x == s,
        Ty::Array(e) | Ty::Opt(e) => mentions_struct(e, s),
        Ty::Map(k, v) => mentions_struct(k, s) || mentions_struct(v, s),
        Ty::Fn(ps, r) => ps.iter().any(|p| mentions_struct(p, s)) || r.as_ref().is_some_and(|r| mentions_struct(r, s)),
        _ => false,
    }
}
