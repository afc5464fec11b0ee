//! Names a closure body mentions: the candidates for capture. Over-approximates (a name
//! shadowed inside the body is still listed); the lowering captures only candidates that
//! resolve to an immutable local of an enclosing function, and reports a real use of a
//! mutable one.

use crate::ast::*;
use std::collections::HashSet;

/// Every identifier used as a value in the block, in order of first use.
pub fn names_in(body: &Block) -> Vec<String> {
    let mut out = Names::default();
    block(body, &mut out);
    out.list
}

#[derive(Default)]
struct Names {
    list: Vec<String>,
    seen: HashSet<String>,
}

fn add(out: &mut Names, name: &str) {
    if !out.seen.contains(name) {
        out.seen.insert(name.to_string());
        out.list.push(name.to_string());
    }
}

fn block(b: &Block, out: &mut Names) {
    for s in &b.stmts {
        stmt(s, out);
    }
}

fn els(e: &Option<Else>, out: &mut Names) {
    match e {
        Some(Else::Block(b)) => block(b, out),
        Some(Else::If(s)) => stmt(s, out),
        None => {}
    }
}

fn stmt(s: &Stmt, out: &mut Names) {
    match &s.kind {
        StmtKind::Let(l) => expr(&l.init, out),
        StmtKind::Assign { target, value, .. } => {
            expr(target, out);
            expr(value, out);
        }
        StmtKind::If { cond, then, els: e } => {
            expr(cond, out);
            block(then, out);
            els(e, out);
        }
        StmtKind::IfLet { value, then, els: e, .. } => {
            expr(value, out);
            block(then, out);
            els(e, out);
        }
        StmtKind::While { cond, body } => {
            expr(cond, out);
            block(body, out);
        }
        StmtKind::ForRange { lo, hi, body, .. } => {
            expr(lo, out);
            expr(hi, out);
            block(body, out);
        }
        StmtKind::ForIn { iter, body, .. } => {
            expr(iter, out);
            block(body, out);
        }
        StmtKind::Return(Some(e)) | StmtKind::Expr(e) => expr(e, out),
        StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue | StmtKind::Error => {}
    }
}

fn expr(e: &Expr, out: &mut Names) {
    match &e.kind {
        ExprKind::Ident(n) => add(out, n),
        ExprKind::SelfValue => add(out, "self"),
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Nil
        | ExprKind::Error => {}
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) | ExprKind::ArrayRepeat(a, b) => {
            expr(a, out);
            expr(b, out);
        }
        ExprKind::Unary(_, a) | ExprKind::Unwrap(a) | ExprKind::Field(a, _) => expr(a, out),
        ExprKind::Call(f, args) => {
            expr(f, out);
            args.iter().for_each(|a| expr(a, out));
        }
        ExprKind::Array(xs) => xs.iter().for_each(|a| expr(a, out)),
        ExprKind::Map(kvs) => kvs.iter().for_each(|(k, v)| {
            expr(k, out);
            expr(v, out);
        }),
        ExprKind::StructLit(_, fs) => fs.iter().for_each(|(_, v)| expr(v, out)),
        ExprKind::Closure { body, .. } => block(body, out),
    }
}
