//! sprig's dict functions (`dict`, `get`, `set`, `merge`, `dig`, …) on Go's
//! `map[string]interface{}`. The decrypted data (`.`, a `map[string]string`) is not such a
//! map, so `get . "k"` fails here exactly as under Bitnami.
//!
//! Differences from sprig, both documented:
//! * Maps are values here. Go's `set`, `unset`, `merge` and `mergeOverwrite` change their
//!   first argument in place and return it; ours return the changed map and leave the
//!   argument as it was, so `{{ $_ := set $d "k" 1 }}{{ $d }}` does not show `k`. Use the
//!   result: `{{ $d = set $d "k" 1 }}`.
//! * `keys` and `values` list a map in sorted key order; Go's order is random (sprig's docs
//!   say to sort it).

use super::super::error::{CallError, TemplateError};
use super::super::fmt::sprint;
use super::super::func::{Call, FuncTable};
use super::super::value::{Elem, GoKey, GoMap, Value};
use super::typed_args::{DictArg, at_least, dict_arg, dict_entries, dict_get, str_arg};
use super::value_depth::{MAX_VALUE_DEPTH, nestable, too_deep};
use std::collections::BTreeMap;

pub(super) fn register(table: &mut FuncTable) {
    table.register("dict", dict);
    table.register("get", get);
    table.register("set", set);
    table.register("unset", unset);
    table.register("hasKey", has_key);
    table.register("pluck", pluck);
    table.register("keys", keys);
    table.register("pick", pick);
    table.register("omit", omit);
    table.register("values", values);
    table.register("dig", dig);
    table.register("deepCopy", deep_copy);
    table.register("mustDeepCopy", deep_copy);
    table.register("merge", merge);
    table.register("mustMerge", merge);
    table.register("mergeOverwrite", merge_overwrite);
    table.register("mustMergeOverwrite", merge_overwrite);
}

use super::Res;
type Entries<'v> = BTreeMap<GoKey, Value<'v>>;

/// A copy of a dict argument's entries, charged per entry.
fn copied<'v>(call: &Call<'_, 'v>, d: &DictArg<'v>) -> Result<Entries<'v>, TemplateError> {
    let m: &Entries<'v> = match d {
        Some(m) => m,
        None => return Ok(BTreeMap::new()),
    };
    call.elements(m.len())?;
    call.work(m.keys().map(|k| k.0.len()).sum())?;
    Ok(m.clone())
}

/// A metered copy of key bytes.
fn key(call: &Call<'_, '_>, bytes: &[u8]) -> Result<GoKey, TemplateError> {
    call.work(bytes.len())?;
    Ok(GoKey(bytes.to_vec()))
}

/// sprig's `strval` of a dict key: a string as it is, anything else as Go's `%v` prints it.
fn key_text(call: &Call<'_, '_>, v: &Value<'_>) -> Result<GoKey, TemplateError> {
    if let Value::Str(s) = v {
        return key(call, s.as_bytes());
    }
    let mut text = call.buf();
    sprint(std::slice::from_ref(v), &mut text)?;
    key(call, text.as_slice())
}

fn dict<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.elements(args.len().div_ceil(2))?;
    for pair in args.chunks(2) {
        if let Some(v) = pair.get(1) {
            nestable(call, v)?;
        }
    }
    let mut m = BTreeMap::new();
    for pair in args.chunks(2) {
        let k = key_text(call, &pair[0])?;
        let v = pair.get(1).cloned().unwrap_or_else(|| Value::borrowed(b""));
        m.insert(k, v);
    }
    Ok(Value::dict(m))
}

fn get<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let d = dict_arg(call, &args[0], 0)?;
    let k = str_arg(call, &args[1], 1)?;
    Ok(dict_get(&d, k)
        .cloned()
        .unwrap_or_else(|| Value::borrowed(b"")))
}

fn set<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 3)?;
    let d = dict_arg(call, &args[0], 0)?;
    let k = str_arg(call, &args[1], 1)?;
    if d.is_none() {
        // Go: assignment to entry in nil map (a panic).
        return Err(call.error(CallError::Reason("cannot set a key in a nil map")));
    }
    nestable(call, &args[2])?;
    let mut m = copied(call, &d)?;
    call.elements(1)?;
    m.insert(key(call, k)?, args[2].clone());
    Ok(Value::dict(m))
}

fn unset<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let d = dict_arg(call, &args[0], 0)?;
    let k = str_arg(call, &args[1], 1)?;
    let mut m = copied(call, &d)?;
    m.remove(k);
    Ok(Value::dict(m))
}

fn has_key<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let d = dict_arg(call, &args[0], 0)?;
    let k = str_arg(call, &args[1], 1)?;
    Ok(Value::Bool(dict_get(&d, k).is_some()))
}

fn pluck<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    let k = str_arg(call, &args[0], 0)?;
    let mut dicts = Vec::with_capacity(args.len() - 1);
    for (i, a) in args.iter().enumerate().skip(1) {
        dicts.push(dict_arg(call, a, i)?);
    }
    call.elements(dicts.len())?;
    let found = dicts
        .iter()
        .filter_map(|d| dict_get(d, k).cloned())
        .collect();
    Ok(Value::list(Elem::Any, found))
}

fn keys<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let mut dicts = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        dicts.push(dict_arg(call, a, i)?);
    }
    let n = dicts
        .iter()
        .map(|d| d.as_ref().map_or(0, |m| m.len()))
        .fold(0usize, usize::saturating_add);
    call.elements(n)?;
    let mut out = Vec::with_capacity(n);
    for d in &dicts {
        for (k, _) in dict_entries(d) {
            out.push(call.copy_str(&k.0)?);
        }
    }
    Ok(Value::list(Elem::Str, out))
}

/// The string arguments from `from` on (Go's `keys ...string`).
fn key_args<'a>(
    call: &Call<'_, '_>,
    args: &'a [Value<'_>],
    from: usize,
) -> Result<Vec<&'a [u8]>, TemplateError> {
    (from..args.len())
        .map(|i| str_arg(call, &args[i], i))
        .collect()
}

fn pick<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    let d = dict_arg(call, &args[0], 0)?;
    let wanted = key_args(call, &args, 1)?;
    call.elements(wanted.len())?;
    let mut m = BTreeMap::new();
    for k in wanted {
        if let Some(v) = dict_get(&d, k) {
            m.insert(key(call, k)?, v.clone());
        }
    }
    Ok(Value::dict(m))
}

fn omit<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    let d = dict_arg(call, &args[0], 0)?;
    let dropped = key_args(call, &args, 1)?;
    let mut m = copied(call, &d)?;
    for k in dropped {
        m.remove(k);
    }
    Ok(Value::dict(m))
}

fn values<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let d = dict_arg(call, &args[0], 0)?;
    let vals: Vec<Value<'v>> = dict_entries(&d).map(|(_, v)| v.clone()).collect();
    call.list(Elem::Any, vals)
}

/// `dig "a" "b" DEFAULT $dict`: walk nested dicts by the keys; the default when a key is
/// missing. A step that is not a dict fails (a failed type assertion in Go).
fn dig<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 3)?;
    let last = args.len() - 1;
    let not_dict = |i: usize, v: &Value<'_>| {
        call.error(CallError::ArgType {
            index: i + 1,
            want: "map[string]interface {}",
            got: v.type_name(),
        })
    };
    let Value::Map(GoMap::Dict(top)) = &args[last] else {
        return Err(not_dict(last, &args[last]));
    };
    let path = key_args(call, &args[..last - 1], 0)?;
    let default = &args[last - 1];
    let mut here = top.clone();
    for (i, k) in path.iter().enumerate() {
        call.work(k.len())?;
        let Some(step) = here.get(*k).cloned() else {
            return Ok(default.clone());
        };
        if i + 1 == path.len() {
            return Ok(step);
        }
        match step {
            Value::Map(GoMap::Dict(next)) => here = next,
            other => return Err(not_dict(i, &other)),
        }
    }
    Ok(default.clone())
}

/// Values never change once made, so a copy shares them.
fn deep_copy<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(args[0].clone())
}

fn merge<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    merge_all(call, args, false)
}

fn merge_overwrite<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    merge_all(call, args, true)
}

fn merge_all<'v>(call: &Call<'_, 'v>, args: Vec<Value<'v>>, overwrite: bool) -> Res<'v> {
    at_least(call, &args, 1)?;
    let dst = dict_arg(call, &args[0], 0)?;
    let mut out = copied(call, &dst)?;
    for (i, a) in args.iter().enumerate().skip(1) {
        let src = dict_arg(call, a, i)?;
        if let Some(src) = &src {
            merge_into(call, &mut out, src, overwrite, 0)?;
        }
    }
    Ok(Value::dict(out))
}

/// mergo's deep merge of `src` into `dst`: nested dicts merge key by key; otherwise a key
/// is filled when missing or empty in `dst`, or, with `overwrite`, always, except that a
/// nil never overwrites without `overwrite` and a dict or list never replaces a non-empty
/// non-dict value.
fn merge_into<'v>(
    call: &Call<'_, 'v>,
    dst: &mut Entries<'v>,
    src: &Entries<'v>,
    overwrite: bool,
    depth: usize,
) -> Result<(), TemplateError> {
    if depth > MAX_VALUE_DEPTH {
        return Err(too_deep(call));
    }
    call.elements(src.len())?;
    for (k, sv) in src {
        let dv = dst.get(k.0.as_slice());
        let dst_empty = dv.is_none_or(|d| !d.truth());
        let replace = match (sv, dv) {
            (Value::Nil | Value::Missing, _) => overwrite,
            (Value::Map(GoMap::Dict(s)), Some(Value::Map(GoMap::Dict(d)))) => {
                let mut merged = (**d).clone();
                merge_into(call, &mut merged, s, overwrite, depth + 1)?;
                dst.insert(k.clone(), Value::dict(merged));
                continue;
            }
            (Value::Map(_) | Value::List(_), _) if !dst_empty && !overwrite => false,
            (Value::Map(_), _) if !dst_empty => false,
            _ => overwrite || dst_empty,
        };
        if replace {
            call.work(k.0.len())?;
            dst.insert(k.clone(), sv.clone());
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "dicts_tests.rs"]
mod tests;
