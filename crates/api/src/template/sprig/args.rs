//! Argument checks shared by the functions of this share: Go's `text/template` converts each
//! argument to the parameter type of the sprig function and fails on a mismatch (an `int64`
//! is not an `int`, `nil` is not a `string`), so these accept exactly the Go types.

use super::super::error::{CallError, TemplateError};
use super::super::func::Call;
use super::super::value::Value;

/// Argument `i` as a Go `string` parameter.
pub(super) fn string<'a>(
    call: &Call<'_, '_>,
    args: &'a [Value<'_>],
    i: usize,
) -> Result<&'a [u8], TemplateError> {
    match args.get(i) {
        Some(Value::Str(s)) => Ok(s.as_bytes()),
        other => Err(wrong_type(call, i, "string", other)),
    }
}

/// Argument `i` as a Go `int` parameter.
pub(super) fn int(call: &Call<'_, '_>, args: &[Value<'_>], i: usize) -> Result<i64, TemplateError> {
    match args.get(i) {
        Some(Value::Int(n)) => Ok(*n),
        other => Err(wrong_type(call, i, "int", other)),
    }
}

fn wrong_type(
    call: &Call<'_, '_>,
    i: usize,
    want: &'static str,
    got: Option<&Value<'_>>,
) -> TemplateError {
    call.error(CallError::ArgType {
        index: i + 1,
        want,
        got: got.map_or("<nil>", Value::type_name),
    })
}

/// Fail unless at least `min` arguments were given (Go's variadic functions).
pub(super) fn at_least(
    call: &Call<'_, '_>,
    args: &[Value<'_>],
    min: usize,
) -> Result<(), TemplateError> {
    if args.len() >= min {
        Ok(())
    } else {
        Err(call.error(CallError::ArgCountAtLeast {
            min,
            got: args.len(),
        }))
    }
}

/// A fixed-reason error of this function.
pub(super) fn reason(call: &Call<'_, '_>, why: &'static str) -> TemplateError {
    call.error(CallError::Reason(why))
}

/// Go's slicing `s[lo:hi]`, which panics (and so fails the template) out of range.
pub(super) fn slice<'a>(
    call: &Call<'_, '_>,
    s: &'a [u8],
    lo: i64,
    hi: i64,
) -> Result<&'a [u8], TemplateError> {
    let lo = usize::try_from(lo).ok();
    let hi = usize::try_from(hi).ok();
    match (lo, hi) {
        (Some(lo), Some(hi)) if lo <= hi && hi <= s.len() => Ok(&s[lo..hi]),
        _ => Err(reason(call, "slice bounds out of range")),
    }
}
