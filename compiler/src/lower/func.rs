//! The function being lowered: its registers (each with one type for its whole life),
//! scopes, loops, captures and code; and the emission helpers.

use super::Lowerer;
use crate::ast::Span;
use crate::types::{Ty, TypeTable};
use kite_vm::bytecode::{Function, Instr, Loc, Op, TypeId};
use std::collections::HashMap;

/// A register. Every function has at most 65,536.
pub type Reg = u16;

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
    free: HashMap<Ty, Vec<Reg>>,
    allocated: Vec<Reg>,
    pub scopes: Vec<Vec<Local>>,
    pub loops: Vec<LoopCtx>,
    pub captures: Vec<Capture>,
    /// Set once the function has more than 65,536 registers.
    pub too_many_regs: bool,
    /// How many loops enclose the code being lowered (conditions included).
    pub loop_depth: u32,
    /// Constants used inside loops: loaded once at entry into registers of their own.
    const_regs: HashMap<(Op, u32, Ty), Reg>,
    prologue: Vec<Instr>,
}

impl FnCtx {
    pub fn new(name: String, ret: Ty) -> FnCtx {
        FnCtx {
            name,
            ret,
            code: Vec::new(),
            locs: Vec::new(),
            reg_tys: Vec::new(),
            free: HashMap::new(),
            allocated: Vec::new(),
            scopes: vec![Vec::new()],
            loops: Vec::new(),
            captures: Vec::new(),
            too_many_regs: false,
            loop_depth: 0,
            const_regs: HashMap::new(),
            prologue: Vec::new(),
        }
    }

    /// The register holding constant `op bc` (a `LoadInt`, `LoadBool` or `LoadConst`),
    /// loaded once by the function's prologue. The register is never reused.
    pub fn hoisted_const(&mut self, op: Op, bc: u32, t: &Ty) -> Reg {
        if let Some(&r) = self.const_regs.get(&(op, bc, t.clone())) {
            return r;
        }
        let r = self.new_reg(t);
        self.prologue.push(Instr::with_bc(op, r, bc));
        self.const_regs.insert((op, bc, t.clone()), r);
        r
    }

    /// Allocates a register of type `t`, taking `want` if it is free (so that a value
    /// computed into a temporary can stay where it is).
    pub fn alloc_prefer(&mut self, t: &Ty, want: Reg) -> Reg {
        if let Some(list) = self.free.get_mut(t) {
            if let Some(i) = list.iter().rposition(|&r| r == want) {
                list.remove(i);
                self.allocated.push(want);
                return want;
            }
        }
        self.alloc(t)
    }

    /// Registers allocated after this mark are freed by [`FnCtx::release`].
    pub fn mark(&self) -> usize {
        self.allocated.len()
    }

    pub fn release(&mut self, mark: usize) {
        while self.allocated.len() > mark {
            let r = self.allocated.pop().expect("allocated register");
            let t = self.reg_tys[r as usize].clone();
            self.free.entry(t).or_default().push(r);
        }
    }

    fn new_reg(&mut self, t: &Ty) -> Reg {
        if self.reg_tys.len() >= u16::MAX as usize {
            self.too_many_regs = true;
            return 0;
        }
        self.reg_tys.push(t.clone());
        (self.reg_tys.len() - 1) as Reg
    }

    pub fn alloc(&mut self, t: &Ty) -> Reg {
        let r = match self.free.get_mut(t).and_then(|v| v.pop()) {
            Some(r) => r,
            None => self.new_reg(t),
        };
        self.allocated.push(r);
        r
    }

    /// Fresh consecutive registers (call arguments, literal elements).
    pub fn alloc_window(&mut self, tys: &[Ty]) -> Reg {
        let first = self.reg_tys.len() as Reg;
        for t in tys {
            let r = self.new_reg(t);
            self.allocated.push(r);
        }
        first
    }

    /// Declares a `let` (immutable) or `var` (mutable) local.
    pub fn declare(&mut self, name: String, reg: Reg, ty: Ty, mutable: bool) {
        self.scopes.last_mut().expect("scope").push(Local { name, reg, ty, mutable, origin: "let" });
    }

    /// Declares an immutable local introduced by something other than `let`.
    pub fn declare_fixed(&mut self, name: String, reg: Reg, ty: Ty, origin: &'static str) {
        self.scopes.last_mut().expect("scope").push(Local { name, reg, ty, mutable: false, origin });
    }

    pub fn lookup(&self, name: &str) -> Option<&Local> {
        self.scopes.iter().rev().flat_map(|s| s.iter().rev()).find(|l| l.name == name)
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
        let loc = self.loc(span);
        let c = self.ctx();
        c.code.push(ins);
        c.locs.push(loc);
        c.code.len() - 1
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
    /// the jump (which uses fuel), a forward one the forward jump.
    pub(super) fn patch_to(&mut self, at: usize, target: usize) {
        let off = target as i64 - (at as i64 + 1);
        let ins = self.ctx().code[at];
        match ins.with_jump_offset(off) {
            Some(patched) => self.ctx().code[at] = patched,
            None => {
                let name = self.stack.last().map(|c| c.name.clone()).unwrap_or_default();
                self.error(
                    Span::default(),
                    format!("function '{name}' is too large: a branch spans more than 32767 instructions"),
                );
            }
        }
    }

    /// Emits a backward jump (the loop twin of `op`) to `target`.
    pub(super) fn jump_back(&mut self, op: Op, a: Reg, target: usize, span: Span) {
        let at = self.jump_fwd(op, a, span);
        self.patch_to(at, target);
    }

    pub(super) fn branch_back(&mut self, op: Op, a: Reg, b: Reg, target: usize, span: Span) {
        let at = self.branch_fwd(op, a, b, span);
        self.patch_to(at, target);
    }

    /// Copies a value into `dst` unless it is already there.
    pub(super) fn move_to(&mut self, v: &Val, dst: Reg, span: Span) {
        if v.reg != dst {
            self.emit_op(Op::Move, dst, v.reg, 0, span);
        }
    }
}
