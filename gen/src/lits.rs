//! Literals: integers (edge values, hex, binary, underscores), floats (shortest text of
//! finite values, subnormals, extremes) and strings (ASCII, escapes, multi-byte UTF-8).

use crate::expr::E;
use crate::source::Src;

/// Integers around the places where arithmetic, immediates and constants change form.
const EDGE_INTS: &[i64] = &[
    -1,
    1,
    2,
    3,
    7,
    8,
    63,
    64,
    65,
    -63,
    -64,
    -65,
    255,
    256,
    32767,
    32768,
    -32768,
    -32769,
    65535,
    2147483647,
    2147483648,
    -2147483648,
    -2147483649,
    4294967296,
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    i64::MIN + 1,
    1 << 62,
];

/// An integer literal.
pub(crate) fn int(src: &mut Src) -> E {
    match src.weighted(&[8, 4, 3, 1, 1, 1, 1]) {
        0 => int_text(src.range(0, 9)),
        1 => int_text(src.range(-1000, 1000)),
        2 => {
            let v = *src.pick(EDGE_INTS).unwrap_or(&0);
            int_text(v)
        }
        3 => {
            let v = if src.one_in(3) { src.bits() >> 1 } else { src.range(0, 0xffff) as u64 };
            E::atom(format!("{v:#x}"), 20)
        }
        4 => E::atom(format!("{:#b}", src.range(0, 1 << 12)), 20),
        5 => {
            let v = src.range(1000, 999_999_999);
            E::atom(underscored(v), 20)
        }
        _ => int_text(src.bits() as i64),
    }
}

/// The text of `v` (`math.MIN_INT` for the one value without a literal).
pub(crate) fn int_text(v: i64) -> E {
    if v == i64::MIN {
        E::atom("math.MIN_INT".into(), 20)
    } else if v < 0 {
        E::op(format!("-{}", v.unsigned_abs()), 20)
    } else {
        E::atom(v.to_string(), 20)
    }
}

fn underscored(v: i64) -> String {
    let digits = v.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}

const FLOATS: &[f64] = &[
    0.0,
    1.0,
    0.5,
    2.5,
    0.1,
    0.2,
    0.3,
    3.0,
    10.0,
    100.0,
    1e16,
    1e15,
    123.456,
    1e300,
    1e-300,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    1.5e-7,
    9007199254740993.0,
    0.000123,
    6.02214076e23,
];

/// A float literal (finite, with the shortest text that reads back to it).
pub(crate) fn float(src: &mut Src) -> E {
    let v = match src.weighted(&[6, 4, 2, 1]) {
        0 => src.range(0, 20) as f64 / 2.0,
        1 => *src.pick(FLOATS).unwrap_or(&0.0),
        2 => src.range(-100_000, 100_000) as f64 / 64.0,
        _ => {
            let x = f64::from_bits(src.bits());
            if x.is_finite() {
                x
            } else {
                1.25
            }
        }
    };
    float_text(v)
}

/// The text of a finite float: Rust's shortest round-trip form always has a `.` or an
/// exponent, which is also a Kite float literal.
pub(crate) fn float_text(v: f64) -> E {
    let t = format!("{:?}", v.abs());
    if v.is_sign_negative() {
        E::op(format!("-{t}"), 24)
    } else {
        E::atom(t, 24)
    }
}

/// Pieces of string content: (content, how it is written in a Kite literal).
const PIECES: &[(&str, &str)] = &[
    ("a", "a"),
    ("b", "b"),
    ("ab", "ab"),
    ("kite", "kite"),
    ("x,y", "x,y"),
    ("a,b,c", "a,b,c"),
    (" ", " "),
    ("  pad  ", "  pad  "),
    ("Hello", "Hello"),
    ("Zz", "Zz"),
    ("-", "-"),
    ("42", "42"),
    ("-7", "-7"),
    ("+3", "+3"),
    ("3.5", "3.5"),
    ("1e3", "1e3"),
    ("0", "0"),
    (";", ";"),
    ("nan", "nan"),
    ("inf", "inf"),
    ("é", "é"),
    ("é", "\\u{e9}"),
    ("日本", "日本"),
    ("😀", "\\u{1F600}"),
    ("😀", "😀"),
    ("\n", "\\n"),
    ("\t", "\\t"),
    ("\r", "\\r"),
    ("\"", "\\\""),
    ("\\", "\\\\"),
    ("\0", "\\0"),
    ("9223372036854775808", "9223372036854775808"),
    ("-9223372036854775808", "-9223372036854775808"),
    ("0x1f", "0x1f"),
];

/// A string literal of at most `max` bytes.
pub(crate) fn string(src: &mut Src, max: usize) -> E {
    let mut content = String::new();
    let mut text = String::from("\"");
    let n = src.weighted(&[2, 6, 4, 2]);
    for _ in 0..n {
        // Mostly ASCII words: multi-byte text makes slicing trap, which should stay rare.
        let piece = if src.one_in(6) { src.pick(PIECES) } else { src.pick(&PIECES[..20]) };
        let Some(&(c, t)) = piece else { break };
        if content.len() + c.len() > max {
            break;
        }
        content.push_str(c);
        text.push_str(t);
    }
    text.push('"');
    E::atom(text, content.len())
}

/// A short literal used as a separator or pattern: never empty.
pub(crate) fn separator(src: &mut Src) -> E {
    let s = *src.pick(&[",", " ", ";", "a", "ab", "é", "b,"]).unwrap_or(&",");
    E::atom(format!("\"{s}\""), s.len())
}

/// A string literal that is exactly one character (for `ord`).
pub(crate) fn one_char(src: &mut Src) -> E {
    let s = *src.pick(&["a", "Z", "0", " ", "é", "日", "😀", "\\n", "\\u{10FFFF}"]).unwrap_or(&"a");
    E::atom(format!("\"{s}\""), 4)
}
