//! sprig's conversions: `atoi`, `int`, `int64`, `float64`, `toDecimal`. Like sprig (which
//! uses spf13/cast and ignores its errors), none of them fails on a bad value: what cannot
//! be converted becomes 0.

use super::super::func::{Call, FuncTable};
use super::super::literal::underscore_ok;
use super::super::value::Value;
use super::args;
use super::gofmt::sprint;

pub(super) fn register(table: &mut FuncTable) {
    table.register("atoi", atoi);
    table.register("int", int);
    table.register("int64", int64);
    table.register("float64", float64);
    table.register("toDecimal", to_decimal);
}

use super::Res;

/// Why Go's `strconv.ParseInt` refused a string.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum IntError {
    Syntax,
    /// Out of range: Go still returns the clamped value.
    Range(i64),
}

/// Go's `strconv.ParseInt(s, base, 64)`; `base` 0 reads a `0x`/`0o`/`0b`/`0` prefix and
/// allows `_` between digits.
pub(super) fn parse_int(s: &[u8], base: u32) -> std::result::Result<i64, IntError> {
    let (neg, mut digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(IntError::Syntax);
    }
    let mut base = base;
    let underscores = base == 0;
    if base == 0 {
        base = 10;
        if digits[0] == b'0' {
            let prefix = digits.get(1).map(u8::to_ascii_lowercase);
            match prefix {
                Some(b'x') if digits.len() >= 3 => (base, digits) = (16, &digits[2..]),
                Some(b'o') if digits.len() >= 3 => (base, digits) = (8, &digits[2..]),
                Some(b'b') if digits.len() >= 3 => (base, digits) = (2, &digits[2..]),
                // a leading 0 means octal; "0" alone is zero
                _ => (base, digits) = (8, &digits[1..]),
            }
        }
    }
    if underscores && !underscore_ok(s) {
        return Err(IntError::Syntax);
    }
    let mut n: u64 = 0;
    let mut overflow = false;
    for b in digits {
        if *b == b'_' && underscores {
            continue;
        }
        let d = match (*b as char).to_digit(36) {
            Some(d) if d < base => u64::from(d),
            _ => return Err(IntError::Syntax),
        };
        match n
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(d))
        {
            Some(v) => n = v,
            None => overflow = true,
        }
    }
    let limit = if neg { 1u64 << 63 } else { (1u64 << 63) - 1 };
    if overflow || n > limit {
        return Err(IntError::Range(if neg { i64::MIN } else { i64::MAX }));
    }
    Ok(if neg {
        0i64.wrapping_sub_unsigned(n)
    } else {
        i64::try_from(n).unwrap_or(i64::MAX)
    })
}

/// Go's `strconv.ParseFloat(s, 64)`, where an error (syntax or overflow) gives `None`.
/// Hexadecimal floats are refused (rare in Secrets; documented).
pub(super) fn parse_float(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    let unsigned = text.trim_start_matches(['+', '-']);
    if unsigned.len() + 1 < text.len() {
        return None;
    }
    let lower_starts = |p: &str| {
        unsigned.len() >= p.len()
            && unsigned.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    };
    if lower_starts("0x") || unsigned.contains('_') {
        return None;
    }
    let special_inf =
        unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity");
    if unsigned.eq_ignore_ascii_case("nan") && unsigned.len() != text.len() {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    if f.is_infinite() && !special_inf {
        return None; // ErrRange
    }
    Some(f)
}

/// Go's conversion of a float64 to int64 on amd64: out of range and NaN give MinInt64.
fn float_to_int(f: f64) -> i64 {
    // 2^63: the first float64 past the int64 range
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f.trunc() as i64
    }
}

/// cast's `ToInt64`: 0 for what it cannot convert.
fn cast_int(v: &Value<'_>) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint8(b) => i64::from(*b),
        Value::Float(f) => float_to_int(*f),
        Value::Bool(b) => i64::from(*b),
        Value::Str(s) => {
            parse_int(super::numeric_cast::trim_zero_decimal(s.as_bytes()), 0).unwrap_or(0)
        }
        _ => 0,
    }
}

fn atoi<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let s = args::string(call, &args, 0)?;
    Ok(Value::Int(match parse_int(s, 10) {
        Ok(n) | Err(IntError::Range(n)) => n,
        Err(IntError::Syntax) => 0,
    }))
}

fn int<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(Value::Int(cast_int(&args[0])))
}

fn int64<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(Value::Int64(cast_int(&args[0])))
}

fn float64<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(Value::Float(match &args[0] {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Uint8(b) => f64::from(*b),
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(s) => parse_float(s.as_bytes()).unwrap_or(0.0),
        _ => 0.0,
    }))
}

/// `toDecimal`: `fmt.Sprint(v)` read as an octal number (`"0777"` → 511), 0 on failure.
fn to_decimal<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let mut text = call.buf();
    sprint(&args[0], &mut text)?;
    Ok(Value::Int64(parse_int(text.as_slice(), 8).unwrap_or(0)))
}
