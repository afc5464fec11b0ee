//! Calls: user functions, methods, closures, host imports, built-in functions, `math`,
//! the built-in modules, and the methods of `str`, arrays and maps.

use super::expr::Name;
use super::func::{Reg, Val};
use super::Lowerer;
use crate::ast::{Expr, ExprKind, Span};
use crate::types::Ty;
use kite_vm::bytecode::builtins::Pat;
use kite_vm::bytecode::{Builtin, MathFn, Op};
use kite_vm::modules::signatures::{self, SigTy};

/// How a built-in method is lowered.
enum Lowering {
    /// `op dst, recv[, arg]` (one instruction with registers a, b, c).
    Op(Op),
    /// `ArrayPush recv, arg` (no result).
    Push,
    /// A runtime built-in with the receiver as its first argument.
    Builtin(Builtin),
}

struct MethodSig {
    params: Vec<Ty>,
    ret: Ty,
    lowering: Lowering,
}

fn sig_ty(t: SigTy) -> Ty {
    match t {
        SigTy::Int => Ty::Int,
        SigTy::Float => Ty::Float,
        SigTy::Bool => Ty::Bool,
        SigTy::Str => Ty::Str,
        SigTy::OptStr => Ty::opt(Ty::Str),
        SigTy::StrArray => Ty::array(Ty::Str),
        SigTy::OptStrArray => Ty::opt(Ty::array(Ty::Str)),
    }
}

impl Lowerer<'_> {
    pub(super) fn call(
        &mut self,
        callee: &Expr,
        args: &[Expr],
        span: Span,
        expected: Option<&Ty>,
        hint: Option<Reg>,
    ) -> Val {
        match &callee.kind {
            ExprKind::Ident(name) => match self.lookup_name(name) {
                Name::Func(f) if !self.funcs[f as usize].known => {
                    self.args_unchecked(args);
                    self.err_call()
                }
                Name::Func(f) => {
                    let info = &self.funcs[f as usize];
                    let (ps, r) = (info.params.clone(), info.ret.clone());
                    let first = self.args(name, &ps, args, span);
                    self.emit_call(Op::Call, f as u16, first, &r, span, hint)
                }
                Name::Extern(i) => {
                    let (ps, r) = self.import_sigs[i as usize].clone();
                    let first = self.args(name, &ps, args, span);
                    self.emit_call(Op::CallHost, i as u16, first, &r, span, hint)
                }
                Name::Unknown if crate::builtins::FUNCTIONS.contains(&name.as_str()) => {
                    self.builtin_call(name, args, span, expected, hint)
                }
                _ => self.call_value(callee, args, span, hint),
            },
            ExprKind::Field(obj, m) => {
                if let ExprKind::Ident(modname) = &obj.kind {
                    match self.lookup_name(modname) {
                        Name::BuiltinModule => return self.module_call(modname, &m.name, args, span, hint),
                        Name::Module(f) => {
                            return match self.items[f].get(&m.name).copied() {
                                Some(super::Item::Fn(fid)) if !self.funcs[fid as usize].known => {
                                    self.args_unchecked(args);
                                    self.err_call()
                                }
                                Some(super::Item::Fn(fid)) => {
                                    let info = &self.funcs[fid as usize];
                                    let (ps, r) = (info.params.clone(), info.ret.clone());
                                    let first = self.args(&m.name, &ps, args, span);
                                    self.emit_call(Op::Call, fid as u16, first, &r, span, hint)
                                }
                                Some(super::Item::Extern(i)) => {
                                    let (ps, r) = self.import_sigs[i as usize].clone();
                                    let first = self.args(&m.name, &ps, args, span);
                                    self.emit_call(Op::CallHost, i as u16, first, &r, span, hint)
                                }
                                // A global of the module holding a function value, called as
                                // a local global would be.
                                Some(super::Item::Global(_)) => self.call_value(callee, args, span, hint),
                                _ => {
                                    self.error(m.span, format!("module '{modname}' has no function '{}'", m.name));
                                    self.args_unchecked(args);
                                    self.err_call()
                                }
                            };
                        }
                        Name::Struct(_) => return self.call_value(callee, args, span, hint),
                        _ => {}
                    }
                }
                let recv = self.expr(obj, None, None);
                self.method_call(recv, obj, &m.name, m.span, args, span, hint)
            }
            _ => self.call_value(callee, args, span, hint),
        }
    }

    fn err_call(&mut self) -> Val {
        Val { ty: Ty::Error, reg: self.alloc(&Ty::Error) }
    }

    fn args_unchecked(&mut self, args: &[Expr]) {
        for a in args {
            self.expr(a, None, None);
        }
    }

    /// Checks the argument count and types and places the arguments in a fresh window.
    fn args(&mut self, name: &str, params: &[Ty], args: &[Expr], span: Span) -> Reg {
        if params.len() != args.len() {
            self.arity_error(name, params.len(), args.len(), span);
        }
        let first = self.ctx().alloc_window(params);
        self.fill_window(first, params, args);
        first
    }

    /// Checks and evaluates the operands of an instruction-like call (no window): one
    /// register per parameter, wherever each value already is.
    fn operands(&mut self, name: &str, params: &[Ty], args: &[Expr], span: Span) -> Vec<Reg> {
        if params.len() != args.len() {
            self.arity_error(name, params.len(), args.len(), span);
        }
        let mut regs = Vec::with_capacity(params.len());
        for (i, t) in params.iter().enumerate() {
            let reg = match args.get(i) {
                Some(a) => {
                    let v = self.expr(a, Some(t), None);
                    self.coerce(v, t, a.span).reg
                }
                None => self.alloc(t),
            };
            regs.push(reg);
        }
        for a in args.iter().skip(params.len()) {
            self.expr(a, None, None);
        }
        regs
    }

    /// Evaluates `args` straight into the window registers `first..` of types `params`.
    pub(super) fn fill_window(&mut self, first: Reg, params: &[Ty], args: &[Expr]) {
        for (i, a) in args.iter().enumerate() {
            let Some(t) = params.get(i) else {
                self.expr(a, None, None);
                continue;
            };
            let slot = first + i as u16;
            let v = self.expr(a, Some(t), Some(slot));
            if v.ty == Ty::Void {
                self.void_error(a);
                continue;
            }
            let v = self.coerce(v, t, a.span);
            self.move_to(&v, slot, a.span);
        }
    }

    fn emit_call(&mut self, op: Op, callee: u16, first: Reg, ret: &Ty, span: Span, hint: Option<Reg>) -> Val {
        if *ret == Ty::Void {
            self.emit_op(op, 0, callee, first, span);
            return Val { ty: Ty::Void, reg: 0 };
        }
        let dst = self.dest_for(hint, ret);
        self.emit_op(op, dst, callee, first, span);
        Val { ty: ret.clone(), reg: dst }
    }

    /// Calling a function value (closure, function or method value).
    fn call_value(&mut self, callee: &Expr, args: &[Expr], span: Span, hint: Option<Reg>) -> Val {
        let f = self.expr(callee, None, None);
        match f.ty.clone() {
            Ty::Fn(ps, r) => {
                let name = self.source_text(callee.span);
                let first = self.args(&name, &ps, args, span);
                self.emit_call(Op::CallClosure, f.reg, first, &r, span, hint)
            }
            Ty::Error => {
                self.args_unchecked(args);
                self.err_call()
            }
            t => {
                self.error(callee.span, format!("cannot call a value of type {}", self.show(&t)));
                self.args_unchecked(args);
                self.err_call()
            }
        }
    }

    /// `math.*` and the host modules.
    fn module_call(&mut self, m: &str, name: &str, args: &[Expr], span: Span, hint: Option<Reg>) -> Val {
        if m == "math" {
            return self.math_call(name, args, span, hint);
        }
        let Some(sig) = signatures::lookup(m, name) else {
            self.error(span, format!("module '{m}' has no function '{name}'"));
            self.args_unchecked(args);
            return self.err_call();
        };
        let ps: Vec<Ty> = sig.params.iter().map(|t| sig_ty(*t)).collect();
        let r = sig.ret.map(sig_ty).unwrap_or(Ty::Void);
        let id = self.import_id(m, name, ps.clone(), r.clone(), span);
        let first = self.args(&format!("{m}.{name}"), &ps, args, span);
        self.emit_call(Op::CallHost, id as u16, first, &r, span, hint)
    }

    fn math_call(&mut self, name: &str, args: &[Expr], span: Span, hint: Option<Reg>) -> Val {
        let full = format!("math.{name}");
        match name {
            "abs" if args.len() == 1 => {
                let v = self.expr(&args[0], None, None);
                match v.ty {
                    Ty::Int => {
                        let dst = self.dest_for(hint, &Ty::Int);
                        self.emit_op(Op::AbsI, dst, v.reg, 0, span);
                        Val { ty: Ty::Int, reg: dst }
                    }
                    Ty::Float => {
                        let dst = self.dest_for(hint, &Ty::Float);
                        self.emit_op(Op::Math, dst, v.reg, MathFn::Abs as u16, span);
                        Val { ty: Ty::Float, reg: dst }
                    }
                    Ty::Error => v,
                    t => {
                        self.error(args[0].span, format!("math.abs takes an int or a float, not {}", self.show(&t)));
                        self.err_call()
                    }
                }
            }
            "min" | "max" if args.len() == 2 => {
                let a = self.expr(&args[0], None, None);
                let b = self.expr(&args[1], Some(&a.ty.clone()), None);
                let op = match (&a.ty, &b.ty, name) {
                    (Ty::Int, Ty::Int, "min") => Op::MinI,
                    (Ty::Int, Ty::Int, _) => Op::MaxI,
                    (Ty::Float, Ty::Float, "min") => Op::MinF,
                    (Ty::Float, Ty::Float, _) => Op::MaxF,
                    (Ty::Error, _, _) | (_, Ty::Error, _) => return self.err_call(),
                    (x, y, _) => {
                        self.error(
                            span,
                            format!("{full} takes two ints or two floats, not {} and {}", self.show(x), self.show(y)),
                        );
                        return self.err_call();
                    }
                };
                let t = a.ty.clone();
                let dst = self.dest_for(hint, &t);
                self.emit_op(op, dst, a.reg, b.reg, span);
                Val { ty: t, reg: dst }
            }
            "pow" | "atan2" => {
                let r = self.operands(&full, &[Ty::Float, Ty::Float], args, span);
                let dst = self.dest_for(hint, &Ty::Float);
                let op = if name == "pow" { Op::Pow } else { Op::Atan2 };
                self.emit_op(op, dst, r[0], r[1], span);
                Val { ty: Ty::Float, reg: dst }
            }
            _ => {
                if let Some(f) = crate::builtins::math_unary(name) {
                    if name != "abs" {
                        let r = self.operands(&full, &[Ty::Float], args, span);
                        let dst = self.dest_for(hint, &Ty::Float);
                        self.emit_op(Op::Math, dst, r[0], f as u16, span);
                        return Val { ty: Ty::Float, reg: dst };
                    }
                }
                if matches!(name, "abs" | "min" | "max") {
                    let n = if name == "abs" { 1 } else { 2 };
                    self.error(
                        span,
                        format!(
                            "function '{full}' takes {n} argument{}, but {} {} given",
                            if n == 1 { "" } else { "s" },
                            args.len(),
                            if args.len() == 1 { "was" } else { "were" }
                        ),
                    );
                } else {
                    self.error(span, format!("module 'math' has no function '{name}'"));
                }
                self.args_unchecked(args);
                self.err_call()
            }
        }
    }

    /// The global built-in functions.
    fn builtin_call(
        &mut self,
        name: &str,
        args: &[Expr],
        span: Span,
        _expected: Option<&Ty>,
        hint: Option<Reg>,
    ) -> Val {
        match name {
            "print" | "eprint" => {
                // The argument count is a 16-bit operand (and a window never holds more).
                if args.len() > u16::MAX as usize {
                    self.error(span, format!("{name} takes at most {} arguments", u16::MAX));
                }
                let vals: Vec<Val> = args.iter().map(|a| self.expr(a, None, None)).collect();
                for (v, a) in vals.iter().zip(args) {
                    self.check_printable(v, a);
                }
                let tys: Vec<Ty> = vals.iter().map(|v| printable(&v.ty)).collect();
                let first = self.ctx().alloc_window(&tys);
                for (i, v) in vals.iter().enumerate() {
                    self.move_to(v, first + i as u16, args[i].span);
                }
                if name == "print" {
                    self.emit_op(Op::Print, 0, first, args.len() as u16, span);
                } else {
                    self.emit_op(Op::CallBuiltin, args.len() as u16, Builtin::EPrint as u16, first, span);
                }
                Val { ty: Ty::Void, reg: 0 }
            }
            "str" => {
                if args.len() != 1 {
                    self.arity_error(name, 1, args.len(), span);
                    self.args_unchecked(args);
                    return self.err_call();
                }
                let v = self.expr(&args[0], None, None);
                self.check_printable(&v, &args[0]);
                if v.ty == Ty::Str {
                    return v;
                }
                let src = if v.ty == Ty::Nil {
                    let r = self.alloc(&Ty::opt(Ty::Int));
                    self.emit_op(Op::LoadNil, r, 0, 0, span);
                    r
                } else {
                    v.reg
                };
                let dst = self.dest_for(hint, &Ty::Str);
                self.emit_op(Op::ToStr, dst, src, 0, span);
                Val { ty: Ty::Str, reg: dst }
            }
            "int" => self.convert(name, args, Ty::Float, Ty::Int, Op::FloatToInt, span, hint),
            "float" => self.convert(name, args, Ty::Int, Ty::Float, Op::IntToFloat, span, hint),
            "assert" => {
                if args.len() == 2 {
                    self.builtin_fn(name, Builtin::AssertMsg, args, span, hint)
                } else {
                    if args.len() != 1 {
                        self.error(
                            span,
                            format!("function 'assert' takes 1 or 2 arguments, but {} were given", args.len()),
                        );
                    }
                    self.builtin_fn(name, Builtin::Assert, args, span, hint)
                }
            }
            _ if Builtin::function(name).is_some() => {
                let b = Builtin::function(name).expect("checked");
                self.builtin_fn(name, b, args, span, hint)
            }
            _ => unreachable!("every name in builtins::FUNCTIONS is handled"),
        }
    }

    fn check_printable(&mut self, v: &Val, e: &Expr) {
        if v.ty == Ty::Void {
            self.void_error(e);
        }
    }

    fn arity_error(&mut self, name: &str, want: usize, got: usize, span: Span) {
        let s = if want == 1 { "" } else { "s" };
        let were = if got == 1 { "was" } else { "were" };
        self.error(span, format!("function '{name}' takes {want} argument{s}, but {got} {were} given"));
    }

    #[allow(clippy::too_many_arguments)]
    fn convert(&mut self, name: &str, args: &[Expr], from: Ty, to: Ty, op: Op, span: Span, hint: Option<Reg>) -> Val {
        if args.len() != 1 {
            self.arity_error(name, 1, args.len(), span);
            self.args_unchecked(args);
            return self.err_call();
        }
        let v = self.expr(&args[0], None, None);
        if !v.ty.same(&from) {
            self.mismatch(&from, &v.ty, args[0].span);
            return self.err_call();
        }
        let dst = self.dest_for(hint, &to);
        self.emit_op(op, dst, v.reg, 0, span);
        Val { ty: to, reg: dst }
    }

    /// A call of a global built-in function, typed by the built-in table.
    fn builtin_fn(&mut self, name: &str, b: Builtin, args: &[Expr], span: Span, hint: Option<Reg>) -> Val {
        let sig = b.sig();
        let params: Vec<Ty> = sig.params.iter().map(|p| pat_ty(*p, &Ty::Void)).collect();
        let ret = sig.ret.map_or(Ty::Void, |p| pat_ty(p, &Ty::Void));
        let first = self.args(name, &params, args, span);
        self.emit_call(Op::CallBuiltin, b as u16, first, &ret, span, hint)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn method_call(
        &mut self,
        recv: Val,
        obj: &Expr,
        name: &str,
        name_span: Span,
        args: &[Expr],
        span: Span,
        hint: Option<Reg>,
    ) -> Val {
        // Struct: a method, or a field holding a function.
        if let Ty::Struct(s) = recv.ty {
            let method = self.methods.get(&(s, name.to_string())).copied();
            let unknown = match method {
                Some(f) => !self.funcs[f as usize].known,
                None => !self.structs[s as usize].known,
            };
            if unknown {
                self.args_unchecked(args);
                return self.err_call();
            }
            if let Some(fid) = method {
                let info = &self.funcs[fid as usize];
                let (ps, r) = (info.params.clone(), info.ret.clone());
                if ps.is_empty() {
                    let sname = self.structs[s as usize].name.clone();
                    self.error(
                        name_span,
                        format!("'{sname}.{name}' has no `self` parameter; call it as `{sname}.{name}(...)`"),
                    );
                    self.args_unchecked(args);
                    return self.err_call();
                }
                return self.call_with_receiver(name, recv, &ps, args, span, |l, first| {
                    l.emit_call(Op::Call, fid as u16, first, &r, span, hint)
                });
            }
            let info = &self.structs[s as usize];
            let fields = &info.fields;
            if let Some(i) = info.field(name) {
                if let Ty::Fn(ps, r) = fields[i].1.clone() {
                    let fr = self.alloc(&fields[i].1.clone());
                    self.emit_op(Op::GetField, fr, recv.reg, i as u16, name_span);
                    let first = self.args(name, &ps, args, span);
                    return self.emit_call(Op::CallClosure, fr, first, &r, span, hint);
                }
            }
            let sname = self.struct_display(s);
            self.error(name_span, format!("no method '{name}' on {sname}"));
            self.args_unchecked(args);
            return self.err_call();
        }
        if recv.ty.is_error() {
            self.args_unchecked(args);
            return self.err_call();
        }
        let Some(sig) = self.builtin_method(&recv.ty, name, obj.span) else {
            let hint_text = match &recv.ty {
                Ty::Opt(_) => " (unwrap the optional first with `!`, `??` or `if let`)",
                _ => "",
            };
            self.error(name_span, format!("no method '{name}' on {}{hint_text}", self.show(&recv.ty)));
            self.args_unchecked(args);
            return self.err_call();
        };
        let ret = sig.ret.clone();
        match sig.lowering {
            Lowering::Op(op) => {
                let first = if sig.params.is_empty() {
                    if !args.is_empty() {
                        self.arity_error(name, 0, args.len(), span);
                        self.args_unchecked(args);
                    }
                    None
                } else {
                    Some(self.args(name, &sig.params, args, span))
                };
                let dst = self.dest_for(hint, &ret);
                self.emit_op(op, dst, recv.reg, first.unwrap_or(0), span);
                Val { ty: ret, reg: dst }
            }
            Lowering::Push => {
                let first = self.args(name, &sig.params, args, span);
                self.emit_op(Op::ArrayPush, recv.reg, first, 0, span);
                Val { ty: Ty::Void, reg: 0 }
            }
            Lowering::Builtin(b) => self.call_with_receiver(name, recv, &sig.params, args, span, |l, first| {
                l.emit_call(Op::CallBuiltin, b as u16, first, &ret, span, hint)
            }),
        }
    }

    /// Places the receiver and the arguments in one window, then emits the call.
    fn call_with_receiver(
        &mut self,
        name: &str,
        recv: Val,
        params: &[Ty],
        args: &[Expr],
        span: Span,
        emit: impl FnOnce(&mut Self, Reg) -> Val,
    ) -> Val {
        let (self_ty, rest) = match params.split_first() {
            Some((s, r)) => (s.clone(), r),
            None => (recv.ty.clone(), &[][..]),
        };
        if rest.len() != args.len() {
            self.arity_error(name, rest.len(), args.len(), span);
        }
        let mut tys = vec![self_ty];
        tys.extend(rest.iter().cloned());
        let first = self.ctx().alloc_window(&tys);
        self.move_to(&recv, first, span);
        self.fill_window(first + 1, rest, args);
        emit(self, first)
    }

    /// The built-in methods of `str`, arrays and maps. Params include the receiver for
    /// `Builtin` lowerings and exclude it for `Op`/`Push` ones. Methods that are built-ins
    /// are typed by the built-in table (`Builtin::sig`); `len`, `push` and `get` are
    /// instructions.
    fn builtin_method(&mut self, recv: &Ty, name: &str, span: Span) -> Option<MethodSig> {
        let op = |params: Vec<Ty>, ret: Ty, op: Op| MethodSig { params, ret, lowering: Lowering::Op(op) };
        match (recv, name) {
            (Ty::Str, "len") => return Some(op(vec![], Ty::Int, Op::StrLen)),
            (Ty::Array(_), "len") => return Some(op(vec![], Ty::Int, Op::ArrayLen)),
            (Ty::Array(e), "push") => {
                return Some(MethodSig { params: vec![(**e).clone()], ret: Ty::Void, lowering: Lowering::Push })
            }
            // `V?`, or `V` itself when the values are optional (there is no `V??`).
            (Ty::Map(k, v), "get") => return Some(op(vec![(**k).clone()], Ty::opt_flat((**v).clone()), Op::MapGetOpt)),
            (Ty::Array(e), "contains" | "index_of") if !e.is_value_eq() => {
                self.error(
                    span,
                    format!("{name}() needs an array of int, float, bool or str, not {}", self.show(recv)),
                );
            }
            (Ty::Array(e), "sort") if !matches!(**e, Ty::Int | Ty::Str | Ty::Float) => {
                self.error(
                    span,
                    format!("sort() needs an array of int, float or str, not {} (use sort_by)", self.show(recv)),
                );
            }
            (Ty::Array(e), "join") if **e != Ty::Str => {
                self.error(span, format!("join() needs an array of str, not {}", self.show(recv)));
                let sig = MethodSig {
                    params: vec![recv.clone(), Ty::Str],
                    ret: Ty::Str,
                    lowering: Lowering::Builtin(Builtin::ArrayJoin),
                };
                return Some(sig);
            }
            _ => {}
        }
        let kind = match recv {
            Ty::Str => "str",
            Ty::Array(_) => "array",
            Ty::Map(..) => "map",
            _ => return None,
        };
        let b = Builtin::method(kind, name)?;
        let sig = b.sig();
        let params = sig.params.iter().map(|p| pat_ty(*p, recv)).collect();
        let ret = sig.ret.map_or(Ty::Void, |p| pat_ty(p, recv));
        Some(MethodSig { params, ret, lowering: Lowering::Builtin(b) })
    }
}

/// The type a built-in's signature pattern stands for, given the receiver's type (which
/// binds an array's `E`, a map's `K` and `V`).
fn pat_ty(p: Pat, recv: &Ty) -> Ty {
    let (elem, key, val) = match recv {
        Ty::Array(e) => ((**e).clone(), Ty::Error, Ty::Error),
        Ty::Map(k, v) => (Ty::Error, (**k).clone(), (**v).clone()),
        _ => (Ty::Error, Ty::Error, Ty::Error),
    };
    match p {
        Pat::Int => Ty::Int,
        Pat::Float => Ty::Float,
        Pat::Bool => Ty::Bool,
        Pat::Str => Ty::Str,
        Pat::OptInt => Ty::opt(Ty::Int),
        Pat::OptFloat => Ty::opt(Ty::Float),
        Pat::StrArray => Ty::array(Ty::Str),
        Pat::IntArray => Ty::array(Ty::Int),
        Pat::Array | Pat::SameArray | Pat::Map => recv.clone(),
        Pat::Elem => elem,
        Pat::Compare => Ty::Fn(vec![elem.clone(), elem], Box::new(Ty::Int)),
        Pat::Key => key,
        Pat::Val => val,
        Pat::OptVal => Ty::opt_flat(val),
        Pat::KeyArray => Ty::array(key),
        Pat::ValArray => Ty::array(val),
    }
}

/// The register type a printed value is passed in (`nil` alone is passed as `int?`).
fn printable(t: &Ty) -> Ty {
    match t {
        Ty::Nil | Ty::Void => Ty::opt(Ty::Int),
        t => t.clone(),
    }
}
