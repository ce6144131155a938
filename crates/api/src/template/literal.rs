//! Literals written in a template: Go's `strconv.Unquote` for strings and character
//! constants, and Go's number syntax with the classification `text/template` gives numbers.

use super::TemplateError;
use super::lex::Kind;

/// A number constant, as `text/template` will use it when evaluated.
#[derive(Clone, Copy, Debug)]
pub(super) enum Number {
    Int(i64),
    Float(f64),
    /// Fits only an unsigned 64-bit integer: Go fails when evaluating it ("overflows int").
    Overflow,
    /// An imaginary or complex constant: Go has them, we refuse them when evaluated.
    Complex,
}

/// Go's `strconv.Unquote` of a `"…"` or `` `…` `` literal: the bytes it denotes (escapes such
/// as `\xff` may make them invalid UTF-8).
pub(super) fn unquote(text: &str) -> Result<Vec<u8>, TemplateError> {
    let bytes = text.as_bytes();
    if bytes.len() < 2 {
        return Err(TemplateError::BadString);
    }
    let inner = &text[1..text.len() - 1];
    if bytes[0] == b'`' {
        // Go drops carriage returns from raw strings.
        return Ok(inner.bytes().filter(|b| *b != b'\r').collect());
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut rest = inner;
    while !rest.is_empty() {
        let (value, multibyte, tail) = unquote_one(rest, '"')?;
        if value < 0x80 || !multibyte {
            out.push(value as u8);
        } else {
            let c = char::from_u32(value).ok_or(TemplateError::BadString)?;
            let mut tmp = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
        }
        rest = tail;
    }
    Ok(out)
}

/// A character constant `'x'`: its rune as an integer.
pub(super) fn unquote_char(text: &str) -> Result<Number, TemplateError> {
    let inner = text.get(1..).ok_or(TemplateError::BadCharConstant)?;
    let (value, _, tail) = unquote_one(inner, '\'').map_err(|_| TemplateError::BadCharConstant)?;
    if tail != "'" {
        return Err(TemplateError::BadCharConstant);
    }
    Ok(Number::Int(i64::from(value)))
}

/// Go's `strconv.UnquoteChar`: (value, whether it is a rune to encode, rest).
fn unquote_one(s: &str, quote: char) -> Result<(u32, bool, &str), TemplateError> {
    let bad = TemplateError::BadString;
    let mut chars = s.chars();
    let c = chars.next().ok_or(bad.clone())?;
    if c == quote {
        return Err(bad);
    }
    if !c.is_ascii() {
        return Ok((c as u32, true, chars.as_str()));
    }
    if c != '\\' {
        return Ok((c as u32, false, chars.as_str()));
    }
    let e = chars.next().ok_or(bad.clone())?;
    let rest = chars.as_str();
    let simple = |v: u8| Ok((u32::from(v), false, rest));
    match e {
        'a' => simple(7),
        'b' => simple(8),
        'f' => simple(12),
        'n' => simple(b'\n'),
        'r' => simple(b'\r'),
        't' => simple(b'\t'),
        'v' => simple(11),
        '\\' => simple(b'\\'),
        '\'' | '"' => {
            if e != quote {
                return Err(bad);
            }
            simple(e as u8)
        }
        'x' | 'u' | 'U' => {
            let n = match e {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            let digits = rest.get(..n).ok_or(bad.clone())?;
            let v = u32::from_str_radix(digits, 16).map_err(|_| bad.clone())?;
            if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad);
            }
            let rest = &rest[n..];
            if e == 'x' {
                return Ok((v, false, rest));
            }
            if char::from_u32(v).is_none() {
                return Err(bad);
            }
            Ok((v, true, rest))
        }
        '0'..='7' => {
            let digits = s.get(1..4).ok_or(bad.clone())?;
            if !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                return Err(bad);
            }
            let v = u32::from_str_radix(digits, 8).map_err(|_| bad.clone())?;
            if v > 255 {
                return Err(bad);
            }
            Ok((v, false, &s[4..]))
        }
        _ => Err(bad),
    }
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix). Shared
/// with sprig's conversions, which parse numbers with Go's `strconv` rules too.
pub(super) fn underscore_ok(s: &[u8]) -> bool {
    let s = match s.first() {
        Some(b'+' | b'-') => &s[1..],
        _ => s,
    };
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(s[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = s[1] | 0x20 == b'x';
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || (hex && (b'a'..=b'f').contains(&(c | 0x20))) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseUint(s, 0, 64)`.
fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (base, digits) = if b[0] == b'0' {
        if b.len() >= 3 && b[1] | 0x20 == b'b' {
            (2, &s[2..])
        } else if b.len() >= 3 && b[1] | 0x20 == b'o' {
            (8, &s[2..])
        } else if b.len() >= 3 && b[1] | 0x20 == b'x' {
            (16, &s[2..])
        } else {
            (8, &s[1..])
        }
    } else {
        (10, s)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    for c in digits.bytes() {
        if c == b'_' {
            underscores = true;
            continue;
        }
        let d = (c as char).to_digit(16)?;
        if d >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    if underscores && !underscore_ok(s.as_bytes()) {
        return None;
    }
    Some(n)
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(body)?;
    if neg {
        if u > 1u64 << 63 {
            return None;
        }
        Some((u as i64).wrapping_neg())
    } else {
        i64::try_from(u).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms the lexer lets through (decimal and
/// hexadecimal, with underscores). `None` on a syntax error or overflow.
fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s.as_bytes()) {
        return None;
    }
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    let (neg, body) = match clean.as_bytes().first() {
        Some(b'+') => (false, &clean[1..]),
        Some(b'-') => (true, &clean[1..]),
        _ => (false, &clean[..]),
    };
    let value = if body.len() > 2 && body.as_bytes()[0] == b'0' && body.as_bytes()[1] | 0x20 == b'x'
    {
        hex_float(&body[2..])?
    } else {
        if !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
            || !body.bytes().any(|b| b.is_ascii_digit())
        {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    if value.is_infinite() {
        return None;
    }
    Some(if neg { -value } else { value })
}

/// The part of a hexadecimal float after `0x`: mantissa digits, optional point, and a
/// mandatory `p` exponent.
fn hex_float(s: &str) -> Option<f64> {
    let p = s.find(['p', 'P'])?;
    let (mant, exp) = (&s[..p], &s[p + 1..]);
    let exp: i32 = exp.parse().ok()?;
    let mut value = 0f64;
    let mut scale = 0i32;
    let mut seen_point = false;
    let mut any = false;
    for c in mant.chars() {
        if c == '.' {
            if seen_point {
                return None;
            }
            seen_point = true;
            continue;
        }
        let d = c.to_digit(16)?;
        any = true;
        value = value * 16.0 + f64::from(d);
        if seen_point {
            scale -= 4;
        }
    }
    if !any {
        return None;
    }
    Some(value * 2f64.powi(exp.saturating_add(scale)))
}

/// A number token as `text/template` classifies it (`parse.newNumber`, then
/// `state.idealConstant`).
pub(super) fn parse_number(text: &str, kind: Kind) -> Result<Number, TemplateError> {
    if kind == Kind::Complex {
        return Ok(Number::Complex);
    }
    if let Some(body) = text.strip_suffix('i')
        && parse_float(body).is_some()
    {
        return Ok(Number::Complex);
    }
    let uint = parse_uint(text);
    let int = parse_int(text);
    let has_float_syntax = text.contains(['.', 'e', 'E', 'p', 'P']);
    let hex_int = text.len() > 2
        && text.as_bytes()[0] == b'0'
        && text.as_bytes()[1] | 0x20 == b'x'
        && !text.contains(['p', 'P']);
    if let Some(i) = int {
        return Ok(Number::Int(i));
    }
    if uint.is_some() {
        return Ok(Number::Overflow);
    }
    let Some(f) = parse_float(text) else {
        return Err(TemplateError::BadNumber);
    };
    if !has_float_syntax {
        return Err(TemplateError::BadNumber);
    }
    // `idealConstant`: a float literal stays a float even when integral ("1e3", "2.0").
    if !hex_int {
        return Ok(Number::Float(f));
    }
    Ok(Number::Float(f))
}
