//! sprig's string functions that neither change case nor split (see `casing.rs` and
//! `lists.rs`): trimming, affixes, quoting, padding, abbreviating and wrapping.
//!
//! Go strings are bytes, and so are these: lengths, widths and positions are byte counts, as
//! in sprig (`trunc 2 "äb"` cuts inside `ä`).

use super::super::budget::SecureBuf;
use super::super::error::TemplateError;
use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::args::{self, reason, slice};
use super::gofmt::sprint;
use super::unicode::{decode, is_space};

pub(super) fn register(table: &mut FuncTable) {
    table.register("hello", hello);
    table.register("abbrev", abbrev);
    table.register("abbrevboth", abbrevboth);
    table.register("trunc", trunc);
    table.register("trim", trim);
    table.register("trimAll", trim_all);
    table.register("trimall", trim_all);
    table.register("trimSuffix", trim_suffix);
    table.register("trimPrefix", trim_prefix);
    table.register("substr", substr);
    table.register("repeat", repeat);
    table.register("nospace", nospace);
    table.register("initials", initials);
    table.register("wrap", wrap);
    table.register("wrapWith", wrap_with);
    table.register("contains", contains);
    table.register("hasPrefix", has_prefix);
    table.register("hasSuffix", has_suffix);
    table.register("quote", quote);
    table.register("squote", squote);
    table.register("cat", cat);
    table.register("indent", indent);
    table.register("nindent", nindent);
    table.register("replace", replace);
    table.register("plural", plural);
    table.register("toString", to_string);
}

use super::Res;

fn hello<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 0)?;
    Ok(Value::borrowed(b"Hello!"))
}

/// A metered copy of `parts` concatenated.
fn concat<'v>(call: &Call<'_, 'v>, parts: &[&[u8]]) -> Res<'v> {
    let total = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
    let mut out = call.buf_with_capacity(total)?;
    for p in parts {
        out.extend(p)?;
    }
    Ok(call.string(out))
}

fn abbrev<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let width = args::int(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    if width < 4 {
        return concat(call, &[s]);
    }
    abbreviate(call, s, 0, width)
}

fn abbrevboth<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 3)?;
    let left = args::int(call, &args, 0)?;
    let right = args::int(call, &args, 1)?;
    let s = args::string(call, &args, 2)?;
    if right < 4 || left > 0 && right < 7 {
        return concat(call, &[s]);
    }
    abbreviate(call, s, left, right)
}

/// goutils' `AbbreviateFull`: `s` cut to `width` bytes around `offset`, with `...` markers;
/// `""` where goutils reports an illegal width (sprig drops the error).
fn abbreviate<'v>(call: &Call<'_, 'v>, s: &[u8], offset: i64, width: i64) -> Res<'v> {
    const MARKER: &[u8] = b"...";
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    if s.is_empty() || width < 4 {
        return concat(call, &[]);
    }
    if len <= width {
        return concat(call, &[s]);
    }
    // Go's int arithmetic wraps; so does this, and slicing out of range fails as Go panics.
    let mut offset = offset.min(len);
    if len.wrapping_sub(offset) < width.wrapping_sub(3) {
        offset = len.wrapping_sub(width.wrapping_sub(3));
    }
    if offset <= 4 {
        return concat(call, &[slice(call, s, 0, width.wrapping_sub(3))?, MARKER]);
    }
    if width < 7 {
        return concat(call, &[]);
    }
    if offset.wrapping_add(width).wrapping_sub(3) < len {
        let rest = slice(call, s, offset, len)?;
        let inner = abbreviate(call, rest, 0, width.wrapping_sub(3))?;
        return concat(call, &[MARKER, inner.as_str().unwrap_or_default()]);
    }
    concat(
        call,
        &[
            MARKER,
            slice(call, s, len.wrapping_sub(width.wrapping_sub(3)), len)?,
        ],
    )
}

fn trunc<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let c = args::int(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    if c < 0 && len + c > 0 {
        return concat(call, &[slice(call, s, len + c, len)?]);
    }
    if c >= 0 && len > c {
        return concat(call, &[slice(call, s, 0, c)?]);
    }
    concat(call, &[s])
}

/// Go's `utf8.DecodeLastRune`.
fn decode_last(s: &[u8]) -> (char, usize) {
    let Some(&last) = s.last() else {
        return (char::REPLACEMENT_CHARACTER, 0);
    };
    if last < 0x80 {
        return (char::from(last), 1);
    }
    let end = s.len();
    let lim = end.saturating_sub(4);
    let mut start = end - 1;
    while start > lim && (s[start] & 0xC0) == 0x80 {
        start -= 1;
    }
    let (c, size) = decode(&s[start..]);
    if start + size != end {
        return (char::REPLACEMENT_CHARACTER, 1);
    }
    (c, size)
}

/// Go's `strings.TrimFunc`.
fn trim_func(s: &[u8], cut: impl Fn(char) -> bool) -> &[u8] {
    let mut s = s;
    while !s.is_empty() {
        let (c, w) = decode(s);
        if !cut(c) {
            break;
        }
        s = &s[w..];
    }
    while !s.is_empty() {
        let (c, w) = decode_last(s);
        if !cut(c) {
            break;
        }
        s = &s[..s.len() - w];
    }
    s
}

fn trim<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let s = args::string(call, &args, 0)?;
    call.work(s.len())?;
    concat(call, &[trim_func(s, is_space)])
}

fn trim_all<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let cutset = args::string(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    call.work(s.len().saturating_mul(cutset.len().max(1)))?;
    let in_cutset = |c: char| {
        let mut rest = cutset;
        while !rest.is_empty() {
            let (r, w) = decode(rest);
            // An invalid byte decodes to U+FFFD on both sides, as Go's IndexRune matches it.
            if r == c {
                return true;
            }
            rest = &rest[w..];
        }
        false
    };
    concat(call, &[trim_func(s, in_cutset)])
}

fn trim_suffix<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let suffix = args::string(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    concat(call, &[s.strip_suffix(suffix).unwrap_or(s)])
}

fn trim_prefix<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let prefix = args::string(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    concat(call, &[s.strip_prefix(prefix).unwrap_or(s)])
}

fn substr<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 3)?;
    let start = args::int(call, &args, 0)?;
    let end = args::int(call, &args, 1)?;
    let s = args::string(call, &args, 2)?;
    let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
    let part = if start < 0 {
        slice(call, s, 0, end)?
    } else if end < 0 || end > len {
        slice(call, s, start, len)?
    } else {
        slice(call, s, start, end)?
    };
    concat(call, &[part])
}

/// `s` repeated `count` times; Go panics (the template fails) on a negative count.
fn repeated<'c>(
    call: &Call<'c, '_>,
    s: &[u8],
    count: i64,
) -> std::result::Result<SecureBuf<'c>, TemplateError> {
    let count = usize::try_from(count).map_err(|_| reason(call, "negative repeat count"))?;
    let total = s
        .len()
        .checked_mul(count)
        .ok_or_else(|| reason(call, "repeat count causes overflow"))?;
    let mut out = call.buf_with_capacity(total)?;
    if !s.is_empty() {
        for _ in 0..count {
            out.extend(s)?;
        }
    }
    Ok(out)
}

fn repeat<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let count = args::int(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    Ok(call.string(repeated(call, s, count)?))
}

/// Each byte of `s` as goutils reads it (`rune(str[i])`): a Latin-1 character.
fn latin1(b: u8) -> char {
    char::from(b)
}

fn push_char(out: &mut SecureBuf<'_>, c: char) -> std::result::Result<(), TemplateError> {
    let mut tmp = [0u8; 4];
    out.extend(c.encode_utf8(&mut tmp).as_bytes())
}

/// goutils' `DeleteWhiteSpace`: reads bytes as Latin-1 characters, so when anything is
/// deleted every other byte above 0x7F comes back UTF-8 encoded (as in sprig).
fn nospace<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let s = args::string(call, &args, 0)?;
    if !s.iter().any(|b| is_space(latin1(*b))) {
        return concat(call, &[s]);
    }
    let mut out = call.buf_with_capacity(s.len())?;
    for b in s.iter().filter(|b| !is_space(latin1(**b))) {
        push_char(&mut out, latin1(*b))?;
    }
    Ok(call.string(out))
}

/// goutils' `Initials`: the first byte of each whitespace-separated word, read as Latin-1.
fn initials<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let s = args::string(call, &args, 0)?;
    let mut out = call.buf();
    let mut gap = true;
    for b in s {
        let c = latin1(*b);
        if is_space(c) {
            gap = true;
        } else if gap {
            push_char(&mut out, c)?;
            gap = false;
        }
    }
    Ok(call.string(out))
}

fn wrap<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let width = args::int(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    wrap_custom(call, s, width, b"", false)
}

fn wrap_with<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 3)?;
    let width = args::int(call, &args, 0)?;
    let sep = args::string(call, &args, 1)?;
    let s = args::string(call, &args, 2)?;
    wrap_custom(call, s, width, sep, true)
}

/// goutils' `WrapCustom`: breaks `s` at spaces so that lines are at most `width` bytes,
/// dropping a space at the start of a line; long words are cut only with `long_words`.
fn wrap_custom<'v>(
    call: &Call<'_, 'v>,
    s: &[u8],
    width: i64,
    newline: &[u8],
    long_words: bool,
) -> Res<'v> {
    let newline: &[u8] = if newline.is_empty() { b"\n" } else { newline };
    let width = usize::try_from(width.max(1)).unwrap_or(usize::MAX);
    let mut out = call.buf();
    let mut offset = 0usize;
    while s.len() - offset > width {
        if s[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = width + offset + 1;
        let window = &s[offset..end];
        if let Some(at) = window.iter().rposition(|b| *b == b' ') {
            out.extend(&s[offset..offset + at])?;
            out.extend(newline)?;
            offset += at + 1;
        } else if long_words {
            out.extend(&s[offset..offset + width])?;
            out.extend(newline)?;
            offset += width;
        } else {
            let end = width + offset;
            match s[end..].iter().position(|b| *b == b' ') {
                None => {
                    out.extend(&s[offset..])?;
                    offset = s.len();
                }
                Some(i) => {
                    out.extend(&s[offset..end + i])?;
                    out.extend(newline)?;
                    offset = end + i + 1;
                }
            }
        }
    }
    out.extend(&s[offset..])?;
    Ok(call.string(out))
}

fn contains<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let needle = args::string(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    call.work(s.len())?;
    Ok(Value::Bool(
        needle.is_empty() || s.windows(needle.len()).any(|w| w == needle),
    ))
}

fn has_prefix<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let prefix = args::string(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    Ok(Value::Bool(s.starts_with(prefix)))
}

fn has_suffix<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let suffix = args::string(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    Ok(Value::Bool(s.ends_with(suffix)))
}

/// sprig's `strval`: a string as is, anything else as `fmt.Sprint` writes it.
pub(super) fn strval(
    v: &Value<'_>,
    out: &mut SecureBuf<'_>,
) -> std::result::Result<(), TemplateError> {
    sprint(v, out)
}

/// `quote`: each argument but nil, as Go's `%q` of its `strval`, joined by spaces.
fn quote<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let mut out = call.buf();
    for (n, v) in non_nil(&args).enumerate() {
        if n > 0 {
            out.extend(b" ")?;
        }
        match v {
            Value::Str(s) => super::super::fmt::quote(s.as_bytes(), b'"', false, &mut out)?,
            other => {
                let mut tmp = call.buf();
                strval(other, &mut tmp)?;
                super::super::fmt::quote(tmp.as_slice(), b'"', false, &mut out)?;
            }
        }
    }
    Ok(call.string(out))
}

fn non_nil<'a, 'v>(args: &'a [Value<'v>]) -> impl Iterator<Item = &'a Value<'v>> {
    args.iter()
        .filter(|v| !matches!(v, Value::Nil | Value::Missing))
}

/// `squote`: each argument but nil as `'%v'`, joined by spaces.
fn squote<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let mut out = call.buf();
    for (n, v) in non_nil(&args).enumerate() {
        if n > 0 {
            out.extend(b" ")?;
        }
        out.extend(b"'")?;
        sprint(v, &mut out)?;
        out.extend(b"'")?;
    }
    Ok(call.string(out))
}

/// `cat`: every argument but nil as `%v`, joined by spaces.
fn cat<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let mut out = call.buf();
    for (n, v) in non_nil(&args).enumerate() {
        if n > 0 {
            out.extend(b" ")?;
        }
        sprint(v, &mut out)?;
    }
    Ok(call.string(out))
}

fn indent_into(
    out: &mut SecureBuf<'_>,
    call: &Call<'_, '_>,
    spaces: i64,
    s: &[u8],
) -> std::result::Result<(), TemplateError> {
    let pad = repeated(call, b" ", spaces)?;
    out.extend(pad.as_slice())?;
    for part in s.split_inclusive(|b| *b == b'\n') {
        out.extend(part)?;
        if part.ends_with(b"\n") {
            out.extend(pad.as_slice())?;
        }
    }
    Ok(())
}

fn indent<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let spaces = args::int(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    let mut out = call.buf();
    indent_into(&mut out, call, spaces, s)?;
    Ok(call.string(out))
}

fn nindent<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let spaces = args::int(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    let mut out = call.buf();
    out.extend(b"\n")?;
    indent_into(&mut out, call, spaces, s)?;
    Ok(call.string(out))
}

/// Go's `strings.Replace(src, old, new, -1)`; an empty `old` matches before every rune
/// (each invalid byte is a rune) and at the end.
fn replace<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 3)?;
    let old = args::string(call, &args, 0)?;
    let new = args::string(call, &args, 1)?;
    let src = args::string(call, &args, 2)?;
    call.work(src.len())?;
    let mut out = call.buf();
    if old.is_empty() {
        let mut rest = src;
        out.extend(new)?;
        while !rest.is_empty() {
            let (_, w) = decode(rest);
            out.extend(&rest[..w])?;
            out.extend(new)?;
            rest = &rest[w..];
        }
        return Ok(call.string(out));
    }
    let mut i = 0;
    while i < src.len() {
        if src[i..].starts_with(old) {
            out.extend(new)?;
            i += old.len();
        } else {
            out.extend(&src[i..=i])?;
            i += 1;
        }
    }
    Ok(call.string(out))
}

fn plural<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 3)?;
    let one = args::string(call, &args, 0)?;
    let many = args::string(call, &args, 1)?;
    let count = args::int(call, &args, 2)?;
    concat(call, &[if count == 1 { one } else { many }])
}

fn to_string<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    if let Value::Str(_) = &args[0] {
        return Ok(args[0].clone());
    }
    let mut out = call.buf();
    strval(&args[0], &mut out)?;
    Ok(call.string(out))
}
