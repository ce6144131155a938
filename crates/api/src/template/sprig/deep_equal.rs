//! Go's `reflect.DeepEqual` on template values, as sprig's `has`, `uniq` and `without` use
//! it: same Go type and same contents (an `int` 1 is not an `int64` 1; NaN equals nothing).
//! Every comparison is charged as work, so a quadratic `uniq` on a long list stops at the
//! work cap instead of spinning.

use super::super::error::TemplateError;
use super::super::func::Call;
use super::super::value::{GoMap, Value};
use super::value_depth::{MAX_VALUE_DEPTH, too_deep};

/// Whether `a` and `b` are deeply equal, charging the bytes and elements compared. Fails
/// on values nested deeper than [`MAX_VALUE_DEPTH`] (see there).
pub(super) fn deep_equal(
    call: &Call<'_, '_>,
    a: &Value<'_>,
    b: &Value<'_>,
) -> Result<bool, TemplateError> {
    equal_at(call, a, b, 0)
}

fn equal_at(
    call: &Call<'_, '_>,
    a: &Value<'_>,
    b: &Value<'_>,
    depth: usize,
) -> Result<bool, TemplateError> {
    call.work(1)?;
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep(call));
    }
    Ok(match (a, b) {
        (Value::Nil | Value::Missing, Value::Nil | Value::Missing) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => {
            let (x, y) = (x.as_bytes(), y.as_bytes());
            if x.len() != y.len() {
                return Ok(false);
            }
            call.work(x.len())?;
            x == y
        }
        (Value::List(x), Value::List(y)) => {
            if x.elem != y.elem || x.items.len() != y.items.len() {
                return Ok(false);
            }
            for (p, q) in x.items.iter().zip(&y.items) {
                if !equal_at(call, p, q, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.elem() != y.elem() || x.len() != y.len() {
                return Ok(false);
            }
            maps_equal(call, x, y, depth)?
        }
        _ => false,
    })
}

fn maps_equal(
    call: &Call<'_, '_>,
    x: &GoMap<'_>,
    y: &GoMap<'_>,
    depth: usize,
) -> Result<bool, TemplateError> {
    call.elements(x.len())?;
    for (k, v) in x.entries() {
        let Some(w) = y.get(k.as_bytes()) else {
            return Ok(false);
        };
        if !equal_at(call, &v, &w, depth + 1)? {
            return Ok(false);
        }
    }
    // Same length and every key of x found in y: the key sets are equal.
    Ok(true)
}
