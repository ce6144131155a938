//! Go's `fmt.Sprint` (`%v`) of a value, which sprig's `toString`, `cat`, `quote`, `squote`
//! and `toStrings` use for anything that is not a string (the engine's `fmt`), and the number
//! formats `encoding/json` and the error texts of decoders need.
//!
//! Numbers are formatted on the stack, never through `format!`: a number may come from a
//! value (`float64 .v`), and a heap `String` of it would be an unwiped copy of plaintext.

use super::super::budget::SecureBuf;
use super::super::error::TemplateError;
use super::super::value::Value;
use std::fmt::Write;

/// Append `v` as Go's `fmt.Sprint(v)` writes it (the engine's `fmt`).
pub(super) fn sprint(v: &Value<'_>, out: &mut SecureBuf<'_>) -> Result<(), TemplateError> {
    super::super::fmt::sprint(std::slice::from_ref(v), out)
}

/// A decimal integer.
pub(super) fn int(i: i64, out: &mut SecureBuf<'_>) -> Result<(), TemplateError> {
    let mut s = Stack::default();
    let _ = write!(s, "{i}");
    out.extend(s.as_bytes())
}

/// A small stack buffer implementing `fmt::Write` (numbers only: at most 64 bytes).
pub(super) struct Stack {
    buf: [u8; 64],
    len: usize,
}

impl Default for Stack {
    fn default() -> Self {
        Self {
            buf: [0; 64],
            len: 0,
        }
    }
}

impl Stack {
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Write for Stack {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.buf);
    }
}

/// The shortest decimal digits of a finite, non-zero `|f|`, and its decimal exponent `e`
/// such that `|f| = 0.d1d2… × 10^e` (Go's `decimal.dp`).
struct Digits {
    digits: [u8; 32],
    n: usize,
    dp: i32,
}

fn digits(f: f64) -> Digits {
    let mut s = Stack::default();
    // `{:e}` writes the shortest round-trip digits: `d.ddde±x`.
    let _ = write!(s, "{:e}", f.abs());
    let bytes = s.as_bytes();
    let mut d = Digits {
        digits: [0; 32],
        n: 0,
        dp: 0,
    };
    let mut exp_at = bytes.len();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'0'..=b'9' if d.n < d.digits.len() => {
                d.digits[d.n] = *b;
                d.n += 1;
            }
            b'e' => {
                exp_at = i + 1;
                break;
            }
            _ => {}
        }
    }
    let mut exp: i32 = 0;
    let mut neg = false;
    for b in bytes.get(exp_at..).unwrap_or_default() {
        match b {
            b'-' => neg = true,
            b'0'..=b'9' => exp = exp * 10 + i32::from(b - b'0'),
            _ => {}
        }
    }
    d.dp = if neg { -exp } else { exp } + 1;
    d
}

/// Go's `encoding/json` float64: `'f'` unless the magnitude is below 1e-6 or at least 1e21,
/// then `'e'` with a single-digit exponent kept as is (`1e-7`, `1e+21`).
pub(super) fn float_json(f: f64, out: &mut SecureBuf<'_>) -> Result<(), TemplateError> {
    if f.is_sign_negative() && f != 0.0 {
        out.extend(b"-")?;
    }
    if f == 0.0 {
        // Go writes -0 as "-0".
        return out.extend(if f.is_sign_negative() { b"-0" } else { b"0" });
    }
    let d = digits(f);
    let abs = f.abs();
    if !(1e-6..1e21).contains(&abs) {
        exponent(&d, 1, out)
    } else {
        fixed(&d, out)
    }
}

/// `d.ddde±xx` with at least `min_exp_digits` exponent digits.
fn exponent(
    d: &Digits,
    min_exp_digits: usize,
    out: &mut SecureBuf<'_>,
) -> Result<(), TemplateError> {
    out.extend(&d.digits[..1])?;
    if d.n > 1 {
        out.extend(b".")?;
        out.extend(&d.digits[1..d.n])?;
    }
    let exp = d.dp - 1;
    out.extend(if exp < 0 { b"e-" } else { b"e+" })?;
    let mut s = Stack::default();
    let _ = write!(s, "{:0width$}", exp.unsigned_abs(), width = min_exp_digits);
    out.extend(s.as_bytes())
}

/// Plain decimal notation.
fn fixed(d: &Digits, out: &mut SecureBuf<'_>) -> Result<(), TemplateError> {
    let digits = &d.digits[..d.n];
    if d.dp <= 0 {
        out.extend(b"0.")?;
        for _ in 0..(-d.dp) {
            out.extend(b"0")?;
        }
        return out.extend(digits);
    }
    let dp = usize::try_from(d.dp).unwrap_or(0);
    if dp >= digits.len() {
        out.extend(digits)?;
        for _ in digits.len()..dp {
            out.extend(b"0")?;
        }
        Ok(())
    } else {
        out.extend(&digits[..dp])?;
        out.extend(b".")?;
        out.extend(&digits[dp..])
    }
}
