//! spf13/cast's `ToInt64` and `ToFloat64`, as sprig's math calls them: never an error, a
//! value that cannot be converted counts as 0.
//!
//! Rules (cast's `ToInt64E`/`ToFloat64E`): integers as they are; floats truncate toward zero;
//! bools are 1/0; nil is 0; strings parse as Go's `strconv.ParseInt(s, 0, 64)` (prefixes
//! `0x`, `0o`, `0b`, a leading `0` for octal, `_` separators) after dropping a trailing
//! `.0…`, or as `strconv.ParseFloat`; anything else (lists, maps, bad strings) is 0.

use super::super::literal::underscore_ok;
use super::super::value::Value;

/// cast.ToInt64 (also cast.ToInt: Go's `int` is 64 bits on the platforms Bitnami ships).
pub(super) fn to_int64(v: &Value<'_>) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => go_f64_to_i64(*f),
        Value::Bool(b) => i64::from(*b),
        Value::Str(s) => parse_go_int(trim_zero_decimal(s.as_bytes())).unwrap_or(0),
        _ => 0,
    }
}

/// cast.ToFloat64.
pub(super) fn to_float64(v: &Value<'_>) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(s) => parse_go_float(s.as_bytes()).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Go's `int64(f)` on amd64: truncation toward zero, and the "integer indefinite" value
/// (the minimum int64) for NaN and anything out of range.
pub(super) fn go_f64_to_i64(f: f64) -> i64 {
    // 2^63 is exactly representable; every float strictly inside (-2^63-1, 2^63) truncates.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// cast's trimZeroDecimal: "12.000" → "12"; anything else unchanged.
pub(super) fn trim_zero_decimal(s: &[u8]) -> &[u8] {
    let mut found_zero = false;
    for i in (1..=s.len()).rev() {
        match s[i - 1] {
            b'.' if found_zero => return &s[..i - 1],
            b'.' => {}
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// Go's `strconv.ParseInt(s, 0, 64)`; `None` on a syntax or range error.
pub(super) fn parse_go_int(s: &[u8]) -> Option<i64> {
    let (neg, body) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_go_uint_base0(body)?;
    if neg {
        if magnitude > 1u64 << 63 {
            return None;
        }
        Some((magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)`.
fn parse_go_uint_base0(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let full = s;
    let (base, digits): (u64, &[u8]) = if s[0] == b'0' {
        match s.get(1).map(|c| c.to_ascii_lowercase()) {
            Some(b'b') if s.len() >= 3 => (2, &s[2..]),
            Some(b'o') if s.len() >= 3 => (8, &s[2..]),
            Some(b'x') if s.len() >= 3 => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for &c in digits {
        let d = match c {
            b'_' => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u64::from(c - b'0'),
            b'a'..=b'z' => u64::from(c - b'a') + 10,
            b'A'..=b'Z' => u64::from(c - b'A') + 10,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        n = n.checked_mul(base)?.checked_add(d)?;
    }
    if underscores && !underscore_ok(full) {
        return None;
    }
    Some(n)
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal input; `None` on a syntax or range error
/// (Go reports ±Inf from an overflowing literal as an error, which cast turns into 0).
/// Hexadecimal floats (`0x1p4`) are not recognised and read as 0.
pub(super) fn parse_go_float(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    let unsigned = text.trim_start_matches(['+', '-']);
    if text.len() - unsigned.len() > 1 {
        return None;
    }
    let lower = unsigned.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return text.parse::<f64>().ok();
    }
    if !unsigned
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'))
    {
        return None;
    }
    let parsed = if text.contains('_') {
        if !underscore_ok(s) {
            return None;
        }
        let cleaned: String = text.chars().filter(|&c| c != '_').collect();
        cleaned.parse::<f64>().ok()?
    } else {
        text.parse::<f64>().ok()?
    };
    if parsed.is_infinite() {
        None
    } else {
        Some(parsed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn go_int_parsing_follows_strconv_base_zero() {
        for (s, want) in [
            ("12", Some(12)),
            ("-12", Some(-12)),
            ("+7", Some(7)),
            ("0x1F", Some(31)),
            ("0o17", Some(15)),
            ("017", Some(15)),
            ("0b101", Some(5)),
            ("1_000", Some(1000)),
            ("0", Some(0)),
            ("08", None),
            ("0x", None),
            ("_1", None),
            ("1__0", None),
            ("1_", None),
            ("", None),
            ("-", None),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("1.5", None),
        ] {
            assert_eq!(parse_go_int(s.as_bytes()), want, "{s}");
        }
    }

    #[test]
    fn cast_trims_zero_decimals_only() {
        assert_eq!(trim_zero_decimal(b"12.000"), b"12");
        assert_eq!(trim_zero_decimal(b"10"), b"10");
        assert_eq!(trim_zero_decimal(b"1.5"), b"1.5");
        assert_eq!(trim_zero_decimal(b".0"), b"");
    }

    #[test]
    fn float_to_int_is_amd64_conversion() {
        assert_eq!(go_f64_to_i64(2.9), 2);
        assert_eq!(go_f64_to_i64(-2.9), -2);
        assert_eq!(go_f64_to_i64(f64::NAN), i64::MIN);
        assert_eq!(go_f64_to_i64(1e19), i64::MIN);
        assert_eq!(go_f64_to_i64(-1e19), i64::MIN);
    }

    #[test]
    fn go_float_parsing() {
        assert_eq!(parse_go_float(b"1.5"), Some(1.5));
        assert_eq!(parse_go_float(b"1e400"), None);
        assert_eq!(parse_go_float(b"1_0.5"), Some(10.5));
        assert_eq!(parse_go_float(b"abc"), None);
        assert!(parse_go_float(b"-Inf").is_some_and(|f| f == f64::NEG_INFINITY));
        assert_eq!(parse_go_float(b"--1"), None);
    }
}
