//! The Kite parser: source text to an [`ast::File`].
//!
//! The grammar lives in `grammar.lalrpop` (an LR(1) grammar compiled by lalrpop at
//! build time) and reads the tokens of [`crate::lexer`]. This module drives it,
//! rejects pathologically deep nesting before parsing, and turns lexer and parser
//! errors into [`Diagnostic`]s.
//!
//! Errors do not stop parsing. What the lexer cannot read becomes a placeholder token
//! that the grammar takes as an expression (so `let s = "\q";` still declares `s`),
//! and after a syntax error the grammar's error rules skip to a point where parsing can
//! go on (see `grammar.lalrpop`), so one pass reports every error of a file. A syntax
//! error at a placeholder, or right after one, is not reported: the lexer's error
//! already is.

use crate::ast;
use crate::ast::Span;
use crate::diagnostic::Diagnostic;
use crate::lexer::{self, LexError, Spanned, Tok};
use lalrpop_util::{ErrorRecovery, ParseError};

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused, missing_docs, unreachable_pub)]
    grammar
);

/// The deepest nesting [`parse`] accepts, in rough units of syntax-tree depth
/// (each bracket level counts 4, each operator, `.`, `else` or `->` in a chain 1).
/// Later passes may recurse over the tree; this keeps them far from the stack's end.
pub const MAX_NESTING: usize = 1024;

/// Parses one `.kite` file; on failure returns every error found, in source order.
pub fn parse(src: &str) -> Result<ast::File, Vec<Diagnostic>> {
    let parsed = parse_recovering(src);
    if parsed.errors.is_empty() {
        Ok(parsed.file)
    } else {
        Err(parsed.errors)
    }
}

/// A file parsed as far as possible, and every lexical and syntax error in it (in
/// source order). With errors, `file` holds what could be read.
#[derive(Debug)]
pub struct Parsed {
    pub file: ast::File,
    pub errors: Vec<Diagnostic>,
    /// Where the syntax errors are (also those not reported, at or after a placeholder),
    /// in order: code after one may be misread.
    pub syntax_errors: Vec<u32>,
}

/// Errors the grammar collects while it parses on.
#[derive(Default)]
pub struct ParseErrors<'input> {
    /// Syntax errors the parser recovered from.
    pub recovered: Vec<ErrorRecovery<usize, Tok<'input>, LexError>>,
    /// Errors found by the grammar's actions (a nested optional type, ...).
    pub actions: Vec<LexError>,
}

/// Parses one `.kite` file, going on after errors.
pub fn parse_recovering(src: &str) -> Parsed {
    let (tokens, lex_errors) = lexer::tokenize(src);
    let mut errors: Vec<Diagnostic> = Vec::new();
    if let Err(d) = check_nesting(&tokens) {
        errors.extend(lex_errors.into_iter().map(LexError::into_diagnostic));
        errors.push(d);
        errors.sort_by_key(|d| d.span.lo);
        return Parsed { file: ast::File { items: Vec::new() }, errors, syntax_errors: Vec::new() };
    }
    let tokens = with_placeholders(src, tokens, &lex_errors);
    errors.extend(lex_errors.into_iter().map(LexError::into_diagnostic));
    let mut found = ParseErrors::default();
    let input = tokens.iter().cloned().map(Ok::<_, LexError>);
    let result = grammar::FileParser::new().parse(src, &mut found, input);
    // Each error with the index of the token parsing resumed at after it.
    let mut syntax: Vec<(GrammarError<'_>, usize)> = found
        .recovered
        .into_iter()
        .map(|r| {
            let resume = match r.dropped_tokens.last() {
                Some(t) => token_index(&tokens, t.0) + 1,
                None => token_index(&tokens, error_offset(&r.error)),
            };
            (r.error, resume)
        })
        .collect();
    let file = match result {
        Ok(file) => file,
        Err(e) => {
            syntax.push((e, tokens.len()));
            ast::File { items: Vec::new() }
        }
    };
    syntax.sort_by_key(|(e, _)| error_offset(e));
    let mut syntax_errors = Vec::with_capacity(syntax.len());
    // Like yacc, an error less than three tokens after the point where parsing resumed
    // after the previous one is taken as its consequence and not reported.
    let mut quiet_until = 0;
    for (e, resume) in syntax {
        let at = error_offset(&e);
        syntax_errors.push(at as u32);
        let quiet = token_index(&tokens, at) < quiet_until || after_placeholder(&tokens, &e);
        quiet_until = resume + 3;
        if !quiet {
            errors.push(syntax_error(src, &tokens, e));
        }
    }
    syntax_errors.sort_unstable();
    errors.extend(found.actions.into_iter().map(LexError::into_diagnostic));
    // Stable: at one offset, the lexer's error comes first.
    errors.sort_by_key(|d| d.span.lo);
    Parsed { file, errors, syntax_errors }
}

/// The tokens with a [`Tok::Invalid`] where the lexer reported an error, except for an
/// unterminated comment (which runs to the end of the file).
fn with_placeholders<'a>(src: &str, tokens: Vec<Spanned<'a>>, errors: &[LexError]) -> Vec<Spanned<'a>> {
    if errors.is_empty() {
        return tokens;
    }
    let mut out = Vec::with_capacity(tokens.len() + errors.len());
    let mut bad = errors
        .iter()
        .filter(|e| src.get(e.span.lo as usize..e.span.lo as usize + 2) != Some("/*"))
        .map(|e| (e.span.lo as usize, Tok::Invalid, e.span.hi as usize))
        .peekable();
    for t in tokens {
        while bad.peek().is_some_and(|b| b.0 <= t.0) {
            out.extend(bad.next());
        }
        out.push(t);
    }
    out.extend(bad);
    out
}

/// The index of the first token at or after byte `at`.
fn token_index(tokens: &[Spanned<'_>], at: usize) -> usize {
    tokens.partition_point(|t| t.0 < at)
}

/// The offset a syntax error is at.
fn error_offset(e: &GrammarError<'_>) -> usize {
    match e {
        ParseError::UnrecognizedToken { token, .. } | ParseError::ExtraToken { token } => token.0,
        ParseError::UnrecognizedEof { location, .. } | ParseError::InvalidToken { location } => *location,
        ParseError::User { error } => error.span.lo as usize,
    }
}

/// Whether a syntax error is at a placeholder token or right after one.
fn after_placeholder(tokens: &[Spanned<'_>], e: &GrammarError<'_>) -> bool {
    if matches!(e, ParseError::User { .. }) {
        return false;
    }
    let at = error_offset(e);
    let i = tokens.partition_point(|t| t.0 < at);
    let is_bad = |i: usize| tokens.get(i).is_some_and(|t| t.1 == Tok::Invalid);
    is_bad(i) || (i > 0 && is_bad(i - 1))
}

// ------------------------------------------------------------------ nesting limit

/// Rejects token streams whose syntax tree could be deeper than [`MAX_NESTING`], so
/// that neither the parser's own cleanup nor later recursive passes overflow the stack.
///
/// The estimate sums, over the open brackets, 4 per bracket plus the number of
/// chaining tokens (operators, `.`, `else`, `->`, postfix brackets) seen at each
/// level since its last `,` or `;` or statement-ending `}`.
fn check_nesting(tokens: &[Spanned<'_>]) -> Result<(), Diagnostic> {
    let mut levels: Vec<usize> = vec![0];
    let mut total = 0usize;
    for (i, (lo, tok, hi)) in tokens.iter().enumerate() {
        match tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace => {
                bump_level(&mut levels, &mut total);
                levels.push(0);
                total += 4;
            }
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                if levels.len() > 1 {
                    total -= 4 + levels.pop().unwrap_or(0);
                }
                let next = tokens.get(i + 1).map(|t| &t.1);
                if *tok == Tok::RBrace && ends_statement(next) {
                    reset_level(&mut levels, &mut total);
                }
            }
            Tok::Comma | Tok::Semi => reset_level(&mut levels, &mut total),
            t if is_chaining(t) => bump_level(&mut levels, &mut total),
            _ => {}
        }
        if total > MAX_NESTING {
            return Err(Diagnostic::new(Span::new(*lo, *hi), "code is nested too deeply")
                .with_hint("split this expression or block into smaller pieces"));
        }
    }
    Ok(())
}

fn bump_level(levels: &mut [usize], total: &mut usize) {
    if let Some(n) = levels.last_mut() {
        *n += 1;
        *total += 1;
    }
}

fn reset_level(levels: &mut [usize], total: &mut usize) {
    if let Some(n) = levels.last_mut() {
        *total -= *n;
        *n = 0;
    }
}

/// Tokens that add a level to the tree when they join two pieces of one chain.
fn is_chaining(t: &Tok<'_>) -> bool {
    use Tok::*;
    matches!(
        t,
        QuestionQuestion
            | OrOr
            | AndAnd
            | EqEq
            | Ne
            | Lt
            | Le
            | Gt
            | Ge
            | Pipe
            | Caret
            | Amp
            | Shl
            | Shr
            | Plus
            | Minus
            | Star
            | Slash
            | Percent
            | Bang
            | Tilde
            | Dot
            | Else
            | Arrow
    )
}

/// Whether a `}` followed by `next` certainly ends a statement or item.
fn ends_statement(next: Option<&Tok<'_>>) -> bool {
    use Tok::*;
    match next {
        None => true,
        Some(t) => matches!(
            t,
            Let | Var
                | If
                | While
                | For
                | Break
                | Continue
                | Return
                | Fn
                | Struct
                | Impl
                | Import
                | Extern
                | Ident(_)
                | Int(_)
                | Float(_)
                | Str(_)
                | True
                | False
                | Nil
                | SelfKw
                | RBrace
        ),
    }
}

// ------------------------------------------------------------------ syntax errors

type GrammarError<'a> = ParseError<usize, Tok<'a>, LexError>;

/// Turns a parser error into a diagnostic.
fn syntax_error(src: &str, tokens: &[Spanned<'_>], err: GrammarError<'_>) -> Diagnostic {
    match err {
        ParseError::User { error } => error.into_diagnostic(),
        ParseError::InvalidToken { location } => {
            Diagnostic::new(Span::new(location, location), "syntax error: invalid token")
        }
        ParseError::UnrecognizedEof { location, expected } => {
            let end = location.min(src.len());
            let msg = with_expected("syntax error: unexpected end of file".to_string(), &expected);
            Diagnostic::new(Span::new(end, end), msg)
        }
        ParseError::UnrecognizedToken { token: (lo, tok, hi), expected } => {
            let msg = format!("syntax error: unexpected {}", describe_token(src, lo, hi, &tok));
            let d = Diagnostic::new(Span::new(lo, hi), with_expected(msg, &expected));
            match hint_for(src, tokens, lo, &tok, &expected) {
                Some(h) => d.with_hint(h),
                None => d,
            }
        }
        ParseError::ExtraToken { token: (lo, tok, hi) } => Diagnostic::new(
            Span::new(lo, hi),
            format!("syntax error: unexpected {}", describe_token(src, lo, hi, &tok)),
        ),
    }
}

/// The found token, quoted as it appears in the source.
fn describe_token(src: &str, lo: usize, hi: usize, tok: &Tok<'_>) -> String {
    let text = src.get(lo..hi).map(str::to_string).unwrap_or_else(|| tok.to_string());
    if text.chars().count() > 24 {
        let short: String = text.chars().take(20).collect();
        format!("'{short}...'")
    } else {
        format!("'{text}'")
    }
}

fn with_expected(msg: String, expected: &[String]) -> String {
    match summarize_expected(expected) {
        Some(s) => format!("{msg}, expected {s}"),
        None => msg,
    }
}

const EXPR_START: &[&str] =
    &["IDENT", "INT", "FLOAT", "STR", "true", "false", "nil", "self", "(", "[", "{", "fn", "-", "!", "~"];
const STMT_START: &[&str] = &["let", "var", "if", "while", "for", "break", "continue", "return"];
const ITEM_START: &[&str] = &["fn", "struct", "impl", "let", "var", "import", "extern"];
const TYPE_START: &[&str] = &["IDENT", "[", "{", "fn"];
const OPERATORS: &[&str] = &[
    "??", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "|", "^", "&", "<<", ">>", "+", "-", "*", "/", "%", ".", "(",
    "[", "!", "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=",
];

const BINARY_OPERATORS: &[&str] =
    &["??", "||", "&&", "==", "!=", "<", "<=", ">", ">=", "|", "^", "&", "<<", ">>", "+", "-", "*", "/", "%"];
const CLOSERS: &[&str] = &[";", ",", ")", "]", "}", ":"];

/// A short English summary of lalrpop's expected-terminal list, e.g.
/// `';' or an operator`, `an expression`, `a statement or '}'`.
fn summarize_expected(expected: &[String]) -> Option<String> {
    let mut left: Vec<&str> = expected.iter().map(|s| s.trim_matches('"')).filter(|t| *t != "BAD").collect();
    let has = |set: &[&str], t: &str| set.contains(&t);
    let mut phrases: Vec<String> = Vec::new();
    let mut take = |left: &mut Vec<&str>, group: &[&str], phrase: &str| {
        left.retain(|t| !has(group, t));
        phrases.push(phrase.to_string());
    };
    if left.contains(&"struct") {
        take(&mut left, ITEM_START, "a declaration (fn, struct, impl, let, var, import, extern)");
    }
    if left.contains(&"while") {
        take(&mut left, STMT_START, "a statement");
        left.retain(|t| !has(EXPR_START, t));
    } else if left.contains(&"INT") {
        take(&mut left, EXPR_START, "an expression");
    } else if left.contains(&"IDENT") && left.contains(&"[") && left.contains(&"fn") {
        take(&mut left, TYPE_START, "a type");
    } else if left.contains(&"IDENT") {
        take(&mut left, &["IDENT"], "an identifier");
    }
    if left.contains(&"?") {
        left.retain(|t| *t != "??");
    }
    let operators = left.iter().filter(|t| has(BINARY_OPERATORS, t)).count() >= 2;
    if operators {
        left.retain(|t| !has(OPERATORS, t));
        // After a full expression `{` could only begin a struct literal: not worth naming.
        if left.iter().any(|t| has(CLOSERS, t)) {
            left.retain(|t| *t != "{");
        }
    }
    let mut items: Vec<String> = phrases;
    if left.len() > 6 {
        items.push(format!("one of {} other tokens", left.len()));
    } else {
        items.extend(left.iter().map(|t| describe_terminal(t)));
    }
    if operators {
        items.push("an operator".to_string());
    }
    join_or(&items)
}

/// A terminal of the grammar in words: `an identifier`, `';'`.
fn describe_terminal(t: &str) -> String {
    match t {
        "IDENT" => "an identifier".into(),
        "INT" => "an integer".into(),
        "FLOAT" => "a float".into(),
        "STR" => "a string".into(),
        _ => format!("'{t}'"),
    }
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[String]) -> Option<String> {
    match items {
        [] => None,
        [one] => Some(one.clone()),
        [init @ .., last] => Some(format!("{} or {last}", init.join(", "))),
    }
}

/// A hint for common mistakes behind a syntax error at token `lo`.
fn hint_for(src: &str, tokens: &[Spanned<'_>], lo: usize, tok: &Tok<'_>, expected: &[String]) -> Option<String> {
    let expects = |t: &str| expected.iter().any(|e| e.trim_matches('"') == t);
    let index = tokens.binary_search_by_key(&lo, |t| t.0).ok()?;
    let prev = index.checked_sub(1).and_then(|i| tokens.get(i));
    let is_cmp = matches!(tok, Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge | Tok::EqEq | Tok::Ne);
    if is_cmp && !expects("INT") {
        return Some("comparison operators do not chain: write `a < b && b < c`".into());
    }
    if *tok == Tok::Dot && expects("INT") && matches!(tokens.get(index + 1), Some((_, Tok::Int(_), _))) {
        return Some("a float literal needs a digit before the '.', as in 0.5".into());
    }
    if let Some((plo, Tok::LBrace, _)) = prev {
        let before = index.checked_sub(2).and_then(|i| tokens.get(i)).map(|t| &t.1);
        let at_stmt_start = matches!(before, None | Some(Tok::LBrace | Tok::RBrace | Tok::Semi));
        if at_stmt_start && STMT_START.contains(&tok.fixed_text()) && *plo < lo {
            return Some("a statement cannot start with '{' (Kite has no bare blocks)".into());
        }
    }
    if expects(";") {
        if let Some((_, _, phi)) = prev {
            if src.get(*phi..lo).is_some_and(|gap| gap.contains('\n')) {
                return Some("is a ';' missing at the end of the previous line?".into());
            }
        }
    }
    None
}

// ------------------------------------------------------------------ grammar actions

/// Node constructors called from the grammar's actions.
mod build {
    use crate::ast::*;
    use crate::lexer::LexError;

    use crate::parser::ParseErrors;

    pub fn sp(lo: usize, hi: usize) -> Span {
        Span::new(lo, hi)
    }

    pub fn ident(name: &str, lo: usize, hi: usize) -> Ident {
        Ident { name: name.to_string(), span: sp(lo, hi) }
    }

    pub fn expr(kind: ExprKind, lo: usize, hi: usize) -> Expr {
        Expr { kind, span: sp(lo, hi) }
    }

    /// A block; its statement list no longer grows, so it gives back spare room (most
    /// blocks are short, and a statement is a few hundred bytes).
    pub fn block(mut stmts: Vec<Stmt>, lo: usize, hi: usize) -> Block {
        stmts.shrink_to_fit();
        Block { stmts, span: sp(lo, hi) }
    }

    pub fn stmt(kind: StmtKind, lo: usize, hi: usize) -> Stmt {
        Stmt { kind, span: sp(lo, hi) }
    }

    pub fn ty(kind: TypeExprKind, lo: usize, hi: usize) -> TypeExpr {
        TypeExpr { kind, span: sp(lo, hi) }
    }

    pub fn ty_named(name: Ident) -> TypeExpr {
        TypeExpr { span: name.span, kind: TypeExprKind::Named(name) }
    }

    /// `T?`; more than one `?` (`T??`, `T? ?`) is an error pointing at the marks (the
    /// type is then read as `T?`).
    pub fn optional(errors: &mut ParseErrors<'_>, t: TypeExpr, marks: u32, lo: usize, hi: usize) -> TypeExpr {
        if marks > 1 {
            errors.actions.push(
                LexError::new(lo, hi, "nested optional type is not allowed")
                    .with_hint("`T?` already holds nil; use a single `?`"),
            );
        }
        let span = t.span.to(sp(lo, hi));
        TypeExpr { kind: TypeExprKind::Optional(Box::new(t)), span }
    }

    pub fn binary(op: BinOp, l: Expr, r: Expr) -> Expr {
        let span = l.span.to(r.span);
        Expr { kind: ExprKind::Binary(op, Box::new(l), Box::new(r)), span }
    }

    pub fn unary(op: UnOp, e: Expr, lo: usize) -> Expr {
        let span = sp(lo, e.span.hi as usize);
        Expr { kind: ExprKind::Unary(op, Box::new(e)), span }
    }

    pub fn field(e: Expr, f: Ident) -> Expr {
        let span = e.span.to(f.span);
        Expr { kind: ExprKind::Field(Box::new(e), f), span }
    }

    pub fn call(callee: Expr, args: Vec<Expr>, hi: usize) -> Expr {
        let span = sp(callee.span.lo as usize, hi);
        Expr { kind: ExprKind::Call(Box::new(callee), args), span }
    }

    pub fn index(e: Expr, i: Expr, hi: usize) -> Expr {
        let span = sp(e.span.lo as usize, hi);
        Expr { kind: ExprKind::Index(Box::new(e), Box::new(i)), span }
    }

    pub fn unwrap(e: Expr, hi: usize) -> Expr {
        let span = sp(e.span.lo as usize, hi);
        Expr { kind: ExprKind::Unwrap(Box::new(e)), span }
    }

    /// `(e)`: the same node, its span widened over the parentheses.
    pub fn paren(e: Expr, lo: usize, hi: usize) -> Expr {
        Expr { span: sp(lo, hi), ..e }
    }

    /// An unparenthesized identifier expression: its name with its span.
    fn bare_ident(e: &Expr) -> Option<Ident> {
        match &e.kind {
            ExprKind::Ident(name) if (e.span.hi - e.span.lo) as usize == name.len() => {
                Some(Ident { name: name.clone(), span: e.span })
            }
            _ => None,
        }
    }

    /// The path of a struct literal: `Name` or `module.Name`, not parenthesized.
    fn struct_path(e: &Expr) -> Option<Vec<Ident>> {
        if let Some(name) = bare_ident(e) {
            return Some(vec![name]);
        }
        match &e.kind {
            ExprKind::Field(inner, name) if e.span.hi == name.span.hi => {
                let module = bare_ident(inner)?;
                (module.span.lo == e.span.lo).then(|| vec![module, name.clone()])
            }
            _ => None,
        }
    }

    /// `path { field: value, ... }`.
    pub fn struct_lit(errors: &mut ParseErrors<'_>, path: Expr, fields: Vec<(Ident, Expr)>, hi: usize) -> Expr {
        let lo = path.span.lo as usize;
        match struct_path(&path) {
            Some(names) => expr(ExprKind::StructLit(names, fields), lo, hi),
            None => {
                errors.actions.push(
                    LexError::new(lo, path.span.hi as usize, "a struct literal needs a struct name before '{'")
                        .with_hint("write `Name { field: value }` or `module.Name { ... }`"),
                );
                expr(ExprKind::Error, lo, hi)
            }
        }
    }

    /// Whether a statement's first character is `{` (an error: reported here).
    fn starts_with_brace(errors: &mut ParseErrors<'_>, input: &str, lo: usize) -> bool {
        if input.as_bytes().get(lo) == Some(&b'{') {
            errors.actions.push(
                LexError::new(lo, lo + 1, "a statement cannot start with '{'")
                    .with_hint("Kite has no bare blocks; wrap a map literal in parentheses"),
            );
            return true;
        }
        false
    }

    pub fn assign(
        errors: &mut ParseErrors<'_>,
        input: &str,
        target: Expr,
        op: Option<BinOp>,
        value: Expr,
        lo: usize,
        hi: usize,
    ) -> Stmt {
        if starts_with_brace(errors, input, lo) {
            return stmt(StmtKind::Error, lo, hi);
        }
        stmt(StmtKind::Assign { target, op, value }, lo, hi)
    }

    pub fn expr_stmt(errors: &mut ParseErrors<'_>, input: &str, e: Expr, lo: usize, hi: usize) -> Stmt {
        if starts_with_brace(errors, input, lo) {
            return stmt(StmtKind::Error, lo, hi);
        }
        stmt(StmtKind::Expr(e), lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::*;

    fn parse_ok(src: &str) -> File {
        match parse(src) {
            Ok(f) => f,
            Err(e) => panic!("parse failed for {src:?}: {e:?}"),
        }
    }

    fn parse_err(src: &str) -> Diagnostic {
        match parse(src) {
            Ok(f) => panic!("expected an error for {src:?}, got {f:?}"),
            Err(mut e) => e.remove(0),
        }
    }

    /// The statements of `fn main() { <body> }`.
    fn stmts(body: &str) -> Vec<Stmt> {
        let mut file = parse_ok(&format!("fn main() {{ {body} }}"));
        match file.items.remove(0) {
            Item::Fn(f) => f.body.stmts,
            other => panic!("not a fn: {other:?}"),
        }
    }

    /// The initializer of `let x = <expr>;` inside main.
    fn expr(src: &str) -> Expr {
        match stmts(&format!("let x = {src};")).remove(0).kind {
            StmtKind::Let(d) => d.init,
            other => panic!("not a let: {other:?}"),
        }
    }

    /// A compact S-expression rendering of an expression, for precise tree checks.
    fn sx(e: &Expr) -> String {
        let list = |xs: &[Expr]| xs.iter().map(sx).collect::<Vec<_>>().join(" ");
        match &e.kind {
            ExprKind::Int(v) => v.to_string(),
            ExprKind::Float(v) => format!("{v:?}"),
            ExprKind::Str(s) => format!("{s:?}"),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Nil => "nil".into(),
            ExprKind::Ident(n) => n.clone(),
            ExprKind::SelfValue => "self".into(),
            ExprKind::Binary(op, l, r) => format!("({} {} {})", op.symbol(), sx(l), sx(r)),
            ExprKind::Unary(op, x) => {
                let s = match op {
                    UnOp::Neg => "neg",
                    UnOp::Not => "not",
                    UnOp::BitNot => "bitnot",
                };
                format!("({s} {})", sx(x))
            }
            ExprKind::Field(x, f) => format!("(. {} {})", sx(x), f.name),
            ExprKind::Call(f, args) => format!("(call {} [{}])", sx(f), list(args)),
            ExprKind::Index(x, i) => format!("(idx {} {})", sx(x), sx(i)),
            ExprKind::Unwrap(x) => format!("(! {})", sx(x)),
            ExprKind::Array(xs) => format!("[{}]", list(xs)),
            ExprKind::ArrayRepeat(v, n) => format!("[{}; {}]", sx(v), sx(n)),
            ExprKind::Map(es) => {
                let es: Vec<String> = es.iter().map(|(k, v)| format!("{}: {}", sx(k), sx(v))).collect();
                format!("{{{}}}", es.join(", "))
            }
            ExprKind::StructLit(path, fs) => {
                let p: Vec<&str> = path.iter().map(|i| i.name.as_str()).collect();
                let fs: Vec<String> = fs.iter().map(|(n, v)| format!("{}: {}", n.name, sx(v))).collect();
                format!("{} {{{}}}", p.join("."), fs.join(", "))
            }
            ExprKind::Closure { params, .. } => format!("(closure {})", params.len()),
            ExprKind::Error => "<error>".into(),
        }
    }

    fn e(src: &str) -> String {
        sx(&expr(src))
    }

    fn text(src: &str, span: Span) -> &str {
        &src[span.lo as usize..span.hi as usize]
    }

    #[test]
    fn precedence() {
        assert_eq!(e("1 + 2 * 3"), "(+ 1 (* 2 3))");
        assert_eq!(e("1 * 2 + 3"), "(+ (* 1 2) 3)");
        assert_eq!(e("1 - 2 - 3"), "(- (- 1 2) 3)");
        assert_eq!(e("a ?? b || c"), "(?? a (|| b c))");
        assert_eq!(e("a ?? b ?? c"), "(?? a (?? b c))");
        assert_eq!(e("a || b && c"), "(|| a (&& b c))");
        assert_eq!(e("a && b == c"), "(&& a (== b c))");
        assert_eq!(e("a == b | c"), "(== a (| b c))");
        assert_eq!(e("a | b ^ c & d"), "(| a (^ b (& c d)))");
        assert_eq!(e("a & b << c"), "(& a (<< b c))");
        assert_eq!(e("a << b + c"), "(<< a (+ b c))");
        assert_eq!(e("a >> b - c % d"), "(>> a (- b (% c d)))");
        assert_eq!(e("a < b + 1"), "(< a (+ b 1))");
        assert_eq!(e("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    }

    #[test]
    fn unary_and_postfix() {
        assert_eq!(e("-x.f"), "(neg (. x f))");
        assert_eq!(e("x!.y"), "(. (! x) y)");
        assert_eq!(e("-x!"), "(neg (! x))");
        assert_eq!(e("!a && ~b"), "(&& (not a) (bitnot b))");
        assert_eq!(e("- -1"), "(neg (neg 1))");
        assert_eq!(e("-2 * 3"), "(* (neg 2) 3)");
        assert_eq!(e("a.m(1, 2)"), "(call (. a m) [1 2])");
        assert_eq!(e("f(x)(y)[0]!"), "(! (idx (call (call f [x]) [y]) 0))");
        assert_eq!(e("m.get(k)! + 1"), "(+ (! (call (. m get) [k])) 1)");
        assert_eq!(e("x! != nil"), "(!= (! x) nil)");
        assert_eq!(e("-9223372036854775808"), "(neg 9223372036854775808)");
    }

    #[test]
    fn literals() {
        assert_eq!(e("[1, 2, 3,]"), "[1 2 3]");
        assert_eq!(e("[]"), "[]");
        assert_eq!(e("[0; n + 1]"), "[0; (+ n 1)]");
        assert_eq!(e("{\"a\": 1, \"b\": 2,}"), "{\"a\": 1, \"b\": 2}");
        assert_eq!(e("{}"), "{}");
        assert_eq!(e("Point { x: 1.0, y: 2.0, }"), "Point {x: 1.0, y: 2.0}");
        assert_eq!(e("Empty {}"), "Empty {}");
        assert_eq!(e("geo.Shape { n: 3 }.n"), "(. geo.Shape {n: 3} n)");
        assert_eq!(e("[true, false, nil, self]"), "[true false nil self]");
        assert_eq!(e("0x10 + 0b11 + 1_000"), "(+ (+ 16 3) 1000)");
        assert_eq!(e("1e9 + 2.5e-3 + 4.8e+00"), "(+ (+ 1000000000.0 0.0025) 4.8)");
        assert_eq!(e(r#""a\n\u{1F600}""#), "\"a\\n😀\"");
    }

    #[test]
    fn closures() {
        let c = expr("fn(a: str, b: str,) -> int { return 0; }");
        match c.kind {
            ExprKind::Closure { params, ret, body } => {
                assert_eq!(params.len(), 2);
                assert_eq!(params[1].name.name, "b");
                assert!(matches!(ret.map(|t| t.kind), Some(TypeExprKind::Named(n)) if n.name == "int"));
                assert_eq!(body.stmts.len(), 1);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(e("fn() {}"), "(closure 0)");
        assert_eq!(
            e("keys.sort_by(fn(a: int, b: int) -> int { return a - b; })"),
            "(call (. keys sort_by) [(closure 2)])"
        );
    }

    #[test]
    fn spans_cover_whole_nodes() {
        let src = "fn main() { let x = f(a, b) + -c.d[1]!; }";
        let f = parse_ok(src);
        let Item::Fn(main) = &f.items[0] else { panic!() };
        assert_eq!(text(src, main.span), src);
        assert_eq!(text(src, main.body.span), "{ let x = f(a, b) + -c.d[1]!; }");
        let StmtKind::Let(d) = &main.body.stmts[0].kind else { panic!() };
        assert_eq!(text(src, d.span), "let x = f(a, b) + -c.d[1]!;");
        assert_eq!(text(src, main.body.stmts[0].span), "let x = f(a, b) + -c.d[1]!;");
        assert_eq!(text(src, d.init.span), "f(a, b) + -c.d[1]!");
        let ExprKind::Binary(_, l, r) = &d.init.kind else { panic!() };
        assert_eq!(text(src, l.span), "f(a, b)");
        assert_eq!(text(src, r.span), "-c.d[1]!");
        let ExprKind::Unary(_, u) = &r.kind else { panic!() };
        assert_eq!(text(src, u.span), "c.d[1]!");
        let src2 = "fn main() { let y = (a + b) * c; }";
        let f = parse_ok(src2);
        let Item::Fn(main) = &f.items[0] else { panic!() };
        let StmtKind::Let(d) = &main.body.stmts[0].kind else { panic!() };
        let ExprKind::Binary(_, l, _) = &d.init.kind else { panic!() };
        assert_eq!(text(src2, l.span), "(a + b)");
        assert_eq!(text(src2, d.init.span), "(a + b) * c");
    }

    #[test]
    fn comparisons_do_not_chain() {
        let d = parse_err("fn main() { let x = a < b < c; }");
        assert_eq!(d.message, "syntax error: unexpected '<', expected ';' or an operator");
        assert!(d.hint.unwrap_or_default().contains("do not chain"));
        assert!(parse("fn main() { let x = a == b == c; }").is_err());
        assert_eq!(e("(a < b) == c"), "(== (< a b) c)");
    }

    #[test]
    fn items() {
        let src = r#"
            import geometry;
            import geometry as geo;
            extern "app" fn log(msg: str, level: int,) -> bool;
            extern "app" fn ping();
            let PI = 3.14;
            var counter: int = 0;
            struct Point { x: float, y: float, }
            struct Unit {}
            impl Point {
                fn norm(self) -> float { return self.x; }
                fn scale(self, k: float,) -> Point { return Point { x: self.x * k, y: self.y * k }; }
                fn origin() -> Point { return Point { x: 0.0, y: 0.0 }; }
            }
            fn main() -> int { return 0; }
        "#;
        let f = parse_ok(src);
        assert_eq!(f.items.len(), 10);
        let Item::Import(i) = &f.items[1] else { panic!() };
        assert_eq!((i.module.name.as_str(), i.alias.as_ref().map(|a| a.name.as_str())), ("geometry", Some("geo")));
        let Item::Extern(x) = &f.items[2] else { panic!() };
        assert_eq!(x.module, "app");
        assert_eq!(text(src, x.module_span), "\"app\"");
        assert_eq!(x.params.len(), 2);
        assert!(x.ret.is_some());
        let Item::Global(g) = &f.items[5] else { panic!() };
        assert!(g.mutable && g.ty.is_some());
        let Item::Struct(s) = &f.items[6] else { panic!() };
        assert_eq!(s.fields.len(), 2);
        let Item::Impl(imp) = &f.items[8] else { panic!() };
        assert_eq!(imp.methods.len(), 3);
        assert_eq!(imp.methods[0].self_param.map(|s| text(src, s)), Some("self"));
        assert!(imp.methods[0].params.is_empty());
        assert_eq!(imp.methods[1].params.len(), 1);
        assert_eq!(imp.methods[2].self_param, None);
        assert!(parse_ok("fn f(self,) {}").items.len() == 1);
    }

    fn type_of(t: &str) -> TypeExpr {
        match stmts(&format!("let x: {t} = nil;")).remove(0).kind {
            StmtKind::Let(d) => d.ty.expect("a type"),
            other => panic!("{other:?}"),
        }
    }

    fn ts(t: &TypeExpr) -> String {
        match &t.kind {
            TypeExprKind::Named(n) => n.name.clone(),
            TypeExprKind::Qualified(m, n) => format!("{}.{}", m.name, n.name),
            TypeExprKind::Array(e) => format!("[{}]", ts(e)),
            TypeExprKind::Map(k, v) => format!("{{{}: {}}}", ts(k), ts(v)),
            TypeExprKind::Optional(e) => format!("opt({})", ts(e)),
            TypeExprKind::Fn(ps, r) => {
                let ps: Vec<String> = ps.iter().map(ts).collect();
                format!("fn({}) -> {}", ps.join(", "), r.as_ref().map_or("()".into(), |r| ts(r)))
            }
        }
    }

    #[test]
    fn types() {
        let t = |s: &str| ts(&type_of(s));
        assert_eq!(t("int"), "int");
        assert_eq!(t("geo.Shape"), "geo.Shape");
        assert_eq!(t("[[str]]"), "[[str]]");
        assert_eq!(t("{str: [int?]}"), "{str: [opt(int)]}");
        assert_eq!(t("Point?"), "opt(Point)");
        assert_eq!(t("fn(int, str,) -> bool"), "fn(int, str) -> bool");
        assert_eq!(t("fn()"), "fn() -> ()");
        assert_eq!(t("fn()?"), "opt(fn() -> ())");
        assert_eq!(t("fn(str) -> int?"), "fn(str) -> opt(int)");
        assert_eq!(t("fn(fn(int) -> int) -> fn() -> int"), "fn(fn(int) -> int) -> fn() -> int");
        let src = "fn main() { let x: {str: int}? = nil; }";
        let f = parse_ok(src);
        let Item::Fn(m) = &f.items[0] else { panic!() };
        let StmtKind::Let(d) = &m.body.stmts[0].kind else { panic!() };
        assert_eq!(text(src, d.ty.as_ref().map(|t| t.span).unwrap_or_default()), "{str: int}?");
    }

    #[test]
    fn nested_optional_is_an_error() {
        let src = "fn main() { let x: int?? = nil; }";
        let d = parse_err(src);
        assert_eq!(d.message, "nested optional type is not allowed");
        assert_eq!(text(src, d.span), "??");
        let src = "fn f(x: [int]? ?) {}";
        let d = parse_err(src);
        assert_eq!(d.message, "nested optional type is not allowed");
        assert_eq!(text(src, d.span), "? ?");
        assert_eq!(parse_err("fn f() -> int??? {}").message, "nested optional type is not allowed");
    }

    #[test]
    fn statements() {
        let s = stmts(
            "let a = 1; var b: int = 2; b = 3; b += 1; b -= 1; b *= 2; b /= 2; b %= 2; b &= 1; b |= 1; b ^= 1; \
             b <<= 1; b >>= 1; xs[0] = 1; p.x = 2.0; m[\"k\"] += 1; f(1); o.m(); \
             while b > 0 { b -= 1; } for i in 0..10 { } for i in 0..=n { } for x in xs { } \
             while true { break; continue; } return; ",
        );
        let kinds: Vec<String> = s
            .iter()
            .map(|s| match &s.kind {
                StmtKind::Let(d) => format!("let{}", if d.mutable { "m" } else { "" }),
                StmtKind::Assign { op, .. } => format!("assign{}", op.map_or("", |o| o.symbol())),
                StmtKind::If { .. } => "if".into(),
                StmtKind::IfLet { .. } => "iflet".into(),
                StmtKind::While { .. } => "while".into(),
                StmtKind::ForRange { inclusive, .. } => format!("range{inclusive}"),
                StmtKind::ForIn { .. } => "forin".into(),
                StmtKind::Break => "break".into(),
                StmtKind::Continue => "continue".into(),
                StmtKind::Return(e) => format!("return{}", e.is_some()),
                StmtKind::Expr(_) => "expr".into(),
                StmtKind::Error => "error".into(),
            })
            .collect();
        assert_eq!(
            kinds.join(" "),
            "let letm assign assign+ assign- assign* assign/ assign% assign& assign| assign^ assign<< assign>> \
             assign assign assign+ expr expr while rangefalse rangetrue forin while returnfalse"
        );
        let s = stmts("return a + 1;");
        assert!(matches!(&s[0].kind, StmtKind::Return(Some(e)) if sx(e) == "(+ a 1)"));
        let s = stmts("for j in i + 1..n { }");
        let StmtKind::ForRange { lo, hi, .. } = &s[0].kind else { panic!() };
        assert_eq!((sx(lo), sx(hi)), ("(+ i 1)".into(), "n".into()));
    }

    #[test]
    fn if_else_chains() {
        let s = stmts("if a { f(); } else if let v = o { g(v); } else if b { } else { h(); }");
        let StmtKind::If { cond, then, els: Some(Else::If(e1)) } = &s[0].kind else { panic!("{s:?}") };
        assert_eq!(sx(cond), "a");
        assert_eq!(then.stmts.len(), 1);
        let StmtKind::IfLet { name, value, els: Some(Else::If(e2)), .. } = &e1.kind else { panic!() };
        assert_eq!((name.name.as_str(), sx(value).as_str()), ("v", "o"));
        let StmtKind::If { els: Some(Else::Block(last)), .. } = &e2.kind else { panic!() };
        assert_eq!(last.stmts.len(), 1);
        let s = stmts("if let l = node.left { return 1; }");
        assert!(matches!(&s[0].kind, StmtKind::IfLet { els: None, .. }));
    }

    #[test]
    fn struct_literals_are_not_conditions() {
        let s = stmts("if x == Point { f(); }");
        let StmtKind::If { cond, then, .. } = &s[0].kind else { panic!() };
        assert_eq!(sx(cond), "(== x Point)");
        assert_eq!(then.stmts.len(), 1);
        let s = stmts("while p.ok { } for x in xs { } for i in a..b { } if let v = m.x { }");
        let StmtKind::While { cond, .. } = &s[0].kind else { panic!() };
        assert_eq!(sx(cond), "(. p ok)");
        let StmtKind::ForIn { iter, .. } = &s[1].kind else { panic!() };
        assert_eq!(sx(iter), "xs");
        let StmtKind::IfLet { value, .. } = &s[3].kind else { panic!() };
        assert_eq!(sx(value), "(. m x)");
        // Parentheses and brackets re-enable them.
        let s = stmts("if x == (Point { x: 1 }) { } if f(P { a: 1 }) { } for p in [P {}] { }");
        let StmtKind::If { cond, .. } = &s[0].kind else { panic!() };
        assert_eq!(sx(cond), "(== x Point {x: 1})");
        // Without parentheses the struct body is read as the block: a syntax error.
        assert!(parse("fn main() { if x == Point { x: 1 } { } }").is_err());
        assert!(parse("fn main() { let p = Point { x: 1 }; return geo.P { a: 1 }; }").is_ok());
    }

    #[test]
    fn struct_literal_needs_a_name() {
        assert_eq!(
            parse_err("fn main() { let x = f() { a: 1 }; }").message,
            "a struct literal needs a struct name before '{'"
        );
        assert!(parse("fn main() { let x = (P) { a: 1 }; }").is_err());
        assert!(parse("fn main() { let x = a.b.c { a: 1 }; }").is_err());
    }

    #[test]
    fn statements_cannot_start_with_a_brace() {
        let d = parse_err("fn main() { {}.len(); }");
        assert_eq!(d.message, "a statement cannot start with '{'");
        let d = parse_err("fn main() { { let x = 1; } }");
        assert_eq!(d.message, "syntax error: unexpected 'let', expected an expression or '}'");
        assert!(d.hint.unwrap_or_default().contains("cannot start with '{'"));
        assert!(parse("fn main() { ({}).len(); }").is_ok());
    }

    #[test]
    fn comments_and_trailing_commas() {
        let f = parse_ok("/* a /* nested */ comment */ fn f(a: int, b: int,) { g(a, b,); } // end");
        assert_eq!(f.items.len(), 1);
        let d = parse_err("fn main() { } /* /* */");
        assert_eq!(d.message, "unterminated block comment");
    }

    #[test]
    fn syntax_error_messages() {
        let d = parse_err("fn main() { let x = ; }");
        assert_eq!(d.message, "syntax error: unexpected ';', expected an expression");
        assert_eq!(d.span, Span::new(20, 21));
        let d = parse_err("fn main() { let x = 1 2; }");
        assert_eq!(d.message, "syntax error: unexpected '2', expected ';' or an operator");
        let d = parse_err("fn main() { let x = 1");
        assert!(d.message.starts_with("syntax error: unexpected end of file"), "{}", d.message);
        assert_eq!(d.span, Span::new(21, 21));
        let d = parse_err("fn main() {\n  let x = 1;\n\n");
        assert_eq!(d.span, Span::new(24, 24), "points after the last token");
        let d = parse_err("fn main() {");
        assert_eq!(d.message, "syntax error: unexpected end of file, expected a statement or '}'");
        let d = parse_err("let x = 1;\nlet y = 2\nfn main() {}");
        assert_eq!(d.message, "syntax error: unexpected 'fn', expected ';' or an operator");
        assert!(d.hint.unwrap_or_default().contains("missing"));
        let d = parse_err("fn main() {} }");
        assert!(d.message.starts_with("syntax error: unexpected '}', expected a declaration"), "{}", d.message);
        let d = parse_err("fn main() { let x: = 1; }");
        assert_eq!(d.message, "syntax error: unexpected '=', expected a type");
        let d = parse_err("fn (x: int) {}");
        assert_eq!(d.message, "syntax error: unexpected '(', expected an identifier");
        assert_eq!(parse_err("extern fn f();").message, "syntax error: unexpected 'fn', expected a string");
        let d = parse_err("fn main() { let x = .5; }");
        assert!(d.hint.unwrap_or_default().contains("0.5"));
    }

    #[test]
    fn lexer_errors_are_reported_together() {
        let errs =
            parse("fn main() { let s = \"a\\qb\"; let t = 5.; let c = @; let u = 99999999999999999999; }").unwrap_err();
        let msgs: Vec<&str> = errs.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            vec![
                "invalid escape '\\q'",
                "invalid number literal",
                "invalid character '@'",
                "integer literal out of range"
            ]
        );
        assert_eq!(parse_err("fn main() { print(\"abc); }").message, "unterminated string");
    }

    #[test]
    fn deep_nesting_is_rejected_not_overflowed() {
        let deep = format!("fn main() {{ let x = {}1{}; }}", "(".repeat(5000), ")".repeat(5000));
        assert_eq!(parse_err(&deep).message, "code is nested too deeply");
        let chain = format!("fn main() {{ let x = 1{}; }}", " + 1".repeat(5000));
        assert_eq!(parse_err(&chain).message, "code is nested too deeply");
        let neg = format!("fn main() {{ let x = {}1; }}", "-".repeat(5000));
        assert_eq!(parse_err(&neg).message, "code is nested too deeply");
        let elses = format!("fn main() {{ if a {{ }}{} }}", " else if a { }".repeat(5000));
        assert_eq!(parse_err(&elses).message, "code is nested too deeply");
        // Long but flat code is fine.
        let flat = format!("fn main() {{ {} }}", "if a + b { f(x.y); } while c { }".repeat(3000));
        assert!(parse(&flat).is_ok());
        let near_limit = format!("fn main() {{ let x = 1{}; }}", " + 1".repeat(1000));
        assert!(parse(&near_limit).is_ok());
    }

    /// A valid program exercising most of the grammar.
    const SAMPLE: &str = r#"
import geometry as geo;
extern "app" fn log(msg: str) -> bool;
struct Point { x: float, y: float }
impl Point {
    fn norm(self) -> float { return math.sqrt(self.x * self.x + self.y * self.y); }
}
let ORIGIN = Point { x: 0.0, y: 0.0 };
fn main() -> int {
    var words: {str: int} = {};
    for w in "a b a".split(" ") { words[w] = (words.get(w) ?? 0) + 1; }
    let f = fn(a: int) -> int? { if a > 0 { return a; } else { return nil; } };
    if let v = f(3) { print(v!, -v, ~v, [v; 2], [1, 2,]); } else if x == nil { }
    for i in 0..=10 { while i < 3 && !done { break; } continue; }
    /* nested /* comment */ */
    let s = "esc \n \u{1F600} \"";
    return 0x1f + 0b10 + 1_000 + int(2.5e-3);
}
"#;

    #[test]
    fn never_panics_on_garbage() {
        assert!(parse(SAMPLE).is_ok(), "{:?}", parse(SAMPLE).err());
        // Every prefix of a valid program.
        for (i, _) in SAMPLE.char_indices() {
            let _ = parse(&SAMPLE[..i]);
            let _ = parse(&SAMPLE[i..]);
        }
        // Pseudo-random soups of tokens and characters.
        let pieces = [
            "fn", "(", ")", "{", "}", "[", "]", "let", "x", "=", ";", "if", "else", "?", "??", "!", "1", "1.5", "\"s",
            "\"\\u{", "/*", "*/", "//", ".", "..", "0x", "1e", ":", ",", "struct", "impl", "self", "->", "é", "@",
            "\n", "\\", "'", "<", "<<=", "for", "in", "while", "return", "import", "as", "extern", "\"m\"", "nil",
            "\0",
        ];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..3000 {
            let mut s = String::new();
            let len = (seed >> 60) as usize + 1;
            for _ in 0..len * 3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push_str(pieces[(seed % pieces.len() as u64) as usize]);
                if seed & 1 == 0 {
                    s.push(' ');
                }
            }
            let _ = parse(&s);
        }
        // Raw bytes, lossily decoded.
        for n in 0..2000u32 {
            let bytes: Vec<u8> = (0..16).map(|k| (n.wrapping_mul(2654435761).rotate_left(k) & 0xff) as u8).collect();
            let _ = parse(&String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn language_example_parses() {
        let src = r#"
struct Point { x: float, y: float }

impl Point {
    fn norm(self) -> float { return math.sqrt(self.x * self.x + self.y * self.y); }
}

fn fib(n: int) -> int {
    if n < 2 { return n; }
    return fib(n - 1) + fib(n - 2);
}

fn main() {
    let p = Point { x: 3.0, y: 4.0 };
    print("norm", p.norm(), "fib", fib(20));      // norm 5.0 fib 6765
    var words: {str: int} = {};
    for w in "a b a".split(" ") { words[w] = (words.get(w) ?? 0) + 1; }
    print(words);                                 // {"a": 2, "b": 1}
}
"#;
        let f = parse_ok(src);
        assert_eq!(f.items.len(), 4);
    }

    #[test]
    fn benchmark_programs_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/programs");
        let entries = std::fs::read_dir(&dir).expect("benches/programs is part of the repository");
        let mut count = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "kite") {
                let src = std::fs::read_to_string(&path).unwrap_or_default();
                if let Err(e) = parse(&src) {
                    panic!("{} failed to parse: {e:?}", path.display());
                }
                count += 1;
            }
        }
        assert!(count >= 8, "expected the 8 benchmark programs, found {count}");
    }
}
