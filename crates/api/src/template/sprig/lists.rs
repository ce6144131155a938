//! sprig's list functions (`list`, `append`, `first`, `uniq`, `slice`, `chunk`, …).
//!
//! sprig accepts any Go slice (`[]interface{}` from `list`, `[]string` from `splitList`)
//! and fails on anything else, strings included; its `must…` forms fail the same way, so
//! each pair shares one function here. Every list built is charged [`ELEMENT_WORK`] per
//! element before it is allocated.
//!
//! [`ELEMENT_WORK`]: super::super::func::ELEMENT_WORK

use super::super::error::{CallError, TemplateError};
use super::super::func::{Call, FuncTable};
use super::super::value::{Elem, Value};
use super::deep_equal::deep_equal;
use super::numeric_cast::{go_f64_to_i64, to_int64};
use super::typed_args::{at_least, int_arg, list_items};
use super::value_depth::{all_nestable, nestable};

pub(super) fn register(table: &mut FuncTable) {
    table.register("list", list);
    table.register("tuple", list);
    for name in ["append", "push", "mustAppend", "mustPush"] {
        table.register(name, append);
    }
    table.register("prepend", prepend);
    table.register("mustPrepend", prepend);
    table.register("first", first);
    table.register("mustFirst", first);
    table.register("last", last);
    table.register("mustLast", last);
    table.register("rest", rest);
    table.register("mustRest", rest);
    table.register("initial", initial);
    table.register("mustInitial", initial);
    table.register("reverse", reverse);
    table.register("mustReverse", reverse);
    table.register("uniq", uniq);
    table.register("mustUniq", uniq);
    table.register("without", without);
    table.register("mustWithout", without);
    table.register("has", has);
    table.register("mustHas", has);
    table.register("slice", slice);
    table.register("mustSlice", slice);
    table.register("concat", concat);
    table.register("compact", compact);
    table.register("mustCompact", compact);
    table.register("chunk", chunk);
    table.register("mustChunk", chunk);
}

use super::Res;

/// The elements of argument `index`, which must be a slice.
fn items<'a, 'v>(
    call: &Call<'_, 'v>,
    args: &'a [Value<'v>],
    index: usize,
) -> Result<&'a [Value<'v>], TemplateError> {
    let v = &args[index];
    list_items(v).ok_or_else(|| {
        call.error(CallError::ArgType {
            index: index + 1,
            want: "slice",
            got: v.type_name(),
        })
    })
}

/// A new `[]interface{}` from `items`, charged before it is built.
fn new_list<'v>(call: &Call<'_, 'v>, n: usize, items: impl Iterator<Item = Value<'v>>) -> Res<'v> {
    call.elements(n)?;
    let mut out = Vec::with_capacity(n);
    out.extend(items);
    Ok(Value::list(Elem::Any, out))
}

fn list<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    all_nestable(call, &args)?;
    call.list(Elem::Any, args)
}

fn append<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    with_one_more(call, &args, false)
}

fn prepend<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    with_one_more(call, &args, true)
}

/// `append` / `prepend`: the list with the second argument added at its end or front.
fn with_one_more<'c, 'v>(call: &Call<'c, 'v>, args: &[Value<'v>], at_front: bool) -> Res<'v> {
    call.arity(args, 2)?;
    let l = items(call, args, 0)?;
    nestable(call, &args[1])?;
    let n = l.len().saturating_add(1);
    let one = std::iter::once(args[1].clone());
    if at_front {
        new_list(call, n, one.chain(l.iter().cloned()))
    } else {
        new_list(call, n, l.iter().cloned().chain(one))
    }
}

fn first<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(items(call, &args, 0)?
        .first()
        .cloned()
        .unwrap_or(Value::Nil))
}

fn last<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(items(call, &args, 0)?.last().cloned().unwrap_or(Value::Nil))
}

fn rest<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let l = items(call, &args, 0)?;
    let tail = l.get(1..).unwrap_or(&[]);
    new_list(call, tail.len(), tail.iter().cloned())
}

fn initial<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let l = items(call, &args, 0)?;
    let head = &l[..l.len().saturating_sub(1)];
    new_list(call, head.len(), head.iter().cloned())
}

fn reverse<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let l = items(call, &args, 0)?;
    new_list(call, l.len(), l.iter().rev().cloned())
}

/// Whether `needle` is deeply equal to one of `haystack`.
fn contains(
    call: &Call<'_, '_>,
    haystack: &[Value<'_>],
    needle: &Value<'_>,
) -> Result<bool, TemplateError> {
    for h in haystack {
        if deep_equal(call, needle, h)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn uniq<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let l = items(call, &args, 0)?;
    call.elements(l.len())?;
    let mut out: Vec<Value<'v>> = Vec::new();
    for item in l {
        if !contains(call, &out, item)? {
            out.push(item.clone());
        }
    }
    Ok(Value::list(Elem::Any, out))
}

fn without<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    let l = items(call, &args, 0)?;
    let omit = &args[1..];
    call.elements(l.len())?;
    let mut out = Vec::new();
    for item in l {
        if !contains(call, omit, item)? {
            out.push(item.clone());
        }
    }
    Ok(Value::list(Elem::Any, out))
}

fn has<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    if matches!(args[1], Value::Nil | Value::Missing) {
        return Ok(Value::Bool(false));
    }
    let l = items(call, &args, 1)?;
    Ok(Value::Bool(contains(call, l, &args[0])?))
}

/// sprig's `slice`, which shadows Go's builtin: lists only (a string fails), indices
/// converted with cast (a bad one counts as 0), an empty list gives nil, out-of-range
/// indices fail (Go's slice expression panics).
fn slice<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    let Value::List(l) = &args[0] else {
        return Err(call.error(CallError::ArgType {
            index: 1,
            want: "slice",
            got: args[0].type_name(),
        }));
    };
    let len = l.items.len();
    if len == 0 {
        return Ok(Value::Nil);
    }
    let start = args.get(1).map_or(0, to_int64);
    let end = args.get(2).map_or(len as i64, to_int64);
    let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
        return Err(call.error(CallError::Reason("slice bounds out of range")));
    };
    if start > end || end > len {
        return Err(call.error(CallError::Reason("slice bounds out of range")));
    }
    let part = &l.items[start..end];
    call.elements(part.len())?;
    Ok(Value::list(l.elem, part.to_vec()))
}

fn concat<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let mut n = 0usize;
    for i in 0..args.len() {
        n = n.saturating_add(items(call, &args, i)?.len());
    }
    call.elements(n)?;
    let mut out = Vec::with_capacity(n);
    for a in &args {
        out.extend(list_items(a).unwrap_or(&[]).iter().cloned());
    }
    Ok(Value::list(Elem::Any, out))
}

fn compact<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let l = items(call, &args, 0)?;
    call.elements(l.len())?;
    Ok(Value::list(
        Elem::Any,
        l.iter().filter(|v| v.truth()).cloned().collect(),
    ))
}

/// sprig's chunk, computed as sprig computes it, in float64: the number of chunks is
/// `floor((len-1)/size)+1` and the last chunk's length `len mod size`. For a positive
/// size that is the obvious split; for size 0 or most negative sizes Go panics (a negative
/// `make`), but a few negative sizes give a result (`chunk -3 (list 1 2)` is `[]`), and so
/// they do here.
fn chunk<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let size = int_arg(call, &args[0], 0)?;
    let l = items(call, &args, 1)?;
    // Each chunk is a new list inside the result: one level deeper than the input.
    nestable(call, &args[1])?;
    let bad = || call.error(CallError::Reason("chunk size gives a negative length"));
    let (len, sz) = (l.len() as f64, size as f64);
    let count = go_f64_to_i64(((len - 1.0) / sz).floor() + 1.0);
    let count = usize::try_from(count).map_err(|_| bad())?;
    call.elements(count.saturating_add(l.len()))?;
    let mut out = Vec::with_capacity(count.min(l.len().saturating_add(1)));
    for i in 0..count {
        let mut clen = size;
        if i + 1 == count {
            clen = go_f64_to_i64((len % sz).floor());
            if clen == 0 {
                clen = size;
            }
        }
        let clen = usize::try_from(clen).map_err(|_| bad())?;
        let start = i64::try_from(i).unwrap_or(i64::MAX).saturating_mul(size);
        let start = usize::try_from(start).map_err(|_| bad())?;
        let part = l
            .get(start..start.saturating_add(clen))
            .ok_or_else(|| call.error(CallError::Reason("index out of range")))?;
        out.push(Value::list(Elem::Any, part.to_vec()));
    }
    Ok(Value::list(Elem::Any, out))
}

#[cfg(test)]
#[path = "lists_tests.rs"]
mod tests;
