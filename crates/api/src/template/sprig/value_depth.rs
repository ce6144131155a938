//! How deep values nest. A loop can nest values without bound (`$l = list $l` ten thousand
//! times), far beyond the template's own nesting caps, and every recursive walk over such a
//! value (dropping it, comparing, merging, printing) would overflow the controller's stack
//! and abort it. Go's stacks grow, so sprig has no limit. Here, only functions build nested
//! values (lists and dicts), and each refuses to build one deeper than [`MAX_VALUE_DEPTH`]
//! levels, ample for any real data; so no deeper value ever exists.

use super::super::error::{CallError, TemplateError};
use super::super::func::Call;
use super::super::value::Value;

/// Lists and dicts inside lists and dicts, at most (the same bound as the executor's).
pub(super) const MAX_VALUE_DEPTH: usize = 200;

/// The error for a value that would nest deeper than [`MAX_VALUE_DEPTH`].
pub(super) fn too_deep(call: &Call<'_, '_>) -> TemplateError {
    call.error(CallError::Reason(
        "values nested more than 200 lists or dicts deep are not supported",
    ))
}

/// Whether `v` nests at most `limit` levels (a scalar is 0, a list of scalars 1), walking
/// without recursion and charging one byte of work per value visited.
fn depth_at_most(call: &Call<'_, '_>, v: &Value<'_>, limit: usize) -> Result<bool, TemplateError> {
    let mut stack: Vec<(Value<'_>, usize)> = vec![(v.clone(), 0)];
    while let Some((v, depth)) = stack.pop() {
        call.work(1)?;
        let children: Vec<Value<'_>> = match &v {
            Value::List(l) => l.items.clone(),
            Value::Map(m) => m.entries().into_iter().map(|(_, x)| x).collect(),
            _ => continue,
        };
        if depth + 1 > limit {
            return Ok(false);
        }
        stack.extend(children.into_iter().map(|c| (c, depth + 1)));
    }
    Ok(true)
}

/// Fail unless `v` may be put inside a new list or dict.
pub(super) fn nestable(call: &Call<'_, '_>, v: &Value<'_>) -> Result<(), TemplateError> {
    if depth_at_most(call, v, MAX_VALUE_DEPTH - 1)? {
        Ok(())
    } else {
        Err(too_deep(call))
    }
}

/// Fail unless every one of `values` may be put inside a new list or dict.
pub(super) fn all_nestable(call: &Call<'_, '_>, values: &[Value<'_>]) -> Result<(), TemplateError> {
    values.iter().try_for_each(|v| nestable(call, v))
}
