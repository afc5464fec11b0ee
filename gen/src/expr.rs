//! Expressions of a requested type. Each type has its own forms (literals, operators,
//! built-in functions and methods); every type also has the generic forms: a place, a
//! call, `??`, a field of a struct value, and (rarely) an unguarded `!` or index.
//!
//! `Want::typed` says whether the position passes its type down to the checker (a typed
//! `let`, an argument, a field, a `return`, ...): only there may `nil`, `[]`, `{}` and a
//! `T` standing for a `T?` appear. Elsewhere every expression names its own type.
//! `Want::max` bounds the length of a `str` result.

use crate::lits;
use crate::program::{FnKind, Gen, MAX_REC_DEPTH};
use crate::scope::{Cost, Fx, FxKind, CMP_BUDGET};
use crate::types::{Ty, CONTAINER_TEXT, LET_MAX, S_MAX};

/// Generated code of an expression.
#[derive(Clone, Debug)]
pub(crate) struct E {
    pub text: String,
    /// Needs no parentheses as an operand or a receiver.
    pub atom: bool,
    /// Longest text of its value (`str(x)`), for `str` its longest length.
    pub bound: usize,
}

impl E {
    pub fn atom(text: String, bound: usize) -> E {
        E { text, atom: true, bound }
    }
    pub fn op(text: String, bound: usize) -> E {
        E { text, atom: false, bound }
    }
    /// The text as an operand or receiver.
    pub fn wrap(&self) -> String {
        if self.atom {
            self.text.clone()
        } else {
            format!("({})", self.text)
        }
    }
}

/// What the position of an expression allows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Want {
    pub typed: bool,
    pub max: usize,
}

impl Want {
    /// A position whose value is stored (argument, field, element, variable, result).
    pub const STORE: Want = Want { typed: true, max: S_MAX };
    pub fn free(max: usize) -> Want {
        Want { typed: false, max }
    }
    pub fn typed(max: usize) -> Want {
        Want { typed: true, max }
    }
}

/// The text of an expression where a struct literal may not appear unparenthesized
/// (conditions, `for` iterables and bounds, `if let` values).
pub(crate) fn no_struct(e: &E) -> String {
    if e.text.contains('{') {
        format!("({})", e.text)
    } else {
        e.text.clone()
    }
}

impl Gen<'_, '_> {
    pub fn expr(&mut self, ty: &Ty, d: u32, w: Want) -> E {
        match ty {
            Ty::Int => self.int_expr(d),
            Ty::Float => self.float_expr(d),
            Ty::Bool => self.bool_expr(d),
            Ty::Str => self.str_expr(d, w.max),
            Ty::Array(t) => self.array_expr(t, d, w),
            Ty::Map(k, v) => self.map_expr(k, v, d, w),
            Ty::Opt(t) => self.opt_expr(t, d, w),
            Ty::Struct(s) => self.struct_expr(*s, d),
            Ty::Fn(ps, r) => self.fn_expr(ps, r.as_deref(), d),
        }
    }

    /// A place of type `ty`, if there is one.
    fn path_leaf(&mut self, ty: &Ty, max: usize) -> Option<E> {
        let ps = self.paths_of(ty, max);
        let p = self.src.pick(&ps)?;
        Some(E::atom(p.text.clone(), p.bound))
    }

    // ------------------------------------------------------------------ int

    fn int_leaf(&mut self) -> E {
        if self.src.one_in(2) {
            if let Some(e) = self.path_leaf(&Ty::Int, S_MAX) {
                return e;
            }
        }
        lits::int(&mut self.src)
    }

    pub fn int_expr(&mut self, d: u32) -> E {
        if d == 0 {
            return self.int_leaf();
        }
        let d1 = d - 1;
        match self.src.weighted(&[5, 4, 6, 3, 2, 2, 2, 3, 2, 2, 1, 1, 1]) {
            0 => self.int_leaf(),
            1 => self.generic(&Ty::Int, d, Want::free(S_MAX)).unwrap_or_else(|| self.int_leaf()),
            2 => {
                let op = *self.src.pick(&["+", "-", "*", "&", "|", "^", "+", "-"]).unwrap_or(&"+");
                let a = self.int_expr(d1);
                let b = self.int_expr(d1);
                E::op(format!("{} {op} {}", a.wrap(), b.wrap()), 20)
            }
            3 => self.int_div(d1),
            4 => {
                let op = if self.src.one_in(2) { "<<" } else { ">>" };
                let a = self.int_expr(d1);
                let b = if self.src.one_in(2) {
                    lits::int_text(*self.src.pick(&[0, 1, 5, 31, 63, 64, 65, 127, -1, -63, -64]).unwrap_or(&1))
                } else {
                    self.int_expr(d1)
                };
                E::op(format!("{} {op} {}", a.wrap(), b.wrap()), 20)
            }
            5 => {
                let a = self.int_expr(d1);
                match self.src.below(3) {
                    0 => E::op(format!("-{}", a.wrap()), 20),
                    1 => E::op(format!("~{}", a.wrap()), 20),
                    _ => E::atom(format!("math.abs({})", a.text), 20),
                }
            }
            6 => {
                let f = self.float_expr(d1);
                E::atom(format!("int({})", f.text), 20)
            }
            7 => self.len_expr(d1),
            8 => match self.src.below(4) {
                0 => {
                    let s = self.str_expr(d1, LET_MAX);
                    let t = self.str_expr(d1, 8);
                    E::atom(format!("{}.find({})", s.wrap(), t.text), 20)
                }
                1 => {
                    let c = if self.rare_trap() {
                        self.str_expr(d1, S_MAX).text
                    } else if self.src.one_in(2) {
                        lits::one_char(&mut self.src).text
                    } else {
                        self.safe_chr(d1)
                    };
                    E::atom(format!("ord({c})"), 20)
                }
                2 => {
                    let s = self.str_expr(d1, LET_MAX);
                    let k = self.int_leaf();
                    E::op(format!("parse_int({}) ?? {}", s.text, k.text), 20)
                }
                _ => {
                    let f = self.float_expr(d1);
                    let digits =
                        if self.rare_trap() { self.int_expr(d1).text } else { self.src.range(0, 6).to_string() };
                    E::atom(format!("fixed({}, {digits}).len()", f.text), 20)
                }
            },
            9 => {
                let f = if self.src.one_in(2) { "min" } else { "max" };
                let a = self.int_expr(d1);
                let b = self.int_expr(d1);
                E::atom(format!("math.{f}({}, {})", a.text, b.text), 20)
            }
            10 => {
                let t = self.value_eq_ty();
                let xs = self.array_expr(&t, d1, Want::free(S_MAX));
                let x = self.expr(&t, d1, Want::STORE);
                let m = if self.src.one_in(2) { "index_of" } else { "len" };
                if m == "len" {
                    E::atom(format!("{}.len()", xs.wrap()), 20)
                } else {
                    E::atom(format!("{}.index_of({})", xs.wrap(), x.text), 20)
                }
            }
            11 => {
                let lo = self.src.range(-50, 50);
                let hi = lo + 1 + self.src.range(0, 100);
                E::atom(format!("rand.int({}, {})", lits::int_text(lo).text, lits::int_text(hi).text), 20)
            }
            _ => E::atom("env.args().len()".into(), 20),
        }
    }

    /// `a / b` or `a % b`: mostly with a divisor that cannot be zero.
    fn int_div(&mut self, d: u32) -> E {
        let op = if self.src.one_in(2) { "/" } else { "%" };
        let mut a = self.int_expr(d);
        let b = match self.src.weighted(&[4, 3, 1, 1]) {
            0 => {
                let b = self.int_expr(d);
                format!("({} | 1)", b.wrap())
            }
            1 => lits::int_text(*self.src.pick(&[1, 2, 3, 7, 10, -1, -2, -7, 1000, 65536, i64::MAX]).unwrap_or(&1))
                .wrap(),
            2 => {
                a = E::atom("math.MIN_INT".into(), 20);
                "(-1)".into()
            }
            _ => {
                if self.rare_trap() {
                    self.int_expr(d).wrap()
                } else {
                    format!("math.max({}, 1)", self.int_expr(d).text)
                }
            }
        };
        E::op(format!("{} {op} {b}", a.wrap()), 20)
    }

    fn len_expr(&mut self, d: u32) -> E {
        match self.src.below(3) {
            0 => {
                let s = self.str_expr(d, LET_MAX);
                E::atom(format!("{}.len()", s.wrap()), 20)
            }
            1 => {
                let t = self.rand_ty(1);
                let xs = self.array_expr(&t, d, Want::free(S_MAX));
                E::atom(format!("{}.len()", xs.wrap()), 20)
            }
            _ => {
                let k = self.key_ty();
                let v = self.rand_ty(1);
                let m = self.map_expr(&k, &v, d, Want::free(S_MAX));
                E::atom(format!("{}.len()", m.wrap()), 20)
            }
        }
    }

    fn value_eq_ty(&mut self) -> Ty {
        match self.src.below(4) {
            0 => Ty::Int,
            1 => Ty::Str,
            2 => Ty::Float,
            _ => Ty::Bool,
        }
    }

    /// `chr` of a valid code point.
    fn safe_chr(&mut self, d: u32) -> String {
        let e = self.int_expr(d);
        match self.src.below(4) {
            0 => format!("chr(65 + {} % 26)", E::op(format!("{} & 1023", e.wrap()), 20).wrap()),
            1 => format!("chr({} & 127)", e.wrap()),
            2 => format!("chr(19968 + ({} & 255))", e.wrap()),
            _ => format!("chr(128512 + ({} & 63))", e.wrap()),
        }
    }

    // ------------------------------------------------------------------ float

    fn float_leaf(&mut self) -> E {
        match self.src.weighted(&[4, 3, 1]) {
            0 => lits::float(&mut self.src),
            1 => self.path_leaf(&Ty::Float, S_MAX).unwrap_or_else(|| lits::float(&mut self.src)),
            _ => self.float_special(),
        }
    }

    fn float_special(&mut self) -> E {
        let t = *self
            .src
            .pick(&["math.NAN", "math.INF", "-math.INF", "-0.0", "0.0 * -1.0", "math.PI", "math.E", "-math.NAN"])
            .unwrap_or(&"math.NAN");
        if t.starts_with('-') || t.contains(' ') {
            E::op(t.into(), 24)
        } else {
            E::atom(t.into(), 24)
        }
    }

    pub fn float_expr(&mut self, d: u32) -> E {
        if d == 0 {
            return self.float_leaf();
        }
        let d1 = d - 1;
        match self.src.weighted(&[5, 3, 6, 1, 3, 3, 1, 1, 2, 1, 1]) {
            0 => self.float_leaf(),
            1 => self.generic(&Ty::Float, d, Want::free(S_MAX)).unwrap_or_else(|| self.float_leaf()),
            2 => {
                let op = *self.src.pick(&["+", "-", "*", "/", "%"]).unwrap_or(&"+");
                let a = self.float_expr(d1);
                let b = self.float_expr(d1);
                E::op(format!("{} {op} {}", a.wrap(), b.wrap()), 24)
            }
            3 => {
                let a = self.float_expr(d1);
                E::op(format!("-{}", a.wrap()), 24)
            }
            4 => {
                let i = self.int_expr(d1);
                E::atom(format!("float({})", i.text), 24)
            }
            5 => {
                let f = *self
                    .src
                    .pick(&["sqrt", "sin", "cos", "tan", "atan", "exp", "log", "floor", "ceil", "round", "abs"])
                    .unwrap_or(&"sqrt");
                let a = self.float_expr(d1);
                E::atom(format!("math.{f}({})", a.text), 24)
            }
            6 => {
                let f = if self.src.one_in(2) { "pow" } else { "atan2" };
                let a = self.float_expr(d1);
                let b = self.float_expr(d1);
                E::atom(format!("math.{f}({}, {})", a.text, b.text), 24)
            }
            7 => {
                let f = if self.src.one_in(2) { "min" } else { "max" };
                let a = self.float_expr(d1);
                let b = self.float_expr(d1);
                E::atom(format!("math.{f}({}, {})", a.text, b.text), 24)
            }
            8 => self.float_special(),
            9 => {
                let s = self.str_expr(d1, LET_MAX);
                let k = self.float_leaf();
                E::op(format!("parse_float({}) ?? {}", s.text, k.text), 24)
            }
            _ => E::atom("rand.float()".into(), 24),
        }
    }

    // ------------------------------------------------------------------ bool

    fn bool_leaf(&mut self) -> E {
        if self.src.one_in(2) {
            if let Some(e) = self.path_leaf(&Ty::Bool, S_MAX) {
                return e;
            }
        }
        E::atom(if self.src.one_in(2) { "true" } else { "false" }.into(), 5)
    }

    pub fn bool_expr(&mut self, d: u32) -> E {
        if d == 0 {
            return self.bool_leaf();
        }
        let d1 = d - 1;
        match self.src.weighted(&[4, 2, 5, 2, 2, 4, 2, 2, 2, 2]) {
            0 => self.bool_leaf(),
            1 => self.generic(&Ty::Bool, d, Want::free(S_MAX)).unwrap_or_else(|| self.bool_leaf()),
            2 => {
                let op = self.cmp_op();
                let a = self.int_expr(d1);
                let b = self.int_expr(d1);
                E::op(format!("{} {op} {}", a.wrap(), b.wrap()), 5)
            }
            3 => {
                let op = self.cmp_op();
                let a = self.float_expr(d1);
                let b = self.float_expr(d1);
                E::op(format!("{} {op} {}", a.wrap(), b.wrap()), 5)
            }
            4 => {
                let op = self.cmp_op();
                let a = self.str_expr(d1, LET_MAX);
                let b = self.str_expr(d1, LET_MAX);
                E::op(format!("{} {op} {}", a.wrap(), b.wrap()), 5)
            }
            5 => match self.src.below(3) {
                0 => {
                    let a = self.bool_expr(d1);
                    E::op(format!("!{}", a.wrap()), 5)
                }
                n => {
                    let op = if n == 1 { "&&" } else { "||" };
                    let a = self.bool_expr(d1);
                    let b = self.bool_expr(d1);
                    E::op(format!("{} {op} {}", a.wrap(), b.wrap()), 5)
                }
            },
            6 => {
                let m = *self.src.pick(&["contains", "starts_with", "ends_with"]).unwrap_or(&"contains");
                let s = self.str_expr(d1, LET_MAX);
                let t = self.str_expr(d1, 16);
                E::atom(format!("{}.{m}({})", s.wrap(), t.text), 5)
            }
            7 => {
                if self.src.one_in(2) {
                    let t = self.value_eq_ty();
                    let xs = self.array_expr(&t, d1, Want::free(S_MAX));
                    let x = self.expr(&t, d1, Want::STORE);
                    E::atom(format!("{}.contains({})", xs.wrap(), x.text), 5)
                } else {
                    let k = self.key_ty();
                    let v = self.rand_ty(1);
                    let m = self.map_expr(&k, &v, d1, Want::free(S_MAX));
                    let key = self.expr(&k, d1, Want::STORE);
                    E::atom(format!("{}.has({})", m.wrap(), key.text), 5)
                }
            }
            8 => {
                // Equality of any type: by value, by identity, or of optionals.
                let t = self.rand_ty(1);
                let op = if self.src.one_in(2) { "==" } else { "!=" };
                let a = self.expr(&t, d1, Want::free(LET_MAX));
                let b = if t.can_be_optional() && self.src.one_in(4) {
                    self.opt_expr(&t, d1, Want::free(LET_MAX))
                } else {
                    self.expr(&t, d1, Want::free(LET_MAX))
                };
                E::op(format!("{} {op} {}", a.wrap(), b.wrap()), 5)
            }
            _ => {
                let t = self.rand_ty(1);
                if !t.can_be_optional() {
                    return self.bool_leaf();
                }
                let o = self.opt_expr(&t, d1, Want::free(LET_MAX));
                let op = if self.src.one_in(2) { "==" } else { "!=" };
                if self.src.one_in(3) {
                    E::op(format!("nil {op} {}", o.wrap()), 5)
                } else {
                    E::op(format!("{} {op} nil", o.wrap()), 5)
                }
            }
        }
    }

    fn cmp_op(&mut self) -> &'static str {
        self.src.pick(&["<", "<=", ">", ">=", "==", "!="]).copied().unwrap_or("<")
    }

    // ------------------------------------------------------------------ str

    fn str_leaf(&mut self, max: usize) -> E {
        if self.src.one_in(2) {
            if let Some(e) = self.path_leaf(&Ty::Str, max) {
                return e;
            }
        }
        lits::string(&mut self.src, max.min(16))
    }

    pub fn str_expr(&mut self, d: u32, max: usize) -> E {
        if d == 0 || max < 8 {
            return self.str_leaf(max);
        }
        let d1 = d - 1;
        let generic = if max >= S_MAX { 2 } else { 0 };
        match self.src.weighted(&[5, generic, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1]) {
            0 => self.str_leaf(max),
            1 => self.generic(&Ty::Str, d, Want::free(max)).unwrap_or_else(|| self.str_leaf(max)),
            2 => {
                let a = self.str_expr(d1, max / 2);
                let b = self.str_expr(d1, max - a.bound);
                E::op(format!("{} + {}", a.wrap(), b.wrap()), a.bound + b.bound)
            }
            3 => {
                let t = if max >= CONTAINER_TEXT && self.src.one_in(4) {
                    self.rand_ty(2)
                } else {
                    match self.src.below(5) {
                        0 => Ty::Int,
                        1 => Ty::Float,
                        2 => Ty::Bool,
                        3 => Ty::opt(Ty::Int),
                        _ => Ty::opt(Ty::Str),
                    }
                };
                let bound = t.text_bound(S_MAX);
                if bound > max {
                    return self.str_leaf(max);
                }
                let x = self.expr(&t, d1, Want::free(S_MAX));
                E::atom(format!("str({})", x.text), bound)
            }
            4 => {
                let m = *self.src.pick(&["trim", "upper", "lower"]).unwrap_or(&"trim");
                let s = self.str_expr(d1, max);
                E::atom(format!("{}.{m}()", s.wrap()), s.bound)
            }
            5 => {
                let to = lits::string(&mut self.src, 3);
                let from =
                    if self.src.one_in(4) { lits::string(&mut self.src, 2) } else { lits::separator(&mut self.src) };
                let s = self.str_expr(d1, (max / (to.bound + 1)).saturating_sub(1));
                E::atom(format!("{}.replace({}, {})", s.wrap(), from.text, to.text), (s.bound + 1) * (to.bound + 1))
            }
            6 => {
                let s = self.str_expr(d1, max / 3);
                let n = if self.rare_trap() {
                    self.int_expr(d1).text
                } else if self.src.one_in(2) {
                    self.src.range(0, 3).to_string()
                } else {
                    format!("{} & 3", self.int_expr(d1).wrap())
                };
                E::atom(format!("{}.repeat({n})", s.wrap()), s.bound * 3)
            }
            7 => {
                if max < 340 {
                    let c = self.safe_chr(d1);
                    return E::atom(c, 4);
                }
                let f = self.float_expr(d1);
                let n = if self.rare_trap() {
                    self.int_expr(d1).text
                } else if self.src.one_in(2) {
                    self.src.range(0, 17).to_string()
                } else {
                    format!("{} & 15", self.int_expr(d1).wrap())
                };
                E::atom(format!("fixed({}, {n})", f.text), 340)
            }
            8 => {
                if self.rare_trap() {
                    let i = self.int_expr(d1);
                    return E::atom(format!("chr({})", i.text), 4);
                }
                E::atom(self.safe_chr(d1), 4)
            }
            9 => {
                if max < CONTAINER_TEXT {
                    let s = self.str_expr(d1, max / 2);
                    return E::atom(format!("{}.chars().join(\"\")", s.wrap()), s.bound);
                }
                let xs = self.array_expr(&Ty::Str, d1, Want::free(S_MAX));
                let sep = lits::string(&mut self.src, 2);
                E::atom(format!("{}.join({})", xs.wrap(), sep.text), CONTAINER_TEXT)
            }
            10 => {
                // Slices that cannot trap: of a place, evaluated twice.
                let Some(p) = self.path_leaf(&Ty::Str, max) else {
                    return self.str_leaf(max);
                };
                let t = &p.text;
                let text = match self.src.below(3) {
                    0 => format!("{t}.slice(0, 0)"),
                    1 => format!("{t}.slice(0, {t}.len())"),
                    _ => format!("{t}.slice({t}.len(), {t}.len())"),
                };
                E::atom(text, p.bound)
            }
            _ => {
                if self.rare_trap() {
                    let s = self.str_expr(d1, max);
                    let a = self.src.range(-1, 6);
                    let b = self.src.range(0, 8);
                    return E::atom(format!("{}.slice({a}, {b})", s.wrap()), s.bound);
                }
                let s = self.str_expr(d1, max / 2);
                let sep = lits::separator(&mut self.src);
                E::atom(format!("{}.split({}).join(\"/\")", s.wrap(), sep.text), s.bound * 2)
            }
        }
    }

    // ------------------------------------------------------------------ arrays

    fn array_leaf(&mut self, t: &Ty, w: Want) -> E {
        if self.src.one_in(2) {
            if let Some(e) = self.path_leaf(&Ty::array(t.clone()), S_MAX) {
                return e;
            }
        }
        if w.typed && !self.src.one_in(4) {
            return E::atom("[]".into(), CONTAINER_TEXT);
        }
        let x = self.expr(t, 0, Want { typed: w.typed, max: S_MAX });
        if self.src.one_in(3) {
            E::atom(format!("[{}; 0]", x.text), CONTAINER_TEXT)
        } else {
            E::atom(format!("[{}]", x.text), CONTAINER_TEXT)
        }
    }

    pub fn array_expr(&mut self, t: &Ty, d: u32, w: Want) -> E {
        if d == 0 {
            return self.array_leaf(t, w);
        }
        let d1 = d - 1;
        let ew = Want { typed: w.typed, max: S_MAX };
        let from_str = if matches!(t, Ty::Str | Ty::Int) { 2 } else { 0 };
        let from_map = if t.is_key() { 1 } else { 0 };
        match self.src.weighted(&[3, 3, 4, 2, from_str, from_map + 1, 1]) {
            0 => self.array_leaf(t, w),
            1 => self.generic(&Ty::array(t.clone()), d, w).unwrap_or_else(|| self.array_leaf(t, w)),
            2 => {
                let n = 1 + self.src.below(4);
                let xs: Vec<String> = (0..n).map(|_| self.expr(t, d1, ew).text).collect();
                E::atom(format!("[{}]", xs.join(", ")), CONTAINER_TEXT)
            }
            3 => {
                let x = self.expr(t, d1, ew);
                let n = if self.rare_trap() {
                    self.int_expr(d1).text
                } else if self.src.one_in(2) {
                    self.src.range(0, 8).to_string()
                } else {
                    format!("{} & 7", self.int_expr(d1).wrap())
                };
                E::atom(format!("[{}; {n}]", x.text), CONTAINER_TEXT)
            }
            4 => {
                if *t == Ty::Int {
                    let s = self.str_expr(d1, S_MAX);
                    return E::atom(format!("{}.bytes()", s.wrap()), CONTAINER_TEXT);
                }
                let s = self.str_expr(d1, S_MAX);
                if self.src.one_in(2) {
                    E::atom(format!("{}.chars()", s.wrap()), CONTAINER_TEXT)
                } else {
                    let sep = if self.rare_trap() { E::atom("\"\"".into(), 0) } else { lits::separator(&mut self.src) };
                    E::atom(format!("{}.split({})", s.wrap(), sep.text), CONTAINER_TEXT)
                }
            }
            5 => {
                if t.is_key() && self.src.one_in(2) {
                    let v = self.rand_ty(1);
                    let m = self.map_expr(t, &v, d1, Want::free(S_MAX));
                    E::atom(format!("{}.keys()", m.wrap()), CONTAINER_TEXT)
                } else {
                    let k = self.key_ty();
                    let m = self.map_expr(&k, t, d1, Want::free(S_MAX));
                    E::atom(format!("{}.values()", m.wrap()), CONTAINER_TEXT)
                }
            }
            _ => {
                let Some(p) = self.path_leaf(&Ty::array(t.clone()), S_MAX) else {
                    return self.array_leaf(t, w);
                };
                let p = p.text;
                if self.rare_trap() {
                    let a = self.src.range(-1, 4);
                    let b = self.src.range(0, 6);
                    return E::atom(format!("{p}.slice({a}, {b})"), CONTAINER_TEXT);
                }
                let lo = format!("{} % ({p}.len() + 1)", self.int_expr(d1).wrap());
                let text = match self.src.below(3) {
                    0 => format!("{p}.slice(0, {p}.len())"),
                    1 => format!("{p}.slice({} & 7 % ({p}.len() + 1), {p}.len())", self.int_expr(0).wrap()),
                    _ => format!("{p}.slice(math.abs({lo}), {p}.len())"),
                };
                E::atom(text, CONTAINER_TEXT)
            }
        }
    }

    // ------------------------------------------------------------------ maps

    fn map_leaf(&mut self, k: &Ty, v: &Ty, w: Want) -> E {
        let ty = Ty::map(k.clone(), v.clone());
        if self.src.one_in(2) {
            if let Some(e) = self.path_leaf(&ty, S_MAX) {
                return e;
            }
        }
        if w.typed && !self.src.one_in(4) {
            return E::atom("{}".into(), CONTAINER_TEXT);
        }
        let ew = Want { typed: w.typed, max: S_MAX };
        let a = self.expr(k, 0, ew);
        let b = self.expr(v, 0, ew);
        E::op(format!("{{{}: {}}}", a.text, b.text), CONTAINER_TEXT)
    }

    pub fn map_expr(&mut self, k: &Ty, v: &Ty, d: u32, w: Want) -> E {
        if d == 0 {
            return self.map_leaf(k, v, w);
        }
        let ty = Ty::map(k.clone(), v.clone());
        match self.src.weighted(&[3, 3, 4]) {
            0 => self.map_leaf(k, v, w),
            1 => self.generic(&ty, d, w).unwrap_or_else(|| self.map_leaf(k, v, w)),
            _ => {
                let ew = Want { typed: w.typed, max: S_MAX };
                let n = 1 + self.src.below(3);
                let kv: Vec<String> = (0..n)
                    .map(|_| {
                        let a = self.expr(k, d - 1, ew);
                        let b = self.expr(v, d - 1, ew);
                        format!("{}: {}", a.text, b.text)
                    })
                    .collect();
                E::op(format!("{{{}}}", kv.join(", ")), CONTAINER_TEXT)
            }
        }
    }

    // ------------------------------------------------------------------ optionals

    fn opt_leaf(&mut self, t: &Ty, w: Want) -> E {
        let ty = Ty::opt(t.clone());
        if self.src.one_in(2) {
            if let Some(e) = self.path_leaf(&ty, w.max) {
                return e;
            }
        }
        if w.typed {
            return E::atom("nil".into(), 3);
        }
        // `{0: x}.get(k)`: an optional that names its own type, nil or not.
        let x = self.expr(t, 0, Want::free(S_MAX.min(w.max)));
        let k = if self.src.one_in(2) { 0 } else { 1 };
        E::atom(format!("({{0: {}}}).get({k})", x.text), x.bound.max(3))
    }

    pub fn opt_expr(&mut self, t: &Ty, d: u32, w: Want) -> E {
        if d == 0 {
            return self.opt_leaf(t, w);
        }
        let d1 = d - 1;
        let ty = Ty::opt(t.clone());
        let parse = if matches!(t, Ty::Int | Ty::Float) { 2 } else { 0 };
        let coerce = if w.typed { 3 } else { 0 };
        let max_ok = if *t != Ty::Str || w.max >= S_MAX { 1 } else { 0 };
        match self.src.weighted(&[3, 3 * max_ok, 3 * max_ok, parse, max_ok, coerce]) {
            0 => self.opt_leaf(t, w),
            1 => self.generic(&ty, d, w).unwrap_or_else(|| self.opt_leaf(t, w)),
            2 => {
                // `m.get(k)` on a map whose values are `T` or `T?`.
                let k = self.key_ty();
                let v = if self.src.one_in(4) { ty.clone() } else { t.clone() };
                let m = self.map_expr(&k, &v, d1, Want::free(S_MAX));
                let key = self.expr(&k, d1, Want::STORE);
                E::atom(format!("{}.get({})", m.wrap(), key.text), t.text_bound(S_MAX).max(3))
            }
            3 => {
                let s = self.str_expr(d1, LET_MAX);
                let f = if *t == Ty::Int { "parse_int" } else { "parse_float" };
                E::atom(format!("{f}({})", s.text), 24)
            }
            4 => {
                let k = self.key_ty();
                let mty = Ty::map(k.clone(), t.clone());
                let Some(m) = self.path_leaf(&mty, S_MAX) else {
                    return self.opt_leaf(t, w);
                };
                let key = self.expr(&k, d1, Want::STORE);
                E::atom(format!("{}.remove({})", m.text, key.text), t.text_bound(S_MAX).max(3))
            }
            // The checker coerces `T` into `T?` but passes `T?` down, not `T`: the value
            // must name its own type (no `[]`, `{}` or `nil` inside).
            _ => self.expr(t, d1, Want::free(w.max)),
        }
    }

    // ------------------------------------------------------------------ structs

    pub fn struct_lit(&mut self, s: usize, d: u32) -> E {
        let mut fields = self.structs[s].fields.clone();
        for i in (1..fields.len()).rev() {
            let j = self.src.below(i + 1);
            fields.swap(i, j);
        }
        let inits: Vec<String> =
            fields.iter().map(|(f, t)| format!("{f}: {}", self.expr(t, d, Want::STORE).text)).collect();
        E::op(format!("{} {{ {} }}", self.struct_ref(s), inits.join(", ")), CONTAINER_TEXT)
    }

    pub fn struct_expr(&mut self, s: usize, d: u32) -> E {
        let ty = Ty::Struct(s);
        if d == 0 {
            if self.src.one_in(2) {
                if let Some(e) = self.path_leaf(&ty, S_MAX) {
                    return e;
                }
            }
            return self.struct_lit(s, 0);
        }
        match self.src.weighted(&[3, 3, 2]) {
            0 => self.struct_lit(s, d - 1),
            1 => self.path_leaf(&ty, S_MAX).unwrap_or_else(|| self.struct_lit(s, d - 1)),
            _ => self.generic(&ty, d, Want::free(S_MAX)).unwrap_or_else(|| self.struct_lit(s, d - 1)),
        }
    }

    // ------------------------------------------------------------------ functions

    pub fn fn_expr(&mut self, ps: &[Ty], r: Option<&Ty>, d: u32) -> E {
        let ty = Ty::Fn(ps.to_vec(), r.map(|r| Box::new(r.clone())));
        match self.src.weighted(&[3, 2, 2, if d > 0 { 1 } else { 0 }]) {
            0 => self.closure(ps, r, d),
            1 => self.path_leaf(&ty, S_MAX).unwrap_or_else(|| self.closure(ps, r, d)),
            2 => self.fn_value(ps, r).unwrap_or_else(|| self.closure(ps, r, d)),
            _ => self.generic(&ty, d, Want::free(S_MAX)).unwrap_or_else(|| self.closure(ps, r, d)),
        }
    }

    /// A named function or method as a value, if one has this signature and is cheap.
    fn fn_value(&mut self, ps: &[Ty], r: Option<&Ty>) -> Option<E> {
        let budget = self.closure_budget();
        let mut found = Vec::new();
        for (i, f) in self.funcs.iter().enumerate() {
            if !f.done || f.recursive || !f.cost.within(budget) || f.ret.as_ref() != r {
                continue;
            }
            let text = match f.kind {
                FnKind::Free if f.file == self.file => f.name.clone(),
                FnKind::Free if self.file == crate::program::File::Main => format!("{}.{}", self.alias, f.name),
                FnKind::Method { s, has_self } if self.structs[s].file == self.file => {
                    let mut want = f.params.clone();
                    if has_self {
                        want.insert(0, Ty::Struct(s));
                    }
                    if want == ps {
                        found.push((i, format!("{}.{}", self.structs[s].name, f.name)));
                    }
                    continue;
                }
                _ => continue,
            };
            if f.params == ps {
                found.push((i, text));
            }
        }
        let (_, text) = self.src.pick(&found)?.clone();
        Some(E::atom(text, 24))
    }

    /// A closure literal with this signature; its body sees the immutable locals here.
    pub fn closure(&mut self, ps: &[Ty], r: Option<&Ty>, d: u32) -> E {
        let budget = self.closure_budget();
        self.closure_with(ps, r, d, budget)
    }

    pub fn closure_with(&mut self, ps: &[Ty], r: Option<&Ty>, d: u32, budget: Cost) -> E {
        let cur = self.cur();
        let captured: Vec<_> = cur.locals.iter().filter(|l| !l.mutable).cloned().collect();
        let calls = cur.calls;
        let indent = cur.indent + 1;
        let deep = self.fx.len() >= 4;
        let stmts = if d == 0 || deep { 0 } else { self.src.below(4) as u32 };
        let mut fx = Fx::new(FxKind::Closure, budget, r.cloned(), indent, stmts);
        fx.calls = calls;
        fx.locals = captured;
        self.fx.push(fx);
        let mut sig = Vec::new();
        for t in ps {
            let p = self.fresh("a");
            sig.push(format!("{p}: {}", self.ty_text(t)));
            self.declare(&p, t.clone(), false, S_MAX);
        }
        self.stmts(stmts as usize);
        if let Some(r) = r {
            let e = self.expr(r, d.min(2), Want::STORE);
            self.line(format!("return {};", e.text));
        }
        let fx = self.fx.pop().expect("closure context");
        let ret = match r {
            Some(r) => format!(" -> {}", self.ty_text(r)),
            None => String::new(),
        };
        let pad = "    ".repeat(indent - 1);
        let text = if fx.lines.is_empty() {
            format!("fn({}){ret} {{}}", sig.join(", "))
        } else {
            format!("fn({}){ret} {{\n{}\n{pad}}}", sig.join(", "), fx.lines.join("\n"))
        };
        E::op(text, 24)
    }

    /// A comparator for `sort_by`: no calls, no loops, no output.
    pub fn comparator(&mut self, t: &Ty) -> E {
        let ps = vec![t.clone(), t.clone()];
        if matches!(t, Ty::Int | Ty::Float | Ty::Str) && self.src.one_in(2) {
            let (a, b) = (self.fresh("a"), self.fresh("b"));
            let tt = self.ty_text(t);
            let indent = self.cur().indent + 1;
            let pad = "    ".repeat(indent);
            let end = "    ".repeat(indent - 1);
            let (x, y) = if self.src.one_in(2) { (&a, &b) } else { (&b, &a) };
            return E::op(
                format!(
                    "fn({a}: {tt}, {b}: {tt}) -> int {{\n{pad}if {x} < {y} {{\n{pad}    return -1;\n{pad}}}\n{pad}if {x} > {y} {{\n{pad}    return 1;\n{pad}}}\n{pad}return 0;\n{end}}}"
                ),
                24,
            );
        }
        let saved = self.cur().calls;
        self.cur_mut().calls = false;
        let e = self.closure_with(&ps, Some(&Ty::Int), 2, CMP_BUDGET);
        self.cur_mut().calls = saved;
        e
    }

    // ------------------------------------------------------------------ generic forms

    /// A form every type has: a place, a call, `??`, a struct field, or (rarely) an
    /// unguarded unwrap or index. `None` if the chosen form is not available here.
    pub fn generic(&mut self, ty: &Ty, d: u32, w: Want) -> Option<E> {
        let d1 = d.saturating_sub(1);
        let str_ok = *ty != Ty::Str || w.max >= S_MAX;
        let calls = self.cur().calls && str_ok;
        let opt_ok = ty.can_be_optional() && d > 0;
        match self.src.weighted(&[
            4,
            if calls { 4 } else { 0 },
            if calls { 2 } else { 0 },
            if opt_ok { 2 } else { 0 },
            if str_ok { 2 } else { 0 },
            if calls { 2 } else { 0 },
            if self.hazard && str_ok { 1 } else { 0 },
        ]) {
            0 => self.path_leaf(ty, w.max),
            1 => self.user_call(ty, d1),
            2 => self.value_call(ty, d1),
            3 => {
                let o = self.opt_expr(ty, d1, Want::free(w.max));
                let e = self.expr(ty, d1, Want::typed(w.max));
                let bound = o.bound.max(e.bound);
                // `??` is the loosest operator: both sides are wrapped unless atoms.
                Some(E::op(format!("{} ?? {}", o.wrap(), e.wrap()), bound))
            }
            4 => self.field_of(ty, d1),
            5 => self.method_call(ty, d1),
            _ => {
                if !self.rare_trap() {
                    return None;
                }
                match self.src.below(3) {
                    0 if ty.can_be_optional() => {
                        let o = self.opt_expr(ty, d1, Want::free(w.max));
                        Some(E::atom(format!("{}!", o.wrap()), o.bound))
                    }
                    1 => {
                        let xs = self.array_expr(ty, d1, Want::free(S_MAX));
                        let i = self.int_expr(d1);
                        Some(E::atom(format!("{}[{}]", xs.wrap(), i.text), ty.text_bound(S_MAX)))
                    }
                    _ => {
                        let k = self.key_ty();
                        let m = self.map_expr(&k, ty, d1, Want::free(S_MAX));
                        let key = self.expr(&k, d1, Want::STORE);
                        Some(E::atom(format!("{}[{}]", m.wrap(), key.text), ty.text_bound(S_MAX)))
                    }
                }
            }
        }
    }

    /// `(struct value).field` for a struct with a field of this type.
    fn field_of(&mut self, ty: &Ty, d: u32) -> Option<E> {
        let mut found = Vec::new();
        for s in self.visible_structs() {
            for (f, t) in &self.structs[s].fields {
                if t == ty {
                    found.push((s, f.clone()));
                }
            }
        }
        let (s, f) = self.src.pick(&found)?.clone();
        let v = self.struct_expr(s, d);
        Some(E::atom(format!("{}.{f}", v.wrap()), ty.text_bound(S_MAX)))
    }

    /// Functions callable here as `f(...)`, `alias.f(...)` or `S.f(...)` returning `ty`.
    fn callable(&self, ty: &Ty, with_self: bool) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, f) in self.funcs.iter().enumerate() {
            if !f.done || f.ret.as_ref() != Some(ty) || !self.fits(f.cost) {
                continue;
            }
            let ok = match f.kind {
                FnKind::Free => !with_self && (f.file == self.file || self.file == crate::program::File::Main),
                FnKind::Method { s, has_self: false } => !with_self && self.structs[s].file == self.file,
                FnKind::Method { s, has_self: true } => with_self && self.struct_visible(s),
            };
            if ok {
                out.push(i);
            }
        }
        out
    }

    /// Arguments for function `i` (a small literal depth first for a recursive one).
    fn call_args(&mut self, i: usize, d: u32) -> String {
        let f = self.funcs[i].clone();
        let mut args = Vec::new();
        for (n, t) in f.params.iter().enumerate() {
            if f.recursive && n == 0 {
                args.push(self.src.range(0, MAX_REC_DEPTH).to_string());
            } else {
                args.push(self.expr(t, d, Want::STORE).text);
            }
        }
        args.join(", ")
    }

    /// A call of a named function (or static method) returning `ty`.
    fn user_call(&mut self, ty: &Ty, d: u32) -> Option<E> {
        let fs = self.callable(ty, false);
        let &i = self.src.pick(&fs)?;
        Some(self.call_text(i, d))
    }

    /// The text of a call of function `i` (charged to the current function).
    pub fn call_text(&mut self, i: usize, d: u32) -> E {
        let f = self.funcs[i].clone();
        self.force_charge(f.cost.plus(Cost::new(1, 0)));
        let args = self.call_args(i, d);
        let callee = match f.kind {
            FnKind::Free if f.file == self.file => f.name.clone(),
            FnKind::Free => format!("{}.{}", self.alias, f.name),
            FnKind::Method { s, .. } => format!("{}.{}", self.structs[s].name, f.name),
        };
        let bound = f.ret.as_ref().map_or(0, |t| t.text_bound(S_MAX));
        E::atom(format!("{callee}({args})"), bound)
    }

    /// `receiver.method(...)` returning `ty`.
    fn method_call(&mut self, ty: &Ty, d: u32) -> Option<E> {
        let fs = self.callable(ty, true);
        let &i = self.src.pick(&fs)?;
        Some(self.method_text(i, d))
    }

    pub fn method_text(&mut self, i: usize, d: u32) -> E {
        let f = self.funcs[i].clone();
        let FnKind::Method { s, .. } = f.kind else {
            return self.call_text(i, d);
        };
        self.force_charge(f.cost.plus(Cost::new(1, 0)));
        let recv = self.struct_expr(s, d);
        let args = self.call_args(i, d);
        let bound = f.ret.as_ref().map_or(0, |t| t.text_bound(S_MAX));
        E::atom(format!("{}.{}({args})", recv.wrap(), f.name), bound)
    }

    /// A call of a function value (a place of function type, or a closure called where
    /// it is written) returning `ty`.
    fn value_call(&mut self, ty: &Ty, d: u32) -> Option<E> {
        let cost = self.closure_budget().plus(Cost::new(1, 0));
        if !self.fits(cost) {
            return None;
        }
        let fns = self.fn_paths(Some(ty));
        let (callee, ps) = if !fns.is_empty() && !self.src.one_in(4) {
            self.src.pick(&fns)?.clone()
        } else {
            let n = self.src.below(3);
            let ps: Vec<Ty> = (0..n).map(|_| self.rand_ty(1)).collect();
            let c = self.closure(&ps, Some(ty), d);
            (c.wrap(), ps)
        };
        self.force_charge(cost);
        let args: Vec<String> = ps.iter().map(|t| self.expr(t, d, Want::STORE).text).collect();
        Some(E::atom(format!("{callee}({})", args.join(", ")), ty.text_bound(S_MAX)))
    }
}

impl Gen<'_, '_> {
    /// Places holding a function that can be called as `place(...)`, with its parameter
    /// types; `ret`: only those returning that type (`None`: any).
    pub fn fn_paths(&self, ret: Option<&Ty>) -> Vec<(String, Vec<Ty>)> {
        // `alias.G(...)` is read as a call of a module function, not of the global `G`.
        let module_global = |p: &str| {
            !self.alias.is_empty()
                && p.strip_prefix(&self.alias).and_then(|r| r.strip_prefix('.')).is_some_and(|r| !r.contains('.'))
        };
        self.paths()
            .into_iter()
            .filter_map(|p| match &p.ty {
                Ty::Fn(ps, r) if !module_global(&p.text) && ret.is_none_or(|t| r.as_deref() == Some(t)) => {
                    Some((p.text.clone(), ps.clone()))
                }
                _ => None,
            })
            .collect()
    }
}
