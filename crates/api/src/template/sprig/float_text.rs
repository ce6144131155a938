//! Go's `%v` for a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): the shortest digits
//! that read back exactly, in exponent form when the exponent is below -4 or at least 6
//! (`1e+06`, `1.5e-05`), otherwise plain (`100000`, `0.0001`). Written on the stack: the
//! number may come from a secret.

use std::fmt::Write;

/// The text of one float, held in a fixed buffer.
pub(crate) struct FloatText {
    buf: [u8; 40],
    len: usize,
}

/// A `fmt::Write` into a fixed stack buffer (Rust's shortest `{:e}` needs under 32 bytes).
pub(super) struct Stack {
    pub(super) buf: [u8; 40],
    pub(super) len: usize,
}

impl Stack {
    pub(super) fn new() -> Self {
        Stack {
            buf: [0; 40],
            len: 0,
        }
    }

    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Write for Stack {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl FloatText {
    pub(crate) fn new(f: f64) -> Self {
        let mut out = FloatText {
            buf: [0; 40],
            len: 0,
        };
        if f.is_nan() {
            out.push(b"NaN");
        } else if f.is_infinite() {
            out.push(if f > 0.0 { b"+Inf" } else { b"-Inf" });
        } else if f == 0.0 {
            out.push(if f.is_sign_negative() { b"-0" } else { b"0" });
        } else {
            out.write_finite(f);
        }
        out
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }

    fn write_finite(&mut self, f: f64) {
        let mut sci = Stack {
            buf: [0; 40],
            len: 0,
        };
        // Rust's `{:e}` is the shortest round-trip form, like Go's: "-1.2345e-7".
        if write!(sci, "{f:e}").is_err() {
            return;
        }
        let text = &sci.buf[..sci.len];
        let (neg, text) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        let Some(e_at) = text.iter().position(|&c| c == b'e') else {
            return;
        };
        let (mantissa, exp_text) = (&text[..e_at], &text[e_at + 1..]);
        let mut digits = [0u8; 20];
        let mut nd = 0;
        for &c in mantissa.iter().filter(|c| c.is_ascii_digit()) {
            if let Some(slot) = digits.get_mut(nd) {
                *slot = c;
                nd += 1;
            }
        }
        let digits = &digits[..nd];
        let exp = parse_exp(exp_text);
        if neg {
            self.push(b"-");
        }
        if !(-4..6).contains(&exp) {
            self.push(&digits[..1]);
            if digits.len() > 1 {
                self.push(b".");
                self.push(&digits[1..]);
            }
            self.push(if exp < 0 { b"e-" } else { b"e+" });
            let mag = exp.unsigned_abs();
            if mag < 10 {
                self.push(b"0");
            }
            let mut buf = [0u8; 4];
            let mut i = buf.len();
            let mut m = mag;
            loop {
                i -= 1;
                buf[i] = b'0' + (m % 10) as u8;
                m /= 10;
                if m == 0 {
                    break;
                }
            }
            self.push(&buf[i..]);
        } else if exp < 0 {
            self.push(b"0.");
            for _ in 0..(-exp - 1) {
                self.push(b"0");
            }
            self.push(digits);
        } else {
            let int_len = (exp as usize) + 1;
            if digits.len() <= int_len {
                self.push(digits);
                for _ in digits.len()..int_len {
                    self.push(b"0");
                }
            } else {
                self.push(&digits[..int_len]);
                self.push(b".");
                self.push(&digits[int_len..]);
            }
        }
    }
}

fn parse_exp(text: &[u8]) -> i32 {
    let (neg, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let mag = digits.iter().fold(0i32, |n, &c| {
        n.saturating_mul(10)
            .saturating_add(i32::from(c.wrapping_sub(b'0')))
    });
    if neg { -mag } else { mag }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::FloatText;

    #[test]
    fn prints_like_go_fmt() {
        for (f, want) in [
            (1e6, "1e+06"),
            (1e20, "1e+20"),
            (123456789.0, "1.23456789e+08"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (100000.0, "100000"),
            (3.0, "3"),
            (-2.5, "-2.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e300, "1e+300"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Inf"),
        ] {
            assert_eq!(FloatText::new(f).as_bytes(), want.as_bytes(), "{f}");
        }
    }
}
