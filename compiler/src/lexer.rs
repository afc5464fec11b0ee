//! The Kite lexer: source text to tokens with byte spans.
//!
//! Built on `logos`; string literals, numbers and nested block comments are scanned
//! by hand in callbacks so that their errors can point at the exact bad part.
//! [`Lexer`] yields `Result<(usize, Tok, usize), LexError>`, the shape of
//! lalrpop's external-lexer interface; [`tokenize`] collects every token and
//! every error of a file at once.

use crate::ast::Span;
use crate::diagnostic::Diagnostic;
use crate::lower::limits::{MAX_IDENT, MAX_STRING};
use logos::Logos;
use std::fmt;

/// A token with its byte offsets, as lalrpop wants it: `(lo, token, hi)`.
pub type Spanned<'a> = (usize, Tok<'a>, usize);

/// A lexical error (also used for the few errors the grammar's actions report).
///
/// `Default` is what `logos` produces when no token pattern matches; [`Lexer`]
/// replaces it with an `invalid character` error before handing it out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LexError {
    /// The bytes the error is about.
    pub span: Span,
    /// One-line message, e.g. `invalid escape '\q'`.
    pub message: String,
    /// Optional suggestion shown under the caret line.
    pub hint: Option<String>,
}

impl LexError {
    /// An error covering `lo..hi`.
    pub fn new(lo: usize, hi: usize, message: impl Into<String>) -> LexError {
        LexError { span: Span::new(lo, hi), message: message.into(), hint: None }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> LexError {
        self.hint = Some(hint.into());
        self
    }

    /// Converts into a compile diagnostic.
    pub fn into_diagnostic(self) -> Diagnostic {
        let d = Diagnostic::new(self.span, self.message);
        match self.hint {
            Some(h) => d.with_hint(h),
            None => d,
        }
    }
}

/// A Kite token. Whitespace and comments never appear.
///
/// Keyword and punctuation variants are named after their text (see
/// [`Tok::fixed_text`]); `Trivia`, `BlockComment` and `Number` are never produced.
#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(error = LexError)]
pub enum Tok<'a> {
    /// Whitespace and `//` comments (skipped, never produced). `Lexer::next` skips them
    /// itself, in a loop, before each token: the generated lexer skips a match by calling
    /// itself again, so thousands of comment lines in a row nested that deep and overflowed
    /// the stack of an unoptimized build. These rules catch what follows a block comment.
    #[regex(r"[ \t\r\n\f]+", logos::skip)]
    #[regex(r"//[^\n]*", logos::skip, allow_greedy = true)]
    Trivia,
    /// A `/* */` comment (skipped, never produced).
    #[token("/*", block_comment)]
    BlockComment,

    /// `[A-Za-z_][A-Za-z0-9_]*` that is not a keyword.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", ident)]
    Ident(&'a str),
    /// An integer literal's value.
    Int(u64),
    /// A float literal's value.
    Float(f64),
    /// A string literal's value, escapes resolved.
    #[token("\"", lex_string)]
    Str(String),
    /// Starts a number; the callback turns it into [`Tok::Int`] or [`Tok::Float`].
    #[regex(r"[0-9]", lex_number)]
    Number,

    #[token("fn")]
    Fn,
    #[token("let")]
    Let,
    #[token("var")]
    Var,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("while")]
    While,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("break")]
    Break,
    #[token("continue")]
    Continue,
    #[token("return")]
    Return,
    #[token("struct")]
    Struct,
    #[token("impl")]
    Impl,
    #[token("self")]
    SelfKw,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("nil")]
    Nil,
    #[token("import")]
    Import,
    #[token("as")]
    As,
    #[token("extern")]
    Extern,

    #[token("??")]
    QuestionQuestion,
    #[token("?")]
    Question,
    #[token("!")]
    Bang,
    #[token("!=")]
    Ne,
    #[token("==")]
    EqEq,
    #[token("=")]
    Eq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("<<=")]
    ShlEq,
    #[token(">>=")]
    ShrEq,
    #[token("+=")]
    PlusEq,
    #[token("-=")]
    MinusEq,
    #[token("*=")]
    StarEq,
    #[token("/=")]
    SlashEq,
    #[token("%=")]
    PercentEq,
    #[token("&=")]
    AmpEq,
    #[token("|=")]
    PipeEq,
    #[token("^=")]
    CaretEq,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    #[token("&&")]
    AndAnd,
    #[token("||")]
    OrOr,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("..=")]
    DotDotEq,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("->")]
    Arrow,
    /// What the lexer could not read (never produced by the lexer itself: the parser puts
    /// one where the lexer reported an error, so that parsing goes on).
    Invalid,
}

impl fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(s) => f.write_str(s),
            Tok::Int(v) => write!(f, "{v}"),
            Tok::Float(v) => write!(f, "{v:?}"),
            Tok::Str(s) => write!(f, "{s:?}"),
            other => f.write_str(other.fixed_text()),
        }
    }
}

impl Tok<'_> {
    /// The source text of a keyword or punctuation token (empty for the others).
    pub fn fixed_text(&self) -> &'static str {
        use Tok::*;
        match self {
            Trivia | BlockComment | Ident(_) | Int(_) | Float(_) | Str(_) | Number | Invalid => "",
            Fn => "fn",
            Let => "let",
            Var => "var",
            If => "if",
            Else => "else",
            While => "while",
            For => "for",
            In => "in",
            Break => "break",
            Continue => "continue",
            Return => "return",
            Struct => "struct",
            Impl => "impl",
            SelfKw => "self",
            True => "true",
            False => "false",
            Nil => "nil",
            Import => "import",
            As => "as",
            Extern => "extern",
            QuestionQuestion => "??",
            Question => "?",
            Bang => "!",
            Ne => "!=",
            EqEq => "==",
            Eq => "=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Shl => "<<",
            Shr => ">>",
            ShlEq => "<<=",
            ShrEq => ">>=",
            PlusEq => "+=",
            MinusEq => "-=",
            StarEq => "*=",
            SlashEq => "/=",
            PercentEq => "%=",
            AmpEq => "&=",
            PipeEq => "|=",
            CaretEq => "^=",
            Amp => "&",
            Pipe => "|",
            Caret => "^",
            Tilde => "~",
            AndAnd => "&&",
            OrOr => "||",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            Dot => ".",
            DotDot => "..",
            DotDotEq => "..=",
            Comma => ",",
            Semi => ";",
            Colon => ":",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            LBrace => "{",
            RBrace => "}",
            Arrow => "->",
        }
    }
}

type LogosLexer<'a> = logos::Lexer<'a, Tok<'a>>;

/// An identifier, at most [`MAX_IDENT`] bytes long.
fn ident<'a>(lex: &mut LogosLexer<'a>) -> Result<&'a str, LexError> {
    let text = lex.slice();
    if text.len() > MAX_IDENT {
        let span = lex.span();
        return Err(LexError::new(
            span.start,
            span.end,
            format!("identifier is too long: {} bytes, more than the limit of {MAX_IDENT}", text.len()),
        ));
    }
    Ok(text)
}

/// Skips a `/* ... */` comment, counting nested `/*` `*/` pairs.
fn block_comment(lex: &mut LogosLexer<'_>) -> Result<logos::Skip, LexError> {
    let start = lex.span().start;
    let rest = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while i < rest.len() {
        match (rest[i], rest.get(i + 1)) {
            (b'/', Some(b'*')) => {
                depth += 1;
                i += 2;
            }
            (b'*', Some(b'/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    lex.bump(i);
                    return Ok(logos::Skip);
                }
            }
            _ => i += 1,
        }
    }
    lex.bump(rest.len());
    Err(LexError::new(start, start + 2, "unterminated block comment")
        .with_hint("block comments nest: every `/*` needs its own `*/`"))
}

/// Scans a string literal after its opening quote.
fn lex_string(lex: &mut LogosLexer<'_>) -> Result<String, LexError> {
    let quote = lex.span().start;
    let (consumed, result) = scan_string(lex.remainder(), quote);
    lex.bump(consumed);
    result
}

/// Scans the body of a string literal whose opening quote is at `quote`; `rest` is
/// the text after that quote. Returns the bytes consumed (through the closing quote,
/// or up to the end of the line when unterminated) and the value or the first error.
/// A value longer than [`MAX_STRING`] bytes is an error (and is not built past that).
fn scan_string(rest: &str, quote: usize) -> (usize, Result<String, LexError>) {
    let base = quote + 1;
    let bytes = rest.as_bytes();
    let mut value = String::new();
    // Bytes of the value, counted on past the limit.
    let mut len = 0usize;
    let mut error: Option<LexError> = None;
    let mut i = 0;
    loop {
        // A run of plain characters, copied at once.
        let run = bytes[i..].iter().position(|&b| matches!(b, b'"' | b'\\' | b'\n')).map_or(bytes.len(), |p| i + p);
        push_capped(&mut value, &mut len, &rest[i..run]);
        i = run;
        match bytes.get(i) {
            Some(b'"') => {
                if len > MAX_STRING && error.is_none() {
                    error = Some(LexError::new(
                        quote,
                        base + i + 1,
                        format!("string literal is too long: {len} bytes, more than the limit of {MAX_STRING}"),
                    ));
                }
                return (i + 1, error.map_or(Ok(value), Err));
            }
            Some(b'\\') => {
                let j = i + 1;
                let Some(e) = rest[j..].chars().next().filter(|&e| e != '\n') else {
                    break;
                };
                let (next, escaped) = match e {
                    'u' => scan_unicode_escape(rest, base, i, j + 1),
                    _ => (
                        j + e.len_utf8(),
                        simple_escape(e).ok_or_else(|| invalid_escape(base + i, base + j + e.len_utf8(), e)),
                    ),
                };
                i = next;
                match escaped {
                    Ok(ch) => push_capped(&mut value, &mut len, ch.encode_utf8(&mut [0; 4])),
                    Err(err) => {
                        error.get_or_insert(err);
                    }
                }
            }
            _ => break,
        }
    }
    let end = rest.find('\n').unwrap_or(rest.len());
    let err = LexError::new(quote, base + end, "unterminated string")
        .with_hint("close the string with `\"` on the same line");
    (end, Err(err))
}

/// Appends `s` to a string literal's value unless that would pass [`MAX_STRING`];
/// counts its bytes in `len` either way.
fn push_capped(value: &mut String, len: &mut usize, s: &str) {
    *len = len.saturating_add(s.len());
    if *len <= MAX_STRING {
        value.push_str(s);
    } else {
        *value = String::new();
    }
}

/// The value of a one-character escape such as `\n`.
fn simple_escape(c: char) -> Option<char> {
    Some(match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        '\\' => '\\',
        '"' => '"',
        '0' => '\0',
        _ => return None,
    })
}

fn invalid_escape(lo: usize, hi: usize, c: char) -> LexError {
    LexError::new(lo, hi, format!("invalid escape '\\{}'", c.escape_debug()))
        .with_hint("valid escapes are \\n \\t \\r \\\\ \\\" \\0 and \\u{...}")
}

/// Scans `{HEX}` after `\u`. `backslash` is the offset of `\` and `after_u` the offset
/// after `u`, both relative to `rest` (which starts at source offset `base`). Returns
/// where scanning goes on, and the character or the error.
fn scan_unicode_escape(rest: &str, base: usize, backslash: usize, after_u: usize) -> (usize, Result<char, LexError>) {
    let bad = |hi: usize| {
        let text = rest.get(backslash..hi).unwrap_or("\\u");
        LexError::new(base + backslash, base + hi, format!("invalid unicode escape '{text}'"))
            .with_hint("write \\u{...} with 1 to 6 hex digits naming a Unicode scalar value")
    };
    let b = rest.as_bytes();
    if b.get(after_u) != Some(&b'{') {
        return (after_u, Err(bad(after_u)));
    }
    let digits_start = after_u + 1;
    let mut end = digits_start;
    while b.get(end).is_some_and(u8::is_ascii_hexdigit) {
        end += 1;
    }
    if b.get(end) != Some(&b'}') {
        return (end, Err(bad(end)));
    }
    let digits = &rest[digits_start..end];
    let value = if (1..=6).contains(&digits.len()) {
        u32::from_str_radix(digits, 16).ok().and_then(char::from_u32)
    } else {
        None
    };
    (end + 1, value.ok_or_else(|| bad(end + 1)))
}

/// Scans a number literal whose first digit was just matched.
fn lex_number<'a>(lex: &mut LogosLexer<'a>) -> Result<Tok<'a>, LexError> {
    let span = lex.span();
    let (end, result) = scan_number(lex.source().as_bytes(), span.start);
    lex.bump(end - span.end);
    result
}

fn is_ident_continue(b: Option<&u8>) -> bool {
    matches!(b, Some(b) if b.is_ascii_alphanumeric() || *b == b'_')
}

/// Scans a number starting at `start` (a digit). Returns its end and its token or error.
fn scan_number(src: &[u8], start: usize) -> (usize, Result<Tok<'static>, LexError>) {
    let radix = match (src.get(start), src.get(start + 1)) {
        (Some(b'0'), Some(b'x')) => 16,
        (Some(b'0'), Some(b'b')) => 2,
        _ => return scan_decimal(src, start),
    };
    let digits_start = start + 2;
    let mut i = digits_start;
    while matches!(src.get(i), Some(&b) if b == b'_' || (b as char).is_digit(radix)) {
        i += 1;
    }
    let digits: String = src[digits_start..i].iter().filter(|&&b| b != b'_').map(|&b| b as char).collect();
    if digits.is_empty() || is_ident_continue(src.get(i)) {
        return invalid_number(src, start, i);
    }
    (i, parse_int(&digits, radix, start, i))
}

fn skip_digits(src: &[u8], mut i: usize) -> usize {
    while matches!(src.get(i), Some(b) if b.is_ascii_digit() || *b == b'_') {
        i += 1;
    }
    i
}

/// Scans a decimal integer or a float.
fn scan_decimal(src: &[u8], start: usize) -> (usize, Result<Tok<'static>, LexError>) {
    let mut i = skip_digits(src, start);
    let mut is_float = false;
    if src.get(i) == Some(&b'.') {
        match src.get(i + 1) {
            Some(b) if b.is_ascii_digit() => {
                i = skip_digits(src, i + 1);
                is_float = true;
            }
            Some(b'.') => {}
            _ => {
                let (end, err) = invalid_number(src, start, i + 1);
                let text = String::from_utf8_lossy(&src[start..i]);
                return (
                    end,
                    err.map_err(|e| e.with_hint(format!("a float needs digits after the '.': write {text}.0"))),
                );
            }
        }
    }
    if matches!(src.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(src.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if !matches!(src.get(j), Some(b) if b.is_ascii_digit()) {
            return invalid_number(src, start, j);
        }
        i = skip_digits(src, j);
        is_float = true;
    }
    if is_ident_continue(src.get(i)) {
        return invalid_number(src, start, i);
    }
    let text: String = src[start..i].iter().filter(|&&b| b != b'_').map(|&b| b as char).collect();
    let tok = if is_float { parse_float(&text, start, i) } else { parse_int(&text, 10, start, i) };
    (i, tok)
}

/// An `invalid number literal` error covering `start..end` plus any letters or
/// digits glued to it.
fn invalid_number(src: &[u8], start: usize, mut end: usize) -> (usize, Result<Tok<'static>, LexError>) {
    while is_ident_continue(src.get(end)) {
        end += 1;
    }
    (end, Err(LexError::new(start, end, "invalid number literal")))
}

fn parse_int(digits: &str, radix: u32, lo: usize, hi: usize) -> Result<Tok<'static>, LexError> {
    u64::from_str_radix(digits, radix).map(Tok::Int).map_err(|_| {
        LexError::new(lo, hi, "integer literal out of range")
            .with_hint("integers are 64-bit: the largest is 9223372036854775807")
    })
}

fn parse_float(text: &str, lo: usize, hi: usize) -> Result<Tok<'static>, LexError> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Tok::Float(v)),
        Ok(_) => Err(LexError::new(lo, hi, "float literal out of range")),
        Err(_) => Err(LexError::new(lo, hi, "invalid number literal")),
    }
}

/// Iterator over the tokens of a source text, in lalrpop's external-lexer shape.
pub struct Lexer<'a> {
    inner: logos::SpannedIter<'a, Tok<'a>>,
    src: &'a str,
}

impl<'a> Lexer<'a> {
    /// A lexer over `src`.
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer { inner: Tok::lexer(src).spanned(), src }
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Result<Spanned<'a>, LexError>;

    fn next(&mut self) -> Option<Self::Item> {
        let n = trivia_len(self.inner.remainder().as_bytes());
        self.inner.bump(n);
        let (result, range) = self.inner.next()?;
        Some(match result {
            Ok(tok) => Ok((range.start, tok, range.end)),
            Err(e) if e.message.is_empty() => Err(invalid_character(self.src, range.start)),
            Err(e) => Err(e),
        })
    }
}

/// How many bytes of whitespace and `//` comments `s` starts with.
fn trivia_len(s: &[u8]) -> usize {
    let mut i = 0;
    loop {
        match s.get(i) {
            Some(b' ' | b'\t' | b'\r' | b'\n' | 0x0c) => i += 1,
            Some(b'/') if s.get(i + 1) == Some(&b'/') => {
                i += s[i..].iter().position(|&b| b == b'\n').unwrap_or(s.len() - i);
            }
            _ => return i,
        }
    }
}

/// The `invalid character` error for the character at byte `at`.
fn invalid_character(src: &str, at: usize) -> LexError {
    let c = src.get(at..).and_then(|s| s.chars().next()).unwrap_or('\u{FFFD}');
    LexError::new(at, at + c.len_utf8(), format!("invalid character '{}'", c.escape_debug()))
}

/// Lexes a whole file: every token, and every lexical error.
pub fn tokenize(src: &str) -> (Vec<Spanned<'_>>, Vec<LexError>) {
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    for item in Lexer::new(src) {
        match item {
            Ok(t) => tokens.push(t),
            Err(e) => errors.push(e),
        }
    }
    (tokens, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok<'_>> {
        let (t, e) = tokenize(src);
        assert!(e.is_empty(), "unexpected errors for {src:?}: {e:?}");
        t.into_iter().map(|(_, t, _)| t).collect()
    }

    fn errs(src: &str) -> Vec<(String, usize, usize)> {
        tokenize(src).1.into_iter().map(|e| (e.message, e.span.lo as usize, e.span.hi as usize)).collect()
    }

    #[test]
    fn operators_use_longest_match() {
        use Tok::*;
        assert_eq!(
            toks("?? ? != ! <<= << <= >>= .. ..= . -> && & ||"),
            vec![
                QuestionQuestion,
                Question,
                Ne,
                Bang,
                ShlEq,
                Shl,
                Le,
                ShrEq,
                DotDot,
                DotDotEq,
                Dot,
                Arrow,
                AndAnd,
                Amp,
                OrOr
            ]
        );
        assert_eq!(toks("x!=y"), vec![Ident("x"), Ne, Ident("y")]);
        assert_eq!(toks("fnx fn _a"), vec![Ident("fnx"), Fn, Ident("_a")]);
    }

    #[test]
    fn numbers() {
        use Tok::*;
        assert_eq!(toks("42 1_000 0xff 0b1010"), vec![Int(42), Int(1000), Int(255), Int(10)]);
        assert_eq!(toks("1.0 1e9 2.5e-3 4.8e+00"), vec![Float(1.0), Float(1e9), Float(2.5e-3), Float(4.8)]);
        assert_eq!(toks("1..5"), vec![Int(1), DotDot, Int(5)]);
        assert_eq!(toks("0..=n"), vec![Int(0), DotDotEq, Ident("n")]);
        assert_eq!(toks("18446744073709551615"), vec![Int(u64::MAX)]);
        assert_eq!(toks("9223372036854775808"), vec![Int(1 << 63)]);
    }

    #[test]
    fn bad_numbers() {
        let m = |s| errs(s).into_iter().map(|e| e.0).collect::<Vec<_>>();
        assert_eq!(errs("18446744073709551616"), vec![("integer literal out of range".into(), 0, 20)]);
        assert_eq!(m("0x1_0000_0000_0000_0000"), vec!["integer literal out of range"]);
        assert_eq!(errs("x = 5. ;"), vec![("invalid number literal".into(), 4, 6)]);
        for bad in ["5.", "1e", "1e+", "0x", "0b", "0b102", "12ab", "1.5f", "1.e5", "0xg"] {
            assert_eq!(m(bad), vec!["invalid number literal"], "{bad}");
        }
        // `.5` is a `.` then `5`; the parser rejects it.
        assert_eq!(toks(".5"), vec![Tok::Dot, Tok::Int(5)]);
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(toks(r#""a\n\t\r\\\"\0\u{1F600}b""#), vec![Tok::Str("a\n\t\r\\\"\0\u{1F600}b".into())]);
        assert_eq!(toks(r#""""#), vec![Tok::Str(String::new())]);
        assert_eq!(toks("\"héllo\""), vec![Tok::Str("héllo".into())]);
    }

    #[test]
    fn string_errors_point_at_the_bad_part() {
        assert_eq!(errs(r#"x = "ab\qc";"#), vec![("invalid escape '\\q'".into(), 7, 9)]);
        assert_eq!(errs("\"abc"), vec![("unterminated string".into(), 0, 4)]);
        assert_eq!(errs("\"abc\nlet"), vec![("unterminated string".into(), 0, 4)]);
        assert_eq!(errs("\"abc\\"), vec![("unterminated string".into(), 0, 5)]);
        assert_eq!(errs(r#""\u{D800}""#), vec![("invalid unicode escape '\\u{D800}'".into(), 1, 9)]);
        assert_eq!(errs(r#""\u{110000}""#)[0].0, "invalid unicode escape '\\u{110000}'");
        assert_eq!(errs(r#""\u{}""#)[0].0, "invalid unicode escape '\\u{}'");
        assert_eq!(errs(r#""\u{1234567}""#)[0].0, "invalid unicode escape '\\u{1234567}'");
        assert_eq!(errs(r#""\u41""#), vec![("invalid unicode escape '\\u'".into(), 1, 3)]);
        assert_eq!(errs(r#""\u{41""#), vec![("invalid unicode escape '\\u{41'".into(), 1, 6)]);
        // After a bad escape the lexer resumes after the string.
        let (t, e) = tokenize(r#""\q" 1 "\w""#);
        assert_eq!(e.len(), 2);
        assert_eq!(t.into_iter().map(|t| t.1).collect::<Vec<_>>(), vec![Tok::Int(1)]);
    }

    #[test]
    fn comments_nest() {
        assert_eq!(toks("a /* x /* y */ z */ b // c\nd"), vec![Tok::Ident("a"), Tok::Ident("b"), Tok::Ident("d")]);
        assert_eq!(errs("a /* /* */"), vec![("unterminated block comment".into(), 2, 4)]);
    }

    #[test]
    fn invalid_characters() {
        assert_eq!(errs("a @ b"), vec![("invalid character '@'".into(), 2, 3)]);
        assert_eq!(errs("é"), vec![("invalid character 'é'".into(), 0, 2)]);
        assert_eq!(errs("'"), vec![("invalid character '\\''".into(), 0, 1)]);
    }
}
