//! Text of values: number formatting and parsing, and string quoting.
//!
//! These helpers implement the exact text forms required by the language contract
//! (docs/language.md, "Text of values" and the built-in functions): Python's `repr(float)`
//! layout, C's `printf("%.*f")`, strict decimal parsing and the quoted form of strings
//! inside printed containers. They are pure, never panic, and allocate nothing beyond
//! growing the caller's `String`.

use std::fmt::{self, Write};

/// A small fixed-size buffer that `core::fmt` can write into without allocating.
struct StackBuf {
    buf: [u8; 48],
    len: usize,
}

impl StackBuf {
    const fn new() -> Self {
        StackBuf { buf: [0; 48], len: 0 }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = s.as_bytes();
        let end = self.len.checked_add(bytes.len()).ok_or(fmt::Error)?;
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

/// Pushes `n` copies of ASCII `b` onto `out`.
fn push_repeat(out: &mut String, b: char, n: usize) {
    out.extend(std::iter::repeat_n(b, n));
}

/// Pushes ASCII digit bytes onto `out`.
fn push_ascii(out: &mut String, bytes: &[u8]) {
    // Only ever called with ASCII digits; the fallback keeps this panic-free regardless.
    out.push_str(std::str::from_utf8(bytes).unwrap_or(""));
}

/// Appends Python 3's `repr(float)` of `x` to `out`.
///
/// The digits are the shortest ones that read back to the same `f64` (taken from Rust's
/// `{:e}` formatting); when two such digit strings are equally close to `x`, the one with
/// the even last digit is used, as Python does (Rust would round up). With the value
/// written as `d.ddd × 10^e`, the layout is scientific (`1e-05`, `1.5e+16`: exponent
/// with a sign and at least two digits) when `e < -4` or `e >= 16`, and positional with
/// at least one digit after the point otherwise (`1.0`, `0.0001`, `123456789.0`).
/// Non-finite values are `inf`, `-inf` and `nan` (a NaN is
/// always `nan`, whatever its sign bit).
pub fn format_float(x: f64, out: &mut String) {
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x < 0.0 { "-inf" } else { "inf" });
        return;
    }

    // Shortest round-trip digits and decimal exponent, e.g. "-1.2345e-7".
    let mut sci = StackBuf::new();
    if write!(sci, "{x:e}").is_err() {
        // Cannot happen (the longest form is 23 bytes); stay correct anyway.
        let _ = write!(out, "{x:?}");
        return;
    }

    let mut mantissa: u64 = 0;
    let mut ndigits: i32 = 0;
    let mut negative = false;
    let mut exp: i32 = 0;
    let mut exp_negative = false;
    let mut in_exp = false;
    for &b in sci.as_bytes() {
        match b {
            b'-' if in_exp => exp_negative = true,
            b'-' => negative = true,
            b'e' | b'E' => in_exp = true,
            b'0'..=b'9' if in_exp => {
                exp = exp.saturating_mul(10).saturating_add(i32::from(b - b'0'));
            }
            b'0'..=b'9' => {
                // At most 17 significant digits, so this never saturates.
                mantissa = mantissa.saturating_mul(10).saturating_add(u64::from(b - b'0'));
                ndigits += 1;
            }
            _ => {} // '.' and '+'
        }
    }
    if exp_negative {
        exp = -exp;
    }
    // Value = mantissa × 10^(exp - ndigits + 1).
    if mantissa % 2 == 1 {
        if let Some((m, e)) = even_tie_digits(x.abs(), mantissa, exp - ndigits + 1) {
            mantissa = m;
            exp = e;
        }
    }
    let mut digit_buf = [0u8; 20];
    let n = write_u64_digits(mantissa, &mut digit_buf);
    let digits = &digit_buf[digit_buf.len() - n..];

    if negative {
        out.push('-');
    }
    if !(-4..16).contains(&exp) {
        // Scientific: d[.ddd]e±XX
        push_ascii(out, &digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            push_ascii(out, &digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let mag = exp.unsigned_abs();
        if mag < 10 {
            out.push('0');
        }
        let mut buf = [0u8; 10];
        let n = write_u64_digits(u64::from(mag), &mut buf);
        push_ascii(out, &buf[buf.len() - n..]);
    } else if exp < 0 {
        // 0.000ddd
        out.push_str("0.");
        push_repeat(out, '0', (-exp - 1) as usize);
        push_ascii(out, digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            push_ascii(out, digits);
            push_repeat(out, '0', int_len - digits.len());
            out.push_str(".0");
        } else {
            push_ascii(out, &digits[..int_len]);
            out.push('.');
            push_ascii(out, &digits[int_len..]);
        }
    }
}

/// Whether `x` (finite, positive) is exactly `t × 10^p`.
fn is_exactly(x: f64, t: u64, p: i32) -> bool {
    if t == 0 || x == 0.0 {
        return false;
    }
    // x = m × 2^q with m < 2^53.
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (m, q) = if biased == 0 { (frac, -1074) } else { (frac | (1u64 << 52), biased - 1075) };
    // Compare odd parts and powers of two of m × 2^q and t × 2^p × 5^p.
    let (m_odd, m_twos) = (m >> m.trailing_zeros(), q + m.trailing_zeros() as i32);
    let (t_odd, t_twos) = (t >> t.trailing_zeros(), p + t.trailing_zeros() as i32);
    if m_twos != t_twos {
        return false;
    }
    let five_pow = match 5u128.checked_pow(p.unsigned_abs()) {
        Some(f) => f,
        None => return false,
    };
    if p >= 0 {
        u128::from(t_odd).checked_mul(five_pow) == Some(u128::from(m_odd))
    } else {
        u128::from(m_odd).checked_mul(five_pow) == Some(u128::from(t_odd))
    }
}

/// Python's `repr` picks, among equally short round-tripping digit strings equally close
/// to `x`, the one with an even last digit; Rust's shortest formatting rounds such exact
/// ties up instead (e.g. 651847949857580.25 gives `…580.3`, Python `…580.2`). Given
/// Rust's odd shortest digits `d × 10^p` for positive finite `x`, returns the even
/// neighbour as `(digits, decimal exponent of the first digit)` when `x` lies exactly
/// halfway between them and the neighbour reads back to `x`.
fn even_tie_digits(x: f64, d: u64, p: i32) -> Option<(u64, i32)> {
    let p_half = p.checked_sub(1)?;
    for up in [false, true] {
        let (c, t) = if up {
            (d.checked_add(1)?, d.checked_mul(10)?.checked_add(5)?)
        } else {
            (d.checked_sub(1)?, d.checked_mul(10)?.checked_sub(5)?)
        };
        if c == 0 || !is_exactly(x, t, p_half) {
            continue;
        }
        // Does the neighbour read back to x?
        let mut buf = StackBuf::new();
        write!(buf, "{c}e{p}").ok()?;
        let back: f64 = std::str::from_utf8(buf.as_bytes()).ok()?.parse().ok()?;
        if back != x {
            return None;
        }
        // Normalise: drop trailing zeros, and find the exponent of the first digit.
        let (mut c, mut p) = (c, p);
        while c % 10 == 0 {
            c /= 10;
            p += 1;
        }
        let mut len = 0;
        let mut v = c;
        while v > 0 {
            len += 1;
            v /= 10;
        }
        return Some((c, p + len - 1));
    }
    None
}

/// The most fractional digits the exact decimal expansion of any `f64` can have
/// (the smallest subnormal is 2^-1074). Every digit past this position is zero.
const MAX_EXACT_FRACTION_DIGITS: usize = 1074;

/// Appends `x` with exactly `digits` decimals, as C's `printf("%.*f", digits, x)` (glibc).
///
/// The result is the exact decimal expansion of the binary value, rounded to `digits`
/// decimals with round-half-to-even on exact ties (`0.5` → `0`, `2.5` → `2`, `0.125` with
/// 2 → `0.12`); the sign of negative zero and of values rounding to zero is kept
/// (`-0.000`). Non-finite values are `inf`, `-inf` and `nan`, without decimals. Unlike
/// glibc, a NaN is `nan` whatever its sign bit: the sign of a NaN differs between hosts
/// (x86-64 and AArch64 produce different ones for `0.0 / 0.0`), and output must not.
///
/// Rust's `{:.*}` produces the same exact, half-to-even result; it is used for up to
/// 1074 decimals (enough to be exact for every `f64`), and any further decimals are zeros.
/// If the result cannot be allocated at all (e.g. `digits` near `usize::MAX`), nothing is
/// appended; callers should bound `digits` by their memory limit first.
pub fn format_fixed(x: f64, digits: usize, out: &mut String) {
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x < 0.0 { "-inf" } else { "inf" });
        return;
    }
    // Rust's formatting machinery rejects precisions above u16::MAX, so cap it where the
    // expansion is already exact and pad the remaining (all-zero) decimals by hand.
    // Sign, at most 309 integer digits and the point, then the decimals.
    if out.try_reserve(digits.saturating_add(312)).is_err() {
        return;
    }
    let exact = digits.min(MAX_EXACT_FRACTION_DIGITS);
    let _ = write!(out, "{:.*}", exact, x);
    push_repeat(out, '0', digits - exact);
}

/// Parses a decimal integer: an optional `+` or `-`, then one or more ASCII digits, and
/// nothing else (no spaces, no underscores, no radix prefix).
///
/// Returns `None` for any other text and for values outside the `i64` range.
pub fn parse_int(s: &str) -> Option<i64> {
    let bytes = s.as_bytes();
    let (negative, body) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    if body.is_empty() {
        return None;
    }
    // Accumulate towards the sign so that i64::MIN is reachable.
    let mut acc: i64 = 0;
    for &b in body {
        let d = match b {
            b'0'..=b'9' => i64::from(b - b'0'),
            _ => return None,
        };
        acc = acc.checked_mul(10)?;
        acc = if negative { acc.checked_sub(d)? } else { acc.checked_add(d)? };
    }
    Some(acc)
}

/// Counts the leading ASCII digits of `b`.
fn count_digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Parses a decimal floating-point number, correctly rounded.
///
/// Accepted form: an optional `+` or `-`; digits with an optional fraction (`1`, `2.5`,
/// `5.`, `.5`; at least one digit in total); then an optional exponent `e` or `E` with an
/// optional sign and at least one digit (`1e9`, `2.5E-3`). Anything else gives `None`:
/// `inf`, `nan`, `infinity`, hex, spaces, underscores, the empty string, `+`, `.`, `e5`,
/// `1e`. A number too large for `f64` (`1e400`) gives infinity and a too small one
/// gives zero, as the correctly rounded result.
pub fn parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let int_digits = count_digits(&b[i..]);
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = count_digits(&b[i..]);
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = count_digits(&b[i..]);
        if exp_digits == 0 {
            return None;
        }
        i += exp_digits;
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Appends the quoted form a string takes inside a printed container.
///
/// The text is wrapped in `"` with the escapes `\n`, `\t`, `\r`, `\\`, `\"` and `\0`;
/// other control characters (below U+0020, and U+007F) are written as `\u{X}` in
/// lowercase hex without leading zeros (`\u{1}`, `\u{1b}`, `\u{7f}`); everything else,
/// including non-ASCII characters, is written as is.
pub fn quote_str(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        // Every byte needing an escape is ASCII, so `i` is always a char boundary here.
        let escape: Option<&str> = match b {
            b'\n' => Some("\\n"),
            b'\t' => Some("\\t"),
            b'\r' => Some("\\r"),
            b'\\' => Some("\\\\"),
            b'"' => Some("\\\""),
            0 => Some("\\0"),
            0x01..=0x1f | 0x7f => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        start = i + 1;
        match escape {
            Some(e) => out.push_str(e),
            None => {
                let _ = write!(out, "\\u{{{b:x}}}");
            }
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Writes the decimal digits of `v` right-aligned into `buf`, returning how many there are.
fn write_u64_digits(mut v: u64, buf: &mut [u8]) -> usize {
    let mut n = 0;
    let len = buf.len();
    loop {
        if n >= len {
            break;
        }
        buf[len - 1 - n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    n
}

/// Appends the decimal text of `x` (`-` sign for negatives, no leading zeros).
pub fn format_int(x: i64, out: &mut String) {
    let mut buf = [0u8; 20];
    let n = write_u64_digits(x.unsigned_abs(), &mut buf);
    if x < 0 {
        out.push('-');
    }
    push_ascii(out, &buf[buf.len() - n..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ff(x: f64) -> String {
        let mut s = String::new();
        format_float(x, &mut s);
        s
    }

    fn fx(x: f64, d: usize) -> String {
        let mut s = String::new();
        format_fixed(x, d, &mut s);
        s
    }

    fn q(s: &str) -> String {
        let mut o = String::new();
        quote_str(s, &mut o);
        o
    }

    fn fi(x: i64) -> String {
        let mut s = String::new();
        format_int(x, &mut s);
        s
    }

    /// Deterministic xorshift64* generator for the randomized property tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// A float drawn from several interesting distributions.
        fn float(&mut self) -> f64 {
            match self.below(7) {
                0 | 1 => f64::from_bits(self.next()),
                6 => {
                    // Few significant bits: exact ties between shortest candidates.
                    let m = self.next() >> (11 + self.below(53));
                    let k = self.below(280) as i32 - 80;
                    m as f64 * 2f64.powi(k)
                }
                2 => (self.next() as i64 >> self.below(64)) as f64,
                3 => {
                    let m = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
                    let e = self.below(80) as i32 - 40;
                    m * 10f64.powi(e)
                }
                4 => f64::from_bits(self.next() >> self.below(64)),
                _ => {
                    let m = (self.next() as i64 >> 40) as f64;
                    m / (1u64 << self.below(30)) as f64
                }
            }
        }
    }

    // ---------------------------------------------------------------- format_float

    /// Every expected value checked with `python3 -c 'print(repr(x))'`.
    #[test]
    fn format_float_python_repr() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (1e-05, "1e-05"),
            (1.5e16, "1.5e+16"),
            (1e16, "1e+16"),
            (123456789.0, "123456789.0"),
            (1e22, "1e+22"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-f64::NAN, "nan"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (9999999999999998.0, "9999999999999998.0"),
            (1e15, "1000000000000000.0"),
            (1.2345e15, "1234500000000000.0"),
            (123.456, "123.456"),
            (-1e-07, "-1e-07"),
            (2.5e-05, "2.5e-05"),
            (1e100, "1e+100"),
            (1.5e-300, "1.5e-300"),
            (0.3, "0.3"),
            (1.0 / 3.0, "0.3333333333333333"),
            (9007199254740992.0, "9007199254740992.0"),
            (1.0000000000000002, "1.0000000000000002"),
            (100.0, "100.0"),
            (1234567890123456.7, "1234567890123456.8"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (-1.5e16, "-1.5e+16"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1e-5 * 3.0, "3.0000000000000004e-05"),
            (9.223372036854776e18, "9.223372036854776e+18"),
            (0.00015000000000000001, "0.00015000000000000001"),
            (5e-05, "5e-05"),
            (1.2345678e-06, "1.2345678e-06"),
            (1e301, "1e+301"),
            (1.23e20, "1.23e+20"),
            (2.675, "2.675"),
            (4.35, "4.35"),
            (-2.5, "-2.5"),
            (1e-4, "0.0001"),
            (-0.0001, "-0.0001"),
            (0.5, "0.5"),
            (5.0, "5.0"),
            (1.5e15, "1500000000000000.0"),
            (1e-320, "1e-320"),
        ];
        for &(x, want) in cases {
            assert_eq!(ff(x), want, "format_float({x:e})");
        }
    }

    /// Random doubles with their `repr` from Python 3 (generated with `random.seed(7)`).
    #[test]
    fn format_float_python_random() {
        let cases: &[(u64, &str)] = &[
            (0xf2a74de452e6b438, "-1.989032661366619e+244"),
            (0xc26452c0b396dfe1, "-698301652150.9962"),
            (0xc1bab6450c000000, "-448152844.0"),
            (0x3f494e6a8630a30a, "0.0007722873818965814"),
            (0x9531985d5d9dc9f8, "-1.3701135617873088e-206"),
            (0xc19513855c2e23da, "-88400215.04505864"),
            (0xc1c00fc78d000000, "-538939162.0"),
            (0x42cc6b5df6873feb, "62494927031935.836"),
            (0x3d9c172411e20b8f, "6.387016158513563e-12"),
            (0xc0f3fc165b77fd1a, "-81857.397331227"),
            (0xc13a04ed92800000, "-1705197.572265625"),
            (0x43a9399bfc76fbc8, "9.08827716625491e+17"),
            (0xf29d0da9953f48f1, "-1.2398610113502679e+244"),
            (0xc2005268bbca37b0, "-8762759033.277191"),
            (0xc1a1a8b9ec000000, "-148135158.0"),
            (0x3f34e16e624f3799, "0.00031861252710718154"),
            (0xdbc496cb8e81973e, "-1.1691339166025232e+134"),
            (0xc0f1e950965efc49, "-73365.03671167897"),
            (0xc14491eb57000000, "-2696150.6796875"),
            (0x429deeac7423301b, "8227733178572.026"),
            (0xd0eda82f8f6d0558, "-7.032920428841221e+81"),
            (0x3ece88f4cab11e31, "3.6400538952240917e-06"),
            (0x411dae2b90000000, "486282.890625"),
            (0x4283b31fdff622ab, "2707506855620.3335"),
            (0x8c38fb2918f135d2, "-8.722783496930154e-250"),
            (0x41ef9b62325d89cf, "4242215314.9230723"),
            (0xc139fce393000000, "-1703139.57421875"),
            (0x43a3db48cc1e8236, "7.154086740713213e+17"),
            (0x6d76b07e881ed162, "2.0023521584613723e+219"),
            (0x4120ebb319949194, "554457.549961614"),
            (0x413eb1cdd0000000, "2011597.8125"),
            (0x4259257280611a07, "432009773444.4067"),
            (0x2e05319acb5c7427, "5.326960081783017e-87"),
            (0x3fa4608509fb5880, "0.03979888674591425"),
            (0xc138904830800000, "-1609800.189453125"),
            (0x42d135aae633041e, "75688792607760.47"),
            (0x57ee05cde00902c7, "3.6967297937384553e+115"),
            (0x40125b0a1e7d03f8, "4.588905788784352"),
            (0x41a257947e000000, "153864767.0"),
            (0x42d0c6675e1829ed, "73777295155367.7"),
            (0xc1d3fcff2a3af4d4, "-1341389992.9211931"),
            (0xc14819b1f03b1357, "-3158883.8768028426"),
            (0xc196824f30000000, "-94409676.0"),
            (0x3f4f8e3bf3364aed, "0.0009630005574073598"),
            (0x8ede0d7ac3baea9e, "-4.61515470702556e-237"),
            (0x43e95601a4f48f1d, "1.4605188055476791e+19"),
            (0x41769281b2800000, "23668763.15625"),
            (0x42d379ef930ca06b, "85657725448833.67"),
            (0xcc011cdd9474031b, "-1.3427313830183207e+58"),
            (0xc37372e09cdab9e8, "-8.758933739717389e+16"),
            (0xc187cfeaf2800000, "-49937758.3125"),
            (0x3f188e69be85d2d3, "9.367485438877979e-05"),
            (0xb394fb36bb2d420f, "-3.2641743650562687e-60"),
            (0xc1ec5ee6f6ba000a, "-3807852469.812505"),
            (0x414b97fd99000000, "3616763.1953125"),
            (0x3f40630949a96f45, "0.0005000872946072451"),
            (0x7631a992f0ce5835, "2.1725307391616573e+261"),
            (0xc21aec0221afb923, "-28907178091.930798"),
            (0xc1564ee5a2000000, "-5847958.53125"),
            (0x44654f319724ee23, "3.144705071485005e+21"),
            (0x211c70cf49952399, "3.47537661855496e-149"),
            (0x40b29f4480e7097e, "4767.267591895883"),
            (0xc133204c64000000, "-1253452.390625"),
            (0x42b5ce537a04588d, "23975907951704.55"),
            (0x8ca8181166d22876, "-1.0768687224782124e-247"),
            (0xbf074b95de4d8b9c, "-4.443217384310987e-05"),
            (0x4166a1afb6000000, "11865469.6875"),
            (0x429cd8ec04a05e03, "7929499559959.503"),
            (0x6a50df4db4d66a3a, "1.3224852517980044e+204"),
            (0x42a1b293e6fe6f71, "9729341620023.72"),
            (0x416ac93881000000, "14043588.03125"),
            (0x42535b59dbfc0c06, "332547977200.18787"),
            (0x2d1c9af0153e7c2a, "2.194151990927755e-91"),
            (0xc2995f12e16c1ff3, "-6974032337671.987"),
            (0xc1bdbcd50b000000, "-498914571.0"),
            (0x42831ebab1861a4b, "2627837767875.2866"),
            (0x010c4759482c9cbc, "1.2886468538418473e-303"),
            (0xc1c51e8c978ac1c9, "-708647215.0840389"),
            (0xc118ae2d14000000, "-404363.26953125"),
            (0x425aba222be8095a, "459167805344.1461"),
            (0xdbf4a8b2b0c4312d, "-9.38484012349791e+134"),
            (0x41e7158342c4fb4d, "3098286614.1556764"),
            (0x41183b26e1000000, "397001.7197265625"),
            (0x429c4ecd8ebae9fe, "7781195427514.498"),
            (0xdef88334e647cb8f, "-3.1343387564175544e+149"),
            (0x43d36d41d79f6998, "5.599389814121456e+18"),
            (0x40fb824bbf000000, "112676.73413085938"),
            (0x42c9b706997e84f7, "56547760864521.93"),
            (0x64e50cad66237a04, "1.0662269838816983e+178"),
            (0xc26713c1f6ec6b3f, "-792925812579.3514"),
            (0xc1a0b22b7a000000, "-140055997.0"),
            (0x4236991d34de5aee, "97058108638.3552"),
            (0x298cb3a570ccec31, "1.5276358721441904e-108"),
            (0xc2322a0457b7e81e, "-78014338999.90671"),
            (0xc1ba6ffee9000000, "-443547369.0"),
            (0x4267c5caea75be20, "816821261229.9414"),
            (0x19f9919c895fd7b3, "1.5043639291391467e-183"),
            (0x4234e7e2e1a1e300, "89789751713.88672"),
            (0xc1bc2b9681800000, "-472618625.5"),
            (0x435a9e31b7f50fce, "2.996914308541625e+16"),
            (0x2607679d6050914a, "1.728764090032247e-125"),
            (0x4070cd1b447107ef, "268.81915706780177"),
            (0x41617cb207000000, "9168272.21875"),
            (0x3f2734493b582fab, "0.0001770343202881474"),
            (0x7cf20724d953ee26, "7.19616430630608e+293"),
            (0x412e18bae3068f7f, "986205.4434094279"),
            (0x410e2cc340000000, "247192.40625"),
            (0x423cd16fdc807c5b, "123772853376.48576"),
            (0xbfeaa1551a28f7b3, "-0.8321939001977995"),
            (0xbfd424824427857c, "-0.3147283235139964"),
            (0x40ca8b1d10000000, "13590.22705078125"),
            (0x3f486219e7ab9a70, "0.0007441164483140261"),
            (0xf373ca533488f876, "-1.383724169522991e+248"),
            (0x408c4055cca083c8, "904.0418942012993"),
            (0xc1146b7565800000, "-334557.34912109375"),
            (0x4397d8e0851fd736, "4.2959253005282854e+17"),
            (0x174c77a2dd02de92, "1.9041429903692674e-196"),
            (0x3fd91cf9ed86f40c, "0.39239357181560375"),
            (0x414b002830000000, "3539024.375"),
            (0x428184002f9e709b, "2407329559502.0757"),
            (0x3908f227c59db916, "6.0055116385069545e-34"),
            (0x430286d16bfd9962, "651847949857580.2"),
            (0x4142f65914000000, "2485426.15625"),
            (0x435c8ca128bb76f0, "3.2143692595583936e+16"),
            (0xc9d488b1cfbf3360, "-4.689128253227445e+47"),
            (0x43e0d3022f358204, "9.698521011817816e+18"),
            (0xc101501f3e800000, "-141827.90551757812"),
            (0x4253053187853f53, "326766042644.98944"),
            (0x7e26f36a8483f8b8, "4.8031302683796236e+299"),
            (0xbe28d06d30978b52, "-2.8887491329008364e-09"),
            (0xc10c03ac69000000, "-229493.55126953125"),
            (0x4298c24c857b4973, "6805696634578.362"),
            (0xb1491e243192b704, "-2.8432273819176408e-71"),
            (0x406a48e5e5241edf, "210.27806336455157"),
            (0xc0c2e042e0000000, "-9664.5224609375"),
            (0x4292532c70bc6c21, "5037109292827.032"),
            (0x38703800149e259b, "7.626020178792336e-37"),
            (0xc15e5a5e434a8d5d, "-7956857.051425305"),
            (0xc171368f89000000, "-18049272.5625"),
            (0x436ee3caa68a3a02, "6.955767054636238e+16"),
            (0xe67a9b75fc394724, "-4.522282074860993e+185"),
            (0x3e22f16168be6b3b, "2.205242937868166e-09"),
            (0x40dc4989c0000000, "28966.15234375"),
            (0x44508eec819653dd, "1.2217866164395775e+21"),
            (0x1eb20109a91c2439, "8.003733559276523e-161"),
            (0x437232a06f02b5b9, "8.195542751034459e+16"),
            (0x40ff7769b8000000, "128886.607421875"),
            (0x42640cd666a5dadc, "688917787950.8394"),
            (0xca04c79f6f15b6ad, "-3.796209675668882e+48"),
            (0x3e923b80d100a101, "2.7168444294508085e-07"),
            (0x4115734c78000000, "351443.1171875"),
            (0x42ce5a8b508e09bb, "66748466404371.46"),
            (0xf26149edbe4c5ce6, "-9.22254885946467e+242"),
            (0xbf4b33e63fb1c76f, "-0.0008301615010976991"),
            (0xc1a2ec0df8800000, "-158729980.25"),
            (0x435358e7c1c35c42, "2.1783107875991816e+16"),
            (0x77216e9ee7a46309, "7.026130324622278e+265"),
            (0x3f1011ccca8b6d05, "6.130039640643923e-05"),
            (0x4122ad3ef7000000, "611999.482421875"),
            (0x43a2f96a479b2a9c, "6.836204088310697e+17"),
        ];
        for &(bits, want) in cases {
            assert_eq!(ff(f64::from_bits(bits)), want, "bits {bits:#018x}");
        }
    }

    /// Exact ties between two shortest candidates: Python keeps the even last digit, where
    /// Rust's shortest formatting rounds up. Expected values from Python 3's `repr`.
    #[test]
    fn format_float_python_ties() {
        let cases: &[(u64, &str)] = &[
            (0x430286d16bfd9962, "651847949857580.2"),
            (0x427f536ed3605380, "2152700130821.2188"),
            (0x4123721d94400000, "637198.7895507812"),
            (0x41ee4c1ae7b6e000, "4066432829.7148438"),
            (0x416ae7db9a580000, "14106332.823242188"),
            (0x42814f525abb8840, "2379047720817.0312"),
            (0x420f1c53be5d9000, "16702404555.695312"),
            (0x43026674b41778b2, "647400125558550.2"),
            (0x43120b41e45077db, "1269731803012598.8"),
            (0x400014f400000000, "2.0102310180664062"),
            (0x42e3529e68ee28d4, "169964527382854.62"),
            (0x42b992bb0e2896f0, "28117994186902.938"),
            (0x3f65620000000000, "0.0026102066040039062"),
            (0x42e1134d5ecef904, "150196800878536.12"),
            (0x42bfda35bec5ff30, "35022065026559.188"),
            (0x402e43ee00000000, "15.132675170898438"),
            (0x4304de191284d716, "734212350057186.8"),
            (0x43077b56e0982056, "826192191226890.8"),
            (0x4315cd43a6b246ed, "1534166238532027.2"),
            (0x41e4dc5d0edf2000, "2799888502.9726562"),
            (0x4242fbccf5795a00, "163067849458.70312"),
            (0x41a0119e2ebd0000, "134795031.36914062"),
            (0x42b118973c77a370, "18797314209699.438"),
            (0x405d193780000000, "116.39401245117188"),
            (0x42d9b20a1eb496a8, "113009858630234.62"),
            (0x412804170e400000, "786955.5278320312"),
            (0x4281445e60c4a9c0, "2373167356053.2188"),
            (0x4194ffb89ed20000, "88075815.70507812"),
            (0x40d27f4b12000000, "18941.172973632812"),
            (0x42d10a54622ce4a8, "74944252261266.62"),
            (0x42d4768d9ae74fa8, "89997657742654.62"),
            (0x3f12a00000000000, "7.104873657226562e-05"),
            (0x3ee2800000000000, "8.821487426757812e-06"),
            (0x3f19e00000000000, "9.870529174804688e-05"),
            (0x3ef6400000000000, "2.1219253540039062e-05"),
            (0x3ea4000000000000, "5.960464477539062e-07"),
            (0x3ec7000000000000, "2.7418136596679688e-06"),
            (0x3ecf000000000000, "3.6954879760742188e-06"),
            (0x3ee0800000000000, "7.867813110351562e-06"),
            (0x3f14200000000000, "7.677078247070312e-05"),
            (0x3ef0400000000000, "1.5497207641601562e-05"),
            (0x3f15e00000000000, "8.344650268554688e-05"),
            (0x3ee5800000000000, "1.0251998901367188e-05"),
            (0x3ef3c00000000000, "1.8835067749023438e-05"),
            (0x3f18a00000000000, "9.393692016601562e-05"),
            (0x3eed800000000000, "1.4066696166992188e-05"),
        ];
        for &(bits, want) in cases {
            let x = f64::from_bits(bits);
            assert_eq!(ff(x), want, "bits {bits:#018x}");
            assert_eq!(ff(-x), format!("-{want}"), "bits {bits:#018x}");
        }
    }

    /// The layout rule, written independently: Rust's shortest digits, with exact ties
    /// (detected on the exact decimal expansion) moved to the even neighbour, then laid
    /// out with string operations; Rust's positional `{}` form is used when no tie moved.
    fn reference_repr(x: f64) -> String {
        if x.is_nan() {
            return "nan".into();
        }
        if x.is_infinite() {
            return if x > 0.0 { "inf" } else { "-inf" }.into();
        }
        let sign = if x.is_sign_negative() { "-" } else { "" };
        let sci = format!("{:e}", x.abs());
        let (mant, exp) = sci.split_once('e').unwrap();
        let mut exp: i32 = exp.parse().unwrap();
        let mut digits: String = mant.chars().filter(|c| *c != '.').collect();
        let n = digits.len();
        let mut moved = false;
        if (digits.as_bytes()[n - 1] - b'0') % 2 == 1 {
            let exact = format!("{:.*e}", 800, x.abs());
            let (em, ee) = exact.split_once('e').unwrap();
            let ee: i32 = ee.parse().unwrap();
            let e_digits: String = em.chars().filter(|c| *c != '.').collect();
            let e_digits = e_digits.trim_end_matches('0');
            if ee == exp && e_digits.len() == n + 1 && e_digits.ends_with('5') {
                let low: u128 = e_digits[..n].parse().unwrap();
                let even = if low & 1 == 0 { low } else { low + 1 };
                let back: f64 = format!("{even}e{}", exp - n as i32 + 1).parse().unwrap();
                if back == x.abs() && even.to_string() != digits {
                    let s = even.to_string();
                    exp += s.len() as i32 - n as i32;
                    digits = s.trim_end_matches('0').to_string();
                    moved = true;
                }
            }
        }
        if !(-4..16).contains(&exp) {
            let rest = if digits.len() > 1 { format!(".{}", &digits[1..]) } else { String::new() };
            let esign = if exp < 0 { '-' } else { '+' };
            format!("{sign}{}{rest}e{esign}{:02}", &digits[..1], exp.abs())
        } else if moved {
            let body = if exp < 0 {
                format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
            } else {
                let int_len = exp as usize + 1;
                while digits.len() <= int_len {
                    digits.push('0');
                }
                format!("{}.{}", &digits[..int_len], digits[int_len..].trim_end_matches('0'))
            };
            let body = if body.ends_with('.') { body + "0" } else { body };
            format!("{sign}{body}")
        } else {
            let pos = format!("{x}");
            if pos.contains('.') {
                pos
            } else {
                pos + ".0"
            }
        }
    }

    #[test]
    fn format_float_property() {
        /// Significant digits of a decimal text, without sign, point or exponent.
        fn significant(s: &str) -> String {
            let m = s.split(['e', 'E']).next().unwrap();
            let d: String = m.chars().filter(char::is_ascii_digit).collect();
            d.trim_start_matches('0').trim_end_matches('0').to_string()
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut ties = 0;
        for _ in 0..200_000 {
            let x = rng.float();
            let s = ff(x);
            assert_eq!(s, reference_repr(x), "bits {:#018x}", x.to_bits());
            if x.is_finite() {
                let back = parse_float(&s).unwrap_or_else(|| panic!("unparsable {s}"));
                assert_eq!(back.to_bits(), x.to_bits(), "{s}");
                // As short as Rust's shortest digits; different only on an exact tie.
                let ours = significant(&s);
                let rust = significant(&format!("{x:e}"));
                assert_eq!(ours.len(), rust.len(), "{s}");
                if ours != rust {
                    ties += 1;
                }
            }
        }
        assert!(ties > 100, "only {ties} ties exercised");
    }

    #[test]
    fn format_float_appends() {
        let mut s = String::from("x=");
        format_float(2.0, &mut s);
        assert_eq!(s, "x=2.0");
    }

    // ---------------------------------------------------------------- format_fixed

    /// Expected values printed by glibc's `printf("%.*f", d, x)` (gcc, x86_64).
    #[test]
    fn format_fixed_matches_glibc() {
        let cases: &[(f64, usize, &str)] = &[
            (0.5, 0, "0"),
            (0.5, 1, "0.5"),
            (0.5, 2, "0.50"),
            (0.5, 3, "0.500"),
            (0.5, 6, "0.500000"),
            (0.5, 17, "0.50000000000000000"),
            (1.5, 0, "2"),
            (1.5, 1, "1.5"),
            (1.5, 2, "1.50"),
            (1.5, 3, "1.500"),
            (1.5, 6, "1.500000"),
            (1.5, 17, "1.50000000000000000"),
            (2.5, 0, "2"),
            (2.5, 1, "2.5"),
            (2.5, 2, "2.50"),
            (2.5, 3, "2.500"),
            (2.5, 6, "2.500000"),
            (2.5, 17, "2.50000000000000000"),
            (3.5, 0, "4"),
            (3.5, 1, "3.5"),
            (3.5, 2, "3.50"),
            (3.5, 3, "3.500"),
            (3.5, 6, "3.500000"),
            (3.5, 17, "3.50000000000000000"),
            (-0.5, 0, "-0"),
            (-0.5, 1, "-0.5"),
            (-0.5, 2, "-0.50"),
            (-0.5, 3, "-0.500"),
            (-0.5, 6, "-0.500000"),
            (-0.5, 17, "-0.50000000000000000"),
            (-1.5, 0, "-2"),
            (-1.5, 1, "-1.5"),
            (-1.5, 2, "-1.50"),
            (-1.5, 3, "-1.500"),
            (-1.5, 6, "-1.500000"),
            (-1.5, 17, "-1.50000000000000000"),
            (-2.5, 0, "-2"),
            (-2.5, 1, "-2.5"),
            (-2.5, 2, "-2.50"),
            (-2.5, 3, "-2.500"),
            (-2.5, 6, "-2.500000"),
            (-2.5, 17, "-2.50000000000000000"),
            (0.125, 0, "0"),
            (0.125, 1, "0.1"),
            (0.125, 2, "0.12"),
            (0.125, 3, "0.125"),
            (0.125, 6, "0.125000"),
            (0.125, 17, "0.12500000000000000"),
            (0.375, 0, "0"),
            (0.375, 1, "0.4"),
            (0.375, 2, "0.38"),
            (0.375, 3, "0.375"),
            (0.375, 6, "0.375000"),
            (0.375, 17, "0.37500000000000000"),
            (-0.125, 0, "-0"),
            (-0.125, 1, "-0.1"),
            (-0.125, 2, "-0.12"),
            (-0.125, 3, "-0.125"),
            (-0.125, 6, "-0.125000"),
            (-0.125, 17, "-0.12500000000000000"),
            (2.675, 0, "3"),
            (2.675, 1, "2.7"),
            (2.675, 2, "2.67"),
            (2.675, 3, "2.675"),
            (2.675, 6, "2.675000"),
            (2.675, 17, "2.67499999999999982"),
            (1.005, 0, "1"),
            (1.005, 1, "1.0"),
            (1.005, 2, "1.00"),
            (1.005, 3, "1.005"),
            (1.005, 6, "1.005000"),
            (1.005, 17, "1.00499999999999989"),
            (1e+300, 0, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160"),
            (1e+300, 1, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.0"),
            (1e+300, 2, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.00"),
            (1e+300, 3, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000"),
            (1e+300, 6, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000"),
            (1e+300, 17, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.00000000000000000"),
            (1e+308, 0, "100000000000000001097906362944045541740492309677311846336810682903157585404911491537163328978494688899061249669721172515611590283743140088328307009198146046031271664502933027185697489699588559043338384466165001178426897626212945177628091195786707458122783970171784415105291802893207873272974885715430223118336"),
            (1e+308, 1, "100000000000000001097906362944045541740492309677311846336810682903157585404911491537163328978494688899061249669721172515611590283743140088328307009198146046031271664502933027185697489699588559043338384466165001178426897626212945177628091195786707458122783970171784415105291802893207873272974885715430223118336.0"),
            (1e+308, 2, "100000000000000001097906362944045541740492309677311846336810682903157585404911491537163328978494688899061249669721172515611590283743140088328307009198146046031271664502933027185697489699588559043338384466165001178426897626212945177628091195786707458122783970171784415105291802893207873272974885715430223118336.00"),
            (1e+308, 3, "100000000000000001097906362944045541740492309677311846336810682903157585404911491537163328978494688899061249669721172515611590283743140088328307009198146046031271664502933027185697489699588559043338384466165001178426897626212945177628091195786707458122783970171784415105291802893207873272974885715430223118336.000"),
            (1e+308, 6, "100000000000000001097906362944045541740492309677311846336810682903157585404911491537163328978494688899061249669721172515611590283743140088328307009198146046031271664502933027185697489699588559043338384466165001178426897626212945177628091195786707458122783970171784415105291802893207873272974885715430223118336.000000"),
            (1e+308, 17, "100000000000000001097906362944045541740492309677311846336810682903157585404911491537163328978494688899061249669721172515611590283743140088328307009198146046031271664502933027185697489699588559043338384466165001178426897626212945177628091195786707458122783970171784415105291802893207873272974885715430223118336.00000000000000000"),
            (5e-324, 0, "0"),
            (5e-324, 1, "0.0"),
            (5e-324, 2, "0.00"),
            (5e-324, 3, "0.000"),
            (5e-324, 6, "0.000000"),
            (5e-324, 17, "0.00000000000000000"),
            (1e-300, 0, "0"),
            (1e-300, 1, "0.0"),
            (1e-300, 2, "0.00"),
            (1e-300, 3, "0.000"),
            (1e-300, 6, "0.000000"),
            (1e-300, 17, "0.00000000000000000"),
            (0.1, 0, "0"),
            (0.1, 1, "0.1"),
            (0.1, 2, "0.10"),
            (0.1, 3, "0.100"),
            (0.1, 6, "0.100000"),
            (0.1, 17, "0.10000000000000001"),
            (0.3, 0, "0"),
            (0.3, 1, "0.3"),
            (0.3, 2, "0.30"),
            (0.3, 3, "0.300"),
            (0.3, 6, "0.300000"),
            (0.3, 17, "0.29999999999999999"),
            (123456789.125, 0, "123456789"),
            (123456789.125, 1, "123456789.1"),
            (123456789.125, 2, "123456789.12"),
            (123456789.125, 3, "123456789.125"),
            (123456789.125, 6, "123456789.125000"),
            (123456789.125, 17, "123456789.12500000000000000"),
            (-0.0, 0, "-0"),
            (-0.0, 1, "-0.0"),
            (-0.0, 2, "-0.00"),
            (-0.0, 3, "-0.000"),
            (-0.0, 6, "-0.000000"),
            (-0.0, 17, "-0.00000000000000000"),
            (0.0, 0, "0"),
            (0.0, 1, "0.0"),
            (0.0, 2, "0.00"),
            (0.0, 3, "0.000"),
            (0.0, 6, "0.000000"),
            (0.0, 17, "0.00000000000000000"),
            (1e+22, 0, "10000000000000000000000"),
            (1e+22, 1, "10000000000000000000000.0"),
            (1e+22, 2, "10000000000000000000000.00"),
            (1e+22, 3, "10000000000000000000000.000"),
            (1e+22, 6, "10000000000000000000000.000000"),
            (1e+22, 17, "10000000000000000000000.00000000000000000"),
            (1e+23, 0, "99999999999999991611392"),
            (1e+23, 1, "99999999999999991611392.0"),
            (1e+23, 2, "99999999999999991611392.00"),
            (1e+23, 3, "99999999999999991611392.000"),
            (1e+23, 6, "99999999999999991611392.000000"),
            (1e+23, 17, "99999999999999991611392.00000000000000000"),
            (9.5, 0, "10"),
            (9.5, 1, "9.5"),
            (9.5, 2, "9.50"),
            (9.5, 3, "9.500"),
            (9.5, 6, "9.500000"),
            (9.5, 17, "9.50000000000000000"),
            (10.5, 0, "10"),
            (10.5, 1, "10.5"),
            (10.5, 2, "10.50"),
            (10.5, 3, "10.500"),
            (10.5, 6, "10.500000"),
            (10.5, 17, "10.50000000000000000"),
            (0.05, 0, "0"),
            (0.05, 1, "0.1"),
            (0.05, 2, "0.05"),
            (0.05, 3, "0.050"),
            (0.05, 6, "0.050000"),
            (0.05, 17, "0.05000000000000000"),
            (0.15, 0, "0"),
            (0.15, 1, "0.1"),
            (0.15, 2, "0.15"),
            (0.15, 3, "0.150"),
            (0.15, 6, "0.150000"),
            (0.15, 17, "0.14999999999999999"),
            (0.25, 0, "0"),
            (0.25, 1, "0.2"),
            (0.25, 2, "0.25"),
            (0.25, 3, "0.250"),
            (0.25, 6, "0.250000"),
            (0.25, 17, "0.25000000000000000"),
            (0.35, 0, "0"),
            (0.35, 1, "0.3"),
            (0.35, 2, "0.35"),
            (0.35, 3, "0.350"),
            (0.35, 6, "0.350000"),
            (0.35, 17, "0.34999999999999998"),
            (0.45, 0, "0"),
            (0.45, 1, "0.5"),
            (0.45, 2, "0.45"),
            (0.45, 3, "0.450"),
            (0.45, 6, "0.450000"),
            (0.45, 17, "0.45000000000000001"),
            (999999.5, 0, "1000000"),
            (999999.5, 1, "999999.5"),
            (999999.5, 2, "999999.50"),
            (999999.5, 3, "999999.500"),
            (999999.5, 6, "999999.500000"),
            (999999.5, 17, "999999.50000000000000000"),
            (99.995, 0, "100"),
            (99.995, 1, "100.0"),
            (99.995, 2, "100.00"),
            (99.995, 3, "99.995"),
            (99.995, 6, "99.995000"),
            (99.995, 17, "99.99500000000000455"),
            (0.000125, 0, "0"),
            (0.000125, 1, "0.0"),
            (0.000125, 2, "0.00"),
            (0.000125, 3, "0.000"),
            (0.000125, 6, "0.000125"),
            (0.000125, 17, "0.00012500000000000"),
            (0.3333333333333333, 0, "0"),
            (0.3333333333333333, 1, "0.3"),
            (0.3333333333333333, 2, "0.33"),
            (0.3333333333333333, 3, "0.333"),
            (0.3333333333333333, 6, "0.333333"),
            (0.3333333333333333, 17, "0.33333333333333331"),
            (-0.6666666666666666, 0, "-1"),
            (-0.6666666666666666, 1, "-0.7"),
            (-0.6666666666666666, 2, "-0.67"),
            (-0.6666666666666666, 3, "-0.667"),
            (-0.6666666666666666, 6, "-0.666667"),
            (-0.6666666666666666, 17, "-0.66666666666666663"),
            (9007199254740992.0, 0, "9007199254740992"),
            (9007199254740992.0, 1, "9007199254740992.0"),
            (9007199254740992.0, 2, "9007199254740992.00"),
            (9007199254740992.0, 3, "9007199254740992.000"),
            (9007199254740992.0, 6, "9007199254740992.000000"),
            (9007199254740992.0, 17, "9007199254740992.00000000000000000"),
            (9.223372036854776e+18, 0, "9223372036854775808"),
            (9.223372036854776e+18, 1, "9223372036854775808.0"),
            (9.223372036854776e+18, 2, "9223372036854775808.00"),
            (9.223372036854776e+18, 3, "9223372036854775808.000"),
            (9.223372036854776e+18, 6, "9223372036854775808.000000"),
            (9.223372036854776e+18, 17, "9223372036854775808.00000000000000000"),
            (-1e-07, 0, "-0"),
            (-1e-07, 1, "-0.0"),
            (-1e-07, 2, "-0.00"),
            (-1e-07, 3, "-0.000"),
            (-1e-07, 6, "-0.000000"),
            (-1e-07, 17, "-0.00000010000000000"),
            (1e-05, 0, "0"),
            (1e-05, 1, "0.0"),
            (1e-05, 2, "0.00"),
            (1e-05, 3, "0.000"),
            (1e-05, 6, "0.000010"),
            (1e-05, 17, "0.00001000000000000"),
            (4.35, 0, "4"),
            (4.35, 1, "4.3"),
            (4.35, 2, "4.35"),
            (4.35, 3, "4.350"),
            (4.35, 6, "4.350000"),
            (4.35, 17, "4.34999999999999964"),
            (1.7976931348623157e+308, 0, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368"),
            (1.7976931348623157e+308, 1, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.0"),
            (1.7976931348623157e+308, 2, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.00"),
            (1.7976931348623157e+308, 3, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.000"),
            (1.7976931348623157e+308, 6, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.000000"),
            (1.7976931348623157e+308, 17, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.00000000000000000"),
            (2.2250738585072014e-308, 0, "0"),
            (2.2250738585072014e-308, 1, "0.0"),
            (2.2250738585072014e-308, 2, "0.00"),
            (2.2250738585072014e-308, 3, "0.000"),
            (2.2250738585072014e-308, 6, "0.000000"),
            (2.2250738585072014e-308, 17, "0.00000000000000000"),
            (-0.4, 0, "-0"),
            (-0.4, 1, "-0.4"),
            (-0.4, 2, "-0.40"),
            (-0.4, 3, "-0.400"),
            (-0.4, 6, "-0.400000"),
            (-0.4, 17, "-0.40000000000000002"),
            (-0.04, 0, "-0"),
            (-0.04, 1, "-0.0"),
            (-0.04, 2, "-0.04"),
            (-0.04, 3, "-0.040"),
            (-0.04, 6, "-0.040000"),
            (-0.04, 17, "-0.04000000000000000"),
            (0.0625, 0, "0"),
            (0.0625, 1, "0.1"),
            (0.0625, 2, "0.06"),
            (0.0625, 3, "0.062"),
            (0.0625, 6, "0.062500"),
            (0.0625, 17, "0.06250000000000000"),
            (1000000000000000.5, 0, "1000000000000000"),
            (1000000000000000.5, 1, "1000000000000000.5"),
            (1000000000000000.5, 2, "1000000000000000.50"),
            (1000000000000000.5, 3, "1000000000000000.500"),
            (1000000000000000.5, 6, "1000000000000000.500000"),
            (1000000000000000.5, 17, "1000000000000000.50000000000000000"),
            (0.999, 0, "1"),
            (0.999, 1, "1.0"),
            (0.999, 2, "1.00"),
            (0.999, 3, "0.999"),
            (0.999, 6, "0.999000"),
            (0.999, 17, "0.99900000000000000"),
            (9.995, 0, "10"),
            (9.995, 1, "10.0"),
            (9.995, 2, "9.99"),
            (9.995, 3, "9.995"),
            (9.995, 6, "9.995000"),
            (9.995, 17, "9.99499999999999922"),
            (0.1, 100, "0.1000000000000000055511151231257827021181583404541015625000000000000000000000000000000000000000000000"),
            (0.3333333333333333, 100, "0.3333333333333333148296162562473909929394721984863281250000000000000000000000000000000000000000000000"),
            (5e-324, 100, "0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
            (1e-300, 100, "0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
            (-2.5, 100, "-2.5000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
            (1e+300, 100, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
            (0.125, 100, "0.1250000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
            (2.2250738585072014e-308, 100, "0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
            (-0.0, 100, "-0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
            (5e-324, 330, "0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004940656"),
            (1e+300, 2, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.00"),
            (-1e+300, 2, "-1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.00"),
        ];
        for &(x, d, want) in cases {
            assert_eq!(fx(x, d), want, "format_fixed({x:e}, {d})");
        }
    }

    /// Random (bits, digits) pairs with glibc's output; compared bit-exactly.
    #[test]
    fn format_fixed_matches_glibc_random() {
        let cases: &[(u64, usize, &str)] = &[
            (0x59b44e92effddeea, 1, "13424017011833114094676090708157908823505524923124644153695864106904743649564149656976712813971788713157961875674342581338112.0"),
            (0x41200a6f00000000, 0, "525624"),
            (0xbeb04c9f1356ced9, 8, "-0.00000097"),
            (0xef02090bbfdefc15, 1, "-53406114036231141118239112296133914186182484450681599675227629200891975546486000247763531984827729946225394044294033924832666270691908463365098859079844032998224408364147131576504534786168125052344643194284337379966277447057408.0"),
            (0x40f1617140000000, 2, "71191.08"),
            (0xc022e15820bda6c5, 2, "-9.44"),
            (0x3d93fd4c804c25d6, 12, "0.000000000005"),
            (0x40aca32400000000, 8, "3665.57031250"),
            (0xbef0fbfaffd743d7, 0, "-0"),
            (0xbd6b881ae8f6e0bd, 3, "-0.000"),
            (0x40547f64c0000000, 4, "81.9905"),
            (0x440c5ff5ccb11152, 1, "65427936490954571776.0"),
            (0x26debfdb8825ae56, 3, "0.000"),
            (0x415b33fac0000000, 5, "7131115.00000"),
            (0x3d63751794243439, 1, "0.0"),
            (0x243d35702c1eea1f, 3, "0.000"),
            (0xc146be6f80000000, 3, "-2981087.000"),
            (0x4433c4b64464bbfe, 8, "364662729477118099456.00000000"),
            (0xc8c614b27b8444d1, 0, "-3847026363511275550808423200297787928346624"),
            (0x4150c91440000000, 2, "4400209.00"),
            (0xbdd0f87adfc79a00, 0, "-0"),
            (0x73c1cd2c81f98b52, 3, "3982924324537063525425808788151389005420979725615366403185319233172194515375862295188221667964462128201551525529096065586647523684329461999534337926074971054007208897110868069070280942364322607365135259450835065352987704553903168344012871685898240000.000"),
            (0xc1414a42a0000000, 5, "-2266245.25000"),
            (0xc3fe404f6937f7b1, 12, "-34877272527623360512.000000000000"),
            (0x330c16a3831d03bf, 2, "0.00"),
            (0x4053c0d780000000, 8, "79.01315308"),
            (0x440aa8cf809fc244, 2, "61472428557330841600.00"),
            (0x85f1115bb2fff17b, 2, "-0.00"),
            (0x4100bc42e0000000, 5, "137096.35938"),
            (0xbede707a89067125, 4, "-0.0000"),
            (0x50e40d54712ea6b3, 0, "4755191906480943035540512642848008097412282244160733091084877666673002178116845568"),
            (0xc06d618000000000, 0, "-235"),
            (0xc155eb87008703e9, 0, "-5746204"),
            (0xc6e50df2e5a3863e, 1, "-3416285926223856324262242834972672.0"),
            (0x410172f000000000, 2, "142942.00"),
            (0x4371004e303b27e3, 2, "76566566731415088.00"),
            (0xf3d74f82bf268ea0, 0, "-10431089258227386097317321051306299215157516010139403150957484344106836475100816724591703015134396369615749092210266827155614311912066387143365155960358182302453792790762554694700909618818561123737869542058809949107564547253991194400903246076918628352"),
            (0x4059a8e980000000, 1, "102.6"),
            (0x40587e5ac86c8861, 1, "98.0"),
            (0x6e7836a4b4d19ec1, 3, "140040443533487974278974433561913342789635763193083433586193901675886451819059135109313498159749726892526155739918312761730449867999120393614668337770665599466385127049689026231305862804943839441083110137216984902306577252352.000"),
            (0x40ab14d300000000, 4, "3466.4121"),
            (0xc18d041bd62f8ab3, 0, "-60851067"),
            (0x5daf106db8dee081, 0, "189403400117938773249726374746718749676840341898233277535228182437718671310149663110934017618045986612654829994040818247029623629705976270028800"),
            (0x4054752c00000000, 5, "81.83081"),
            (0x4257a661fdab0465, 3, "406302750380.069"),
            (0x9fb9af5084768b8c, 2, "-0.00"),
            (0x413b6c2f40000000, 0, "1797167"),
            (0x40584110c63dad51, 0, "97"),
            (0x43fc052715850a03, 2, "32305007701205725184.00"),
            (0xc1108a3320000000, 2, "-270988.78"),
            (0x42fd1413c8de2403, 20, "511553095721536.18750000000000000000"),
            (0xf22d2882d1a89b37, 2, "-97213803046843108879961844119076680447857734889808121868218493679340556607407990520463723246859708066367592690155306823877400915418964752892795455310945883512778983479890490603522932676645828564491461484394194594174603930920757854535373815808.00"),
            (0x410ba0f200000000, 8, "226334.25000000"),
            (0x44e630d5500367cd, 5, "838343017023542596206592.00000"),
            (0x53b97377b34e8ece, 0, "212355869801651988881079691670649067737149327160710571427931752097465561264608997336294520520704"),
            (0xc1136a7e00000000, 1, "-318111.5"),
            (0xbe19a92ebc78b00a, 2, "-0.00"),
            (0x044f1574f037afc6, 3, "0.000"),
            (0xc0dacf7f40000000, 0, "-27454"),
            (0x4035a2af1c67dcff, 0, "22"),
            (0xdcded20443b30f66, 0, "-22939078569521199772173349059185203991547858195688499808545895583017955792018350226767116161380296334718415410530780108705014902122367418368"),
            (0x4153efa000000000, 3, "5226112.000"),
            (0x42d67a7a59bc4b74, 2, "98861178089773.81"),
            (0x2114e0689f27f52c, 0, "0"),
            (0x40ed4c5380000000, 0, "60003"),
            (0x40c25420cf55cfb5, 0, "9384"),
            (0x33a715682e5f950c, 2, "0.00"),
            (0x400c995000000000, 2, "3.57"),
            (0xc40237ce6cc5d6b5, 20, "-42007833055128363008.00000000000000000000"),
            (0x4540f4262d8ad8c0, 3, "40991549587205317657100288.000"),
            (0xc0e1e93a80000000, 0, "-36682"),
            (0xc41504bd2eb1d5f4, 8, "-96930776508996059136.00000000"),
            (0x30803889fa619774, 3, "0.000"),
            (0x40e69f54c0000000, 5, "46330.64844"),
            (0xc306615c49233ec9, 20, "-787437309945817.12500000000000000000"),
            (0x8bc083117eb86c57, 3, "-0.000"),
            (0x40cab575c0000000, 2, "13674.92"),
            (0x41ccc1755c6a3025, 2, "964881080.83"),
            (0xe1c60aa3d510bb04, 3, "-9916308905502243738026872852130109262384611151318925294340324283513114012785062887474305099629152777649769389369449452930898341851888144226866753146008611114188800.000"),
            (0xc0944351c0000000, 3, "-1296.830"),
            (0x3f1943b5b5cf2a65, 0, "0"),
            (0xa01d616f121ae3e6, 2, "-0.00"),
            (0x4100fce2c0000000, 0, "139164"),
            (0xc2682fa86b7f046f, 8, "-831030254584.13854980"),
            (0xf88ede10aba8b9b3, 2, "-521827223401154646329378701135343441031057081999833185470798266112292337032432916908839638068762444937893872264657937185528342019526692866643525905484734731939680162159551522026875765368043794085456235475000362682341711833635082471003910999486432302737029990166060504973312.00"),
            (0xc0ac932b00000000, 0, "-3658"),
            (0xbf4a92aad21890f6, 2, "-0.00"),
            (0x00ed6b0272218fdc, 2, "0.00"),
            (0x40a0ed1e00000000, 8, "2166.55859375"),
            (0xbdc367144cabdd2a, 2, "-0.00"),
            (0x5b49156137c60e98, 1, "556386407733585686013760664821920803614224971237483608567161646355282609906638544935787707623622230902583740517747232197995411800064.0"),
            (0xc0c3014cc0000000, 4, "-9730.5996"),
            (0xc0f4515e34925e8e, 8, "-83221.88783490"),
            (0x33736dcca7f0c99e, 2, "0.00"),
            (0x415a758d40000000, 0, "6936117"),
            (0xbe69527b577f95df, 1, "-0.0"),
            (0x963892a766465d28, 0, "-0"),
            (0x4148908880000000, 2, "3219729.00"),
            (0xc0439356d9a10e70, 0, "-39"),
            (0xf527b5c295e8c93e, 3, "-22250403367708536956597154349644521061354977839602401248606265502473447502111373796047161151811190055869483401205880226140666675867391988989696944052175215256213733136701784393705175227026748426589448731961890509301209451357939754692687204680257127774683136.000"),
            (0xc0924652c0000000, 3, "-1169.581"),
            (0x43cea008175509bd, 1, "4413545427431029248.0"),
            (0xb96245d348bfcbcf, 12, "-0.000000000000"),
            (0xc1439e6280000000, 8, "-2571461.00000000"),
            (0x43f616aea7d34122, 1, "25466424866385305600.0"),
            (0x8614f504e8ee65a1, 3, "-0.000"),
            (0x41614f27c0000000, 20, "9075006.00000000000000000000"),
            (0x4030cff31cf2fd6e, 0, "17"),
            (0x0ab7798807fa22f7, 1, "0.0"),
            (0x41100c1300000000, 4, "262916.7500"),
            (0x44ac71f6241070ce, 0, "67164239959994207830016"),
            (0x04d2be09a0b55864, 3, "0.000"),
            (0x40ede0ba00000000, 5, "61189.81250"),
            (0xc364faba4ef6bb0d, 0, "-47241421038934120"),
            (0xeeb89ff1bf8e51aa, 3, "-2278710627900393527508290476249281949033180757834245024962869584492122270633320195511749023814566298724414163038011782185473428764080623055829805668204728227848709378562430398169032380340819819346105882957526889276983599955968.000"),
            (0x413e5bcd40000000, 20, "1989581.25000000000000000000"),
            (0x43671579eae2028d, 2, "51980302722012264.00"),
            (0x130f27b2cf28f65e, 2, "0.00"),
            (0xc0e0305700000000, 2, "-33154.72"),
            (0x43654d1221f723d3, 5, "47965718284148376.00000"),
            (0x61ef7bd1d874bc79, 0, "56656928235672153889650499324875258293761816831499434040935442645394469128731597604580296160591830853533051658926351129430638911541477611503663767653287450579566592"),
            (0x40c72a9440000000, 0, "11861"),
            (0x3fcdf202543fd6c0, 0, "0"),
            (0x25bda659998648e0, 3, "0.000"),
            (0xc0a6920b00000000, 12, "-2889.021484375000"),
            (0x3d4312beb2d721e6, 5, "0.00000"),
            (0x7c5d42dc0f877ae3, 2, "1140637173966181889077726476960129148224717057135747497249993613648188973044374124366532145900344588810466731340421761909945871160992365438613336733577105607506784825682007495306192712451726438542716969738822376334221101591330290346674348911662207193628712471111682505251685811592187552464896.00"),
            (0xc0f96895c0000000, 20, "-104073.35937500000000000000"),
            (0xc3f2042c3f8e2091, 2, "-20771379905097699328.00"),
            (0x774510ca76f4251e, 3, "339625111602392659676784530281306172001413116813355061617044505744358332793280855126560064880595136040736968578247224134647898292693518134114304281746578252858666141820820250152573847913070025789491187612917861092203074254751764304148834747433582788818075777536884736.000"),
            (0xc0f6fa8600000000, 2, "-94120.38"),
            (0x43aa8a934c257f82, 0, "956251473514053888"),
            (0x757f1cba4a227f39, 0, "934301987458576894958335766614552426156959845169821031125088455181711706181084849281624810945693262052573516331089243747479348274409195952647213263335826941891449698154315413440994649524583218382545271973203679879356131167243167266234902261007544762710884352"),
            (0x407ab34000000000, 2, "427.20"),
            (0xc0021ab113cda22b, 0, "-2"),
            (0x171e1a8c94db5f8f, 1, "0.0"),
            (0x40dceef5c0000000, 3, "29627.840"),
            (0xc40fddce5f7a0b26, 2, "-73478985423794782208.00"),
            (0x1cd86fc1e3096619, 3, "0.000"),
            (0xc0510f4b80000000, 5, "-68.23898"),
            (0xbf615a95c20d2800, 0, "-0"),
            (0x7ddfcbc9f3308ce5, 3, "20794519976857040223123299041198909994187762721143697728976831130453138281876789533966907196155853314847072325978709698500694493842126281763060295593391785113200263754723157301188531870887282570613452568029159137627944816805950686488337760878996086673815297929722409509149321278753510991344833658880.000"),
            (0x40938ce340000000, 2, "1251.22"),
            (0x42c4a982d396f27e, 3, "45436553866724.984"),
            (0x50ea7da760487e15, 0, "6282094907852781177488763579884605263912652841345270514105526619006632462368374784"),
            (0x41310cd800000000, 3, "1117400.000"),
            (0x42923e49139a095b, 0, "5014680823426"),
            (0xed2879c1f09c0afb, 2, "-67499492115762144344234866996769602864983787458994379860909556044119862342805243236304692811194319392853135320097701231849434130434600211886757270673704531165177139140311812903884419297399809333139531592972619145543680.00"),
            (0xc0d252c400000000, 2, "-18763.06"),
            (0xc2829819f9637152, 4, "-2555560012910.1650"),
            (0xdeb67ae7ffb0dd9e, 3, "-17965370228417366047599851231958388867026615396289160194011977877551669515338972253686779303548732478781484081084034090789864020437800007653790842880.000"),
            (0xc0ac5e20c0000000, 4, "-3631.0640"),
            (0x3e01918e09c73f3c, 2, "0.00"),
            (0x0d36ce2c1a09a840, 3, "0.000"),
            (0xc0d9653400000000, 2, "-26004.81"),
            (0x430ac68383d33191, 8, "942077193643570.12500000"),
            (0x3099f27150cb407a, 3, "0.000"),
            (0x41509acf00000000, 20, "4352828.00000000000000000000"),
            (0xc490ef007d2a9fb2, 8, "-19991667697692092399616.00000000"),
            (0xb835e8a534145e87, 0, "-0"),
            (0xc08fd06500000000, 5, "-1018.04932"),
            (0x3ef81966fd33e6c9, 20, "0.00002298281453947426"),
            (0x4944f2cede962a6d, 5, "934332942404008491894572316394112782142799872.00000"),
            (0xc11fe0c000000000, 1, "-522288.0"),
            (0xc18a86fe88d9ca5e, 2, "-55631825.11"),
            (0x41785bc64c3ac6fc, 20, "25541732.76434992253780364990"),
            (0xc07361a000000000, 20, "-310.10156250000000000000"),
            (0xc39d03963500cec0, 8, "-522669951605256192.00000000"),
            (0x64f54969ab3b74fe, 0, "21564887167376287673819452294987318654649580298809653756388259560675553619430862954928367360588534641861881544028475145191024386971413083896395914949249354871303868966626199076864"),
            (0xc100ba79c0000000, 0, "-137039"),
            (0xc3d44539f8a9e04f, 8, "-5842549577265265664.00000000"),
            (0x73f6e53d3853933d, 3, "40981314598239620675102005233589709125869800926060364380197074045332962535668107974545416644325736621302067561352196955936728300143392708009592020714137829965173259861856937784715442944164591956023399020970405149875055550739921859503672108070463340544.000"),
            (0x408372adc0000000, 1, "622.3"),
            (0x4057e484a906836d, 0, "96"),
            (0x578a60d82cb8d14c, 3, "507498966539038290883179512154874291894268876822956266931396786972757435772127200750513640761981509629368359452672.000"),
            (0xc0ba7ca580000000, 2, "-6780.65"),
            (0xc4cbe32e9e2f1d6a, 2, "-263389330232775865794560.00"),
            (0x0524137fe322e96d, 3, "0.000"),
            (0x4075b66980000000, 8, "347.40075684"),
            (0xc0ec51e068e14b5b, 3, "-57999.013"),
            (0x0fe321ecc08a58d7, 3, "0.000"),
            (0xc074ffc200000000, 1, "-336.0"),
            (0x44343f712752953b, 20, "373506359806593269760.00000000000000000000"),
            (0xdce47b21ca51e152, 2, "-30487290955204596954861292513810031639330537328700314446036940281107971076001550033498917617732557993812923048861138745073287934355510919168.00"),
            (0xc0da4b5e80000000, 2, "-26925.48"),
            (0xc32067a7b5402633, 4, "-2308784812725017.5000"),
            (0x4fe04802f435a573, 0, "58913911626924796567079913435761003459723080054320249777235387586677273788416"),
            (0xc145dbfec0000000, 4, "-2865149.5000"),
            (0x439742aeddec3648, 12, "419023569877307904.000000000000"),
            (0x000bb5f97d652135, 0, "0"),
            (0x4047ef7980000000, 5, "47.87090"),
            (0x408d83dba2a1e69c, 0, "944"),
            (0x27855798394afbe9, 1, "0.0"),
            (0x412cb74040000000, 20, "940960.12500000000000000000"),
            (0x436ec6b1055bacea, 0, "69301703221798736"),
            (0xc6e0673a8d2f29e7, 0, "-2661577401673842749904871170768896"),
            (0xc122fc6e80000000, 2, "-622135.25"),
            (0x3dae83c0445bd1bd, 20, "0.00000000001387645739"),
            (0x4dc4ac8cb70ba858, 1, "4354457299315225542505107895661079882069821801104327484522075521024.0"),
            (0xc037ab5e00000000, 20, "-23.66940307617187500000"),
            (0xbeb4fead3a6f8827, 0, "-0"),
            (0x4ce3b0cc1202952f, 3, "253132772294544493519463852321551500180934033254026120370585600.000"),
            (0x41023b45e0000000, 4, "149352.7344"),
            (0xbd60d391b0b6c53b, 0, "-0"),
            (0x4d307fe489980c50, 3, "6787533913894923966243049157844379304392524040518204929922301952.000"),
            (0xc083e2ba00000000, 20, "-636.34082031250000000000"),
            (0x408536944c678c4d, 5, "678.82241"),
            (0x3c19c31586ba22dd, 8, "0.00000000"),
            (0xc13a181100000000, 4, "-1710097.0000"),
            (0x414f3a48a0cd2e79, 0, "4093073"),
            (0x31b1891a0593dba2, 3, "0.000"),
            (0x412f3ae900000000, 2, "1023348.50"),
            (0xc2fef0e2362e4ad0, 3, "-544318978974893.000"),
            (0x7e318ad63a0ea6e1, 0, "734248399310914728873492834045317804946181942062113275698453186565569258166138116759580519123544016070848910594784593415808154494133797098737774292583612271267086917772546991232927622982153669917905997083324315282726527055754287716810925399940629677996331745345758789246240837252285604371181120520192"),
            (0x40647e9800000000, 3, "163.956"),
            (0x3fd75e5856577bb4, 0, "0"),
            (0x4ac7ccc3cc0c6682, 8, "17809171556504841517795410118693045762244671124275200.00000000"),
            (0xc0fd83ffc0000000, 5, "-120895.98438"),
            (0x4161ec76ce54ad4f, 2, "9397174.45"),
            (0x7711b7573b164943, 2, "35703118333273034079259623280896371439955783040743518598946410794882570475488908606994594215292224128281495614684414282602965094070691568646415869442353552124716775795558284210433963115606859485916741984906870988957525155413456944664463987537066395590326583423926272.00"),
            (0xc0a0e58b00000000, 0, "-2163"),
            (0x43df5bd588b32c8c, 12, "9038537684618981376.000000000000"),
            (0xe57f76912ff3c23c, 2, "-8159802670773568939879595280164174879920471426128803971796810138573609585406586462924192872667387755553403437553778983396184931573903133409689539905918801765208070873174839172005888.00"),
            (0x4087f09540000000, 20, "766.07287597656250000000"),
            (0xbf4d12162548a3ac, 4, "-0.0009"),
            (0x3683d4bc0dea6e4e, 0, "0"),
            (0xc083fb7bc0000000, 0, "-639"),
            (0x3fa57d51272b7380, 4, "0.0420"),
            (0xe5ee4c91731bbc41, 3, "-1005812511001890208289089766016298557339485625891296712935203833613309584414617172044175603688950203153844999237505382775053598355886270201279264176831578056483013296367852842708369408.000"),
            (0xc137a81b00000000, 1, "-1550363.0"),
            (0xbfa17c4c70c25e47, 20, "-0.03415144802528096574"),
            (0x86592243ef95eee8, 3, "-0.000"),
            (0xc0d1084440000000, 20, "-17441.06640625000000000000"),
            (0x4224fd69f93574ba, 3, "45075463322.728"),
            (0x2b54af7771436e1d, 0, "0"),
            (0xc142e3c760000000, 2, "-2475918.75"),
            (0xc2d3108fb65516fe, 0, "-83847405982812"),
            (0xf6da7a638fa624f7, 2, "-3335052906919474606198359840572502610881423639123615835190766915760821489351561113543082109348576240698300768048805331946364161258603643991560048588914495246608859996011625349764041274051742034300073292411349904394817929101059575856029532562060071433775090736562176.00"),
            (0x409504ed80000000, 2, "1345.23"),
            (0x43024dd5368d4d99, 0, "644015964924339"),
            (0xb48bb0750c9c20ef, 5, "-0.00000"),
            (0xc09a30d180000000, 8, "-1676.20458984"),
            (0x3fead93173921ea2, 3, "0.839"),
            (0xbcc0fd985d3f69ce, 5, "-0.00000"),
            (0xc09122abe0000000, 2, "-1096.67"),
            (0x4296b02f37424c93, 0, "6236490551443"),
            (0x08ec379a602533dc, 3, "0.000"),
            (0xc14e230180000000, 2, "-3950083.00"),
            (0xbe3a344ef48c41ed, 12, "-0.000000006101"),
            (0x5cebe21356cd42d2, 2, "41505837774196009714065232663409614368929149144138487624219319033017000136028014320955766617357511192979784506618513054111504525561694257152.00"),
            (0x4122eace00000000, 2, "619879.00"),
            (0x4187808cd05499ab, 2, "49287578.04"),
            (0x00f72d3c4c22cab7, 3, "0.000"),
            (0xc15dc8d2c0000000, 2, "-7807819.00"),
            (0xc37170ebd9201cfa, 4, "-78547725863473056.0000"),
            (0x40449aa0ca304218, 4, "41.2080"),
            (0x4119048680000000, 5, "409889.62500"),
            (0xc1583097d7baff45, 1, "-6341215.4"),
            (0x3c73d5f49b750362, 3, "0.000"),
            (0x40460aca00000000, 3, "44.084"),
            (0x3e6e79f1682596ad, 8, "0.00000006"),
            (0x64457ea432830689, 1, "10632582074790388779575364409180751642610251082248705146781739303619068382887849955614531384793165618314835071802173458531374278560090739383006450084456819745842761863968849920.0"),
            (0xc069f76900000000, 0, "-208"),
            (0x43909a5a57143764, 8, "299091995267029248.00000000"),
            (0x5364e64d8b6bfeae, 1, "5449379754612381273802924705762344009789116838216963502387201651987839982340295123256798609408.0"),
            (0x412073b480000000, 0, "539098"),
            (0xbe693e9e485661dd, 2, "-0.00"),
            (0x6bca9b3f18af266c, 3, "17494180709594405596294626125531526234561998478441102260428492597947960877098652538790222714892986881114234641343485034233736624951375885541014461949057095498834948621039775465185049873956683813254901789882318848.000"),
            (0x4103107640000000, 2, "156174.78"),
            (0xc3704d16eceb7f97, 12, "-73413767789541744.000000000000"),
            (0xac9261f1e429c87c, 2, "-0.00"),
            (0x412eca0f00000000, 2, "1008903.50"),
            (0xc4d5d58bcdd1e8be, 2, "-412435706266806927753216.00"),
            (0x4109d8d65f7b07b8, 2, "211738.80"),
            (0xc0694d2100000000, 2, "-202.41"),
            (0xc083a437a01551c6, 1, "-628.5"),
            (0xe258d2684806d26f, 3, "-5717586175748036253467650244274457035494657753169391369316672497752065104010973795911666014784932841589646719014765786205179994887329915810171027725370342295824498688.000"),
            (0xc0ac1a1700000000, 0, "-3597"),
            (0xc069fb8bbee2c529, 8, "-207.86080879"),
            (0x3b3bc81386bc2b99, 20, "0.00000000000000000000"),
            (0xc079470d00000000, 0, "-404"),
            (0xc3a6133239d0160e, 2, "-795335158638774016.00"),
            (0x72c39a28d72eb3a1, 3, "66922320390720202530981097937346230317891678462996874376967104068554163100837382560146758910700714463198942772167450343708016664242926478370068366962276879543327454707135784974508367217493857352116065443625664007432375045153427084622291510755328.000"),
            (0xc0d07d8620000000, 2, "-16886.10"),
            (0xbfe85ec13798cc86, 12, "-0.761566742504"),
            (0xd3f2e52df9143ef5, 3, "-2522498261071663750626664640969384740220341251434624385205323166695908951005363164278567383072768.000"),
            (0xc12a96ad00000000, 3, "-871254.500"),
            (0x3f64c1c3e4953767, 5, "0.00253"),
            (0x428bf7739a60f919, 20, "3843701296159.13720703125000000000"),
            (0xc132aaf220000000, 20, "-1223410.12500000000000000000"),
            (0x41dca7706068f8e7, 2, "1922941313.64"),
            (0x5e63af1609969e7c, 3, "491586239907532842104480705584140726309253042795245873643435911057571537051259657775706103900636375466312680843056392655842933888081881403444166656.000"),
            (0xc1440d3b00000000, 2, "-2628214.00"),
            (0x3ddb7b1905502807, 12, "0.000000000100"),
            (0xa6d21040bb7352c1, 2, "-0.00"),
            (0xc0c2585da0000000, 4, "-9392.7314"),
            (0x3fa2428b84c25833, 12, "0.035663948017"),
            (0x13f388704fec0f40, 2, "0.00"),
            (0xc0710f43a0000000, 8, "-272.95401001"),
            (0xc288001c2be875be, 0, "-3298593963279"),
        ];
        for &(bits, d, want) in cases {
            assert_eq!(fx(f64::from_bits(bits), d), want, "bits {bits:#018x}, {d}");
        }
    }

    #[test]
    fn format_fixed_non_finite() {
        assert_eq!(fx(f64::INFINITY, 3), "inf");
        assert_eq!(fx(f64::NEG_INFINITY, 0), "-inf");
        assert_eq!(fx(f64::NAN, 2), "nan");
        assert_eq!(fx(-f64::NAN, 0), "nan");
    }

    #[test]
    fn format_fixed_huge_precision() {
        // Above u16::MAX, where Rust's formatter itself would panic.
        let s = fx(1.5, 70_000);
        assert_eq!(s.len(), 70_002);
        assert!(s.starts_with("1.5000"));
        assert!(s[2..].bytes().skip(1).all(|b| b == b'0'));
        let s = fx(5e-324, 1100);
        assert_eq!(s, fx(5e-324, 1074) + &"0".repeat(26));
        // The tail of the exact expansion of 2^-1074 (checked with Python's Decimal).
        assert!(fx(5e-324, 1074).ends_with("8682506419718265533447265625"));
        assert!(fx(5e-324, 1074).starts_with("0.000"));
        assert_eq!(fx(-0.0, 2000), format!("-0.{}", "0".repeat(2000)));
        // An impossible size appends nothing instead of panicking.
        let mut out = String::from("x");
        format_fixed(1.0, usize::MAX, &mut out);
        assert_eq!(out, "x");
    }

    // ---------------------------------------------------------------- parse_int

    #[test]
    fn parse_int_cases() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("-0", 0),
            ("+0", 0),
            ("7", 7),
            ("+7", 7),
            ("-7", -7),
            ("007", 7),
            ("1234567890", 1234567890),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
            ("+9223372036854775807", i64::MAX),
            ("-000000000000000000000009223372036854775808", i64::MIN),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_int(s), Some(v), "{s:?}");
        }
        let bad = [
            "",
            "+",
            "-",
            "--1",
            "+-1",
            " 1",
            "1 ",
            "1_000",
            "1.0",
            "1e3",
            "0x10",
            "abc",
            "12a",
            "9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999999",
            "١٢",
            "\u{0}",
            "1\n",
        ];
        for s in bad {
            assert_eq!(parse_int(s), None, "{s:?}");
        }
    }

    #[test]
    fn parse_int_round_trip() {
        let mut rng = Rng(12345);
        let edge = [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX];
        for &v in &edge {
            assert_eq!(parse_int(&fi(v)), Some(v));
        }
        for _ in 0..200_000 {
            let v = (rng.next() as i64) >> rng.below(64);
            let s = fi(v);
            assert_eq!(s, v.to_string());
            assert_eq!(parse_int(&s), Some(v));
            assert_eq!(parse_int(&format!("+{v}")), (v >= 0).then_some(v));
        }
    }

    // ---------------------------------------------------------------- parse_float

    #[test]
    fn parse_float_cases() {
        let ok: &[(&str, f64)] = &[
            ("1", 1.0),
            ("-2.5", -2.5),
            ("1e9", 1e9),
            ("2.5E-3", 2.5e-3),
            (".5", 0.5),
            ("5.", 5.0),
            ("+1.5", 1.5),
            ("-.5", -0.5),
            ("+5.", 5.0),
            ("0", 0.0),
            ("1e+5", 1e5),
            ("1E5", 1e5),
            ("00012.5e+0003", 12500.0),
            ("0.1", 0.1),
            ("2.2250738585072014e-308", 2.2250738585072014e-308),
            ("5e-324", 5e-324),
            ("1.7976931348623157e308", f64::MAX),
            ("1e400", f64::INFINITY),
            ("-1e400", f64::NEG_INFINITY),
            ("1e-400", 0.0),
            ("1e99999999999999999999", f64::INFINITY),
            ("9007199254740993", 9007199254740992.0),
            ("0.30000000000000004", 0.1 + 0.2),
            ("123456789012345678901234567890", 1.2345678901234568e29),
        ];
        for &(s, v) in ok {
            let got = parse_float(s);
            assert_eq!(got.map(f64::to_bits), Some(v.to_bits()), "{s:?}");
        }
        assert!(parse_float("-0").unwrap().is_sign_negative());
        assert!(parse_float("-0.0e5").unwrap().is_sign_negative());
        let bad = [
            "", "+", "-", ".", "+.", "-.", "e5", ".e5", "1e", "1e+", "1e-", "1E", "inf", "-inf", "+inf", "nan", "NaN",
            "-nan", "infinity", "Infinity", "0x10", "0x1p3", " 1", "1 ", "1_0", "1.0.0", "1e5.5", "1e5e5", "1..0",
            "--1", "+-1", "1d", "1f", "٣", "1,5", "e", "E", "1e++5", ". 5", "\t1",
        ];
        for s in bad {
            assert_eq!(parse_float(s), None, "{s:?}");
        }
    }

    #[test]
    fn parse_float_random_forms() {
        let mut rng = Rng(777);
        let mut s = String::new();
        for _ in 0..100_000 {
            s.clear();
            let alphabet = b"0123456789.eE+-x _i";
            let len = rng.below(8) + 1;
            for _ in 0..len {
                let c = if rng.below(2) == 0 {
                    b'0' + rng.below(10) as u8
                } else {
                    alphabet[rng.below(alphabet.len() as u64) as usize]
                };
                s.push(c as char);
            }
            let got = parse_float(&s);
            // The reference: Rust's parser restricted to the allowed characters.
            let charset_ok = s.bytes().all(|b| b"0123456789.eE+-".contains(&b));
            let want = if charset_ok { s.parse::<f64>().ok() } else { None };
            assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{s:?}");
        }
    }

    // ---------------------------------------------------------------- quote_str

    #[test]
    fn quote_str_cases() {
        let cases: &[(&str, &str)] = &[
            ("", r#""""#),
            ("a", r#""a""#),
            ("b\n", r#""b\n""#),
            ("tab\there", r#""tab\there""#),
            ("cr\r", r#""cr\r""#),
            ("back\\slash", r#""back\\slash""#),
            ("say \"hi\"", r#""say \"hi\"""#),
            ("nul\0", r#""nul\0""#),
            ("\u{1}", r#""\u{1}""#),
            ("\u{1b}[0m", r#""\u{1b}[0m""#),
            ("\u{1f}", r#""\u{1f}""#),
            ("\u{7f}", r#""\u{7f}""#),
            ("\u{8}\u{b}\u{c}", r#""\u{8}\u{b}\u{c}""#),
            ("héllo wörld", "\"héllo wörld\""),
            ("日本語 🎉", "\"日本語 🎉\""),
            ("\u{80}\u{85}\u{a0}\u{2028}", "\"\u{80}\u{85}\u{a0}\u{2028}\""),
            ("'single'", "\"'single'\""),
            (" ~", "\" ~\""),
            ("é\n日", "\"é\\n日\""),
        ];
        for &(s, want) in cases {
            assert_eq!(q(s), want, "{s:?}");
        }
        let mut out = String::from("[");
        quote_str("a", &mut out);
        out.push_str(", ");
        quote_str("b\n", &mut out);
        out.push(']');
        assert_eq!(out, r#"["a", "b\n"]"#);
    }

    #[test]
    fn quote_str_all_ascii() {
        for b in 0u8..=127 {
            let c = b as char;
            let got = q(c.encode_utf8(&mut [0; 4]));
            let inner = &got[1..got.len() - 1];
            let want = match c {
                '\n' => "\\n".to_string(),
                '\t' => "\\t".to_string(),
                '\r' => "\\r".to_string(),
                '\\' => "\\\\".to_string(),
                '"' => "\\\"".to_string(),
                '\0' => "\\0".to_string(),
                _ if b < 0x20 || b == 0x7f => format!("\\u{{{b:x}}}"),
                _ => c.to_string(),
            };
            assert_eq!(inner, want, "byte {b:#x}");
        }
    }

    // ---------------------------------------------------------------- format_int

    #[test]
    fn format_int_cases() {
        let cases: &[(i64, &str)] = &[
            (0, "0"),
            (1, "1"),
            (-1, "-1"),
            (9, "9"),
            (10, "10"),
            (-10, "-10"),
            (1234567890, "1234567890"),
            (i64::MAX, "9223372036854775807"),
            (i64::MIN, "-9223372036854775808"),
            (i64::MIN + 1, "-9223372036854775807"),
        ];
        for &(v, want) in cases {
            assert_eq!(fi(v), want);
        }
        let mut s = String::from("n=");
        format_int(-42, &mut s);
        assert_eq!(s, "n=-42");
    }
}
