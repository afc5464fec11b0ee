//! The syntax tree the parser produces and the checker consumes.
//!
//! Every node carries a [`Span`]: byte offsets into its source file. Types are
//! not resolved here; the checker turns [`TypeExpr`] into semantic types.
//!
//! After a syntax error the parser goes on (see `parser.rs`); what it could not read
//! becomes an `Error` statement or expression, a function whose signature it could not
//! read keeps its name and body with `recovered` set, a struct whose fields it could not
//! read its name. The checker stays quiet about those, so that one mistake is reported
//! once.

/// A half-open byte range `lo..hi` in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub lo: u32,
    pub hi: u32,
}

impl Span {
    pub fn new(lo: usize, hi: usize) -> Span {
        Span { lo: lo as u32, hi: hi as u32 }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { lo: self.lo.min(other.lo), hi: self.hi.max(other.hi) }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One parsed `.kite` file.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Fn(FnDecl),
    Struct(StructDecl),
    Impl(ImplDecl),
    /// `let NAME = e;` (mutable: false) or `var NAME = e;` (mutable: true) at top level.
    Global(LetDecl),
    /// `import name;` or `import name as alias;`
    Import(ImportDecl),
    /// `extern "module" fn name(a: int) -> str;`
    Extern(ExternDecl),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FnDecl {
    pub name: Ident,
    /// `Some(span of `self`)` for a method whose first parameter is `self`.
    pub self_param: Option<Span>,
    pub params: Vec<Param>,
    pub ret: Option<TypeExpr>,
    pub body: Block,
    pub span: Span,
    /// The parameters or result could not be read (a syntax error): the signature is
    /// unknown.
    pub recovered: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StructDecl {
    pub name: Ident,
    pub fields: Vec<Param>,
    pub span: Span,
    /// The fields could not be read (a syntax error): they are unknown.
    pub recovered: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImplDecl {
    pub name: Ident,
    pub methods: Vec<FnDecl>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportDecl {
    pub module: Ident,
    pub alias: Option<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExternDecl {
    /// The host module name, the string after `extern`.
    pub module: String,
    pub module_span: Span,
    pub name: Ident,
    pub params: Vec<Param>,
    pub ret: Option<TypeExpr>,
    pub span: Span,
}

/// `let`/`var` binding, local or global.
#[derive(Clone, Debug, PartialEq)]
pub struct LetDecl {
    pub mutable: bool,
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub init: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    /// `int`, `float`, `bool`, `str`, or a struct name.
    Named(Ident),
    /// `module.Name`
    Qualified(Ident, Ident),
    /// `[T]`
    Array(Box<TypeExpr>),
    /// `{K: V}`
    Map(Box<TypeExpr>, Box<TypeExpr>),
    /// `T?`
    Optional(Box<TypeExpr>),
    /// `fn(A, B) -> R`
    Fn(Vec<TypeExpr>, Option<Box<TypeExpr>>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Let(LetDecl),
    /// `target = value;` (op: None) or `target op= value;`
    Assign {
        target: Expr,
        op: Option<BinOp>,
        value: Expr,
    },
    If {
        cond: Expr,
        then: Block,
        els: Option<Else>,
    },
    /// `if let name = value { then } else { els }`
    IfLet {
        name: Ident,
        value: Expr,
        then: Block,
        els: Option<Else>,
    },
    While {
        cond: Expr,
        body: Block,
    },
    /// `for var in lo..hi` (inclusive: false) or `lo..=hi` (inclusive: true)
    ForRange {
        var: Ident,
        lo: Expr,
        hi: Expr,
        inclusive: bool,
        body: Block,
    },
    /// `for var in iterable`
    ForIn {
        var: Ident,
        iter: Expr,
        body: Block,
    },
    Break,
    Continue,
    Return(Option<Expr>),
    /// An expression statement (the checker accepts only calls).
    Expr(Expr),
    /// A statement that could not be read (a syntax error was reported).
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Else {
    Block(Block),
    /// `else if ...` / `else if let ...`: a statement of kind If or IfLet.
    If(Box<Stmt>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal's magnitude. It may be 2^63 only as the operand of unary minus;
    /// the checker reports anything else that does not fit in i64.
    Int(u64),
    Float(f64),
    Str(String),
    Bool(bool),
    Nil,
    Ident(String),
    /// `self` inside a method.
    SelfValue,
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    /// `e.name` (a field, a module member, or — as a callee — a method).
    Field(Box<Expr>, Ident),
    Call(Box<Expr>, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    /// `e!`
    Unwrap(Box<Expr>),
    /// `[a, b, c]`
    Array(Vec<Expr>),
    /// `[value; count]`
    ArrayRepeat(Box<Expr>, Box<Expr>),
    /// `{k: v, ...}`; `{}` is an empty map literal.
    Map(Vec<(Expr, Expr)>),
    /// `Name { f: e, ... }` or `module.Name { ... }`: the path has one or two idents.
    StructLit(Vec<Ident>, Vec<(Ident, Expr)>),
    /// `fn(x: int) -> int { ... }`
    Closure {
        params: Vec<Param>,
        ret: Option<TypeExpr>,
        body: Block,
    },
    /// An expression that could not be read (a lexical or syntax error was reported).
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// `??`
    Coalesce,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
            BitAnd => "&",
            BitOr => "|",
            BitXor => "^",
            Shl => "<<",
            Shr => ">>",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "&&",
            Or => "||",
            Coalesce => "??",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `-e`
    Neg,
    /// `!e`
    Not,
    /// `~e`
    BitNot,
}
