//! The function being lowered: its registers (each with one type for its whole life),
//! scopes, loops, captures and code; and the emission helpers.

use super::Lowerer;
use crate::ast::Span;
use crate::types::{Ty, TypeTable};
use kite_vm::bytecode::{Function, Instr, Loc, Op, TypeId};
use std::collections::HashMap;

/// A register. Every function has at most 65,536 ([`MAX_REGS`]).
pub type Reg = u16;

/// Most registers one function may have: register operands are 16 bits.
pub const MAX_REGS: usize = kite_vm::bytecode::verify::limits::MAX_REGS;

/// Most constants loads a function hoists to its entry (each takes a register for the
/// whole function); further constants used in loops are loaded where they are used.
const MAX_HOISTED: usize = 1024;

/// How many free registers a window allocation looks at as possible starts.
const WINDOW_CANDIDATES: usize = 8;

/// A checked expression: its type and the register holding its value.
#[derive(Clone, Debug)]
pub struct Val {
    pub ty: Ty,
    pub reg: Reg,
}

pub struct Local {
    pub name: String,
    pub reg: Reg,
    pub ty: Ty,
    pub mutable: bool,
    /// What introduced it: `let`, `parameter`, `loop variable`, `if let`.
    pub origin: &'static str,
}

/// A value a closure copies from its creator when it is made.
pub struct Capture {
    pub name: String,
    pub ty: Ty,
    /// The register in the closure that holds it.
    pub reg: Reg,
}

#[derive(Default)]
pub struct LoopCtx {
    /// Jumps to patch to the loop's exit.
    pub breaks: Vec<usize>,
    /// Jumps to patch to the loop's continue point.
    pub continues: Vec<usize>,
}

pub struct FnCtx {
    pub name: String,
    pub ret: Ty,
    pub code: Vec<Instr>,
    pub locs: Vec<Loc>,
    pub reg_tys: Vec<Ty>,
    /// Free registers by type, most recently freed last. May hold stale entries:
    /// `is_free` is the truth.
    free: HashMap<Ty, Vec<Reg>>,
    is_free: Vec<bool>,
    allocated: Vec<Reg>,
    scopes: Scopes,
    pub loops: Vec<LoopCtx>,
    pub captures: Vec<Capture>,
    /// Set once the function needed more than [`MAX_REGS`] registers.
    pub too_many_regs: bool,
    /// Whether that was reported.
    pub too_many_regs_reported: bool,
    /// How many loops enclose the code being lowered (conditions included).
    pub loop_depth: u32,
    /// Branch with a compare and a 32-bit offset (`LtI` + `JmpIf`) instead of a fused
    /// compare-and-branch with a 16-bit offset: set when lowering the function again
    /// because a branch did not fit.
    pub long_branches: bool,
    /// Set when a jump's offset did not fit its operand.
    pub branch_overflow: bool,
    /// Constants used inside loops: loaded once at entry into registers of their own.
    const_regs: HashMap<(Op, u32, Ty), Reg>,
    prologue: Vec<Instr>,
}

/// The locals in scope, innermost last, with an index by name.
#[derive(Default)]
struct Scopes {
    locals: Vec<Local>,
    /// Where each open scope starts in `locals`.
    starts: Vec<usize>,
    /// Name -> indices in `locals` of the locals with that name, innermost last.
    by_name: HashMap<String, Vec<usize>>,
}

impl Scopes {
    fn push(&mut self) {
        self.starts.push(self.locals.len());
    }

    fn pop(&mut self) {
        let start = self.starts.pop().unwrap_or(0);
        while self.locals.len() > start {
            let Some(l) = self.locals.pop() else { break };
            if let Some(v) = self.by_name.get_mut(&l.name) {
                v.pop();
                if v.is_empty() {
                    self.by_name.remove(&l.name);
                }
            }
        }
    }

    fn declare(&mut self, l: Local) {
        self.by_name.entry(l.name.clone()).or_default().push(self.locals.len());
        self.locals.push(l);
    }

    fn lookup(&self, name: &str) -> Option<&Local> {
        let i = *self.by_name.get(name)?.last()?;
        self.locals.get(i)
    }
}

impl FnCtx {
    pub fn new(name: String, ret: Ty) -> FnCtx {
        let mut scopes = Scopes::default();
        scopes.push();
        FnCtx {
            name,
            ret,
            code: Vec::new(),
            locs: Vec::new(),
            reg_tys: Vec::new(),
            free: HashMap::new(),
            is_free: Vec::new(),
            allocated: Vec::new(),
            scopes,
            loops: Vec::new(),
            captures: Vec::new(),
            too_many_regs: false,
            too_many_regs_reported: false,
            loop_depth: 0,
            long_branches: false,
            branch_overflow: false,
            const_regs: HashMap::new(),
            prologue: Vec::new(),
        }
    }

    /// Opens a block scope.
    pub fn push_scope(&mut self) {
        self.scopes.push();
    }

    /// Closes the innermost block scope: its locals go out of scope.
    pub fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    /// The register holding constant `op bc` (a `LoadInt`, `LoadBool` or `LoadConst`),
    /// loaded once by the function's prologue, or `None` when the function already
    /// hoists [`MAX_HOISTED`] constants. The register is never reused.
    pub fn hoisted_const(&mut self, op: Op, bc: u32, t: &Ty) -> Option<Reg> {
        if let Some(&r) = self.const_regs.get(&(op, bc, t.clone())) {
            return Some(r);
        }
        if self.const_regs.len() >= MAX_HOISTED {
            return None;
        }
        let r = self.new_reg(t)?;
        self.prologue.push(Instr::with_bc(op, r, bc));
        self.const_regs.insert((op, bc, t.clone()), r);
        Some(r)
    }

    /// Allocates a register of type `t`, taking `want` if it is free (so that a value
    /// computed into a temporary can stay where it is).
    pub fn alloc_prefer(&mut self, t: &Ty, want: Reg) -> Reg {
        let w = want as usize;
        if self.is_free.get(w).copied().unwrap_or(false) && self.reg_tys[w] == *t {
            self.take(want);
            return want;
        }
        self.alloc(t)
    }

    /// Drops the instructions from `at` on (unreachable code), and the `break` and
    /// `continue` jumps among them that wait to be patched.
    pub fn drop_code_from(&mut self, at: usize) {
        self.code.truncate(at);
        self.locs.truncate(at);
        for l in &mut self.loops {
            l.breaks.retain(|&j| j < at);
            l.continues.retain(|&j| j < at);
        }
    }

    /// How many instructions the function has so far.
    pub fn code_len(&self) -> usize {
        self.prologue.len() + self.code.len()
    }

    /// Registers allocated after this mark are freed by [`FnCtx::release`].
    pub fn mark(&self) -> usize {
        self.allocated.len()
    }

    pub fn release(&mut self, mark: usize) {
        while self.allocated.len() > mark {
            let r = self.allocated.pop().expect("allocated register");
            if self.is_free[r as usize] {
                continue;
            }
            self.is_free[r as usize] = true;
            let t = &self.reg_tys[r as usize];
            match self.free.get_mut(t) {
                Some(list) => list.push(r),
                None => {
                    self.free.insert(t.clone(), vec![r]);
                }
            }
        }
    }

    /// A fresh register of type `t`, or `None` (and `too_many_regs` set) when the
    /// function has [`MAX_REGS`] already.
    fn new_reg(&mut self, t: &Ty) -> Option<Reg> {
        if self.reg_tys.len() >= MAX_REGS {
            self.too_many_regs = true;
            return None;
        }
        self.reg_tys.push(t.clone());
        self.is_free.push(false);
        Some((self.reg_tys.len() - 1) as Reg)
    }

    /// Marks a free register as allocated.
    fn take(&mut self, r: Reg) {
        self.is_free[r as usize] = false;
        self.allocated.push(r);
    }

    /// A free register of type `t`, if any.
    fn pop_free(&mut self, t: &Ty) -> Option<Reg> {
        let list = self.free.get_mut(t)?;
        while let Some(r) = list.pop() {
            if self.is_free[r as usize] {
                return Some(r);
            }
        }
        None
    }

    /// Allocates a register of type `t`. When the function is out of registers this
    /// returns register 0 and sets `too_many_regs` (the function then fails to compile).
    pub fn alloc(&mut self, t: &Ty) -> Reg {
        if let Some(r) = self.pop_free(t) {
            self.take(r);
            return r;
        }
        match self.new_reg(t) {
            Some(r) => {
                self.allocated.push(r);
                r
            }
            None => 0,
        }
    }

    /// Consecutive registers of types `tys` (call arguments, literal elements): free ones
    /// of the right types when there are (a window reused from an earlier call), else
    /// fresh ones. Out of registers, returns 0 and sets `too_many_regs`.
    pub fn alloc_window(&mut self, tys: &[Ty]) -> Reg {
        let Some(first_ty) = tys.first() else {
            return 0;
        };
        let len = self.reg_tys.len();
        let candidates: Vec<Reg> = match self.free.get(first_ty) {
            Some(list) => {
                list.iter().rev().copied().filter(|&r| self.is_free[r as usize]).take(WINDOW_CANDIDATES).collect()
            }
            None => Vec::new(),
        };
        let fits = |c: &FnCtx, start: usize| {
            tys.iter().enumerate().all(|(i, t)| match c.reg_tys.get(start + i) {
                Some(have) => c.is_free[start + i] && have == t,
                None => true,
            })
        };
        let start = candidates.into_iter().map(usize::from).find(|&r| fits(self, r)).unwrap_or(len);
        if start + tys.len() > MAX_REGS {
            self.too_many_regs = true;
            return 0;
        }
        for (i, t) in tys.iter().enumerate() {
            let r = start + i;
            if r < len {
                self.take(r as Reg);
            } else {
                let _ = self.new_reg(t);
                self.allocated.push(r as Reg);
            }
        }
        start as Reg
    }

    /// Declares a `let` (immutable) or `var` (mutable) local.
    pub fn declare(&mut self, name: String, reg: Reg, ty: Ty, mutable: bool) {
        self.scopes.declare(Local { name, reg, ty, mutable, origin: "let" });
    }

    /// Declares an immutable local introduced by something other than `let`.
    pub fn declare_fixed(&mut self, name: String, reg: Reg, ty: Ty, origin: &'static str) {
        self.scopes.declare(Local { name, reg, ty, mutable: false, origin });
    }

    pub fn lookup(&self, name: &str) -> Option<&Local> {
        self.scopes.lookup(name)
    }

    /// The finished function. `captures` are the closure's captured types.
    pub fn finish(
        self,
        types: &mut TypeTable,
        params: Vec<TypeId>,
        captures: Vec<TypeId>,
        ret: Option<TypeId>,
    ) -> Function {
        let regs = self.reg_tys.iter().map(|t| types.id(t)).collect();
        // The prologue goes first; jumps are relative, so the body's offsets still hold.
        let entry = self.locs.first().copied().unwrap_or_default();
        let mut code = self.prologue;
        let mut locs = vec![entry; code.len()];
        code.extend(self.code);
        locs.extend(self.locs);
        Function { name: self.name, captures, params, ret, regs, code, locs }
    }
}

impl Lowerer<'_> {
    pub(super) fn ctx(&mut self) -> &mut FnCtx {
        self.stack.last_mut().expect("a function is being lowered")
    }

    pub(super) fn alloc(&mut self, t: &Ty) -> Reg {
        self.ctx().alloc(t)
    }

    pub(super) fn emit(&mut self, ins: Instr, span: Span) -> usize {
        if self.ctx().too_many_regs && !self.ctx().too_many_regs_reported {
            self.too_many_registers(span);
        }
        let loc = self.loc(span);
        let c = self.ctx();
        c.code.push(ins);
        c.locs.push(loc);
        c.code.len() - 1
    }

    /// Reports, once per function, that it ran out of registers at the code at `span`.
    fn too_many_registers(&mut self, span: Span) {
        let c = self.ctx();
        c.too_many_regs_reported = true;
        let what = match c.name.as_str() {
            "<init>" => "the global initializers need".to_string(),
            "<closure>" => "this closure needs".to_string(),
            name => format!("function '{name}' needs"),
        };
        self.error_hint(
            span,
            format!("{what} more than {MAX_REGS} registers here (the limit of the bytecode format)"),
            "split the function into smaller ones, or build big literals in steps",
        );
    }

    pub(super) fn emit_op(&mut self, op: Op, a: Reg, b: u16, c: u16, span: Span) -> usize {
        self.emit(Instr::new(op, a, b, c), span)
    }

    pub(super) fn emit_bc(&mut self, op: Op, a: Reg, bc: u32, span: Span) -> usize {
        self.emit(Instr::with_bc(op, a, bc), span)
    }

    /// The index the next instruction will have.
    pub(super) fn here(&mut self) -> usize {
        self.ctx().code.len()
    }

    /// Emits a forward jump (`Jmp`, or `op a` with a 32-bit offset) to patch later.
    pub(super) fn jump_fwd(&mut self, op: Op, a: Reg, span: Span) -> usize {
        self.emit_bc(op, a, 0, span)
    }

    /// Emits a compare-and-branch `op a b` to patch later.
    pub(super) fn branch_fwd(&mut self, op: Op, a: Reg, b: Reg, span: Span) -> usize {
        self.emit_op(op, a, b, 0, span)
    }

    /// Points the jump at `at` to the next instruction.
    pub(super) fn patch_here(&mut self, at: usize) {
        let target = self.here();
        self.patch_to(at, target);
    }

    /// Points the jump at `at` to `target`: a backward target makes it the loop twin of
    /// the jump (which uses fuel), a forward one the forward jump. An offset that does not
    /// fit the jump sets `branch_overflow`: the function is then lowered again with
    /// `long_branches`, whose jumps all have 32-bit offsets.
    pub(super) fn patch_to(&mut self, at: usize, target: usize) {
        let off = target as i64 - (at as i64 + 1);
        let ins = self.ctx().code[at];
        match ins.with_jump_offset(off) {
            Some(patched) => self.ctx().code[at] = patched,
            None => self.ctx().branch_overflow = true,
        }
    }

    /// A forward compare-and-branch `op a b` (one of `JmpIfLtI`, `JmpIfNotLtI`,
    /// `JmpIfNotLeI`, `JmpIfEqI`) to patch later; with `long_branches`, the comparison
    /// into a temporary and a `JmpIf`/`JmpIfNot`.
    pub(super) fn branch_int_fwd(&mut self, op: Op, a: Reg, b: Reg, span: Span) -> usize {
        if !self.ctx().long_branches {
            return self.branch_fwd(op, a, b, span);
        }
        let (cmp, jump) = match op {
            Op::JmpIfLtI => (Op::LtI, Op::JmpIf),
            Op::JmpIfNotLtI => (Op::LtI, Op::JmpIfNot),
            Op::JmpIfNotLeI => (Op::LeI, Op::JmpIfNot),
            _ => (Op::EqI, Op::JmpIf),
        };
        let t = self.alloc(&Ty::Bool);
        self.emit_op(cmp, t, a, b, span);
        self.jump_fwd(jump, t, span)
    }

    /// A backward `JmpIfLtI a b` to `target` (its loop twin), or its long form.
    pub(super) fn branch_lt_back(&mut self, a: Reg, b: Reg, target: usize, span: Span) {
        let at = self.branch_int_fwd(Op::JmpIfLtI, a, b, span);
        self.patch_to(at, target);
    }

    /// Emits a backward jump (the loop twin of `op`) to `target`.
    pub(super) fn jump_back(&mut self, op: Op, a: Reg, target: usize, span: Span) {
        let at = self.jump_fwd(op, a, span);
        self.patch_to(at, target);
    }

    /// Copies a value into `dst` unless it is already there.
    pub(super) fn move_to(&mut self, v: &Val, dst: Reg, span: Span) {
        if v.reg != dst {
            self.emit_op(Op::Move, dst, v.reg, 0, span);
        }
    }
}
