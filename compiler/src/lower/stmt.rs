//! Statements and control flow. Each statement lowering returns whether control can
//! reach the statement's end (for `missing return`).

use super::expr::Name;
use super::func::{LoopCtx, Reg, Val};
use super::Lowerer;
use crate::ast::{BinOp, Block, Else, Expr, ExprKind, Span, Stmt, StmtKind, UnOp};
use crate::types::Ty;
use kite_vm::bytecode::{Builtin, Op};

impl Lowerer<'_> {
    /// Lowers a block in its own scope. Statements after one that does not fall through
    /// (a `return`, ...) are checked but their code is dropped: nothing can reach it, and
    /// a jump in it could lead past the function's end.
    pub(super) fn block(&mut self, b: &Block) -> bool {
        let mark = self.ctx().mark();
        self.ctx().push_scope();
        let mut falls = true;
        let mut dead_from = None;
        for s in &b.stmts {
            if !falls && dead_from.is_none() {
                dead_from = Some(self.here());
            }
            let f = self.stmt(s);
            falls = falls && f;
        }
        if let Some(at) = dead_from {
            self.ctx().drop_code_from(at);
        }
        self.ctx().pop_scope();
        self.ctx().release(mark);
        falls
    }

    fn stmt(&mut self, s: &Stmt) -> bool {
        let outer = std::mem::replace(&mut self.stmt, s.span);
        let falls = self.stmt_here(s);
        self.stmt = outer;
        falls
    }

    fn stmt_here(&mut self, s: &Stmt) -> bool {
        let mark = self.ctx().mark();
        let falls = match &s.kind {
            StmtKind::Let(l) => {
                let declared = l.ty.as_ref().map(|t| self.resolve_type(t));
                let v = self.expr(&l.init, declared.as_ref(), None);
                let (v, t) = match declared {
                    Some(t) => (self.coerce(v, &t, l.init.span), t),
                    None => {
                        let t = self.infer_binding_type(&v.ty, &l.init);
                        (v, t)
                    }
                };
                // The temporaries die here; the local may take the value's own register.
                self.ctx().release(mark);
                let reg = self.ctx().alloc_prefer(&t, v.reg);
                self.move_to(&v, reg, s.span);
                self.ctx().declare(l.name.name.clone(), reg, t, l.mutable);
                return true;
            }
            StmtKind::Assign { target, op, value } => {
                self.assign(target, *op, value, s.span);
                true
            }
            StmtKind::If { cond, then, els } => self.if_stmt(cond, then, els.as_ref()),
            StmtKind::IfLet { name, value, then, els } => {
                let v = self.expr(value, None, None);
                let inner = match &v.ty {
                    Ty::Opt(t) => (**t).clone(),
                    Ty::Error => Ty::Error,
                    t => {
                        self.error(value.span, format!("expected an optional, found {}", self.show(t)));
                        Ty::Error
                    }
                };
                let to_else = self.jump_fwd(Op::JmpIfNil, v.reg, s.span);
                let bmark = self.ctx().mark();
                self.ctx().push_scope();
                let reg = self.alloc(&inner);
                let op = if inner.is_prim() { Op::UnwrapBox } else { Op::UnwrapRef };
                self.emit_op(op, reg, v.reg, 0, name.span);
                self.ctx().declare_fixed(name.name.clone(), reg, inner, "if let");
                let then_falls = self.block(then);
                self.ctx().pop_scope();
                self.ctx().release(bmark);
                self.finish_if(to_else, vec![], then_falls, els)
            }
            StmtKind::While { cond, body } => self.while_stmt(cond, body, s.span),
            StmtKind::ForRange { var, lo, hi, inclusive, body } => {
                self.for_range(&var.name, lo, hi, *inclusive, body, s.span);
                true
            }
            StmtKind::ForIn { var, iter, body } => {
                self.for_in(&var.name, iter, body, s.span);
                true
            }
            StmtKind::Break | StmtKind::Continue => {
                let is_break = matches!(s.kind, StmtKind::Break);
                if self.ctx().loops.is_empty() {
                    let what = if is_break { "break" } else { "continue" };
                    self.error(s.span, format!("{what} outside of a loop"));
                } else {
                    let j = self.jump_fwd(Op::Jmp, 0, s.span);
                    let l = self.ctx().loops.last_mut().expect("loop");
                    if is_break {
                        l.breaks.push(j);
                    } else {
                        l.continues.push(j);
                    }
                }
                false
            }
            StmtKind::Return(e) => {
                self.return_stmt(e.as_ref(), s.span);
                false
            }
            // A statement that could not be parsed: nothing after it is known to run.
            StmtKind::Error => false,
            StmtKind::Expr(e) => {
                let ExprKind::Call(callee, _) = &e.kind else {
                    self.error(e.span, "only calls can be used as statements");
                    self.expr(e, None, None);
                    self.ctx().release(mark);
                    return true;
                };
                self.expr(e, None, None);
                // `panic(...)` does not return.
                !matches!(&callee.kind, ExprKind::Ident(n) if n == "panic" && matches!(self.lookup_name(n), Name::Unknown))
            }
        };
        self.ctx().release(mark);
        falls
    }

    fn return_stmt(&mut self, e: Option<&Expr>, span: Span) {
        let ret = self.ctx().ret.clone();
        match (e, &ret) {
            (None, Ty::Void) => {
                self.emit_op(Op::RetVoid, 0, 0, 0, span);
            }
            (None, t) => {
                if !t.is_error() {
                    self.error(
                        span,
                        format!(
                            "mismatched types: expected {}, found nothing (this function must return a value)",
                            self.show(t)
                        ),
                    );
                }
            }
            (Some(e), Ty::Void) => {
                self.expr(e, None, None);
                self.error(e.span, "this function returns nothing; remove the value or declare a return type");
            }
            (Some(e), t) => {
                let v = self.expr(e, Some(t), None);
                let v = self.coerce(v, t, e.span);
                if self.stack.len() == 1 && self.ctx().name == "main" && *t == Ty::Int {
                    self.emit_op(Op::CallBuiltin, 0, Builtin::CheckExit as u16, v.reg, e.span);
                }
                self.emit_op(Op::Ret, v.reg, 0, 0, span);
            }
        }
    }

    fn if_stmt(&mut self, cond: &Expr, then: &Block, els: Option<&Else>) -> bool {
        let falses = self.cond_jump(cond, false);
        let then_falls = self.block(then);
        self.finish_if_many(falses, then_falls, els)
    }

    fn finish_if(&mut self, to_else: usize, more: Vec<usize>, then_falls: bool, els: &Option<Else>) -> bool {
        let mut f = vec![to_else];
        f.extend(more);
        self.finish_if_many(f, then_falls, els.as_ref())
    }

    fn finish_if_many(&mut self, falses: Vec<usize>, then_falls: bool, els: Option<&Else>) -> bool {
        match els {
            None => {
                for j in falses {
                    self.patch_here(j);
                }
                true
            }
            Some(e) => {
                let to_end = if then_falls { Some(self.jump_fwd(Op::Jmp, 0, Span::default())) } else { None };
                for j in falses {
                    self.patch_here(j);
                }
                let else_falls = match e {
                    Else::Block(b) => self.block(b),
                    Else::If(s) => self.stmt(s),
                };
                if let Some(j) = to_end {
                    self.patch_here(j);
                }
                then_falls || else_falls
            }
        }
    }

    /// Lowers a condition; returns the jumps taken when it is `want` (false: the usual
    /// "skip the block" jumps; true: a loop's back edge).
    pub(super) fn cond_jump(&mut self, e: &Expr, want: bool) -> Vec<usize> {
        match &e.kind {
            ExprKind::Binary(BinOp::And, a, b) => {
                if !want {
                    let mut f = self.cond_jump(a, false);
                    f.extend(self.cond_jump(b, false));
                    f
                } else {
                    let f = self.cond_jump(a, false);
                    let t = self.cond_jump(b, true);
                    for j in f {
                        self.patch_here(j);
                    }
                    t
                }
            }
            ExprKind::Binary(BinOp::Or, a, b) => {
                if want {
                    let mut t = self.cond_jump(a, true);
                    t.extend(self.cond_jump(b, true));
                    t
                } else {
                    let t = self.cond_jump(a, true);
                    let f = self.cond_jump(b, false);
                    for j in t {
                        self.patch_here(j);
                    }
                    f
                }
            }
            ExprKind::Unary(UnOp::Not, a) => self.cond_jump(a, !want),
            ExprKind::Binary(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne), a, b)
                if !matches!(a.kind, ExprKind::Nil) && !matches!(b.kind, ExprKind::Nil) =>
            {
                // `x < 5`, `5 > x`: compare with an immediate, no register for the constant.
                let long = self.ctx().long_branches;
                if let Some(k) = small_int(b).filter(|_| !long) {
                    let va = self.expr(a, None, None);
                    if va.ty == Ty::Int {
                        return vec![self.branch_imm(*op, va.reg, k, want, e.span)];
                    }
                    let vb = self.expr(b, Some(&va.ty.clone()), None);
                    return self.compare_branch(*op, va, vb, a, b, want, e.span);
                }
                if let Some(k) = small_int(a).filter(|_| !long) {
                    let vb = self.expr(b, None, None);
                    if vb.ty == Ty::Int {
                        return vec![self.branch_imm(mirror(*op), vb.reg, k, want, e.span)];
                    }
                    let va = self.expr(a, Some(&vb.ty.clone()), None);
                    return self.compare_branch(*op, va, vb, a, b, want, e.span);
                }
                let va = self.expr(a, None, None);
                let vb = self.expr(b, Some(&va.ty.clone()), None);
                self.compare_branch(*op, va, vb, a, b, want, e.span)
            }
            ExprKind::Bool(true) if !want => vec![],
            _ => {
                let v = self.expr(e, Some(&Ty::Bool), None);
                if !v.ty.same(&Ty::Bool) {
                    self.mismatch(&Ty::Bool, &v.ty, e.span);
                }
                vec![self.jump_fwd(if want { Op::JmpIf } else { Op::JmpIfNot }, v.reg, e.span)]
            }
        }
    }

    /// A branch on `R[a] op k`, taken when the comparison is `want`.
    fn branch_imm(&mut self, op: BinOp, a: Reg, k: i16, want: bool, span: Span) -> usize {
        use BinOp::*;
        let ins = match (op, want) {
            (Lt, true) | (Ge, false) => Op::JmpIfLtIK,
            (Lt, false) | (Ge, true) => Op::JmpIfNotLtIK,
            (Le, true) | (Gt, false) => Op::JmpIfLeIK,
            (Le, false) | (Gt, true) => Op::JmpIfNotLeIK,
            (Eq, true) | (Ne, false) => Op::JmpIfEqIK,
            _ => Op::JmpIfNeIK,
        };
        self.emit_op(ins, a, k as u16, 0, span)
    }

    /// A comparison of two lowered operands as a branch taken when it is `want`.
    #[allow(clippy::too_many_arguments)]
    fn compare_branch(
        &mut self,
        op: BinOp,
        va: Val,
        vb: Val,
        a: &Expr,
        b: &Expr,
        want: bool,
        span: Span,
    ) -> Vec<usize> {
        {
            if let Some(j) = self.fused_branch(op, &va, &vb, want, span) {
                return vec![j];
            }
            let v = match op {
                BinOp::Eq | BinOp::Ne => self.equality_vals(op, va, vb, a, b, span, None),
                _ => self.arith(op, va, vb, a, b, span, None),
            };
            vec![self.jump_fwd(if want { Op::JmpIf } else { Op::JmpIfNot }, v.reg, span)]
        }
    }

    /// A compare-and-branch for int and float comparisons, jumping when the comparison is `want`.
    fn fused_branch(&mut self, op: BinOp, va: &Val, vb: &Val, want: bool, span: Span) -> Option<usize> {
        use BinOp::*;
        if self.ctx().long_branches {
            return None;
        }
        let (a, b) = (va.reg, vb.reg);
        // Per operand type: (lt taken, lt not taken, le taken, le not taken, eq, ne).
        let ops = match (&va.ty, &vb.ty) {
            (Ty::Int, Ty::Int) => {
                [Op::JmpIfLtI, Op::JmpIfNotLtI, Op::JmpIfLeI, Op::JmpIfNotLeI, Op::JmpIfEqI, Op::JmpIfNeI]
            }
            (Ty::Float, Ty::Float) if !matches!(op, Eq | Ne) => {
                [Op::JmpIfLtF, Op::JmpIfNotLtF, Op::JmpIfLeF, Op::JmpIfNotLeF, Op::Nop, Op::Nop]
            }
            _ => return None,
        };
        // `a > b` is `b < a`; equality branches on its own ops.
        let (ins, l, r) = match (op, want) {
            (Lt, true) => (ops[0], a, b),
            (Lt, false) => (ops[1], a, b),
            (Le, true) => (ops[2], a, b),
            (Le, false) => (ops[3], a, b),
            (Gt, true) => (ops[0], b, a),
            (Gt, false) => (ops[1], b, a),
            (Ge, true) => (ops[2], b, a),
            (Ge, false) => (ops[3], b, a),
            (Eq, true) | (Ne, false) => (ops[4], a, b),
            (Eq, false) | (Ne, true) => (ops[5], a, b),
            _ => return None,
        };
        Some(self.branch_fwd(ins, l, r, span))
    }

    /// `while c { body }` with the test at the bottom: one branch per iteration.
    fn while_stmt(&mut self, cond: &Expr, body: &Block, span: Span) -> bool {
        let forever = matches!(cond.kind, ExprKind::Bool(true));
        let to_test = if forever { None } else { Some(self.jump_fwd(Op::Jmp, 0, span)) };
        let top = self.here();
        self.ctx().loops.push(LoopCtx::default());
        self.ctx().loop_depth += 1;
        self.block(body);
        let l = self.ctx().loops.pop().expect("loop");
        let test = self.here();
        for j in l.continues {
            self.patch_to(j, test);
        }
        if let Some(j) = to_test {
            self.patch_here(j);
        }
        if forever {
            self.jump_back(Op::Jmp, 0, top, span);
        } else {
            let mark = self.ctx().mark();
            for j in self.cond_jump(cond, true) {
                self.patch_to(j, top);
            }
            self.ctx().release(mark);
        }
        self.ctx().loop_depth -= 1;
        let has_break = !l.breaks.is_empty();
        for j in l.breaks {
            self.patch_here(j);
        }
        !forever || has_break
    }

    /// `for v in lo..hi` / `lo..=hi`: a hidden counter and limit; `v` is a fresh binding
    /// per iteration.
    fn for_range(&mut self, var: &str, lo: &Expr, hi: &Expr, inclusive: bool, body: &Block, span: Span) {
        let cnt = self.alloc(&Ty::Int);
        let v = self.expr(lo, Some(&Ty::Int), Some(cnt));
        self.expect_ty(&v, &Ty::Int, lo.span);
        self.move_to(&v, cnt, lo.span);
        // The limit is evaluated once: a `var` it names is copied, anything else is read
        // where it is.
        let v = self.expr(hi, Some(&Ty::Int), None);
        self.expect_ty(&v, &Ty::Int, hi.span);
        let lim = if self.is_mutable_local(hi) {
            let lim = self.alloc(&Ty::Int);
            self.move_to(&v, lim, hi.span);
            lim
        } else {
            v.reg
        };
        let skip = self.branch_int_fwd(if inclusive { Op::JmpIfNotLeI } else { Op::JmpIfNotLtI }, cnt, lim, span);
        let top = self.here();
        self.ctx().loops.push(LoopCtx::default());
        self.ctx().loop_depth += 1;
        let mark = self.ctx().mark();
        self.ctx().push_scope();
        // The loop variable is immutable, so it can be the counter itself; a closure
        // capturing it copies the value of that iteration.
        self.ctx().declare_fixed(var.to_string(), cnt, Ty::Int, "loop variable");
        self.block(body);
        self.ctx().pop_scope();
        self.ctx().release(mark);
        self.ctx().loop_depth -= 1;
        let l = self.ctx().loops.pop().expect("loop");
        let step = self.here();
        for j in l.continues {
            self.patch_to(j, step);
        }
        let mut exits = vec![skip];
        if inclusive {
            // Test before stepping so that `..=MAX_INT` ends.
            exits.push(self.branch_int_fwd(Op::JmpIfEqI, cnt, lim, span));
            self.emit_op(Op::AddIImm, cnt, cnt, 1, span);
            self.jump_back(Op::Jmp, 0, top, span);
        } else {
            self.emit_op(Op::AddIImm, cnt, cnt, 1, span);
            self.branch_lt_back(cnt, lim, top, span);
        }
        for j in exits.into_iter().chain(l.breaks) {
            self.patch_here(j);
        }
    }

    /// `for x in array`: the length is read at every step, so the array may grow.
    fn for_in(&mut self, var: &str, iter: &Expr, body: &Block, span: Span) {
        let arr = self.expr(iter, None, None);
        let elem = match &arr.ty {
            Ty::Array(e) => (**e).clone(),
            Ty::Error => Ty::Error,
            t => {
                let hint = match t {
                    Ty::Map(..) => " (iterate over .keys() or .values())",
                    Ty::Str => " (iterate over .chars() or .bytes())",
                    _ => "",
                };
                self.error(iter.span, format!("cannot iterate over a value of type {}{hint}", self.show(t)));
                Ty::Error
            }
        };
        // A `var` holding the array is copied: the body may assign it.
        let arr_reg = if self.is_mutable_local(iter) {
            let r = self.alloc(&arr.ty);
            self.move_to(&arr, r, iter.span);
            r
        } else {
            arr.reg
        };
        let idx = self.alloc(&Ty::Int);
        let len = self.alloc(&Ty::Int);
        self.emit_bc(Op::LoadInt, idx, 0, span);
        let to_test = self.jump_fwd(Op::Jmp, 0, span);
        let top = self.here();
        self.ctx().loops.push(LoopCtx::default());
        self.ctx().loop_depth += 1;
        let mark = self.ctx().mark();
        self.ctx().push_scope();
        let var_reg = self.alloc(&elem);
        self.emit_op(Op::GetIndex, var_reg, arr_reg, idx, span);
        self.ctx().declare_fixed(var.to_string(), var_reg, elem, "loop variable");
        self.block(body);
        self.ctx().pop_scope();
        self.ctx().release(mark);
        self.ctx().loop_depth -= 1;
        let l = self.ctx().loops.pop().expect("loop");
        let step = self.here();
        for j in l.continues {
            self.patch_to(j, step);
        }
        self.emit_op(Op::AddIImm, idx, idx, 1, span);
        self.patch_here(to_test);
        self.emit_op(Op::ArrayLen, len, arr_reg, 0, span);
        self.branch_lt_back(idx, len, top, span);
        for j in l.breaks {
            self.patch_here(j);
        }
    }

    /// Whether `e` names a `var` local (whose value may change while a loop runs).
    fn is_mutable_local(&mut self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Ident(n) => matches!(self.lookup_name(n), Name::Local { mutable: true, .. }),
            _ => false,
        }
    }

    fn assign(&mut self, target: &Expr, op: Option<BinOp>, value: &Expr, span: Span) {
        match &target.kind {
            ExprKind::Ident(name) | ExprKind::Field(_, crate::ast::Ident { name, .. })
                if matches!(target.kind, ExprKind::Ident(_)) =>
            {
                self.assign_name(name, target, op, value, span)
            }
            ExprKind::SelfValue => self.error(target.span, "cannot assign to immutable binding 'self'"),
            ExprKind::Index(obj, idx) => {
                let o = self.expr(obj, None, None);
                match o.ty.clone() {
                    Ty::Array(elem) => {
                        let i = self.expr(idx, Some(&Ty::Int), None);
                        self.expect_ty(&i, &Ty::Int, idx.span);
                        let v = self.rhs(op, &elem, value, span, |l, dst| {
                            l.emit_op(Op::GetIndex, dst, o.reg, i.reg, target.span);
                        });
                        self.emit_op(Op::SetIndex, o.reg, i.reg, v.reg, span);
                    }
                    Ty::Map(k, val) => {
                        let i = self.expr(idx, Some(&k), None);
                        let i = self.coerce(i, &k, idx.span);
                        let v = self.rhs(op, &val, value, span, |l, dst| {
                            l.emit_op(Op::MapGet, dst, o.reg, i.reg, target.span);
                        });
                        self.emit_op(Op::MapSet, o.reg, i.reg, v.reg, span);
                    }
                    Ty::Error => {
                        self.expr(idx, None, None);
                        self.expr(value, None, None);
                    }
                    t => {
                        self.error(obj.span, format!("cannot index a value of type {}", self.show(&t)));
                        self.expr(value, None, None);
                    }
                }
            }
            ExprKind::Field(obj, fname) => {
                let o = self.expr(obj, None, None);
                match o.ty.clone() {
                    Ty::Struct(s) => {
                        let info = &self.structs[s as usize];
                        if !info.known {
                            self.expr(value, None, None);
                            return;
                        }
                        let fields = &info.fields;
                        let Some(fi) = info.field(&fname.name) else {
                            let sname = self.struct_display(s);
                            self.error(fname.span, format!("no field '{}' on struct {sname}", fname.name));
                            self.expr(value, None, None);
                            return;
                        };
                        let ft = fields[fi].1.clone();
                        let v = self.rhs(op, &ft, value, span, |l, dst| {
                            l.emit_op(Op::GetField, dst, o.reg, fi as u16, target.span);
                        });
                        self.emit_op(Op::SetField, o.reg, fi as u16, v.reg, span);
                    }
                    Ty::Error => {
                        self.expr(value, None, None);
                    }
                    t => {
                        self.error(fname.span, format!("no field '{}' on {}", fname.name, self.show(&t)));
                        self.expr(value, None, None);
                    }
                }
            }
            _ => {
                self.error(target.span, "cannot assign to this expression");
                self.expr(value, None, None);
            }
        }
    }

    /// The value to store: `value`, or `current op value` for compound assignment, where
    /// `load` reads the current value into a register.
    fn rhs(&mut self, op: Option<BinOp>, ty: &Ty, value: &Expr, span: Span, load: impl FnOnce(&mut Self, Reg)) -> Val {
        match op {
            None => {
                let v = self.expr(value, Some(ty), None);
                self.coerce(v, ty, value.span)
            }
            Some(op) => {
                let cur = self.alloc(ty);
                load(self, cur);
                let cur = Val { ty: ty.clone(), reg: cur };
                let v = self.expr(value, None, None);
                let r = self.arith(op, cur, v, value, value, span, None);
                if !r.ty.same(ty) {
                    self.mismatch(ty, &r.ty, span);
                }
                r
            }
        }
    }

    fn assign_name(&mut self, name: &str, target: &Expr, op: Option<BinOp>, value: &Expr, span: Span) {
        match self.lookup_name(name) {
            Name::Local { reg, ty, mutable } => {
                if !mutable {
                    let origin = self.stack.last().and_then(|c| c.lookup(name)).map_or("capture", |l| l.origin);
                    let hint = match origin {
                        "let" => "declare it with `var` to make it mutable".to_string(),
                        "capture" => "a closure captures values, not variables".to_string(),
                        other => format!("a {other} cannot change; copy it into a `var`"),
                    };
                    self.error(target.span, format!("cannot assign to immutable binding '{name}' ({hint})"));
                }
                let v = match op {
                    None => {
                        let v = self.expr(value, Some(&ty), Some(reg));
                        self.coerce(v, &ty, value.span)
                    }
                    Some(op) => {
                        let cur = Val { ty: ty.clone(), reg };
                        if let (BinOp::Add | BinOp::Sub, ExprKind::Int(k), Ty::Int) = (op, &value.kind, &ty) {
                            if *k <= i16::MAX as u64 {
                                let imm = if op == BinOp::Add { *k as i16 } else { -(*k as i16) };
                                self.emit_op(Op::AddIImm, reg, reg, imm as u16, span);
                                return;
                            }
                        }
                        let v = self.expr(value, None, None);
                        let r = self.arith(op, cur, v, target, value, span, Some(reg));
                        if !r.ty.same(&ty) {
                            self.mismatch(&ty, &r.ty, span);
                        }
                        r
                    }
                };
                self.move_to(&v, reg, span);
            }
            Name::Global(g) => {
                let info = &self.globals[g as usize];
                let mutable = info.mutable;
                let Some(ty) = info.ty.clone() else {
                    self.error(target.span, format!("global '{name}' is used before it is initialized"));
                    return;
                };
                if !mutable {
                    self.error(
                        target.span,
                        format!(
                            "cannot assign to immutable binding '{name}' (declare it with `var` to make it mutable)"
                        ),
                    );
                }
                let v = self.rhs(op, &ty, value, span, |l, dst| {
                    l.emit_bc(Op::GetGlobal, dst, g, target.span);
                });
                self.emit_bc(Op::SetGlobal, v.reg, g, span);
            }
            Name::OuterMutable => {
                self.error(
                    target.span,
                    format!(
                        "closure cannot capture mutable variable '{name}' (declare it with `let` to capture its value)"
                    ),
                );
            }
            Name::Unknown => {
                self.error(target.span, format!("unknown name '{name}'"));
                self.expr(value, None, None);
            }
            _ => {
                self.error(target.span, format!("cannot assign to '{name}'"));
                self.expr(value, None, None);
            }
        }
    }
}

/// An int literal (possibly negated) that fits a 16-bit immediate.
fn small_int(e: &Expr) -> Option<i16> {
    match &e.kind {
        ExprKind::Int(v) => i16::try_from(*v).ok(),
        ExprKind::Unary(UnOp::Neg, inner) => match inner.kind {
            ExprKind::Int(v) if v <= 32768 => i16::try_from(-(v as i64)).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// The comparison with its operands swapped: `k < x` is `x > k`.
fn mirror(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        other => other,
    }
}
