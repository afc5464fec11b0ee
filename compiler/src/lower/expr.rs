//! Expressions: literals, names, operators, indexing, fields, literals of containers,
//! structs and closures.

use super::func::{FnCtx, Reg, Val};
use super::{freevars, ConstKey, Item, Lowerer};
use crate::ast::{BinOp, Expr, ExprKind, Ident, Span, UnOp};
use crate::types::Ty;
use kite_vm::bytecode::{Builtin, Op};

/// Array literals with more elements than this are built one `ArrayPush` at a time
/// rather than from a window of registers, so that no literal runs out of registers.
pub(super) const ARRAY_WINDOW_MAX: usize = 64;

/// What a name refers to.
pub(super) enum Name {
    Local {
        reg: Reg,
        ty: Ty,
        mutable: bool,
    },
    /// A mutable local of an enclosing function: a closure cannot capture it.
    OuterMutable,
    Global(u32),
    Func(u32),
    Struct(u32),
    Extern(u32),
    /// An imported module (file index).
    Module(usize),
    /// A built-in module (`math`, `env`, ...).
    BuiltinModule,
    Unknown,
}

impl Lowerer<'_> {
    pub(super) fn lookup_name(&mut self, name: &str) -> Name {
        let ctx = self.stack.last().expect("function");
        if let Some(l) = ctx.lookup(name) {
            return Name::Local { reg: l.reg, ty: l.ty.clone(), mutable: l.mutable };
        }
        if let Some(c) = ctx.captures.iter().find(|c| c.name == name) {
            return Name::Local { reg: c.reg, ty: c.ty.clone(), mutable: false };
        }
        let outer = &self.stack[..self.stack.len() - 1];
        if outer.iter().rev().any(|c| c.lookup(name).is_some_and(|l| l.mutable)) {
            return Name::OuterMutable;
        }
        if let Some(item) = self.items[self.file].get(name) {
            return match *item {
                Item::Fn(f) => Name::Func(f),
                Item::Struct(s) => Name::Struct(s),
                Item::Global(g) => Name::Global(g),
                Item::Extern(i) => Name::Extern(i),
            };
        }
        if let Some(&f) = self.files[self.file].imports.get(name) {
            return Name::Module(f);
        }
        if crate::builtins::is_builtin_module(name) {
            return Name::BuiltinModule;
        }
        Name::Unknown
    }

    /// A destination for a result of type `t`: the hint when it has that type.
    pub(super) fn dest_for(&mut self, hint: Option<Reg>, t: &Ty) -> Reg {
        match hint {
            Some(r) if self.ctx().reg_tys.get(r as usize) == Some(t) => r,
            _ => self.alloc(t),
        }
    }

    fn err_val(&mut self) -> Val {
        Val { ty: Ty::Error, reg: self.alloc(&Ty::Error) }
    }

    /// Checks and lowers an expression. `expected` guides `nil`, `[]`, `{}` and closures;
    /// `hint` is a register the result may be written to.
    pub(super) fn expr(&mut self, e: &Expr, expected: Option<&Ty>, hint: Option<Reg>) -> Val {
        let span = e.span;
        match &e.kind {
            ExprKind::Int(v) => {
                if *v > i64::MAX as u64 {
                    self.error(span, "integer literal out of range");
                    return self.err_val();
                }
                self.load_int(*v as i64, hint, span)
            }
            ExprKind::Float(f) => {
                let k = self.konst(ConstKey::Float(f.to_bits()), span);
                self.load_const(Ty::Float, Op::LoadConst, k, hint, span)
            }
            ExprKind::Str(s) => self.load_str(s, hint, span),
            ExprKind::Bool(b) => self.load_const(Ty::Bool, Op::LoadBool, *b as u32, hint, span),
            ExprKind::Nil => match expected {
                Some(t @ Ty::Opt(_)) => {
                    let t = t.clone();
                    let dst = self.dest_for(hint, &t);
                    self.emit_op(Op::LoadNil, dst, 0, 0, span);
                    Val { ty: t, reg: dst }
                }
                _ => {
                    let t = Ty::opt(Ty::Int);
                    let dst = self.alloc(&t);
                    self.emit_op(Op::LoadNil, dst, 0, 0, span);
                    Val { ty: Ty::Nil, reg: dst }
                }
            },
            ExprKind::Ident(name) => self.ident(name, span, hint),
            ExprKind::SelfValue => self.ident("self", span, hint),
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, span, expected, hint),
            ExprKind::Unary(op, a) => self.unary(*op, a, span, hint),
            ExprKind::Field(obj, name) => self.field(obj, &name.name, name.span, span, hint),
            ExprKind::Call(callee, args) => self.call(callee, args, span, expected, hint),
            ExprKind::Index(a, i) => self.index(a, i, span, hint),
            ExprKind::Unwrap(a) => {
                let v = self.expr(a, None, None);
                match v.ty {
                    Ty::Opt(inner) => {
                        let t = *inner;
                        let dst = self.dest_for(hint, &t);
                        let op = if t.is_prim() { Op::UnwrapBox } else { Op::UnwrapRef };
                        self.emit_op(op, dst, v.reg, 0, span);
                        Val { ty: t, reg: dst }
                    }
                    Ty::Error => v,
                    other => {
                        self.error(a.span, format!("expected an optional, found {}", self.show(&other)));
                        self.err_val()
                    }
                }
            }
            ExprKind::Array(items) => self.array_lit(items, span, expected, hint),
            ExprKind::ArrayRepeat(val, count) => {
                let elem_expected = match expected {
                    Some(Ty::Array(e)) => Some((**e).clone()),
                    _ => None,
                };
                let v = self.expr(val, elem_expected.as_ref(), None);
                let v = match &elem_expected {
                    Some(t) => self.coerce(v, t, val.span),
                    None => v,
                };
                if v.ty == Ty::Nil || v.ty == Ty::Void {
                    self.error(val.span, "cannot infer the element type; add a type annotation");
                }
                let n = self.expr(count, Some(&Ty::Int), None);
                self.expect_ty(&n, &Ty::Int, count.span);
                let t = Ty::array(v.ty.clone());
                if !self.check_depth(&t, span) {
                    return self.err_val();
                }
                let dst = self.dest_for(hint, &t);
                self.emit_op(Op::ArrayRepeat, dst, v.reg, n.reg, span);
                Val { ty: t, reg: dst }
            }
            ExprKind::Map(kvs) => self.map_lit(kvs, span, expected, hint),
            ExprKind::StructLit(path, fields) => self.struct_lit(path, fields, span, hint),
            ExprKind::Closure { params, ret, body } => self.closure(params, ret.as_ref(), body, span, hint),
            ExprKind::Error => self.err_val(),
        }
    }

    pub(super) fn load_int(&mut self, v: i64, hint: Option<Reg>, span: Span) -> Val {
        match i32::try_from(v) {
            Ok(small) => self.load_const(Ty::Int, Op::LoadInt, small as u32, hint, span),
            Err(_) => {
                let k = self.konst(ConstKey::Int(v), span);
                self.load_const(Ty::Int, Op::LoadConst, k, hint, span)
            }
        }
    }

    pub(super) fn load_str(&mut self, s: &str, hint: Option<Reg>, span: Span) -> Val {
        let k = self.str_const(s, span);
        self.load_const(Ty::Str, Op::LoadConst, k, hint, span)
    }

    /// Loads a constant (`op` with operand `bc`). Inside a loop the load is hoisted to the
    /// function's entry and the constant read from its own register.
    fn load_const(&mut self, ty: Ty, op: Op, bc: u32, hint: Option<Reg>, span: Span) -> Val {
        if self.ctx().loop_depth > 0 {
            if let Some(reg) = self.ctx().hoisted_const(op, bc, &ty) {
                return Val { ty, reg };
            }
        }
        let dst = self.dest_for(hint, &ty);
        self.emit_bc(op, dst, bc, span);
        Val { ty, reg: dst }
    }

    fn ident(&mut self, name: &str, span: Span, hint: Option<Reg>) -> Val {
        match self.lookup_name(name) {
            Name::Local { reg, ty, .. } => Val { ty, reg },
            Name::OuterMutable => {
                self.error(
                    span,
                    format!(
                        "closure cannot capture mutable variable '{name}' (declare it with `let` to capture its value)"
                    ),
                );
                self.err_val()
            }
            Name::Global(g) => self.read_global(g, name, span, hint),
            Name::Func(f) => self.func_value(f, span, hint),
            Name::Struct(_) => {
                self.error(span, format!("struct '{name}' is a type, not a value"));
                self.err_val()
            }
            Name::Extern(_) => {
                self.error(span, format!("host function '{name}' can only be called"));
                self.err_val()
            }
            Name::Module(_) | Name::BuiltinModule => {
                self.error(span, format!("module '{name}' is not a value"));
                self.err_val()
            }
            Name::Unknown => {
                if crate::builtins::FUNCTIONS.contains(&name) {
                    self.error(span, format!("built-in function '{name}' can only be called"));
                } else {
                    self.error(span, format!("unknown name '{name}'"));
                }
                self.err_val()
            }
        }
    }

    pub(super) fn read_global(&mut self, g: u32, name: &str, span: Span, hint: Option<Reg>) -> Val {
        let Some(ty) = self.globals[g as usize].ty.clone() else {
            self.error(span, format!("global '{name}' is used before it is initialized"));
            return self.err_val();
        };
        let dst = self.dest_for(hint, &ty);
        self.emit_bc(Op::GetGlobal, dst, g, span);
        Val { ty, reg: dst }
    }

    /// A named function as a value: a closure without captures.
    pub(super) fn func_value(&mut self, f: u32, span: Span, hint: Option<Reg>) -> Val {
        let info = &self.funcs[f as usize];
        if !info.known {
            return self.err_val();
        }
        let ty = Ty::Fn(info.params.clone(), Box::new(info.ret.clone()));
        if !self.check_depth(&ty, span) {
            return self.err_val();
        }
        let dst = self.dest_for(hint, &ty);
        self.emit_op(Op::MakeClosure, dst, f as u16, 0, span);
        Val { ty, reg: dst }
    }

    /// Converts a value to `to`: the same type, `nil` or a `T` into `T?`. Reports a mismatch.
    pub(super) fn coerce(&mut self, v: Val, to: &Ty, span: Span) -> Val {
        if v.ty == *to || to.is_error() {
            return v;
        }
        if v.ty.is_error() {
            return Val { ty: to.clone(), reg: v.reg };
        }
        if let Ty::Opt(inner) = to {
            if v.ty == Ty::Nil {
                let dst = self.alloc(to);
                self.emit_op(Op::LoadNil, dst, 0, 0, span);
                return Val { ty: to.clone(), reg: dst };
            }
            if v.ty == **inner {
                let dst = self.alloc(to);
                let op = if inner.is_prim() { Op::WrapOpt } else { Op::Move };
                self.emit_op(op, dst, v.reg, 0, span);
                return Val { ty: to.clone(), reg: dst };
            }
        }
        self.mismatch(to, &v.ty, span);
        Val { ty: to.clone(), reg: self.alloc(to) }
    }

    pub(super) fn mismatch(&mut self, expected: &Ty, found: &Ty, span: Span) {
        let msg = format!("mismatched types: expected {}, found {}", self.show(expected), self.show(found));
        match (expected, found) {
            (Ty::Float, Ty::Int) => self.error_hint(span, msg, "convert with float(...)"),
            (Ty::Int, Ty::Float) => self.error_hint(span, msg, "convert with int(...) (truncates)"),
            (Ty::Str, _) if found.is_value_eq() => self.error_hint(span, msg, "convert with str(...)"),
            (_, Ty::Opt(inner)) if **inner == *expected => {
                self.error_hint(span, msg, "unwrap it with `!`, `??` or `if let`")
            }
            _ => self.error(span, msg),
        }
    }

    /// Reports unless `v` has type `t`.
    pub(super) fn expect_ty(&mut self, v: &Val, t: &Ty, span: Span) {
        if !v.ty.same(t) {
            self.mismatch(t, &v.ty, span);
        }
    }

    /// The type a `let` without annotation gets from its initializer `init`.
    pub(super) fn infer_binding_type(&mut self, t: &Ty, init: &Expr) -> Ty {
        match t {
            Ty::Nil => {
                self.error(init.span, "cannot infer the type of nil; add a type annotation such as `: int?`");
                Ty::Error
            }
            Ty::Void => {
                self.void_error(init);
                Ty::Error
            }
            t => t.clone(),
        }
    }

    /// Reports a call that returns nothing used where a value is needed.
    pub(super) fn void_error(&mut self, e: &Expr) {
        let name = match &e.kind {
            ExprKind::Call(callee, _) => match &callee.kind {
                ExprKind::Ident(n) => Some(n.clone()),
                ExprKind::Field(_, m) => Some(m.name.clone()),
                _ => None,
            },
            _ => None,
        };
        match name {
            Some(n) => self.error(e.span, format!("'{n}' returns nothing and cannot be used as a value")),
            None => self.error(e.span, "this call returns nothing and cannot be used as a value"),
        }
    }

    fn unary(&mut self, op: UnOp, a: &Expr, span: Span, hint: Option<Reg>) -> Val {
        if op == UnOp::Neg {
            if let ExprKind::Int(v) = a.kind {
                if v <= i64::MAX as u64 + 1 {
                    return self.load_int((v as i64).wrapping_neg(), hint, span);
                }
            }
        }
        let v = self.expr(a, None, None);
        let (ins, t) = match (op, &v.ty) {
            (_, Ty::Error) => return v,
            (UnOp::Neg, Ty::Int) => (Op::NegI, Ty::Int),
            (UnOp::Neg, Ty::Float) => (Op::NegF, Ty::Float),
            (UnOp::Not, Ty::Bool) => (Op::Not, Ty::Bool),
            (UnOp::BitNot, Ty::Int) => (Op::BitNotI, Ty::Int),
            (_, t) => {
                let sym = match op {
                    UnOp::Neg => "-",
                    UnOp::Not => "!",
                    UnOp::BitNot => "~",
                };
                self.error(span, format!("operator '{sym}' cannot be applied to {}", self.show(t)));
                return self.err_val();
            }
        };
        let dst = self.dest_for(hint, &t);
        self.emit_op(ins, dst, v.reg, 0, span);
        Val { ty: t, reg: dst }
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, span: Span, expected: Option<&Ty>, hint: Option<Reg>) -> Val {
        match op {
            BinOp::And | BinOp::Or => return self.logic(op, a, b, span),
            BinOp::Coalesce => return self.coalesce(a, b, span, expected),
            BinOp::Eq | BinOp::Ne => return self.equality(op, a, b, span, hint),
            _ => {}
        }
        // `x + 1` and `x - 1` on ints use the immediate form.
        if matches!(op, BinOp::Add | BinOp::Sub) {
            if let ExprKind::Int(k) = b.kind {
                if k <= i16::MAX as u64 {
                    let va = self.expr(a, None, None);
                    if va.ty == Ty::Int {
                        let imm = if op == BinOp::Add { k as i16 } else { -(k as i16) };
                        let dst = self.dest_for(hint, &Ty::Int);
                        self.emit_op(Op::AddIImm, dst, va.reg, imm as u16, span);
                        return Val { ty: Ty::Int, reg: dst };
                    }
                    let vb = self.expr(b, None, None);
                    return self.arith(op, va, vb, a, b, span, hint);
                }
            }
        }
        let va = self.expr(a, None, None);
        let vb = self.expr(b, None, None);
        self.arith(op, va, vb, a, b, span, hint)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn arith(
        &mut self,
        op: BinOp,
        va: Val,
        vb: Val,
        a: &Expr,
        b: &Expr,
        span: Span,
        hint: Option<Reg>,
    ) -> Val {
        use BinOp::*;
        if va.ty.is_error() || vb.ty.is_error() {
            return self.err_val();
        }
        let (ins, t, swap) = match (op, &va.ty, &vb.ty) {
            (Add, Ty::Int, Ty::Int) => (Op::AddI, Ty::Int, false),
            (Sub, Ty::Int, Ty::Int) => (Op::SubI, Ty::Int, false),
            (Mul, Ty::Int, Ty::Int) => (Op::MulI, Ty::Int, false),
            (Div, Ty::Int, Ty::Int) => (Op::DivI, Ty::Int, false),
            (Rem, Ty::Int, Ty::Int) => (Op::RemI, Ty::Int, false),
            (BitAnd, Ty::Int, Ty::Int) => (Op::AndI, Ty::Int, false),
            (BitOr, Ty::Int, Ty::Int) => (Op::OrI, Ty::Int, false),
            (BitXor, Ty::Int, Ty::Int) => (Op::XorI, Ty::Int, false),
            (Shl, Ty::Int, Ty::Int) => (Op::ShlI, Ty::Int, false),
            (Shr, Ty::Int, Ty::Int) => (Op::ShrI, Ty::Int, false),
            (Add, Ty::Float, Ty::Float) => (Op::AddF, Ty::Float, false),
            (Sub, Ty::Float, Ty::Float) => (Op::SubF, Ty::Float, false),
            (Mul, Ty::Float, Ty::Float) => (Op::MulF, Ty::Float, false),
            (Div, Ty::Float, Ty::Float) => (Op::DivF, Ty::Float, false),
            (Rem, Ty::Float, Ty::Float) => (Op::RemF, Ty::Float, false),
            (Add, Ty::Str, Ty::Str) => (Op::Concat, Ty::Str, false),
            (Lt, Ty::Int, Ty::Int) => (Op::LtI, Ty::Bool, false),
            (Le, Ty::Int, Ty::Int) => (Op::LeI, Ty::Bool, false),
            (Gt, Ty::Int, Ty::Int) => (Op::LtI, Ty::Bool, true),
            (Ge, Ty::Int, Ty::Int) => (Op::LeI, Ty::Bool, true),
            (Lt, Ty::Float, Ty::Float) => (Op::LtF, Ty::Bool, false),
            (Le, Ty::Float, Ty::Float) => (Op::LeF, Ty::Bool, false),
            (Gt, Ty::Float, Ty::Float) => (Op::LtF, Ty::Bool, true),
            (Ge, Ty::Float, Ty::Float) => (Op::LeF, Ty::Bool, true),
            (Lt, Ty::Str, Ty::Str) => (Op::LtS, Ty::Bool, false),
            (Le, Ty::Str, Ty::Str) => (Op::LeS, Ty::Bool, false),
            (Gt, Ty::Str, Ty::Str) => (Op::LtS, Ty::Bool, true),
            (Ge, Ty::Str, Ty::Str) => (Op::LeS, Ty::Bool, true),
            (_, ta, tb) => {
                let msg =
                    format!("operator '{}' cannot be applied to {} and {}", op.symbol(), self.show(ta), self.show(tb));
                match (ta, tb) {
                    (Ty::Int, Ty::Float) => {
                        let text = self.source_text(a.span);
                        self.error_hint(span, msg, format!("convert the int with float({text})"))
                    }
                    (Ty::Float, Ty::Int) => {
                        let text = self.source_text(b.span);
                        self.error_hint(span, msg, format!("convert the int with float({text})"))
                    }
                    (Ty::Opt(x), y) | (y, Ty::Opt(x)) if **x == *y => {
                        self.error_hint(span, msg, "unwrap the optional with `!`, `??` or `if let`")
                    }
                    (Ty::Str, _) | (_, Ty::Str) if op == Add => {
                        self.error_hint(span, msg, "convert with str(...) to concatenate")
                    }
                    _ => self.error(span, msg),
                }
                return self.err_val();
            }
        };
        let dst = self.dest_for(hint, &t);
        let (l, r) = if swap { (vb.reg, va.reg) } else { (va.reg, vb.reg) };
        self.emit_op(ins, dst, l, r, span);
        Val { ty: t, reg: dst }
    }

    pub(super) fn source_text(&self, span: Span) -> String {
        let src = self.files[self.file].src();
        src.get(span.lo as usize..span.hi as usize).unwrap_or("...").to_string()
    }

    fn equality(&mut self, op: BinOp, a: &Expr, b: &Expr, span: Span, hint: Option<Reg>) -> Val {
        // `x == nil` on any optional.
        let a_nil = matches!(a.kind, ExprKind::Nil);
        let b_nil = matches!(b.kind, ExprKind::Nil);
        if a_nil || b_nil {
            let other = if a_nil { b } else { a };
            let v = if a_nil && b_nil {
                let t = Ty::opt(Ty::Int);
                self.expr(other, Some(&t), None)
            } else {
                self.expr(other, None, None)
            };
            if !matches!(v.ty, Ty::Opt(_) | Ty::Error | Ty::Nil) {
                self.error(
                    span,
                    format!("operator '{}' cannot be applied to {} and nil", op.symbol(), self.show(&v.ty)),
                );
                return self.err_val();
            }
            let dst = self.dest_for(hint, &Ty::Bool);
            self.emit_op(Op::IsNil, dst, v.reg, 0, span);
            if op == BinOp::Ne {
                self.emit_op(Op::Not, dst, dst, 0, span);
            }
            return Val { ty: Ty::Bool, reg: dst };
        }
        let va = self.expr(a, None, None);
        let vb = self.expr(b, Some(&va.ty.clone()), None);
        self.equality_vals(op, va, vb, a, b, span, hint)
    }

    /// `==` / `!=` on two lowered operands.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn equality_vals(
        &mut self,
        op: BinOp,
        va: Val,
        vb: Val,
        a: &Expr,
        b: &Expr,
        span: Span,
        hint: Option<Reg>,
    ) -> Val {
        if va.ty.is_error() || vb.ty.is_error() {
            return self.err_val();
        }
        let eq = op == BinOp::Eq;
        let (ins, l, r) = match (&va.ty, &vb.ty) {
            (Ty::Int, Ty::Int) => (if eq { Op::EqI } else { Op::NeI }, va.reg, vb.reg),
            (Ty::Float, Ty::Float) => (if eq { Op::EqF } else { Op::NeF }, va.reg, vb.reg),
            (Ty::Bool, Ty::Bool) => (if eq { Op::EqB } else { Op::NeB }, va.reg, vb.reg),
            (Ty::Str, Ty::Str) => (if eq { Op::EqS } else { Op::NeS }, va.reg, vb.reg),
            (Ty::Opt(x), Ty::Opt(y)) if x == y => (Op::EqOpt, va.reg, vb.reg),
            (Ty::Opt(x), y) if **x == *y => {
                let t = va.ty.clone();
                let w = self.coerce(vb.clone(), &t, b.span);
                (Op::EqOpt, va.reg, w.reg)
            }
            (x, Ty::Opt(y)) if **y == *x => {
                let t = vb.ty.clone();
                let w = self.coerce(va.clone(), &t, a.span);
                (Op::EqOpt, w.reg, vb.reg)
            }
            (x, y) if x == y && matches!(x, Ty::Array(_) | Ty::Map(..) | Ty::Struct(_) | Ty::Fn(..)) => {
                (Op::EqRef, va.reg, vb.reg)
            }
            (x, y) => {
                let msg =
                    format!("operator '{}' cannot be applied to {} and {}", op.symbol(), self.show(x), self.show(y));
                self.error(span, msg);
                return self.err_val();
            }
        };
        let dst = self.dest_for(hint, &Ty::Bool);
        self.emit_op(ins, dst, l, r, span);
        if matches!(ins, Op::EqOpt | Op::EqRef) && !eq {
            self.emit_op(Op::Not, dst, dst, 0, span);
        }
        Val { ty: Ty::Bool, reg: dst }
    }

    /// `a && b`, `a || b`: short-circuit into a fresh register.
    fn logic(&mut self, op: BinOp, a: &Expr, b: &Expr, span: Span) -> Val {
        let dst = self.alloc(&Ty::Bool);
        let va = self.expr(a, Some(&Ty::Bool), Some(dst));
        self.check_bool_operand(op, &va, a.span);
        self.move_to(&va, dst, a.span);
        let skip = self.jump_fwd(if op == BinOp::And { Op::JmpIfNot } else { Op::JmpIf }, dst, span);
        let vb = self.expr(b, Some(&Ty::Bool), Some(dst));
        self.check_bool_operand(op, &vb, b.span);
        self.move_to(&vb, dst, b.span);
        self.patch_here(skip);
        Val { ty: Ty::Bool, reg: dst }
    }

    fn check_bool_operand(&mut self, op: BinOp, v: &Val, span: Span) {
        if !v.ty.same(&Ty::Bool) {
            self.error(span, format!("operator '{}' needs bool operands, found {}", op.symbol(), self.show(&v.ty)));
        }
    }

    /// `a ?? b`: the value in `a`, or `b` when `a` is nil.
    fn coalesce(&mut self, a: &Expr, b: &Expr, span: Span, expected: Option<&Ty>) -> Val {
        let opt_expected = expected.map(|t| match t {
            Ty::Opt(_) => t.clone(),
            t => Ty::opt(t.clone()),
        });
        let va = match map_get_call(a) {
            // `m.get(k) ?? d`: the receiver first, to see whether the map's values box.
            Some((obj, get, args)) if self.is_method_receiver(obj) && self.is_plain_operand(b) => {
                let recv = self.expr(obj, None, None);
                if let Some(v) = self.map_get_or(&recv, args, b, span) {
                    return v;
                }
                self.method_call(recv, obj, &get.name, get.span, args, a.span, None)
            }
            _ => self.expr(a, opt_expected.as_ref(), None),
        };
        let inner = match &va.ty {
            Ty::Opt(t) => (**t).clone(),
            Ty::Error => {
                self.expr(b, None, None);
                return self.err_val();
            }
            other => {
                self.error(a.span, format!("expected an optional, found {}", self.show(other)));
                self.expr(b, None, None);
                return self.err_val();
            }
        };
        let dst_ty = inner.clone();
        let dst = self.alloc(&dst_ty);
        let to_else = self.jump_fwd(Op::JmpIfNil, va.reg, span);
        let op = if inner.is_prim() { Op::UnwrapBox } else { Op::UnwrapRef };
        self.emit_op(op, dst, va.reg, 0, span);
        let to_end = self.jump_fwd(Op::Jmp, 0, span);
        self.patch_here(to_else);
        let vb = self.expr(b, Some(&dst_ty), Some(dst));
        let vb = self.coalesce_default(vb, &dst_ty, b.span);
        self.move_to(&vb, dst, b.span);
        self.patch_here(to_end);
        Val { ty: dst_ty, reg: dst }
    }

    /// The right side `vb` of a `??` whose left side holds a `T?`, as a `T` (a `T?` there is
    /// an error: `??` takes the value out, it does not choose between optionals).
    fn coalesce_default(&mut self, vb: Val, inner: &Ty, span: Span) -> Val {
        if vb.ty == Ty::opt(inner.clone()) {
            self.error(
                span,
                format!(
                    "the right side of '??' must be a {}, found {} (unwrap it, or use `if let`)",
                    self.show(inner),
                    self.show(&vb.ty)
                ),
            );
        }
        self.coerce(vb, inner, span)
    }

    /// `m.get(k) ?? d` on a map of int, float or bool values, `d` a plain operand: one
    /// built-in call (`map_get_or`) that gives the value or `d`, where `m.get(k)` would box
    /// the value into an optional only for `??` to take it out. `d` is evaluated even when
    /// the key is present, which nothing can observe of a plain operand. `None` (and
    /// nothing emitted) when the receiver is not such a map.
    fn map_get_or(&mut self, recv: &Val, args: &[Expr], b: &Expr, span: Span) -> Option<Val> {
        let Ty::Map(k, v) = &recv.ty else { return None };
        if !v.is_prim() {
            return None;
        }
        let (k, v) = ((**k).clone(), (**v).clone());
        let first = self.ctx().alloc_window(&[recv.ty.clone(), k.clone(), v.clone()]);
        self.move_to(recv, first, span);
        self.fill_window(first + 1, &[k], args);
        let slot = first + 2;
        let vb = self.expr(b, Some(&v), Some(slot));
        let vb = self.coalesce_default(vb, &v, b.span);
        self.move_to(&vb, slot, b.span);
        let dst = self.alloc(&v);
        self.emit_op(Op::CallBuiltin, dst, Builtin::MapGetOr as u16, first, span);
        Some(Val { ty: v, reg: dst })
    }

    /// Whether `obj` in `obj.name(...)` is a value whose method is called (not a module or
    /// a struct, whose `name` is a function; see `call`).
    fn is_method_receiver(&mut self, obj: &Expr) -> bool {
        match &obj.kind {
            ExprKind::Ident(n) => {
                !matches!(self.lookup_name(n), Name::BuiltinModule | Name::Module(_) | Name::Struct(_))
            }
            _ => true,
        }
    }

    /// An operand whose evaluation cannot trap, allocate, call or write anything: a number
    /// or bool literal (negated or not) or a local. Evaluating it early changes nothing a
    /// program can see.
    fn is_plain_operand(&mut self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Int(v) => *v <= i64::MAX as u64,
            ExprKind::Float(_) | ExprKind::Bool(_) => true,
            ExprKind::Unary(UnOp::Neg, x) => match x.kind {
                ExprKind::Int(v) => v <= i64::MAX as u64 + 1,
                ExprKind::Float(_) => true,
                _ => false,
            },
            ExprKind::Ident(name) => matches!(self.lookup_name(name), Name::Local { .. }),
            _ => false,
        }
    }

    fn index(&mut self, a: &Expr, i: &Expr, span: Span, hint: Option<Reg>) -> Val {
        let va = self.expr(a, None, None);
        match va.ty.clone() {
            Ty::Array(elem) => {
                let vi = self.expr(i, Some(&Ty::Int), None);
                self.expect_ty(&vi, &Ty::Int, i.span);
                let dst = self.dest_for(hint, &elem);
                self.emit_op(Op::GetIndex, dst, va.reg, vi.reg, span);
                Val { ty: *elem, reg: dst }
            }
            Ty::Map(k, v) => {
                let vi = self.expr(i, Some(&k), None);
                let vi = self.coerce(vi, &k, i.span);
                let dst = self.dest_for(hint, &v);
                self.emit_op(Op::MapGet, dst, va.reg, vi.reg, span);
                Val { ty: *v, reg: dst }
            }
            Ty::Error => {
                self.expr(i, None, None);
                va
            }
            t => {
                self.expr(i, None, None);
                let hint = if t == Ty::Str { " (use .byte(i) or .slice(a, b))" } else { "" };
                self.error(a.span, format!("cannot index a value of type {}{hint}", self.show(&t)));
                self.err_val()
            }
        }
    }

    /// `obj.name` as a value: module member, method value, or struct field.
    fn field(&mut self, obj: &Expr, name: &str, name_span: Span, span: Span, hint: Option<Reg>) -> Val {
        if let ExprKind::Ident(m) = &obj.kind {
            match self.lookup_name(m) {
                Name::BuiltinModule => return self.builtin_module_value(m, name, span, hint),
                Name::Module(f) => return self.module_member(f, m, name, span, hint),
                Name::Struct(s) => {
                    if let Some(&fid) = self.methods.get(&(s, name.to_string())) {
                        return self.func_value(fid, span, hint);
                    }
                    self.error(name_span, format!("no method '{name}' on {m}"));
                    return self.err_val();
                }
                _ => {}
            }
        }
        let v = self.expr(obj, None, None);
        match &v.ty {
            Ty::Struct(s) => {
                let s = *s;
                let info = &self.structs[s as usize];
                if !info.known {
                    return self.err_val();
                }
                if let Some(idx) = info.field(name) {
                    let t = info.fields[idx].1.clone();
                    let dst = self.dest_for(hint, &t);
                    self.emit_op(Op::GetField, dst, v.reg, idx as u16, span);
                    return Val { ty: t, reg: dst };
                }
                let sname = self.structs[s as usize].name.clone();
                let shown = self.struct_display(s);
                if self.methods.contains_key(&(s, name.to_string())) {
                    self.error(
                        name_span,
                        format!("method '{name}' of {sname} must be called, or taken as a value with `{sname}.{name}`"),
                    );
                } else {
                    self.error(name_span, format!("no field '{name}' on struct {shown}"));
                }
                self.err_val()
            }
            Ty::Error => v,
            Ty::Opt(inner) if matches!(**inner, Ty::Struct(_)) => {
                self.error_hint(
                    name_span,
                    format!("no field '{name}' on {}", self.show(&v.ty)),
                    "unwrap the optional first with `!` or `if let`",
                );
                self.err_val()
            }
            t => {
                self.error(name_span, format!("no field '{name}' on {}", self.show(t)));
                self.err_val()
            }
        }
    }

    fn module_member(&mut self, f: usize, m: &str, name: &str, span: Span, hint: Option<Reg>) -> Val {
        match self.items[f].get(name).copied() {
            Some(Item::Fn(fid)) => self.func_value(fid, span, hint),
            Some(Item::Global(g)) => self.read_global(g, name, span, hint),
            _ => {
                self.error(span, format!("module '{m}' has no value '{name}'"));
                self.err_val()
            }
        }
    }

    fn builtin_module_value(&mut self, m: &str, name: &str, span: Span, hint: Option<Reg>) -> Val {
        if m == "math" {
            if let Some(x) = crate::builtins::math_const(name) {
                let dst = self.dest_for(hint, &Ty::Float);
                let k = self.konst(ConstKey::Float(x.to_bits()), span);
                self.emit_bc(Op::LoadConst, dst, k, span);
                return Val { ty: Ty::Float, reg: dst };
            }
            if let Some(x) = crate::builtins::math_int_const(name) {
                return self.load_int(x, hint, span);
            }
        }
        self.error(span, format!("'{m}.{name}' is not a value (module functions can only be called)"));
        self.err_val()
    }

    fn array_lit(&mut self, items: &[Expr], span: Span, expected: Option<&Ty>, hint: Option<Reg>) -> Val {
        let mut elem = match expected {
            Some(Ty::Array(e)) => Some((**e).clone()),
            _ => None,
        };
        if items.is_empty() {
            let Some(e) = elem else {
                if expected.is_some_and(Ty::is_error) {
                    return self.err_val();
                }
                self.error(span, "empty array literal needs a type annotation, such as `let xs: [int] = [];`");
                return self.err_val();
            };
            let t = Ty::array(e);
            let dst = self.dest_for(hint, &t);
            self.emit_op(Op::NewArray, dst, 0, 0, span);
            return Val { ty: t, reg: dst };
        }
        if items.len() > ARRAY_WINDOW_MAX {
            return self.array_lit_in_steps(items, span, elem);
        }
        // The element type: expected, else the first element that is not nil.
        let mut vals = Vec::with_capacity(items.len());
        for it in items {
            let v = self.expr(it, elem.as_ref(), None);
            if elem.is_none() {
                match &v.ty {
                    Ty::Nil => {}
                    Ty::Void => {
                        self.void_error(it);
                        elem = Some(Ty::Error);
                    }
                    t => elem = Some(t.clone()),
                }
            }
            vals.push(v);
        }
        let elem = match elem {
            Some(t) => t,
            None => {
                self.error(span, "cannot infer the element type of an array of nils; add a type annotation");
                Ty::Error
            }
        };
        // An array mixing T and nil is [T?].
        let elem =
            if !matches!(elem, Ty::Opt(_)) && vals.iter().any(|v| v.ty == Ty::Nil) { Ty::opt(elem) } else { elem };
        let t = Ty::array(elem.clone());
        if !self.check_depth(&t, span) {
            return self.err_val();
        }
        let tys = vec![elem.clone(); vals.len()];
        let first = self.ctx().alloc_window(&tys);
        for (i, (v, it)) in vals.into_iter().zip(items).enumerate() {
            let v = self.coerce(v, &elem, it.span);
            self.move_to(&v, first.wrapping_add(i as u16), it.span);
        }
        let dst = self.dest_for(hint, &t);
        self.emit_op(Op::NewArray, dst, first, items.len() as u16, span);
        Val { ty: t, reg: dst }
    }

    /// A long array literal, built without a window: an empty array, then one
    /// `ArrayPush` per element as it is evaluated (left to right, as always). The element
    /// type is the expected one, else that of the first element that is not `nil`, made
    /// optional when some element is `nil` (only the literal `nil` has no type of its own,
    /// so the leading ones wait for that element without being evaluated).
    fn array_lit_in_steps(&mut self, items: &[Expr], span: Span, expected_elem: Option<Ty>) -> Val {
        let (item_expected, elem, lead, typed) = match expected_elem {
            Some(t) => (t.clone(), t, 0, None),
            None => {
                let lead = items.iter().take_while(|e| matches!(e.kind, ExprKind::Nil)).count();
                let Some(it) = items.get(lead) else {
                    self.error(span, "cannot infer the element type of an array of nils; add a type annotation");
                    return self.err_val();
                };
                let v = self.expr(it, None, None);
                let t = if v.ty == Ty::Void {
                    self.void_error(it);
                    Ty::Error
                } else {
                    v.ty.clone()
                };
                let has_nil = items.iter().any(|e| matches!(e.kind, ExprKind::Nil));
                let elem = if has_nil && !matches!(t, Ty::Opt(_)) { Ty::opt(t.clone()) } else { t.clone() };
                (t, elem, lead, Some((v, it)))
            }
        };
        let t = Ty::array(elem.clone());
        if !self.check_depth(&t, span) {
            return self.err_val();
        }
        let arr = self.alloc(&t);
        self.emit_op(Op::NewArray, arr, 0, 0, span);
        let push = |l: &mut Self, v: Val, it: &Expr| {
            let v = l.coerce(v, &elem, it.span);
            l.emit_op(Op::ArrayPush, arr, v.reg, 0, it.span);
        };
        for it in &items[..lead] {
            let mark = self.ctx().mark();
            let v = self.expr(it, Some(&elem), None);
            push(self, v, it);
            self.ctx().release(mark);
        }
        let rest = match typed {
            Some((v, it)) => {
                push(self, v, it);
                lead + 1
            }
            None => 0,
        };
        for it in &items[rest..] {
            let mark = self.ctx().mark();
            let v = self.expr(it, Some(&item_expected), None);
            push(self, v, it);
            self.ctx().release(mark);
        }
        Val { ty: t, reg: arr }
    }

    /// A map literal: a new map, then one `MapSet` per entry as soon as its key and value
    /// are evaluated (left to right). The key type is the expected one, else the first
    /// key's; the value type the expected one, else the first value's that is not `nil`
    /// (entries whose value is the literal `nil` wait for it, their keys evaluated).
    fn map_lit(&mut self, kvs: &[(Expr, Expr)], span: Span, expected: Option<&Ty>, hint: Option<Reg>) -> Val {
        let (mut kt, mut vt) = match expected {
            Some(Ty::Map(k, v)) => (Some((**k).clone()), Some((**v).clone())),
            _ => (None, None),
        };
        if kvs.is_empty() && kt.is_none() {
            if expected.is_some_and(Ty::is_error) {
                return self.err_val();
            }
            self.error(span, "empty map literal needs a type annotation, such as `let m: {str: int} = {};`");
            return self.err_val();
        }
        let _ = hint;
        let mut map: Option<Val> = None;
        // Keys (with their entries) whose value is `nil`, before the value type is known.
        let mut pending: Vec<(Val, &Expr, &Expr)> = Vec::new();
        for (k, v) in kvs {
            let mark = self.ctx().mark();
            let map_existed = map.is_some();
            let vk = self.expr(k, kt.as_ref(), None);
            if kt.is_none() {
                kt = Some(vk.ty.clone());
            }
            if vt.is_none() && matches!(v.kind, ExprKind::Nil) {
                pending.push((vk, k, v));
                continue;
            }
            let vv = self.expr(v, vt.as_ref(), None);
            if vt.is_none() && vv.ty != Ty::Nil {
                vt = Some(vv.ty.clone());
            }
            let m = match &map {
                Some(m) => m.clone(),
                None => {
                    let m = self.new_map(kt.clone(), vt.clone(), span, &mut pending);
                    map = Some(m.clone());
                    m
                }
            };
            self.map_set(&m, vk, vv, k, v);
            if map_existed {
                self.ctx().release(mark);
            }
        }
        match map {
            Some(m) => m,
            None => self.new_map(kt, vt, span, &mut pending),
        }
    }

    /// Emits `NewMap` for a map literal whose types are now known (a missing one is an
    /// error type), and the entries that waited for them.
    fn new_map(&mut self, kt: Option<Ty>, vt: Option<Ty>, span: Span, pending: &mut Vec<(Val, &Expr, &Expr)>) -> Val {
        let kt = kt.unwrap_or(Ty::Error);
        let vt = vt.unwrap_or(Ty::Error);
        if !kt.is_key() && !kt.is_error() {
            self.error(span, format!("map key type must be int, str or bool, not {}", self.show(&kt)));
        }
        let t = Ty::Map(Box::new(kt), Box::new(vt.clone()));
        if !self.check_depth(&t, span) {
            return self.err_val();
        }
        let dst = self.alloc(&t);
        self.emit_op(Op::NewMap, dst, 0, 0, span);
        let m = Val { ty: t, reg: dst };
        for (vk, ke, ve) in pending.drain(..) {
            let vv = self.expr(ve, Some(&vt), None);
            self.map_set(&m, vk, vv, ke, ve);
        }
        m
    }

    /// `MapSet` of one entry of a map literal, each side converted to the map's types.
    fn map_set(&mut self, m: &Val, vk: Val, vv: Val, ke: &Expr, ve: &Expr) {
        let Ty::Map(kt, vt) = &m.ty else { return };
        let (kt, vt) = ((**kt).clone(), (**vt).clone());
        let vk = self.coerce(vk, &kt, ke.span);
        let vv = self.coerce(vv, &vt, ve.span);
        self.emit_op(Op::MapSet, m.reg, vk.reg, vv.reg, ke.span);
    }

    fn struct_lit(
        &mut self,
        path: &[crate::ast::Ident],
        fields: &[(crate::ast::Ident, Expr)],
        span: Span,
        hint: Option<Reg>,
    ) -> Val {
        let sid = match path {
            [n] => match self.lookup_name(&n.name) {
                Name::Struct(s) => Some(s),
                _ => {
                    self.error(n.span, format!("unknown struct '{}'", n.name));
                    None
                }
            },
            [m, n] => match self.lookup_name(&m.name) {
                Name::Module(f) => match self.items[f].get(&n.name) {
                    Some(Item::Struct(s)) => Some(*s),
                    _ => {
                        self.error(n.span, format!("unknown struct '{}.{}'", m.name, n.name));
                        None
                    }
                },
                _ => {
                    self.error(m.span, format!("unknown module '{}'", m.name));
                    None
                }
            },
            _ => None,
        };
        let Some(sid) = sid else {
            for (_, e) in fields {
                self.expr(e, None, None);
            }
            return self.err_val();
        };
        if !self.structs[sid as usize].known {
            // Its fields are unknown: the values are checked on their own, and the value
            // has the struct's type (the program does not compile, so nothing is built).
            for (_, e) in fields {
                self.expr(e, None, None);
            }
            let t = Ty::Struct(sid);
            return Val { reg: self.alloc(&t), ty: t };
        }
        let sname = self.struct_display(sid);
        let tys: Vec<Ty> = self.structs[sid as usize].fields.iter().map(|(_, t)| t.clone()).collect();
        // Values are evaluated in source order straight into the window, which holds the
        // fields in declaration order.
        let first = self.ctx().alloc_window(&tys);
        let mut given = vec![false; tys.len()];
        for (name, e) in fields {
            let mark = self.ctx().mark();
            match self.structs[sid as usize].field(&name.name) {
                Some(i) => {
                    let slot = first.wrapping_add(i as u16);
                    let v = self.expr(e, Some(&tys[i]), Some(slot));
                    let v = self.coerce(v, &tys[i], e.span);
                    if given[i] {
                        self.error(name.span, format!("field '{}' is given twice", name.name));
                    }
                    given[i] = true;
                    self.move_to(&v, slot, span);
                }
                None => {
                    self.expr(e, None, None);
                    self.error(name.span, format!("unknown field '{}' on struct {sname}", name.name));
                }
            }
            self.ctx().release(mark);
        }
        for (i, g) in given.iter().enumerate() {
            if !g {
                let fname = self.structs[sid as usize].fields[i].0.clone();
                self.error(span, format!("missing field '{fname}' in struct literal of {sname}"));
            }
        }
        let t = Ty::Struct(sid);
        let dst = self.dest_for(hint, &t);
        self.emit_op(Op::NewStruct, dst, sid as u16, first, span);
        Val { ty: t, reg: dst }
    }

    fn closure(
        &mut self,
        params: &[crate::ast::Param],
        ret: Option<&crate::ast::TypeExpr>,
        body: &crate::ast::Block,
        span: Span,
        hint: Option<Reg>,
    ) -> Val {
        let ptys: Vec<Ty> = params.iter().map(|p| self.resolve_type(&p.ty)).collect();
        let rty = match ret {
            Some(r) => self.resolve_type(r),
            None => Ty::Void,
        };
        // Captures: names the body mentions that are immutable locals here.
        let mut caps: Vec<(String, Val)> = Vec::new();
        for name in freevars::names_in(body) {
            if params.iter().any(|p| p.name.name == name) {
                continue;
            }
            if let Name::Local { reg, ty, mutable: false } = self.lookup_name(&name) {
                caps.push((name, Val { ty, reg }));
            }
        }
        self.check_param_count(params.len(), span);
        if caps.len() > super::limits::MAX_PARAMS {
            self.error(
                span,
                format!(
                    "this closure captures {} values, more than the limit of {}",
                    caps.len(),
                    super::limits::MAX_PARAMS
                ),
            );
        }
        let fid = self.new_func_slot(span);
        self.funcs[fid as usize].params = ptys.clone();
        self.funcs[fid as usize].ret = rty.clone();
        let make = || {
            let mut ctx = FnCtx::new("<closure>".into(), rty.clone());
            for (p, t) in params.iter().zip(&ptys) {
                let r = ctx.alloc(t);
                ctx.declare_fixed(p.name.name.clone(), r, t.clone(), "parameter");
            }
            for (name, v) in &caps {
                let r = ctx.alloc(&v.ty);
                ctx.captures.push(super::func::Capture { name: name.clone(), ty: v.ty.clone(), reg: r });
            }
            ctx
        };
        let ctx = self.lower_function(&make, body, &rty, span);
        let p = ptys.iter().map(|t| self.types.id(t)).collect();
        let c = caps.iter().map(|(_, v)| self.types.id(&v.ty)).collect();
        let r = self.types.ret_id(&rty);
        self.out_funcs[fid as usize] = Some(ctx.finish(&mut self.types, p, c, r));
        self.check_type_count(span);
        // In the creator: copy the captured values into a window and make the closure.
        let tys: Vec<Ty> = caps.iter().map(|(_, v)| v.ty.clone()).collect();
        let first = self.ctx().alloc_window(&tys);
        for (i, (_, v)) in caps.iter().enumerate() {
            self.move_to(v, first.wrapping_add(i as u16), span);
        }
        let t = Ty::Fn(ptys, Box::new(rty));
        if !self.check_depth(&t, span) {
            return self.err_val();
        }
        let dst = self.dest_for(hint, &t);
        self.emit_op(Op::MakeClosure, dst, fid as u16, first, span);
        Val { ty: t, reg: dst }
    }
}

/// `obj.get(k)`, as its receiver expression, method name and arguments.
fn map_get_call(e: &Expr) -> Option<(&Expr, &Ident, &[Expr])> {
    let ExprKind::Call(callee, args) = &e.kind else { return None };
    let ExprKind::Field(obj, name) = &callee.kind else { return None };
    (name.name == "get" && args.len() == 1).then_some((&**obj, name, &args[..]))
}
