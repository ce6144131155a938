//! sprig's path functions: `base`, `dir`, `clean`, `ext`, `isAbs` (Go's `path`) and their
//! `os` forms (Go's `path/filepath`, which on Linux, where the controller runs, is the same
//! with `/` as the separator).

use super::super::budget::SecureBuf;
use super::super::error::TemplateError;
use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::args;

pub(super) fn register(table: &mut FuncTable) {
    for (name, os_name, func) in [
        ("base", "osBase", base as super::super::func::Func),
        ("dir", "osDir", dir),
        ("clean", "osClean", clean),
        ("ext", "osExt", ext),
        ("isAbs", "osIsAbs", is_abs),
    ] {
        table.register(name, func);
        table.register(os_name, func);
    }
}

use super::Res;

/// Go's `path.Clean`: the shortest equivalent path, by lexical processing.
fn clean_into(p: &[u8], out: &mut SecureBuf<'_>) -> std::result::Result<(), TemplateError> {
    if p.is_empty() {
        return out.extend(b".");
    }
    let rooted = p[0] == b'/';
    // Components kept so far (byte ranges of `p`), to pop on "..".
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut leading_dotdots = 0usize;
    for part in p.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if parts.pop().is_none() && !rooted {
                    leading_dotdots += 1;
                }
            }
            _ => parts.push(part),
        }
    }
    let mut first = true;
    if rooted {
        out.extend(b"/")?;
    }
    for _ in 0..leading_dotdots {
        if !first {
            out.extend(b"/")?;
        }
        out.extend(b"..")?;
        first = false;
    }
    for part in parts {
        if !first {
            out.extend(b"/")?;
        }
        out.extend(part)?;
        first = false;
    }
    if first && !rooted {
        out.extend(b".")?;
    }
    Ok(())
}

fn clean<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let p = args::one_string(call, &args)?;
    let mut out = call.buf_with_capacity(p.len().max(1))?;
    clean_into(p, &mut out)?;
    Ok(call.string(out))
}

fn base<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let p = args::one_string(call, &args)?;
    if p.is_empty() {
        return Ok(Value::borrowed(b"."));
    }
    let trimmed = match p.iter().rposition(|b| *b != b'/') {
        Some(i) => &p[..=i],
        None => return Ok(Value::borrowed(b"/")),
    };
    let start = trimmed
        .iter()
        .rposition(|b| *b == b'/')
        .map_or(0, |i| i + 1);
    call.copy_str(&trimmed[start..])
}

fn dir<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let p = args::one_string(call, &args)?;
    let end = p.iter().rposition(|b| *b == b'/').map_or(0, |i| i + 1);
    let mut out = call.buf_with_capacity(end.max(1))?;
    clean_into(&p[..end], &mut out)?;
    Ok(call.string(out))
}

fn ext<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let p = args::one_string(call, &args)?;
    for i in (0..p.len()).rev() {
        match p[i] {
            b'/' => break,
            b'.' => return call.copy_str(&p[i..]),
            _ => {}
        }
    }
    Ok(Value::borrowed(b""))
}

fn is_abs<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let p = args::one_string(call, &args)?;
    Ok(Value::Bool(p.first() == Some(&b'/')))
}
