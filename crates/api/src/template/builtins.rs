//! Go's builtin template functions (`text/template/funcs.go`): `and`, `or` (special forms of
//! the executor), `not`, `len`, `index`, `slice`, `print`, `printf`, `println`, `eq`, `ne`,
//! `lt`, `le`, `gt`, `ge`, `html`, `js`, `urlquery`, and `call` (refused: there are no
//! function values). Each fails where Go's fails; none names a value in its error.

use super::error::{CallError, TemplateError};
use super::fmt::{go_is_print, sprint, sprintf, sprintln};
use super::func::{Call, Entry, FuncTable};
use super::value::{GoMap, Value};

type Res<'v> = Result<Value<'v>, TemplateError>;

/// Add Go's builtins to `table`.
pub(super) fn register(table: &mut FuncTable) {
    table.register_entry("and", Entry::ShortCircuit(true));
    table.register_entry("or", Entry::ShortCircuit(false));
    table.register_entry("call", Entry::CallRefused);
    table.register("not", not);
    table.register("len", len);
    table.register("index", index);
    table.register("slice", slice);
    table.register("print", print);
    table.register("printf", printf);
    table.register("println", println);
    table.register("eq", eq);
    table.register("ne", ne);
    table.register("lt", lt);
    table.register("le", le);
    table.register("gt", gt);
    table.register("ge", ge);
    table.register("html", html);
    table.register("js", js);
    table.register("urlquery", urlquery);
}

fn at_least(call: &Call<'_, '_>, args: &[Value<'_>], min: usize) -> Result<(), TemplateError> {
    if args.len() < min {
        return Err(call.error(CallError::ArgCountAtLeast {
            min,
            got: args.len(),
        }));
    }
    Ok(())
}

fn reason(call: &Call<'_, '_>, why: &'static str) -> TemplateError {
    call.error(CallError::Reason(why))
}

fn not<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(Value::Bool(!args.iter().any(Value::truth)))
}

fn len<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let n = match &args[0] {
        Value::Str(s) => s.as_bytes().len(),
        Value::List(l) => l.items.len(),
        Value::Map(m) => m.len(),
        _ => return Err(reason(call, "len of a value that has no length")),
    };
    Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// Go's `indexArg`: an integer in `0..=cap`.
fn index_arg(call: &Call<'_, '_>, index: &Value<'_>, cap: usize) -> Result<usize, TemplateError> {
    let Some(x) = index.as_int() else {
        return Err(reason(call, "index is not an integer"));
    };
    usize::try_from(x)
        .ok()
        .filter(|x| *x <= cap)
        .ok_or_else(|| reason(call, "index out of range"))
}

fn index<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    let mut args = args.into_iter();
    let mut item = args.next().unwrap_or(Value::Nil);
    if matches!(item, Value::Nil | Value::Missing) {
        return Err(reason(call, "index of untyped nil"));
    }
    for index in args {
        item = match &item {
            Value::Nil | Value::Missing => return Err(reason(call, "index of nil pointer")),
            Value::List(l) => {
                let x = index_arg(call, &index, l.items.len())?;
                l.items
                    .get(x)
                    .cloned()
                    .ok_or_else(|| reason(call, "index out of range"))?
            }
            Value::Str(s) => {
                let bytes = s.as_bytes();
                let x = index_arg(call, &index, bytes.len())?;
                // Go yields the byte (a uint8), which prints and compares as a number.
                let b = bytes
                    .get(x)
                    .copied()
                    .ok_or_else(|| reason(call, "index out of range"))?;
                Value::Uint8(b)
            }
            Value::Map(m) => map_index(call, m, &index)?,
            _ => return Err(reason(call, "can't index an item of this type")),
        };
    }
    Ok(item)
}

fn map_index<'v>(call: &Call<'_, 'v>, m: &GoMap<'v>, key: &Value<'v>) -> Res<'v> {
    let Some(k) = key.as_str() else {
        return Err(reason(call, "map key is not a string"));
    };
    call.work(k.len())?;
    Ok(m.get(k).unwrap_or_else(|| Value::zero(m.elem())))
}

fn slice<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    let item = &args[0];
    let indexes = &args[1..];
    if indexes.len() > 3 {
        return Err(reason(call, "too many slice indexes"));
    }
    let len = match item {
        Value::Nil | Value::Missing => return Err(reason(call, "slice of untyped nil")),
        Value::Str(s) => {
            if indexes.len() == 3 {
                return Err(reason(call, "cannot 3-index slice a string"));
            }
            s.as_bytes().len()
        }
        Value::List(l) => l.items.len(),
        _ => return Err(reason(call, "can't slice an item of this type")),
    };
    let mut idx = [0, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(call, index, len)?;
    }
    if idx[0] > idx[1] || (indexes.len() == 3 && idx[1] > idx[2]) {
        return Err(reason(call, "invalid slice index"));
    }
    match item {
        Value::Str(s) => call.copy_str(&s.as_bytes()[idx[0]..idx[1]]),
        Value::List(l) => {
            let items = l.items[idx[0]..idx[1]].to_vec();
            call.list(l.elem, items)
        }
        _ => Err(reason(call, "can't slice an item of this type")),
    }
}

fn print<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let mut out = call.buf();
    sprint(&args, &mut out)?;
    Ok(call.string(out))
}

fn println<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let mut out = call.buf();
    sprintln(&args, &mut out)?;
    Ok(call.string(out))
}

fn printf<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    let Some(format) = args[0].as_str() else {
        return Err(call.error(CallError::ArgType {
            index: 1,
            want: "string",
            got: args[0].type_name(),
        }));
    };
    let mut out = call.buf();
    sprintf(format, &args[1..], &mut out)?;
    Ok(call.string(out))
}

/// Go's `basicKind`.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    Str,
}

fn basic_kind(v: &Value<'_>) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) | Value::Uint8(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Str(_) => Kind::Str,
        _ => Kind::Invalid,
    }
}

fn is_nil(v: &Value<'_>) -> bool {
    matches!(v, Value::Nil | Value::Missing)
}

fn equal(call: &Call<'_, '_>, a: &Value<'_>, b: &Value<'_>) -> Result<bool, TemplateError> {
    let (k1, k2) = (basic_kind(a), basic_kind(b));
    if k1 != k2 {
        if !is_nil(a) && !is_nil(b) {
            return Err(reason(call, "incompatible types for comparison"));
        }
        return Ok(false);
    }
    Ok(match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => {
            call.work(x.as_bytes().len().min(y.as_bytes().len()))?;
            x.as_bytes() == y.as_bytes()
        }
        _ if k1 == Kind::Int => a.as_int() == b.as_int(),
        _ => {
            // Neither is a basic kind: nil, a list or a map.
            if is_nil(a) || is_nil(b) {
                is_nil(a) == is_nil(b)
            } else {
                return Err(reason(call, "non-comparable types"));
            }
        }
    })
}

fn eq<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    if args.len() == 1 {
        return Err(reason(call, "missing argument for comparison"));
    }
    for b in &args[1..] {
        if equal(call, &args[0], b)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn ne<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    Ok(Value::Bool(!equal(call, &args[0], &args[1])?))
}

fn less(call: &Call<'_, '_>, a: &Value<'_>, b: &Value<'_>) -> Result<bool, TemplateError> {
    let (k1, k2) = (basic_kind(a), basic_kind(b));
    if k1 == Kind::Invalid || k2 == Kind::Invalid {
        return Err(reason(call, "invalid type for comparison"));
    }
    if k1 != k2 {
        return Err(reason(call, "incompatible types for comparison"));
    }
    Ok(match (a, b) {
        (Value::Bool(_), _) => return Err(reason(call, "invalid type for comparison")),
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Str(x), Value::Str(y)) => {
            call.work(x.as_bytes().len().min(y.as_bytes().len()))?;
            x.as_bytes() < y.as_bytes()
        }
        _ => a.as_int() < b.as_int(),
    })
}

fn lt<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    Ok(Value::Bool(less(call, &args[0], &args[1])?))
}

fn less_or_equal(call: &Call<'_, '_>, a: &Value<'_>, b: &Value<'_>) -> Result<bool, TemplateError> {
    Ok(less(call, a, b)? || equal(call, a, b)?)
}

fn le<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    Ok(Value::Bool(less_or_equal(call, &args[0], &args[1])?))
}

fn gt<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    Ok(Value::Bool(!less_or_equal(call, &args[0], &args[1])?))
}

fn ge<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    Ok(Value::Bool(!less(call, &args[0], &args[1])?))
}

/// Go's `evalArgs` for `html`, `js` and `urlquery`: one string as is, otherwise
/// `fmt.Sprint` with nil shown as `<no value>`.
fn eval_args<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    if let [Value::Str(_)] = args.as_slice() {
        return Ok(args.into_iter().next().unwrap_or(Value::Nil));
    }
    let printable: Vec<Value<'v>> = args
        .into_iter()
        .map(|a| match a {
            Value::Nil | Value::Missing => Value::borrowed(b"<no value>"),
            a => a,
        })
        .collect();
    let mut out = call.buf();
    sprint(&printable, &mut out)?;
    Ok(call.string(out))
}

fn html<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = eval_args(call, args)?;
    let s = s.as_str().unwrap_or_default();
    let mut out = call.buf_with_capacity(s.len())?;
    for &c in s {
        match c {
            0 => out.extend("\u{FFFD}".as_bytes())?,
            b'"' => out.extend(b"&#34;")?,
            b'\'' => out.extend(b"&#39;")?,
            b'&' => out.extend(b"&amp;")?,
            b'<' => out.extend(b"&lt;")?,
            b'>' => out.extend(b"&gt;")?,
            c => out.extend(&[c])?,
        }
    }
    Ok(call.string(out))
}

fn js<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let s = eval_args(call, args)?;
    let s = s.as_str().unwrap_or_default();
    let mut out = call.buf_with_capacity(s.len())?;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        match c {
            b'\\' => out.extend(b"\\\\")?,
            b'\'' => out.extend(b"\\'")?,
            b'"' => out.extend(b"\\\"")?,
            b'<' => out.extend(b"\\u003C")?,
            b'>' => out.extend(b"\\u003E")?,
            b'&' => out.extend(b"\\u0026")?,
            b'=' => out.extend(b"\\u003D")?,
            c if c < b' ' => {
                out.extend(b"\\u00")?;
                out.extend(&[HEX[usize::from(c >> 4)], HEX[usize::from(c & 0xf)]])?;
            }
            c if c < 0x80 => out.extend(&[c])?,
            _ => {
                let (r, size) = decode(&s[i..]);
                if go_is_print(r) {
                    out.extend(&s[i..i + size])?;
                } else {
                    let u = r as u32;
                    out.extend(b"\\u")?;
                    let digits = if u > 0xFFFF {
                        5 + usize::from(u > 0xFFFFF)
                    } else {
                        4
                    };
                    for k in (0..digits).rev() {
                        out.extend(&[HEX[((u >> (4 * k)) & 0xf) as usize]])?;
                    }
                }
                i += size;
                continue;
            }
        }
        i += 1;
    }
    Ok(call.string(out))
}

/// Go's `utf8.DecodeRune`: an invalid byte is U+FFFD of width 1.
fn decode(b: &[u8]) -> (char, usize) {
    match b.utf8_chunks().next() {
        Some(chunk) => match chunk.valid().chars().next() {
            Some(c) => (c, c.len_utf8()),
            None => ('\u{FFFD}', 1),
        },
        None => ('\u{FFFD}', 1),
    }
}

fn urlquery<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let s = eval_args(call, args)?;
    let s = s.as_str().unwrap_or_default();
    let mut out = call.buf_with_capacity(s.len())?;
    for &c in s {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.extend(&[c])?
            }
            b' ' => out.extend(b"+")?,
            c => out.extend(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 0xf)]])?,
        }
    }
    Ok(call.string(out))
}
