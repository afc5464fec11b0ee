//! Integer division and the float functions whose exact results both tiers share.

use crate::runtime::trap::{Trap, TrapCode};

/// `x / y` on ints: truncating, `MIN / -1 = MIN`, a zero divisor traps.
#[inline(always)]
pub fn div_int(x: i64, y: i64) -> Result<i64, Trap> {
    if y == 0 {
        return Err(TrapCode::DivisionByZero.into());
    }
    Ok(x.wrapping_div(y))
}

/// `x % y` on ints: the sign of the dividend, `MIN % -1 = 0`, a zero divisor traps.
#[inline(always)]
pub fn rem_int(x: i64, y: i64) -> Result<i64, Trap> {
    if y == 0 {
        return Err(TrapCode::DivisionByZero.into());
    }
    Ok(x.wrapping_rem(y))
}

/// `math.min` on floats: NaN if either is NaN, else the smaller (the first when equal).
#[inline]
pub fn fmin(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if y < x {
        y
    } else {
        x
    }
}

/// `math.max` on floats: NaN if either is NaN, else the larger (the first when equal).
#[inline]
pub fn fmax(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if y > x {
        y
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_edges() {
        assert_eq!(div_int(i64::MIN, -1).unwrap(), i64::MIN);
        assert_eq!(rem_int(i64::MIN, -1).unwrap(), 0);
        assert_eq!(div_int(-7, 2).unwrap(), -3);
        assert_eq!(rem_int(-7, 2).unwrap(), -1);
        assert_eq!(div_int(1, 0).unwrap_err().message, "division by zero");
        assert_eq!(rem_int(1, 0).unwrap_err().message, "division by zero");
    }

    #[test]
    fn min_and_max_of_floats() {
        assert!(fmin(f64::NAN, 1.0).is_nan() && fmax(1.0, f64::NAN).is_nan());
        // Equal values (0.0 and -0.0 compare equal): the first.
        assert_eq!(fmin(0.0, -0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(fmin(-0.0, 0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(fmax(-0.0, 0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(fmax(2.0, 3.0), 3.0);
    }
}
