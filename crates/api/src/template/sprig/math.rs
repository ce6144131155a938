//! sprig's math: integer functions return Go `int64` and convert every argument with
//! cast's `ToInt64` (see [`super::numeric_cast`]: "3" is 3, 2.9 is 2, a bad string is 0);
//! the `…f` functions return `float64` through decimal arithmetic (see [`super::decimal`]).
//! Go panics on an integer division by zero and on a decimal of NaN; a panic fails the
//! template, and so do we. Integer overflow wraps, as in Go.

use super::super::error::{CallError, TemplateError};
use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::decimal::{Decimal, DecimalError};
use super::numeric_cast::{to_float64, to_int64};
use super::typed_args::{at_least, float_arg, int_arg};
use rand::RngExt;

pub(super) fn register(table: &mut FuncTable) {
    table.register("add1", add1);
    table.register("add", add);
    table.register("sub", sub);
    table.register("div", div);
    table.register("mod", modulo);
    table.register("mul", mul);
    table.register("randInt", rand_int);
    table.register("add1f", add1f);
    table.register("addf", addf);
    table.register("subf", subf);
    table.register("divf", divf);
    table.register("mulf", mulf);
    table.register("biggest", max);
    table.register("max", max);
    table.register("min", min);
    table.register("maxf", maxf);
    table.register("minf", minf);
    table.register("ceil", ceil);
    table.register("floor", floor);
    table.register("round", round);
}

use super::Res;

fn add1<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(Value::Int64(to_int64(&args[0]).wrapping_add(1)))
}

fn add<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.work(args.len())?;
    Ok(Value::Int64(
        args.iter().fold(0i64, |a, b| a.wrapping_add(to_int64(b))),
    ))
}

fn sub<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    Ok(Value::Int64(
        to_int64(&args[0]).wrapping_sub(to_int64(&args[1])),
    ))
}

fn divisor(call: &Call<'_, '_>, v: &Value<'_>) -> Result<i64, TemplateError> {
    match to_int64(v) {
        0 => Err(call.error(CallError::Reason("integer divide by zero"))),
        d => Ok(d),
    }
}

fn div<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let d = divisor(call, &args[1])?;
    Ok(Value::Int64(to_int64(&args[0]).wrapping_div(d)))
}

fn modulo<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let d = divisor(call, &args[1])?;
    Ok(Value::Int64(to_int64(&args[0]).wrapping_rem(d)))
}

fn mul<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    call.work(args.len())?;
    Ok(Value::Int64(
        args.iter()
            .skip(1)
            .fold(to_int64(&args[0]), |a, b| a.wrapping_mul(to_int64(b))),
    ))
}

/// `randInt MIN MAX`: a random int in [MIN, MAX) (Go's math/rand panics on an empty range).
fn rand_int<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let lo = int_arg(call, &args[0], 0)?;
    let hi = int_arg(call, &args[1], 1)?;
    let span = hi.wrapping_sub(lo);
    if span <= 0 {
        return Err(call.error(CallError::Reason(
            "the range is empty (max must exceed min)",
        )));
    }
    Ok(Value::Int(
        rand::rng().random_range(0..span).wrapping_add(lo),
    ))
}

fn decimal(call: &Call<'_, '_>, v: &Value<'_>) -> Result<Decimal, TemplateError> {
    Decimal::from_f64(to_float64(v)).map_err(|e| decimal_error(call, e))
}

fn decimal_error(call: &Call<'_, '_>, e: DecimalError) -> TemplateError {
    call.error(CallError::Reason(match e {
        DecimalError::NotFinite => "cannot compute with NaN or infinity",
        DecimalError::DivisionByZero => "decimal division by zero",
    }))
}

/// Fold `rest` into `first` with a decimal operation.
fn fold_decimal<'v>(
    call: &Call<'_, 'v>,
    first: Decimal,
    rest: &[Value<'v>],
    op: fn(Decimal, Decimal) -> Result<Decimal, DecimalError>,
) -> Res<'v> {
    call.work(rest.len().saturating_add(1))?;
    let mut acc = first;
    for v in rest {
        acc = op(acc, decimal(call, v)?).map_err(|e| decimal_error(call, e))?;
    }
    Ok(Value::Float(acc.to_f64()))
}

fn add1f<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let first = decimal(call, &args[0])?;
    fold_decimal(call, first, &[Value::Int(1)], |a, b| Ok(a.add(b)))
}

fn addf<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    fold_decimal(
        call,
        Decimal::from_f64(0.0).map_err(|e| decimal_error(call, e))?,
        &args,
        |a, b| Ok(a.add(b)),
    )
}

fn subf<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    let first = decimal(call, &args[0])?;
    fold_decimal(call, first, &args[1..], |a, b| Ok(a.sub(b)))
}

fn mulf<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    let first = decimal(call, &args[0])?;
    fold_decimal(call, first, &args[1..], |a, b| Ok(a.mul(b)))
}

fn divf<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    let first = decimal(call, &args[0])?;
    fold_decimal(call, first, &args[1..], Decimal::div)
}

fn max<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    call.work(args.len())?;
    Ok(Value::Int64(args.iter().map(to_int64).max().unwrap_or(0)))
}

fn min<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    call.work(args.len())?;
    Ok(Value::Int64(args.iter().map(to_int64).min().unwrap_or(0)))
}

/// Go's `math.Max`: +Inf wins, then NaN, and +0 beats -0.
fn go_max(a: f64, b: f64) -> f64 {
    if a == f64::INFINITY || b == f64::INFINITY {
        f64::INFINITY
    } else if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        if a.is_sign_negative() { b } else { a }
    } else if a > b {
        a
    } else {
        b
    }
}

/// Go's `math.Min`: -Inf wins, then NaN, and -0 beats +0.
fn go_min(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY || b == f64::NEG_INFINITY {
        f64::NEG_INFINITY
    } else if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        if a.is_sign_negative() { a } else { b }
    } else if a < b {
        a
    } else {
        b
    }
}

fn maxf<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    call.work(args.len())?;
    let first = to_float64(&args[0]);
    Ok(Value::Float(
        args[1..].iter().map(to_float64).fold(first, go_max),
    ))
}

fn minf<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    call.work(args.len())?;
    let first = to_float64(&args[0]);
    Ok(Value::Float(
        args[1..].iter().map(to_float64).fold(first, go_min),
    ))
}

fn ceil<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(Value::Float(to_float64(&args[0]).ceil()))
}

fn floor<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(Value::Float(to_float64(&args[0]).floor()))
}

/// Go's `math.Pow(10, p)` for an integer `p`: exact up to 1e22, and `1/10^-p` below 1.
fn pow10(p: i64) -> f64 {
    let mag = i32::try_from(p.unsigned_abs()).unwrap_or(i32::MAX);
    let up = 10f64.powi(mag);
    if p < 0 { 1.0 / up } else { up }
}

/// `round VALUE PLACES [ROUND_ON]`: sprig scales by 10^PLACES, rounds up when the fraction
/// is at least ROUND_ON (0.5), else down, and scales back. A negative value's fraction is
/// negative, so it always rounds down (-2.5 → -3).
fn round<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 2)?;
    let val = to_float64(&args[0]);
    let places = int_arg(call, &args[1], 1)?;
    let mut round_on = 0.5;
    for (i, a) in args.iter().enumerate().skip(2) {
        let v = float_arg(call, a, i)?;
        if i == 2 {
            round_on = v;
        }
    }
    let pow = pow10(places);
    let digit = pow * val;
    let frac = if digit.is_infinite() {
        0.0
    } else {
        digit.fract()
    };
    let rounded = if frac >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Value::Float(rounded / pow))
}

#[cfg(test)]
#[path = "math_tests.rs"]
mod tests;
