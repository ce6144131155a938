//! sprig's integer sequences: `until`, `untilStep` (a `[]int`) and `seq` (the numbers
//! joined by spaces, like the coreutils command).
//!
//! The length of a sequence is computed, and charged, before any element exists, so
//! `until 100000000` stops at the work cap without allocating. A sequence whose counter
//! would overflow `int` never ends in Go (the counter wraps around); here it stops at the
//! cap too.

use super::super::error::TemplateError;
use super::super::func::{Call, FuncTable};
use super::super::value::{Elem, Value};
use super::typed_args::int_arg;

pub(super) fn register(table: &mut FuncTable) {
    table.register("until", until);
    table.register("untilStep", until_step);
    table.register("seq", seq);
}

use super::Res;

/// The numbers of sprig's untilStep(start, stop, step), as (first, step, count): counting
/// up while below `stop` with a positive step, down while above it with a negative one.
/// `None` when Go's loop would wrap around and never end.
fn steps(start: i64, stop: i64, step: i64) -> Option<(i64, i64, u64)> {
    let (start, stop, stepw) = (i128::from(start), i128::from(stop), i128::from(step));
    let count = if stop < start {
        if stepw >= 0 {
            return Some((0, 0, 0));
        }
        (start - stop + (-stepw) - 1) / (-stepw)
    } else {
        if stepw <= 0 {
            return Some((0, 0, 0));
        }
        (stop - start + stepw - 1) / stepw
    };
    // The value that ends Go's loop must itself be an int, or the counter wraps.
    let end = start + count * stepw;
    if end < i128::from(i64::MIN) || end > i128::from(i64::MAX) {
        return None;
    }
    Some((start as i64, step, u64::try_from(count).ok()?))
}

/// Charge for `count` elements (or the cap, for an endless sequence) before building.
fn charged(
    call: &Call<'_, '_>,
    seq: Option<(i64, i64, u64)>,
) -> Result<(i64, i64, usize), TemplateError> {
    let Some((first, step, count)) = seq else {
        call.elements(usize::MAX)?;
        return Ok((0, 0, 0));
    };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    call.elements(count)?;
    Ok((first, step, count))
}

fn int_list<'v>(call: &Call<'_, 'v>, seq: Option<(i64, i64, u64)>) -> Res<'v> {
    let (first, step, count) = charged(call, seq)?;
    let items = (0..count)
        .scan(first, |i, _| {
            let v = *i;
            *i = i.wrapping_add(step);
            Some(Value::Int(v))
        })
        .collect();
    Ok(Value::list(Elem::Any, items))
}

fn until<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let count = int_arg(call, &args[0], 0)?;
    let step = if count < 0 { -1 } else { 1 };
    int_list(call, steps(0, count, step))
}

fn until_step<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 3)?;
    let start = int_arg(call, &args[0], 0)?;
    let stop = int_arg(call, &args[1], 1)?;
    let step = int_arg(call, &args[2], 2)?;
    int_list(call, steps(start, stop, step))
}

/// `seq END`, `seq START END`, `seq START STEP END`; no arguments or more than three give
/// "". END is included.
fn seq<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let mut p = [0i64; 3];
    for (i, a) in args.iter().enumerate() {
        let v = int_arg(call, a, i)?;
        if let Some(slot) = p.get_mut(i) {
            *slot = v;
        }
    }
    let seq = match args.len() {
        1 => {
            let inc = if p[0] < 1 { -1 } else { 1 };
            steps(1, p[0].wrapping_add(inc), inc)
        }
        2 => {
            let inc = if p[1] < p[0] { -1 } else { 1 };
            steps(p[0], p[1].wrapping_add(inc), inc)
        }
        3 => {
            let (start, step, end) = (p[0], p[1], p[2]);
            let mut inc = 1;
            if end < start {
                inc = -1;
                if step > 0 {
                    return call.copy_str(b"");
                }
            }
            steps(start, end.wrapping_add(inc), step)
        }
        _ => Some((0, 0, 0)),
    };
    let (first, step, count) = charged(call, seq)?;
    let mut out = call.buf();
    let mut n = first;
    for i in 0..count {
        if i > 0 {
            out.extend(b" ")?;
        }
        let mut digits = [0u8; 20];
        out.extend(itoa(n, &mut digits))?;
        n = n.wrapping_add(step);
    }
    Ok(call.string(out))
}

/// `n` in decimal, written into `buf` (no heap string).
pub(super) fn itoa(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn steps_match_sprig_loops() {
        assert_eq!(steps(0, 5, 1), Some((0, 1, 5)));
        assert_eq!(steps(0, 5, 2), Some((0, 2, 3)));
        assert_eq!(steps(5, 0, -2), Some((5, -2, 3)));
        assert_eq!(steps(5, 0, 1).map(|s| s.2), Some(0));
        assert_eq!(steps(0, 5, 0).map(|s| s.2), Some(0));
        assert_eq!(steps(0, i64::MAX, i64::MAX / 2 + 1), None);
        assert_eq!(steps(i64::MIN + 5, i64::MIN + 1, -10), None);
    }

    #[test]
    fn itoa_writes_extremes() {
        let mut b = [0u8; 20];
        assert_eq!(itoa(i64::MIN, &mut b), b"-9223372036854775808");
        assert_eq!(itoa(0, &mut b), b"0");
    }
}
