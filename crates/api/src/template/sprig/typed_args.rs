//! Go's argument conversion for sprig functions with typed parameters.
//!
//! `text/template` converts each argument to the parameter's Go type before the call and
//! fails the call when it cannot: an `int` parameter takes only an `int`, a `string` only a
//! string, a `map[string]interface{}` only such a map (or nil, which becomes a nil map).
//! sprig functions whose parameters are `interface{}` take anything and do their own checks.

use super::super::error::{CallError, TemplateError};
use super::super::func::Call;
use super::super::value::{GoKey, GoMap, Value};
use std::collections::BTreeMap;
use std::rc::Rc;

/// A `map[string]interface{}` argument: `None` is Go's nil map (reads as empty).
pub(super) type DictArg<'v> = Option<Rc<BTreeMap<GoKey, Value<'v>>>>;

/// Fail unless at least `min` arguments were given (a variadic Go function).
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

fn wrong_type(
    call: &Call<'_, '_>,
    index: usize,
    want: &'static str,
    got: &Value<'_>,
) -> TemplateError {
    call.error(CallError::ArgType {
        index: index + 1,
        want,
        got: got.type_name(),
    })
}

/// A Go `int` parameter (argument `index`, 0-based). Go also takes an integral number
/// literal written as a float (`until 3.0`), but not a computed float (`until (floor 3.2)`);
/// a function cannot tell them apart, so floats are refused: the computed case is the
/// common one.
pub(super) fn int_arg(
    call: &Call<'_, '_>,
    v: &Value<'_>,
    index: usize,
) -> Result<i64, TemplateError> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(wrong_type(call, index, "int", other)),
    }
}

/// A Go `float64` parameter. Go accepts a number literal written in the template, whether
/// or not it has a decimal point, so an `int` is taken too.
pub(super) fn float_arg(
    call: &Call<'_, '_>,
    v: &Value<'_>,
    index: usize,
) -> Result<f64, TemplateError> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        other => Err(wrong_type(call, index, "float64", other)),
    }
}

/// A Go `string` parameter.
pub(super) fn str_arg<'a>(
    call: &Call<'_, '_>,
    v: &'a Value<'_>,
    index: usize,
) -> Result<&'a [u8], TemplateError> {
    match v {
        Value::Str(s) => Ok(s.as_bytes()),
        other => Err(wrong_type(call, index, "string", other)),
    }
}

/// A Go `map[string]interface{}` parameter. The decrypted data (`.`, a `map[string]string`)
/// is not one, exactly as in Go.
pub(super) fn dict_arg<'v>(
    call: &Call<'_, 'v>,
    v: &Value<'v>,
    index: usize,
) -> Result<DictArg<'v>, TemplateError> {
    match v {
        Value::Map(GoMap::Dict(m)) => Ok(Some(m.clone())),
        Value::Nil | Value::Missing => Ok(None),
        other => Err(wrong_type(call, index, "map[string]interface {}", other)),
    }
}

/// The entries of a dict argument (none for a nil map).
pub(super) fn dict_entries<'a, 'v>(
    d: &'a DictArg<'v>,
) -> impl Iterator<Item = (&'a GoKey, &'a Value<'v>)> {
    d.iter().flat_map(|m| m.iter())
}

/// The value under `key` in a dict argument.
pub(super) fn dict_get<'a, 'v>(d: &'a DictArg<'v>, key: &[u8]) -> Option<&'a Value<'v>> {
    d.as_ref().and_then(|m| m.get(key))
}

/// The elements of a Go slice (sprig's reflect `Slice`/`Array` check); `None` for any other
/// kind, strings included.
pub(super) fn list_items<'a, 'v>(v: &'a Value<'v>) -> Option<&'a [Value<'v>]> {
    match v {
        Value::List(l) => Some(&l.items),
        _ => None,
    }
}
