//! sprig's string ↔ list functions: `split`, `splitList`, `splitn`, `join`, `toStrings`,
//! `sortAlpha`.

use super::super::error::TemplateError;
use super::super::func::{Call, FuncTable};
use super::super::value::{Elem, GoKey, Value};
use super::args;
use super::gofmt::{int, sprint};
use super::unicode::decode;
use std::collections::BTreeMap;

pub(super) fn register(table: &mut FuncTable) {
    table.register("split", split);
    table.register("splitList", split_list);
    table.register("splitn", splitn);
    table.register("join", join);
    table.register("toStrings", to_strings);
    table.register("sortAlpha", sort_alpha);
}

use super::Res;

/// A part that is U+FFFD rather than a range of the input.
const REPLACEMENT: (usize, usize) = (usize::MAX, usize::MAX);

/// The bytes of part `range` of `s`.
fn part(s: &[u8], range: (usize, usize)) -> &[u8] {
    if range == REPLACEMENT {
        "\u{FFFD}".as_bytes()
    } else {
        &s[range.0..range.1]
    }
}

/// Go's `strings.SplitN(s, sep, n)` as byte ranges (or [`REPLACEMENT`]); `n < 0` means all.
fn split_ranges(s: &[u8], sep: &[u8], n: i64) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    if n == 0 {
        return parts;
    }
    let max = usize::try_from(n).unwrap_or(usize::MAX);
    let mut start = 0;
    if sep.is_empty() {
        // Go's explode: one part per rune (an invalid byte is a rune, written as U+FFFD),
        // but the last part is the rest of the string, as it is.
        let runes = super::unicode::runes(s).count();
        let n = max.min(runes);
        for _ in 0..n.saturating_sub(1) {
            let (c, w) = decode(&s[start..]);
            parts.push(if c == char::REPLACEMENT_CHARACTER {
                REPLACEMENT
            } else {
                (start, start + w)
            });
            start += w;
        }
        if n > 0 {
            parts.push((start, s.len()));
        }
        return parts;
    }
    let mut i = 0;
    while parts.len() + 1 < max && i + sep.len() <= s.len() {
        if s[i..].starts_with(sep) {
            parts.push((start, i));
            i += sep.len();
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push((start, s.len()));
    parts
}

/// The parts as a `map[string]string` keyed `_0`, `_1`, … (sprig's `split`/`splitn`).
fn parts_dict<'v>(call: &Call<'_, 'v>, s: &[u8], parts: &[(usize, usize)]) -> Res<'v> {
    call.work(s.len())?;
    call.elements(parts.len())?;
    let mut map = BTreeMap::new();
    for (i, (a, b)) in parts.iter().enumerate() {
        let mut key = call.buf();
        key.extend(b"_")?;
        int(i64::try_from(i).unwrap_or(i64::MAX), &mut key)?;
        map.insert(
            GoKey(key.as_slice().to_vec()),
            call.copy_str(part(s, (*a, *b)))?,
        );
    }
    Ok(Value::dict(map))
}

fn parts_list<'v>(call: &Call<'_, 'v>, s: &[u8], parts: &[(usize, usize)]) -> Res<'v> {
    call.work(s.len())?;
    let items = parts
        .iter()
        .map(|r| call.copy_str(part(s, *r)))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    call.list(Elem::Str, items)
}

fn split<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let sep = args::string(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    parts_dict(call, s, &split_ranges(s, sep, -1))
}

fn splitn<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 3)?;
    let sep = args::string(call, &args, 0)?;
    let n = args::int(call, &args, 1)?;
    let s = args::string(call, &args, 2)?;
    parts_dict(call, s, &split_ranges(s, sep, n))
}

fn split_list<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let sep = args::string(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    parts_list(call, s, &split_ranges(s, sep, -1))
}

/// sprig's `strslice`: a list's non-nil elements as strings; nil → `[]`; anything else →
/// a one-element list of its `strval`.
fn strslice<'v>(
    call: &Call<'_, 'v>,
    v: &Value<'v>,
) -> std::result::Result<Vec<Value<'v>>, TemplateError> {
    let one = |v: &Value<'v>| -> std::result::Result<Value<'v>, TemplateError> {
        if let Value::Str(_) = v {
            return Ok(v.clone());
        }
        let mut out = call.buf();
        sprint(v, &mut out)?;
        Ok(call.string(out))
    };
    match v {
        Value::List(l) => {
            call.elements(l.items.len())?;
            l.items
                .iter()
                .filter(|v| !matches!(v, Value::Nil | Value::Missing))
                .map(one)
                .collect()
        }
        Value::Nil | Value::Missing => Ok(Vec::new()),
        other => Ok(vec![one(other)?]),
    }
}

fn join<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let sep = args::string(call, &args, 0)?;
    let parts = strslice(call, &args[1])?;
    let mut out = call.buf();
    for (n, p) in parts.iter().enumerate() {
        if n > 0 {
            out.extend(sep)?;
        }
        out.extend(p.as_str().unwrap_or_default())?;
    }
    Ok(call.string(out))
}

fn to_strings<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    if let Value::List(l) = &args[0]
        && l.elem == Elem::Str
    {
        return Ok(args[0].clone());
    }
    let items = strslice(call, &args[0])?;
    call.list(Elem::Str, items)
}

/// `sortAlpha`: a list's strings sorted bytewise; anything else becomes a one-element list
/// of its `strval` (nil too: `[<nil>]`).
fn sort_alpha<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let mut items = match &args[0] {
        Value::List(_) => strslice(call, &args[0])?,
        other => {
            let mut out = call.buf();
            sprint(other, &mut out)?;
            vec![call.string(out)]
        }
    };
    call.elements(items.len().saturating_mul(usize::BITS as usize))?;
    items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    call.list(Elem::Str, items)
}
