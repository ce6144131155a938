//! sprig's `duration` and `durationRound`, which need no clock: `duration SECONDS` prints
//! Go's `time.Duration` of that many seconds (`1h1m1s`), `durationRound D` rounds a Go
//! duration string or an int64 of nanoseconds down to its largest unit (`2h`, `3mo`).
//!
//! As in sprig, `duration` reads only an int64 or a decimal string (a Go `int`, such as the
//! literal `30`, counts as 0) and `durationRound` only an int64 or a duration string;
//! anything else, and any unparsable string, counts as 0. The time.Time form of
//! `durationRound` needs `now`, which is not supported.

use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::sequences::itoa;

pub(super) fn register(table: &mut FuncTable) {
    table.register("duration", duration);
    table.register("durationRound", duration_round);
}

use super::Res;

const SECOND: u64 = 1_000_000_000;

/// Go's `strconv.ParseInt(s, 10, 64)`.
fn parse_decimal(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if neg {
        if n > 1 << 63 {
            return None;
        }
        Some((n as i64).wrapping_neg())
    } else {
        i64::try_from(n).ok()
    }
}

/// Go's `time.Duration.String()` of `d` nanoseconds, into a stack buffer.
fn go_duration_text(d: i64, buf: &mut [u8; 40]) -> &[u8] {
    let mut w = buf.len();
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    // Writes the fraction v / 10^prec without trailing zeros; returns v / 10^prec.
    fn frac(buf: &mut [u8; 40], w: &mut usize, mut v: u64, prec: usize) -> u64 {
        let mut print = false;
        for _ in 0..prec {
            let digit = (v % 10) as u8;
            print = print || digit != 0;
            if print {
                *w -= 1;
                buf[*w] = b'0' + digit;
            }
            v /= 10;
        }
        if print {
            *w -= 1;
            buf[*w] = b'.';
        }
        v
    }
    fn int(buf: &mut [u8; 40], w: &mut usize, mut v: u64) {
        loop {
            *w -= 1;
            buf[*w] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
    }
    if u == 0 {
        buf[..2].copy_from_slice(b"0s");
        return &buf[..2];
    }
    w -= 1;
    buf[w] = b's';
    if u < SECOND {
        let prec = if u < 1_000 {
            w -= 1;
            buf[w] = b'n';
            0
        } else if u < 1_000_000 {
            w -= 2;
            buf[w..w + 2].copy_from_slice("µ".as_bytes());
            3
        } else {
            w -= 1;
            buf[w] = b'm';
            6
        };
        u = frac(buf, &mut w, u, prec);
        int(buf, &mut w, u);
    } else {
        u = frac(buf, &mut w, u, 9);
        int(buf, &mut w, u % 60);
        u /= 60;
        if u > 0 {
            w -= 1;
            buf[w] = b'm';
            int(buf, &mut w, u % 60);
            u /= 60;
            if u > 0 {
                w -= 1;
                buf[w] = b'h';
                int(buf, &mut w, u);
            }
        }
    }
    if neg {
        w -= 1;
        buf[w] = b'-';
    }
    &buf[w..]
}

fn duration<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let seconds = match &args[0] {
        Value::Int64(n) => *n,
        Value::Str(s) => parse_decimal(s.as_bytes()).unwrap_or(0),
        _ => 0,
    };
    let mut buf = [0u8; 40];
    call.copy_str(go_duration_text(
        seconds.wrapping_mul(SECOND as i64),
        &mut buf,
    ))
}

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, units ns, us, µs, μs,
/// ms, s, m, h; `None` on a syntax error or overflow.
fn parse_go_duration(s: &[u8]) -> Option<i64> {
    let (neg, mut s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if s == b"0" {
        return Some(0);
    }
    if s.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return None;
        }
        let int_len = s.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut v: u64 = 0;
        for &c in &s[..int_len] {
            if v > (1 << 63) / 10 {
                return None;
            }
            v = v * 10 + u64::from(c - b'0');
            if v > 1 << 63 {
                return None;
            }
        }
        s = &s[int_len..];
        let (mut f, mut scale, mut post) = (0u64, 1f64, false);
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let frac_len = s.iter().take_while(|c| c.is_ascii_digit()).count();
            let mut overflow = false;
            for &c in &s[..frac_len] {
                if overflow {
                    continue;
                }
                if f > ((1u64 << 63) - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = f * 10 + u64::from(c - b'0');
                if y > 1 << 63 {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10.0;
            }
            post = frac_len > 0;
            s = &s[frac_len..];
        }
        if int_len == 0 && !post {
            return None;
        }
        let unit_len = s
            .iter()
            .take_while(|&&c| !(c == b'.' || c.is_ascii_digit()))
            .count();
        if unit_len == 0 {
            return None;
        }
        let unit: u64 = match &s[..unit_len] {
            b"ns" => 1,
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => SECOND,
            b"m" => 60 * SECOND,
            b"h" => 3600 * SECOND,
            _ => return None,
        };
        s = &s[unit_len..];
        if v > (1 << 63) / unit {
            return None;
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > 1 << 63 {
                return None;
            }
        }
        total = total.checked_add(v)?;
        if total > 1 << 63 {
            return None;
        }
    }
    if neg {
        return Some((total as i64).wrapping_neg());
    }
    i64::try_from(total).ok()
}

fn duration_round<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let d = match &args[0] {
        Value::Int64(n) => *n,
        Value::Str(s) => {
            call.work(s.as_bytes().len())?;
            parse_go_duration(s.as_bytes()).unwrap_or(0)
        }
        _ => 0,
    };
    let u = d.unsigned_abs();
    const HOUR: u64 = 3600 * SECOND;
    let units: [(u64, &[u8]); 6] = [
        (HOUR * 24 * 365, b"y"),
        (HOUR * 24 * 30, b"mo"),
        (HOUR * 24, b"d"),
        (HOUR, b"h"),
        (60 * SECOND, b"m"),
        (SECOND, b"s"),
    ];
    let mut out = call.buf_with_capacity(24)?;
    match units.iter().find(|(size, _)| u > *size) {
        Some((size, name)) => {
            let mut digits = [0u8; 20];
            out.extend(itoa((u / size) as i64, &mut digits))?;
            out.extend(name)?;
        }
        None => out.extend(b"0s")?,
    }
    Ok(call.string(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_strings() {
        let mut b = [0u8; 40];
        for (ns, want) in [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_661 * SECOND as i64, "1h1m1s"),
            (60 * SECOND as i64, "1m0s"),
            (-90 * SECOND as i64, "-1m30s"),
            (1_500_000_000, "1.5s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ] {
            assert_eq!(go_duration_text(ns, &mut b), want.as_bytes(), "{ns}");
        }
    }

    #[test]
    fn go_duration_parsing() {
        assert_eq!(parse_go_duration(b"1h30m"), Some(5400 * SECOND as i64));
        assert_eq!(parse_go_duration(b"1.5h"), Some(5400 * SECOND as i64));
        assert_eq!(parse_go_duration(b"-2m"), Some(-120 * SECOND as i64));
        assert_eq!(parse_go_duration(b"300ms"), Some(300_000_000));
        assert_eq!(parse_go_duration("1µs".as_bytes()), Some(1_000));
        assert_eq!(parse_go_duration(b"0"), Some(0));
        assert_eq!(parse_go_duration(b""), None);
        assert_eq!(parse_go_duration(b"1"), None);
        assert_eq!(parse_go_duration(b".s"), None);
        assert_eq!(parse_go_duration(b"1d"), None);
        assert_eq!(parse_go_duration(b"9999999999h"), None);
    }
}
