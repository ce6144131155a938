//! The decimal arithmetic of sprig's `addf`, `subf`, `mulf`, `divf` and `add1f`
//! (shopspring/decimal): each float becomes the decimal of its shortest round-trip digits
//! (so 0.1 is exactly 0.1), the operation is exact (division rounds half away from zero to
//! 16 decimal places), and the result is rounded to the nearest float64.
//!
//! Mantissas live in an i128; an operation whose exact result does not fit (operands some
//! 20 orders of magnitude apart) falls back to float64 arithmetic, which can differ from
//! sprig in the last bit.

use super::stack_text::StackText;
use std::fmt::Write;

/// The digits of a number taken from a value are plaintext, so they never go through a
/// heap `String` (Rust's shortest `{:e}` of an f64, or an i128 mantissa with its exponent,
/// needs under 48 bytes).
type Stack = StackText<48>;

/// `mant × 10^exp`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Decimal {
    mant: i128,
    exp: i32,
}

/// Why an operation has no decimal result.
#[derive(Debug, PartialEq)]
pub(super) enum DecimalError {
    /// NaN or ±Inf (shopspring panics on them).
    NotFinite,
    DivisionByZero,
}

impl Decimal {
    /// The decimal of `f`'s shortest round-trip digits.
    pub(super) fn from_f64(f: f64) -> Result<Self, DecimalError> {
        if !f.is_finite() {
            return Err(DecimalError::NotFinite);
        }
        if f == 0.0 {
            return Ok(Decimal { mant: 0, exp: 0 });
        }
        let mut text = Stack::new();
        if write!(text, "{f:e}").is_err() {
            return Err(DecimalError::NotFinite);
        }
        let s = text.as_str();
        let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let frac_digits = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
        let mut mant: i128 = 0;
        for c in mantissa.bytes().filter(u8::is_ascii_digit) {
            mant = mant * 10 + i128::from(c - b'0');
        }
        if mantissa.starts_with('-') {
            mant = -mant;
        }
        Ok(Decimal {
            mant,
            exp: exp - frac_digits,
        })
    }

    /// The nearest float64.
    pub(super) fn to_f64(self) -> f64 {
        let mut text = Stack::new();
        if write!(text, "{}e{}", self.mant, self.exp).is_err() {
            return f64::NAN;
        }
        text.as_str().parse().unwrap_or(f64::NAN)
    }

    /// Both mantissas at the smaller exponent, if they fit.
    fn aligned(self, other: Self) -> Option<(i128, i128, i32)> {
        let exp = self.exp.min(other.exp);
        let a = self.mant.checked_mul(pow10(self.exp - exp)?)?;
        let b = other.mant.checked_mul(pow10(other.exp - exp)?)?;
        Some((a, b, exp))
    }

    pub(super) fn add(self, other: Self) -> Self {
        match self
            .aligned(other)
            .and_then(|(a, b, exp)| Some((a.checked_add(b)?, exp)))
        {
            Some((mant, exp)) => Decimal { mant, exp },
            None => fallback(self.to_f64() + other.to_f64()),
        }
    }

    pub(super) fn sub(self, other: Self) -> Self {
        self.add(Decimal {
            mant: -other.mant,
            exp: other.exp,
        })
    }

    pub(super) fn mul(self, other: Self) -> Self {
        match self.mant.checked_mul(other.mant) {
            Some(mant) => Decimal {
                mant,
                exp: self.exp.saturating_add(other.exp),
            },
            None => fallback(self.to_f64() * other.to_f64()),
        }
    }

    /// shopspring's `Div`: the quotient rounded half away from zero to 16 decimal places.
    pub(super) fn div(self, other: Self) -> Result<Self, DecimalError> {
        if other.mant == 0 {
            return Err(DecimalError::DivisionByZero);
        }
        const PLACES: i32 = 16;
        // q × 10^16 = self.mant × 10^(self.exp - other.exp + 16) / other.mant
        let shift = self.exp - other.exp + PLACES;
        let (num, den) = if shift >= 0 {
            (
                pow10(shift).and_then(|p| self.mant.checked_mul(p)),
                Some(other.mant),
            )
        } else {
            (
                Some(self.mant),
                pow10(-shift).and_then(|p| other.mant.checked_mul(p)),
            )
        };
        let (Some(num), Some(den)) = (num, den) else {
            return Ok(fallback(self.to_f64() / other.to_f64()));
        };
        let (mut q, r) = (num / den, num % den);
        if r.unsigned_abs().saturating_mul(2) >= den.unsigned_abs() {
            q += if (num < 0) == (den < 0) { 1 } else { -1 };
        }
        Ok(Decimal {
            mant: q,
            exp: -PLACES,
        })
    }
}

fn pow10(n: i32) -> Option<i128> {
    10i128.checked_pow(u32::try_from(n).ok()?)
}

/// A float result as a decimal (only for results too wide for the exact path).
fn fallback(f: f64) -> Decimal {
    Decimal::from_f64(f).unwrap_or(Decimal { mant: 0, exp: 0 })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn d(f: f64) -> Decimal {
        Decimal::from_f64(f).unwrap()
    }

    #[test]
    fn decimal_arithmetic_is_exact_on_shortest_digits() {
        assert_eq!(d(0.1).add(d(0.2)).to_f64(), 0.3);
        assert_eq!(d(1.5).sub(d(0.25)).to_f64(), 1.25);
        assert_eq!(d(0.1).mul(d(3.0)).to_f64(), 0.3);
        assert_eq!(d(1.0).div(d(3.0)).unwrap().to_f64(), 0.3333333333333333);
        assert_eq!(d(2.0).div(d(3.0)).unwrap().to_f64(), 0.6666666666666667);
        assert_eq!(d(-2.0).div(d(3.0)).unwrap().to_f64(), -0.6666666666666667);
        assert_eq!(d(1e-20).div(d(1.0)).unwrap().to_f64(), 0.0);
        assert_eq!(d(1.0).div(d(0.0)), Err(DecimalError::DivisionByZero));
        assert_eq!(Decimal::from_f64(f64::NAN), Err(DecimalError::NotFinite));
    }
}
