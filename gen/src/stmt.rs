//! Statements. Loops always have a static bound (a counter, a range with a literal
//! length, or a guard counter for `for x in array`), so every program terminates; the
//! operations that can trap are mostly guarded by a test just before them, and appear
//! unguarded only rarely (`Gen::rare_trap`).

use crate::expr::{no_struct, Want, E};
use crate::lits;
use crate::scope::{Cost, FxKind, Path, MAX_MULT};
use crate::types::{Ty, LET_MAX, PRINT_MAX, S_MAX};

/// Pushes and inserts keep arrays (and sets keep maps) below this many elements.
const GROW_CAP: usize = 32;

impl Gen<'_, '_> {
    /// Up to `n` statements (fewer once the function's statement budget is spent).
    pub fn stmts(&mut self, n: usize) {
        for _ in 0..n {
            if self.cur().stmts_left == 0 {
                break;
            }
            self.cur_mut().stmts_left -= 1;
            self.stmt();
        }
    }

    /// The statements of a nested block (the caller writes the braces).
    fn block(&mut self, n: usize) {
        self.enter();
        self.stmts(n);
        self.leave();
    }

    /// Opens a block: one more level of indentation and of scope.
    fn enter(&mut self) {
        let f = self.cur_mut();
        f.indent += 1;
        f.nest += 1;
        let saved = f.locals.len();
        f.scopes.push(saved);
    }

    fn leave(&mut self) {
        let f = self.cur_mut();
        f.indent -= 1;
        f.nest -= 1;
        let saved = f.scopes.pop().unwrap_or(f.locals.len());
        f.locals.truncate(saved);
    }

    /// A block in a loop of `n` iterations: its code runs `n` times per run of the loop.
    fn loop_body(&mut self, n: u64, first: impl FnOnce(&mut Self)) {
        self.enter();
        let f = self.cur_mut();
        f.loops += 1;
        f.mult = f.mult.saturating_mul(n.max(1));
        first(self);
        let k = 1 + self.src.below(5);
        self.stmts(k);
        let f = self.cur_mut();
        f.mult /= n.max(1);
        f.loops -= 1;
        self.leave();
    }

    fn stmt(&mut self) {
        let f = self.cur();
        let nest = u32::from(f.nest < 3);
        let in_loop = u32::from(f.loops > 0);
        let hazard = u32::from(self.hazard);
        let done = match self.src.weighted(&[
            6,
            5,
            4,
            2,
            5,
            3,
            2,
            3 * nest,
            2 * nest,
            4 * nest,
            3 * nest,
            3 * nest,
            3 * nest,
            3 * in_loop,
            1,
            1,
            1,
            hazard,
            hazard * nest,
            2,
            nest,
        ]) {
            0 => self.print_stmt(),
            1 => {
                self.let_stmt();
                true
            }
            2 => self.assign_stmt(),
            3 => self.compound_stmt(),
            4 => self.call_stmt(),
            5 => self.array_stmt(),
            6 => self.map_stmt(),
            7 => {
                self.if_stmt();
                true
            }
            8 => {
                self.if_let_stmt();
                true
            }
            9 => self.for_range(),
            10 => self.for_in(),
            11 => self.while_stmt(),
            12 => self.guarded_read(),
            13 => {
                let c = self.rare_cond();
                let what = if self.src.one_in(2) { "break" } else { "continue" };
                self.line(format!("if {} {{", no_struct(&c)));
                self.line(format!("    {what};"));
                self.line("}");
                true
            }
            14 => self.return_stmt(),
            15 => {
                self.assert_stmt();
                true
            }
            16 => self.write_stmt(),
            17 if self.src.one_in(4) => {
                // Mostly false: a conjunction.
                let a = self.bool_expr(2);
                let b = self.bool_expr(1);
                let c = E::op(format!("{} && {}", a.wrap(), b.wrap()), 5);
                let msg = lits::string(&mut self.src, 12);
                self.line(format!("if {} {{", no_struct(&c)));
                self.line(format!("    panic({});", msg.text));
                self.line("}");
                true
            }
            18 if self.src.one_in(4) => self.trap_loop(),
            17 | 18 => false,
            19 => self.append_stmt(),
            _ => self.guarded_div(),
        };
        if !done {
            self.let_stmt();
        }
    }

    /// Output bytes per run still available here.
    fn out_room(&self) -> usize {
        let f = self.cur();
        (f.budget.out.saturating_sub(f.cost.out) / f.mult.max(1)) as usize
    }

    fn print_stmt(&mut self) -> bool {
        let n = self.src.weighted(&[1, 6, 3, 2]);
        let room = self.out_room();
        if room < 8 + 24 * n {
            return false;
        }
        let each = (room / n.max(1)).min(PRINT_MAX) - 2;
        let mut args = Vec::new();
        let mut total = 1;
        for _ in 0..n {
            let mut t = self.rand_ty(2);
            if t.text_bound(S_MAX) > each {
                t = Ty::Int;
            }
            let e = self.expr(&t, 2, Want::free(each.min(LET_MAX)));
            total += e.bound.min(t.text_bound(e.bound)) + 1;
            args.push(e.text);
        }
        self.force_charge(Cost::new(0, total as u64));
        let f = if self.src.one_in(8) { "eprint" } else { "print" };
        self.line(format!("{f}({});", args.join(", ")));
        true
    }

    fn write_stmt(&mut self) -> bool {
        let room = self.out_room();
        if room < 16 {
            return false;
        }
        let s = self.str_expr(2, (room - 1).min(LET_MAX));
        self.force_charge(Cost::new(0, s.bound as u64));
        self.line(format!("write({});", s.text));
        true
    }

    fn let_stmt(&mut self) {
        let ty = if self.src.one_in(8) { self.fn_ty(1) } else { self.rand_ty(2) };
        let mutable = self.src.one_in(3);
        let annotate = self.src.one_in(2);
        let max = if mutable { S_MAX } else { LET_MAX };
        let d = 1 + self.src.below(3) as u32;
        let e = self.expr(&ty, d, Want { typed: annotate, max });
        let name = self.fresh("v");
        let kw = if mutable { "var" } else { "let" };
        if annotate {
            let tt = self.ty_text(&ty);
            self.line(format!("{kw} {name}: {tt} = {};", e.text));
        } else {
            self.line(format!("{kw} {name} = {};", e.text));
        }
        let bound = if mutable { S_MAX } else { e.bound };
        self.declare(&name, ty, mutable, bound);
    }

    fn assignable(&self, pred: impl Fn(&Ty) -> bool) -> Vec<Path> {
        self.paths().into_iter().filter(|p| p.assignable && pred(&p.ty)).collect()
    }

    fn assign_stmt(&mut self) -> bool {
        let ps = self.assignable(|_| true);
        let Some(p) = self.src.pick(&ps).cloned() else { return false };
        let e = self.expr(&p.ty, 2, Want::STORE);
        self.line(format!("{} = {};", p.text, e.text));
        true
    }

    fn compound_stmt(&mut self) -> bool {
        let ps = self.assignable(|t| matches!(t, Ty::Int | Ty::Float));
        let Some(p) = self.src.pick(&ps).cloned() else { return false };
        if p.ty == Ty::Int {
            let op = *self
                .src
                .pick(&["+=", "-=", "*=", "&=", "|=", "^=", "<<=", ">>=", "/=", "%=", "+=", "-="])
                .unwrap_or(&"+=");
            let e = self.int_expr(2);
            let rhs = if matches!(op, "/=" | "%=") && !self.rare_trap() { format!("{} | 1", e.wrap()) } else { e.text };
            self.line(format!("{} {op} {rhs};", p.text));
        } else {
            let op = *self.src.pick(&["+=", "-=", "*=", "/=", "%="]).unwrap_or(&"+=");
            let e = self.float_expr(2);
            self.line(format!("{} {op} {};", p.text, e.text));
        }
        true
    }

    /// `s += e` (or `s = s + e`) where it cannot grow `s` past its bound.
    fn append_stmt(&mut self) -> bool {
        let ps = self.assignable(|t| *t == Ty::Str);
        let Some(p) = self.src.pick(&ps).cloned() else { return false };
        let half = S_MAX / 2;
        let e = self.str_expr(2, half);
        self.line(format!("if {}.len() < {half} {{", p.text));
        if self.src.one_in(2) {
            self.line(format!("    {} += {};", p.text, e.text));
        } else {
            self.line(format!("    {} = {} + {};", p.text, p.text, e.wrap()));
        }
        self.line("}");
        true
    }

    /// `if b != 0 { x = a / b; }`.
    fn guarded_div(&mut self) -> bool {
        let xs = self.assignable(|t| *t == Ty::Int);
        let bs: Vec<Path> = self.paths_of(&Ty::Int, S_MAX);
        let (Some(x), Some(b)) = (self.src.pick(&xs).cloned(), self.src.pick(&bs).cloned()) else {
            return false;
        };
        let a = self.int_expr(2);
        let op = if self.src.one_in(2) { "/" } else { "%" };
        self.line(format!("if {} != 0 {{", b.text));
        self.line(format!("    {} = {} {op} {};", x.text, a.wrap(), b.text));
        self.line("}");
        true
    }

    /// Functions callable here as statements, whatever they return.
    fn callable_any(&self) -> Vec<usize> {
        if !self.cur().calls {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, f) in self.funcs.iter().enumerate() {
            if !f.done || !self.fits(f.cost.plus(Cost::new(1, 0))) {
                continue;
            }
            let ok = match f.kind {
                crate::program::FnKind::Free => f.file == self.file || self.file == crate::program::File::Main,
                crate::program::FnKind::Method { s, has_self: false } => self.structs[s].file == self.file,
                crate::program::FnKind::Method { s, has_self: true } => self.struct_visible(s),
            };
            if ok {
                out.push(i);
            }
        }
        out
    }

    fn call_stmt(&mut self) -> bool {
        let fs = self.callable_any();
        if !fs.is_empty() && !self.src.one_in(4) {
            let i = *self.src.pick(&fs).unwrap_or(&0);
            let e = match self.funcs[i].kind {
                crate::program::FnKind::Method { has_self: true, .. } => self.method_text(i, 1),
                _ => self.call_text(i, 1),
            };
            self.line(format!("{};", e.text));
            return true;
        }
        // A function value.
        let cost = self.closure_budget().plus(Cost::new(1, 0));
        if !self.cur().calls || !self.fits(cost) {
            return false;
        }
        let fns = self.fn_paths(None);
        let Some((callee, ps)) = self.src.pick(&fns).cloned() else { return false };
        self.force_charge(cost);
        let args: Vec<String> = ps.iter().map(|t| self.expr(t, 1, Want::STORE).text).collect();
        self.line(format!("{callee}({});", args.join(", ")));
        true
    }

    /// An index into `p` that is in range when `p` is not empty.
    fn index_into(&mut self, p: &str) -> String {
        let e = self.int_expr(1);
        format!("({} & 255) % {p}.len()", e.wrap())
    }

    fn array_stmt(&mut self) -> bool {
        let ps: Vec<Path> = self.paths().into_iter().filter(|p| matches!(p.ty, Ty::Array(_))).collect();
        let Some(p) = self.src.pick(&ps).cloned() else { return false };
        let Ty::Array(t) = &p.ty else { return false };
        let t = (**t).clone();
        let a = p.text.clone();
        match self.src.weighted(&[5, 2, 1, if t.is_sortable() { 2 } else { 0 }, 2, 1, 1]) {
            0 => {
                let e = self.expr(&t, 2, Want::STORE);
                self.line(format!("if {a}.len() < {GROW_CAP} {{"));
                self.line(format!("    {a}.push({});", e.text));
                self.line("}");
            }
            1 => {
                let e = self.expr(&t, 2, Want::STORE);
                let i = if self.rare_trap() {
                    self.int_expr(1).text
                } else {
                    format!("({} & 63) % ({a}.len() + 1)", self.int_expr(1).wrap())
                };
                self.line(format!("if {a}.len() < {GROW_CAP} {{"));
                self.line(format!("    {a}.insert({i}, {});", e.text));
                self.line("}");
            }
            2 => self.line(format!("{a}.reverse();")),
            3 => self.line(format!("{a}.sort();")),
            4 => {
                if !self.charge(Cost::new(200, 0)) {
                    return false;
                }
                let cmp = self.comparator(&t);
                self.line(format!("{a}.sort_by({});", cmp.text));
            }
            5 => {
                if self.src.one_in(3) {
                    self.line(format!("{a}.clear();"));
                } else {
                    self.line(format!("{a}.reverse();"));
                }
            }
            _ => {
                if self.rare_trap() {
                    self.line(format!("{a}.pop();"));
                } else {
                    self.line(format!("if {a}.len() > 0 {{"));
                    self.line(format!("    {a}.pop();"));
                    self.line("}");
                }
            }
        }
        true
    }

    /// A key expression without side effects (it may be evaluated twice).
    fn pure(&mut self, t: &Ty) -> E {
        if self.src.one_in(2) {
            let ps = self.paths_of(t, S_MAX);
            if let Some(p) = self.src.pick(&ps) {
                return E::atom(p.text.clone(), p.bound);
            }
        }
        match t {
            Ty::Int => lits::int_text(self.src.range(-2, 9)),
            Ty::Bool => E::atom(if self.src.one_in(2) { "true" } else { "false" }.into(), 5),
            _ => lits::string(&mut self.src, 6),
        }
    }

    fn map_stmt(&mut self) -> bool {
        let ps: Vec<Path> = self.paths().into_iter().filter(|p| matches!(p.ty, Ty::Map(..))).collect();
        let Some(p) = self.src.pick(&ps).cloned() else { return false };
        let Ty::Map(k, v) = &p.ty else { return false };
        let (k, v) = ((**k).clone(), (**v).clone());
        let m = p.text.clone();
        match self.src.weighted(&[5, 2, 1, if v == Ty::Int { 2 } else { 0 }]) {
            0 => {
                let key = self.expr(&k, 1, Want::STORE);
                let val = self.expr(&v, 2, Want::STORE);
                self.line(format!("if {m}.len() < {GROW_CAP} {{"));
                self.line(format!("    {m}[{}] = {};", key.text, val.text));
                self.line("}");
            }
            1 => {
                let key = self.expr(&k, 1, Want::STORE);
                self.line(format!("{m}.remove({});", key.text));
            }
            2 => self.line(format!("{m}.clear();")),
            _ => {
                let key = self.pure(&k);
                let e = self.int_expr(1);
                self.line(format!("if {m}.has({}) {{", key.text));
                self.line(format!("    {m}[{}] += {};", key.text, e.text));
                self.line("}");
            }
        }
        true
    }

    /// A condition for `if`: negated or a disjunction a fair share of the time (those
    /// branch when the comparison is true, the others when it is false).
    fn if_cond(&mut self) -> E {
        let c = self.bool_expr(2);
        match self.src.below(5) {
            0 => E::op(format!("!{}", c.wrap()), 5),
            1 => {
                let b = self.bool_expr(1);
                E::op(format!("{} || {}", c.wrap(), b.wrap()), 5)
            }
            _ => c,
        }
    }

    fn if_stmt(&mut self) {
        let c = self.if_cond();
        self.line(format!("if {} {{", no_struct(&c)));
        let n = 1 + self.src.below(3);
        self.block(n);
        let mut more = self.src.weighted(&[3, 2, 2]);
        while more == 1 {
            let c = self.if_cond();
            self.line(format!("}} else if {} {{", no_struct(&c)));
            let n = 1 + self.src.below(2);
            self.block(n);
            more = self.src.weighted(&[3, 1, 2]);
        }
        if more == 2 {
            self.line("} else {");
            let n = 1 + self.src.below(3);
            self.block(n);
        }
        self.line("}");
    }

    fn if_let_stmt(&mut self) {
        let mut t = self.rand_ty(1);
        if !t.can_be_optional() {
            t = Ty::Int;
        }
        let o = self.opt_expr(&t, 2, Want::free(S_MAX));
        let v = self.fresh("v");
        self.line(format!("if let {v} = {} {{", no_struct(&o)));
        self.enter();
        self.declare(&v, t, false, S_MAX);
        let n = 1 + self.src.below(3);
        self.stmts(n);
        self.leave();
        if self.src.one_in(2) {
            self.line("} else {");
            let n = 1 + self.src.below(2);
            self.block(n);
        }
        self.line("}");
    }

    /// Iterations for a new loop here: mostly few, often enough for a hot loop (≥ 50),
    /// sometimes none; `None` when no loop fits.
    fn loop_count(&mut self) -> Option<u64> {
        let f = self.cur();
        if f.kind == FxKind::Init {
            return None;
        }
        let mult = f.mult.max(1);
        let fuel_room = f.budget.fuel.saturating_sub(f.cost.fuel) / mult;
        let cap = (MAX_MULT / mult).min(fuel_room / 2);
        if cap < 1 {
            return None;
        }
        let n = match self.src.weighted(&[4, 3, 1, 1]) {
            0 => self.src.range(1, 8) as u64,
            1 => self.src.range(50, 120) as u64,
            2 => self.src.range(200, 300) as u64,
            _ => 0,
        };
        let n = n.min(cap);
        self.force_charge(Cost::new(n + 1, 0));
        Some(n)
    }

    fn for_range(&mut self) -> bool {
        let Some(n) = self.loop_count() else { return false };
        let i = self.fresh("i");
        let n_i = n as i64;
        let range = match self.src.weighted(&[4, 2, 2, 1, 2, 1]) {
            0 => format!("0..{n}"),
            1 => {
                let a = self.src.range(-40, 40);
                format!("{}..{}", a, a + n_i)
            }
            2 => format!("1..={n}"),
            3 => {
                if n == 0 {
                    "math.MAX_INT..math.MAX_INT".to_string()
                } else {
                    format!("math.MAX_INT - {}..=math.MAX_INT", n - 1)
                }
            }
            4 => {
                let lim = self.fresh("n");
                self.line(format!("let {lim} = {n};"));
                self.declare(&lim, Ty::Int, false, S_MAX);
                format!("0..{lim}")
            }
            _ => {
                let a = self.src.range(0, 9);
                format!("{}..{}", a + n_i, a)
            }
        };
        self.line(format!("for {i} in {range} {{"));
        self.loop_body(n, |g| g.declare(&i, Ty::Int, false, S_MAX));
        self.line("}");
        true
    }

    fn for_in(&mut self) -> bool {
        let t = self.rand_ty(1);
        let x = self.fresh("x");
        if self.src.one_in(3) {
            // An array literal: as many iterations as elements, no guard needed.
            let k = 1 + self.src.below(4);
            if !self.charge(Cost::new(k as u64 + 1, 0)) {
                return false;
            }
            let xs: Vec<String> = (0..k).map(|_| self.expr(&t, 1, Want::free(S_MAX)).text).collect();
            self.line(format!("for {x} in [{}] {{", xs.join(", ")));
            self.loop_body(k as u64, |g| g.declare(&x, t.clone(), false, S_MAX));
            self.line("}");
            return true;
        }
        let Some(n) = self.loop_count() else { return false };
        let xs = self.array_expr(&t, 2, Want::free(S_MAX));
        let g = self.fresh("g");
        self.line(format!("var {g} = 0;"));
        self.declare_counter(&g, Ty::Int);
        self.line(format!("for {x} in {} {{", no_struct(&xs)));
        self.loop_body(n, |gen| {
            gen.line(format!("{g} += 1;"));
            gen.line(format!("if {g} > {n} {{"));
            gen.line("    break;");
            gen.line("}");
            gen.declare(&x, t.clone(), false, S_MAX);
        });
        self.line("}");
        true
    }

    fn while_stmt(&mut self) -> bool {
        let Some(n) = self.loop_count() else { return false };
        let c = self.fresh("w");
        let n_i = n as i64;
        match self.src.weighted(&[5, 2, 2, 2]) {
            0 => {
                self.line(format!("var {c} = 0;"));
                self.declare_counter(&c, Ty::Int);
                // Spellings of `c < n`, so that each compare-and-branch (against an
                // immediate or a register, negated or not) closes some loop.
                let cond = match self.src.below(11) {
                    0 => format!("{c} < {n}"),
                    1 => format!("{n} > {c}"),
                    2 => format!("!({c} >= {n})"),
                    3 => format!("{c} <= {}", n_i - 1),
                    4 => format!("{c} != {n}"),
                    5 => format!("!({c} == {n})"),
                    6 => {
                        let b = self.bool_expr(1);
                        format!("{c} < {n} && {}", b.wrap())
                    }
                    7 => {
                        let b = self.bool_expr(1);
                        format!("{c} < {n} && !{}", b.wrap())
                    }
                    8 => format!("{c} < {n} && {c} == {c}"),
                    9 => format!("{c} < {n} && ({c} & 0) == 0"),
                    _ => {
                        let lim = self.fresh("n");
                        self.line(format!("let {lim} = {n};"));
                        self.declare(&lim, Ty::Int, false, S_MAX);
                        match self.src.below(4) {
                            0 => format!("{c} < {lim}"),
                            1 => format!("!({lim} <= {c})"),
                            2 => format!("{c} + 1 <= {lim}"),
                            _ => format!("{c} != {lim}"),
                        }
                    }
                };
                self.line(format!("while {} {{", no_struct(&E::op(cond, 5))));
                self.loop_body(n, |g| g.line(format!("{c} += 1;")));
            }
            1 if self.src.one_in(2) => {
                self.line(format!("var {c} = 0.0;"));
                self.declare_counter(&c, Ty::Float);
                let lim = format!("{n}.0");
                let cond = match self.src.below(5) {
                    0 => format!("{c} < {lim}"),
                    1 => format!("!({c} >= {lim})"),
                    2 => format!("{lim} > {c}"),
                    3 => format!("{c} <= {}.0", n_i - 1),
                    _ => format!("!({lim} <= {c})"),
                };
                self.line(format!("while {cond} {{"));
                self.loop_body(n, |g| g.line(format!("{c} += 1.0;")));
            }
            1 => {
                // Counting down: the loop runs while `c >= 1.0`.
                self.line(format!("var {c} = {n}.0;"));
                self.declare_counter(&c, Ty::Float);
                let cond = match self.src.below(4) {
                    0 => format!("!({c} < 1.0)"),
                    1 => format!("{c} >= 1.0"),
                    2 => format!("0.0 < {c}"),
                    _ => format!("!({c} <= 0.0)"),
                };
                self.line(format!("while {cond} {{"));
                self.loop_body(n, |g| g.line(format!("{c} -= 1.0;")));
            }
            2 => {
                // Counting down, against an immediate or a register.
                self.line(format!("var {c} = {n};"));
                self.declare_counter(&c, Ty::Int);
                let cond = match self.src.below(6) {
                    0 => format!("{c} > 0"),
                    1 => format!("0 < {c}"),
                    2 => format!("!({c} <= 0)"),
                    3 => format!("!({c} < 1)"),
                    _ => {
                        let lim = self.fresh("n");
                        let k = self.src.range(0, 1);
                        self.line(format!("let {lim} = {k};"));
                        self.declare(&lim, Ty::Int, false, S_MAX);
                        if k == 0 {
                            format!("!({c} <= {lim})")
                        } else {
                            format!("!({c} < {lim})")
                        }
                    }
                };
                self.line(format!("while {cond} {{"));
                self.loop_body(n, |g| g.line(format!("{c} -= 1;")));
            }
            _ => {
                self.line(format!("var {c} = 0;"));
                self.declare_counter(&c, Ty::Int);
                self.line("while true {");
                self.loop_body(n, |g| {
                    g.line(format!("{c} += 1;"));
                    g.line(format!("if {c} > {n} {{"));
                    g.line("    break;");
                    g.line("}");
                });
            }
        }
        self.line("}");
        true
    }

    /// A condition that is seldom true: an int place equal to a small number, or a
    /// conjunction.
    fn rare_cond(&mut self) -> E {
        let ints = self.paths_of(&Ty::Int, S_MAX);
        if !ints.is_empty() && self.src.one_in(2) {
            let x = self.src.pick(&ints).map(|p| p.text.clone()).unwrap_or_default();
            let k = self.src.range(0, 60);
            let op = *self.src.pick(&["==", "==", ">"]).unwrap_or(&"==");
            return E::op(format!("{x} {op} {k}"), 5);
        }
        let a = self.bool_expr(1);
        let b = self.bool_expr(1);
        E::op(format!("{} && {}", a.wrap(), b.wrap()), 5)
    }

    fn return_stmt(&mut self) -> bool {
        let c = self.rare_cond();
        let ret = self.cur().ret.clone();
        self.line(format!("if {} {{", no_struct(&c)));
        self.cur_mut().indent += 1;
        match ret {
            Some(t) => {
                let e = self.ret_expr(&t);
                self.line(format!("return {e};"));
            }
            None => self.line("return;"),
        }
        self.cur_mut().indent -= 1;
        self.line("}");
        true
    }

    fn assert_stmt(&mut self) {
        let c = if self.rare_trap() {
            self.bool_expr(2).text
        } else {
            match self.src.below(6) {
                0 => "true".into(),
                1 => {
                    let x = self.pure(&Ty::Int);
                    format!("{} == {}", x.text, x.text)
                }
                2 => format!("{}.len() >= 0", self.str_expr(1, LET_MAX).wrap()),
                3 => format!("({} & 0) == 0", self.int_expr(2).wrap()),
                4 => {
                    let t = self.rand_ty(1);
                    format!("{}.len() >= 0", self.array_expr(&t, 1, Want::free(S_MAX)).wrap())
                }
                _ => format!("!{}", E::op("false".into(), 5).wrap()),
            }
        };
        if self.src.one_in(2) {
            let msg = lits::string(&mut self.src, 12);
            self.line(format!("assert({c}, {});", msg.text));
        } else {
            self.line(format!("assert({c});"));
        }
    }

    /// A loop that traps in its middle (division by zero, index out of bounds).
    fn trap_loop(&mut self) -> bool {
        let k = self.src.range(3, 40) as u64;
        let n = k + 1 + self.src.range(0, 20) as u64;
        if self.cur().mult.saturating_mul(n) > MAX_MULT || !self.charge(Cost::new(n + 1, 0)) {
            return false;
        }
        let acc = self.fresh("v");
        let i = self.fresh("i");
        self.line(format!("var {acc} = 0;"));
        if self.src.one_in(2) {
            let v = self.fresh("v");
            self.line(format!("var {v} = {k};"));
            self.line(format!("for {i} in 0..{n} {{"));
            self.line(format!("    {v} -= 1;"));
            self.line(format!("    {acc} += 1000 / {v};"));
        } else {
            let xs = self.fresh("v");
            self.line(format!("let {xs} = [1; {k}];"));
            self.line(format!("for {i} in 0..{n} {{"));
            self.line(format!("    {acc} += {xs}[{i}];"));
        }
        self.line("}");
        self.declare(&acc, Ty::Int, true, S_MAX);
        true
    }

    /// A trapping read behind the test that makes it safe, and statements using its
    /// value: `if xs.len() > 0 { let v = xs[i % xs.len()]; ... }` and the like.
    fn guarded_read(&mut self) -> bool {
        let paths = self.paths();
        let arrays: Vec<Path> = paths.iter().filter(|p| matches!(p.ty, Ty::Array(_))).cloned().collect();
        let maps: Vec<Path> = paths.iter().filter(|p| matches!(p.ty, Ty::Map(..))).cloned().collect();
        let opts: Vec<Path> = paths.iter().filter(|p| matches!(p.ty, Ty::Opt(_))).cloned().collect();
        let strs: Vec<Path> = paths.iter().filter(|p| p.ty == Ty::Str).cloned().collect();
        let unguarded = self.rare_trap();
        let w = |v: &Vec<Path>, k: u32| if v.is_empty() { 0 } else { k };
        let v = self.fresh("v");
        let (test, value, ty) = match self.src.weighted(&[
            w(&arrays, 4),
            w(&arrays, 2),
            w(&arrays, 1),
            w(&arrays, 2),
            w(&maps, 3),
            w(&maps, 2),
            w(&opts, 3),
            w(&strs, 2),
            w(&strs, 1),
            w(&strs, 1),
        ]) {
            0..=3 => {
                let Some(p) = self.src.pick(&arrays).cloned() else { return false };
                let Ty::Array(t) = &p.ty else { return false };
                let a = p.text.clone();
                let test = format!("{a}.len() > 0");
                let i = if unguarded { self.int_expr(1).text } else { self.index_into(&a) };
                match self.src.below(4) {
                    0 => (test, format!("{a}[{i}]"), (**t).clone()),
                    1 => (test, format!("{a}.pop()"), (**t).clone()),
                    2 => (test, format!("{a}.remove({i})"), (**t).clone()),
                    _ => {
                        let e = self.expr(t, 2, Want::STORE);
                        if unguarded {
                            self.line(format!("{a}[{i}] = {};", e.text));
                        } else {
                            self.line(format!("if {test} {{"));
                            self.line(format!("    {a}[{i}] = {};", e.text));
                            self.line("}");
                        }
                        return true;
                    }
                }
            }
            4 | 5 => {
                let Some(p) = self.src.pick(&maps).cloned() else { return false };
                let Ty::Map(k, t) = &p.ty else { return false };
                let key = self.pure(k);
                if self.src.one_in(2) && !unguarded {
                    let inner = Ty::opt_flat((**t).clone());
                    let Ty::Opt(inner) = inner else { return false };
                    self.line(format!("if let {v} = {}.get({}) {{", p.text, key.text));
                    self.enter();
                    self.declare(&v, *inner, false, S_MAX);
                    let n = 1 + self.src.below(3);
                    self.stmts(n);
                    self.leave();
                    self.line("}");
                    return true;
                }
                (format!("{}.has({})", p.text, key.text), format!("{}[{}]", p.text, key.text), (**t).clone())
            }
            6 => {
                let Some(p) = self.src.pick(&opts).cloned() else { return false };
                let Ty::Opt(t) = &p.ty else { return false };
                (format!("{} != nil", p.text), format!("{}!", p.text), (**t).clone())
            }
            7 => {
                let Some(p) = self.src.pick(&strs).cloned() else { return false };
                let s = p.text.clone();
                let a = self.src.range(0, 4);
                let b = a + self.src.range(0, 6);
                (format!("{b} <= {s}.len()"), format!("{s}.slice({a}, {b})"), Ty::Str)
            }
            8 => {
                let Some(p) = self.src.pick(&strs).cloned() else { return false };
                let s = p.text.clone();
                let i = if unguarded { self.int_expr(1).text } else { self.index_into(&s) };
                (format!("{s}.len() > 0"), format!("{s}.byte({i})"), Ty::Int)
            }
            _ => {
                let Some(p) = self.src.pick(&strs).cloned() else { return false };
                let s = p.text.clone();
                (format!("{s}.len() > 0"), format!("ord({s}.chars()[0])"), Ty::Int)
            }
        };
        if unguarded {
            self.line(format!("let {v} = {value};"));
            self.declare(&v, ty, false, S_MAX);
            return true;
        }
        self.line(format!("if {test} {{"));
        self.enter();
        self.line(format!("let {v} = {value};"));
        self.declare(&v, ty, false, S_MAX);
        let n = self.src.below(3);
        self.stmts(n);
        self.leave();
        self.line("}");
        true
    }
}

use crate::program::Gen;
