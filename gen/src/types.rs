//! The types the generator works with (a mirror of the checker's), and what it knows
//! about each: which operations apply, how long its text can get.

/// A Kite type. `Struct` is an index into the program's struct list; `Fn` has `None` for
/// a function that returns nothing. Never an optional of an optional or of a function
/// (the latter cannot be written: `fn() -> int?` returns `int?`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Int,
    Float,
    Bool,
    Str,
    Array(Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    Opt(Box<Ty>),
    Struct(usize),
    Fn(Vec<Ty>, Option<Box<Ty>>),
}

/// Longest string a stored `str` (variable, field, element, argument, result) may hold.
pub(crate) const S_MAX: usize = 48;
/// Longest string an immutable local may be bound to.
pub(crate) const LET_MAX: usize = 256;
/// Longest string a `print` argument may produce.
pub(crate) const PRINT_MAX: usize = 1200;
/// Estimated text length of a container or struct (for the output budget).
pub(crate) const CONTAINER_TEXT: usize = 600;

impl Ty {
    pub fn array(t: Ty) -> Ty {
        Ty::Array(Box::new(t))
    }
    pub fn map(k: Ty, v: Ty) -> Ty {
        Ty::Map(Box::new(k), Box::new(v))
    }
    pub fn opt(t: Ty) -> Ty {
        Ty::Opt(Box::new(t))
    }
    /// `T?`, or `T` itself when it is already optional (what `map.get` returns).
    pub fn opt_flat(t: Ty) -> Ty {
        match t {
            Ty::Opt(_) => t,
            t => Ty::opt(t),
        }
    }
    pub fn is_key(&self) -> bool {
        matches!(self, Ty::Int | Ty::Str | Ty::Bool)
    }
    pub fn is_sortable(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Str)
    }
    /// Whether `T?` may be formed.
    pub fn can_be_optional(&self) -> bool {
        !matches!(self, Ty::Opt(_) | Ty::Fn(..))
    }
    /// Whether a value of this type is a struct (for field paths).
    pub fn struct_id(&self) -> Option<usize> {
        match self {
            Ty::Struct(s) => Some(*s),
            _ => None,
        }
    }
    /// Longest text `str(x)` can give for a value of this type whose strings are at
    /// most `s` bytes (containers use an estimate).
    pub fn text_bound(&self, s: usize) -> usize {
        match self {
            Ty::Int => 20,
            Ty::Float => 24,
            Ty::Bool => 5,
            Ty::Str => s,
            Ty::Opt(t) => t.text_bound(s).max(3),
            Ty::Fn(..) => 24,
            Ty::Array(_) | Ty::Map(..) | Ty::Struct(_) => CONTAINER_TEXT,
        }
    }
}
