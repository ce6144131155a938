//! Slice-and-index forms of the argument checks in `typed_args.rs`, plus fixed-reason
//! errors and list arguments: Go's `text/template` converts each
//! argument to the parameter type of the sprig function and fails on a mismatch (an `int64`
//! is not an `int`, `nil` is not a `string`), so these accept exactly the Go types.

use super::super::error::{CallError, TemplateError};
use super::super::func::Call;
use super::super::value::Value;
pub(super) use super::typed_args::at_least;
use super::typed_args::{int_arg, str_arg};

/// Argument `i` as a Go `string` parameter (a missing argument reads as nil).
pub(super) fn string<'a>(
    call: &Call<'_, '_>,
    args: &'a [Value<'_>],
    i: usize,
) -> Result<&'a [u8], TemplateError> {
    str_arg(call, args.get(i).unwrap_or(&Value::Nil), i)
}

/// The one argument of a one-`string` function, after charging the work of reading it.
pub(super) fn one_string<'a>(
    call: &Call<'_, '_>,
    args: &'a [Value<'_>],
) -> Result<&'a [u8], TemplateError> {
    call.arity(args, 1)?;
    let s = string(call, args, 0)?;
    call.work(s.len())?;
    Ok(s)
}

/// Argument `i` as a Go `int` parameter (a missing argument reads as nil).
pub(super) fn int(call: &Call<'_, '_>, args: &[Value<'_>], i: usize) -> Result<i64, TemplateError> {
    int_arg(call, args.get(i).unwrap_or(&Value::Nil), i)
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
