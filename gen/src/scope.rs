//! The function being generated: its visible locals, loops, cost so far and output lines.
//! Also the cost model that keeps every program terminating quickly: each function
//! records the fuel (calls plus loop iterations) and output bytes one call of it may use,
//! and a call or loop is only generated where the enclosing function's budget allows it.

use crate::program::{File, Gen};
use crate::types::{Ty, S_MAX};

/// Fuel (calls and loop iterations) and output bytes of some code, per run of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cost {
    pub fuel: u64,
    pub out: u64,
}

impl Cost {
    pub const fn new(fuel: u64, out: u64) -> Cost {
        Cost { fuel, out }
    }
    pub fn plus(self, o: Cost) -> Cost {
        Cost { fuel: self.fuel.saturating_add(o.fuel), out: self.out.saturating_add(o.out) }
    }
    pub fn times(self, n: u64) -> Cost {
        Cost { fuel: self.fuel.saturating_mul(n), out: self.out.saturating_mul(n) }
    }
    pub fn within(self, b: Cost) -> bool {
        self.fuel <= b.fuel && self.out <= b.out
    }
}

/// What `main` may use: well under the 1e6 fuel of a test run, ~32 KB of output (an
/// estimate: the text of containers is guessed).
pub(crate) const MAIN_BUDGET: Cost = Cost::new(250_000, 32_000);
/// What one call of a named function or method may use.
pub(crate) const FUNC_BUDGET: Cost = Cost::new(12_000, 1_500);
/// What one call of a closure (or any function value) may use.
pub(crate) const CLOSURE_BUDGET: Cost = Cost::new(400, 160);
/// What a comparator passed to `sort_by` may use per call.
pub(crate) const CMP_BUDGET: Cost = Cost::new(0, 0);
/// Most loop iterations that may be nested inside one function run.
pub(crate) const MAX_MULT: u64 = 4_000;

/// A local binding.
#[derive(Clone, Debug)]
pub(crate) struct Local {
    pub name: String,
    pub ty: Ty,
    /// Declared with `var` (closures cannot capture it).
    pub mutable: bool,
    /// A loop counter: read, never assigned by generated code.
    pub counter: bool,
    /// Longest string it can hold (for `str`; `S_MAX` otherwise).
    pub bound: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FxKind {
    Main,
    Func,
    Closure,
    /// Global initializers: no calls, no statements.
    Init,
}

/// A function (named, method, closure or the global initializers) being generated.
pub(crate) struct Fx {
    pub kind: FxKind,
    pub locals: Vec<Local>,
    /// Loops enclosing the current point (in this function only).
    pub loops: u32,
    /// Iterations of the enclosing loops multiplied.
    pub mult: u64,
    pub cost: Cost,
    pub budget: Cost,
    pub ret: Option<Ty>,
    /// `fn main() -> int`: returned values are masked to 0..=255.
    pub main_int: bool,
    /// A recursive function: its index, and whether its one self-call is still to come.
    pub rec: Option<usize>,
    pub rec_call_left: bool,
    /// Block nesting (statements), for bounding the shape.
    pub nest: u32,
    /// Whether user functions may be called here.
    pub calls: bool,
    pub indent: usize,
    pub lines: Vec<String>,
    /// Statements still allowed in this function.
    pub stmts_left: u32,
    /// Number of locals at the start of each open block.
    pub scopes: Vec<usize>,
}

impl Fx {
    pub fn new(kind: FxKind, budget: Cost, ret: Option<Ty>, indent: usize, stmts: u32) -> Fx {
        Fx {
            kind,
            locals: Vec::new(),
            loops: 0,
            mult: 1,
            cost: Cost::default(),
            budget,
            ret,
            main_int: false,
            rec: None,
            rec_call_left: false,
            nest: 0,
            calls: kind != FxKind::Init,
            indent,
            lines: Vec::new(),
            stmts_left: stmts,
            scopes: Vec::new(),
        }
    }
}

/// A readable place: a local, a global or a field of one (one or two levels deep).
#[derive(Clone, Debug)]
pub(crate) struct Path {
    pub text: String,
    pub ty: Ty,
    /// Whether `text = value;` is allowed.
    pub assignable: bool,
    pub bound: usize,
}

impl Gen<'_, '_> {
    pub fn cur(&self) -> &Fx {
        self.fx.last().expect("a function is being generated")
    }

    pub fn cur_mut(&mut self) -> &mut Fx {
        self.fx.last_mut().expect("a function is being generated")
    }

    /// Whether code costing `c` per run fits here (inside the enclosing loops).
    pub fn fits(&self, c: Cost) -> bool {
        let f = self.cur();
        f.cost.plus(c.times(f.mult)).within(f.budget)
    }

    /// Records code costing `c` per run here; false (and nothing recorded) if it does not fit.
    pub fn charge(&mut self, c: Cost) -> bool {
        if !self.fits(c) {
            return false;
        }
        let f = self.cur_mut();
        f.cost = f.cost.plus(c.times(f.mult));
        true
    }

    /// Records code costing `c` whether or not it fits (for things that must be emitted).
    pub fn force_charge(&mut self, c: Cost) {
        let f = self.cur_mut();
        f.cost = f.cost.plus(c.times(f.mult));
    }

    pub fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{}", self.counter)
    }

    pub fn declare(&mut self, name: &str, ty: Ty, mutable: bool, bound: usize) {
        let bound = if ty == Ty::Str { bound } else { S_MAX };
        self.cur_mut().locals.push(Local { name: name.to_string(), ty, mutable, counter: false, bound });
    }

    pub fn declare_counter(&mut self, name: &str, ty: Ty) {
        self.cur_mut().locals.push(Local { name: name.to_string(), ty, mutable: true, counter: true, bound: S_MAX });
    }

    /// Every readable place of the current function, with fields of struct-typed places.
    pub fn paths(&self) -> Vec<Path> {
        let mut roots: Vec<Path> = Vec::new();
        for l in &self.cur().locals {
            roots.push(Path {
                text: l.name.clone(),
                ty: l.ty.clone(),
                assignable: l.mutable && !l.counter,
                bound: l.bound,
            });
        }
        for g in &self.globals {
            if g.file == self.file {
                roots.push(Path { text: g.name.clone(), ty: g.ty.clone(), assignable: g.mutable, bound: S_MAX });
            } else if self.file == File::Main {
                roots.push(Path {
                    text: format!("{}.{}", self.alias, g.name),
                    ty: g.ty.clone(),
                    assignable: false,
                    bound: S_MAX,
                });
            }
        }
        let mut out = roots.clone();
        let mut frontier = roots;
        for _ in 0..2 {
            let mut next = Vec::new();
            for p in &frontier {
                let Some(s) = p.ty.struct_id() else { continue };
                for (f, t) in &self.structs[s].fields {
                    next.push(Path { text: format!("{}.{f}", p.text), ty: t.clone(), assignable: true, bound: S_MAX });
                }
            }
            out.extend(next.iter().cloned());
            frontier = next;
        }
        out
    }

    /// Places of type `ty` whose strings fit in `max` bytes.
    pub fn paths_of(&self, ty: &Ty, max: usize) -> Vec<Path> {
        self.paths().into_iter().filter(|p| p.ty == *ty && (*ty != Ty::Str || p.bound <= max)).collect()
    }

    /// Adds a line of code at the current indentation.
    pub fn line(&mut self, s: impl AsRef<str>) {
        let f = self.cur_mut();
        let pad = "    ".repeat(f.indent);
        f.lines.push(format!("{pad}{}", s.as_ref()));
    }
}
