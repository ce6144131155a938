//! sprig's `urlParse` and `urlJoin`, with Go's `net/url` rules for splitting, unescaping and
//! escaping a URL (the fields sprig reads and writes only).

use super::super::budget::SecureBuf;
use super::super::error::{CallError, TemplateError};
use super::super::func::{Call, FuncTable};
use super::super::value::{GoKey, GoMap, Value};
use super::args::{self, reason};
use std::collections::BTreeMap;

pub(super) fn register(table: &mut FuncTable) {
    table.register("urlParse", url_parse);
    table.register("urlJoin", url_join);
}

use super::Res;

/// Go's `net/url` encoding modes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone) && b"!$&'()*+,;=:[]<>\"".contains(&c) {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Mode::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
                Mode::Path => c == b'?',
                Mode::Fragment => false,
                // Go's host and zone modes fall through to "escape".
                Mode::Host | Mode::Zone => true,
            };
        }
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Go's `unescape`; `None` where Go reports an error.
fn unescape(
    s: &[u8],
    mode: Mode,
    out: &mut SecureBuf<'_>,
) -> std::result::Result<Option<()>, TemplateError> {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                if i + 2 >= s.len()
                    || !s[i + 1].is_ascii_hexdigit()
                    || !s[i + 2].is_ascii_hexdigit()
                {
                    return Ok(None);
                }
                let v = unhex(s[i + 1]) << 4 | unhex(s[i + 2]);
                let pct25 = &s[i..i + 3] == b"%25";
                if mode == Mode::Host && unhex(s[i + 1]) < 8 && !pct25 {
                    return Ok(None);
                }
                if mode == Mode::Zone && !pct25 && v != b' ' && should_escape(v, Mode::Host) {
                    return Ok(None);
                }
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Ok(None);
                }
                i += 1;
            }
        }
    }
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            out.extend(&[unhex(s[i + 1]) << 4 | unhex(s[i + 2])])?;
            i += 3;
        } else {
            out.extend(&s[i..=i])?;
            i += 1;
        }
    }
    Ok(Some(()))
}

fn escape(s: &[u8], mode: Mode, out: &mut SecureBuf<'_>) -> std::result::Result<(), TemplateError> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &c in s {
        if should_escape(c, mode) {
            out.extend(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]])?;
        } else {
            out.extend(&[c])?;
        }
    }
    Ok(())
}

fn valid_optional_port(port: &[u8]) -> bool {
    match port.split_first() {
        None => true,
        Some((b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

/// The parts of a URL sprig reads, unescaped (`None` for no user).
struct Parts<'c> {
    scheme: SecureBuf<'c>,
    opaque: SecureBuf<'c>,
    user: Option<(SecureBuf<'c>, Option<SecureBuf<'c>>)>,
    host: SecureBuf<'c>,
    path: SecureBuf<'c>,
    query: SecureBuf<'c>,
    fragment: SecureBuf<'c>,
}

type Parsed<'c> = std::result::Result<Option<Parts<'c>>, TemplateError>;

/// Go's `url.Parse`; `None` where it fails.
fn parse<'c>(call: &Call<'c, '_>, raw: &[u8]) -> Parsed<'c> {
    let (u, frag) = match raw.iter().position(|b| *b == b'#') {
        Some(i) => (&raw[..i], Some(&raw[i + 1..])),
        None => (raw, None),
    };
    let mut p = Parts {
        scheme: call.buf(),
        opaque: call.buf(),
        user: None,
        host: call.buf(),
        path: call.buf(),
        query: call.buf(),
        fragment: call.buf(),
    };
    if u.iter().any(|b| *b < 0x20 || *b == 0x7f) {
        return Ok(None);
    }
    if u == b"*" {
        p.path.extend(b"*")?;
    } else {
        // the scheme
        let mut rest = u;
        for (i, &c) in u.iter().enumerate() {
            match c {
                b'a'..=b'z' | b'A'..=b'Z' => {}
                b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
                b':' if i == 0 => return Ok(None),
                b':' => {
                    p.scheme.extend(&u[..i].to_ascii_lowercase())?;
                    rest = &u[i + 1..];
                    break;
                }
                _ => break,
            }
        }
        let questions = rest.iter().filter(|b| **b == b'?').count();
        if rest.ends_with(b"?") && questions == 1 {
            rest = &rest[..rest.len() - 1];
        } else if let Some(i) = rest.iter().position(|b| *b == b'?') {
            p.query.extend(&rest[i + 1..])?;
            rest = &rest[..i];
        }
        let has_scheme = !p.scheme.is_empty();
        if !rest.starts_with(b"/") {
            if has_scheme {
                p.opaque.extend(rest)?;
                rest = b"";
            } else {
                let segment = rest.split(|b| *b == b'/').next().unwrap_or_default();
                if segment.contains(&b':') {
                    return Ok(None);
                }
            }
        }
        if p.opaque.is_empty()
            && (has_scheme || !rest.starts_with(b"///"))
            && rest.starts_with(b"//")
        {
            let after = &rest[2..];
            let (authority, tail) = match after.iter().position(|b| *b == b'/') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, &b""[..]),
            };
            if parse_authority(call, authority, &mut p)?.is_none() {
                return Ok(None);
            }
            rest = tail;
        }
        if p.opaque.is_empty() && unescape(rest, Mode::Path, &mut p.path)?.is_none() {
            return Ok(None);
        }
    }
    if let Some(frag) = frag
        && !frag.is_empty()
        && unescape(frag, Mode::Fragment, &mut p.fragment)?.is_none()
    {
        return Ok(None);
    }
    Ok(Some(p))
}

fn parse_authority<'c>(
    call: &Call<'c, '_>,
    authority: &[u8],
    p: &mut Parts<'c>,
) -> std::result::Result<Option<()>, TemplateError> {
    let at = authority.iter().rposition(|b| *b == b'@');
    let host = at.map_or(authority, |i| &authority[i + 1..]);
    if parse_host(host, &mut p.host)?.is_none() {
        return Ok(None);
    }
    let Some(at) = at else {
        return Ok(Some(()));
    };
    let userinfo = &authority[..at];
    let valid = userinfo
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(c));
    if !valid {
        return Ok(None);
    }
    let (name, password) = match userinfo.iter().position(|b| *b == b':') {
        Some(i) => (&userinfo[..i], Some(&userinfo[i + 1..])),
        None => (userinfo, None),
    };
    let mut user = call.buf();
    if unescape(name, Mode::UserPassword, &mut user)?.is_none() {
        return Ok(None);
    }
    let pass = match password {
        Some(pw) => {
            let mut buf = call.buf();
            if unescape(pw, Mode::UserPassword, &mut buf)?.is_none() {
                return Ok(None);
            }
            Some(buf)
        }
        None => None,
    };
    p.user = Some((user, pass));
    Ok(Some(()))
}

fn parse_host(
    host: &[u8],
    out: &mut SecureBuf<'_>,
) -> std::result::Result<Option<()>, TemplateError> {
    if host.starts_with(b"[") {
        let Some(close) = host.iter().rposition(|b| *b == b']') else {
            return Ok(None);
        };
        if !valid_optional_port(&host[close + 1..]) {
            return Ok(None);
        }
        if let Some(zone) = host[..close].windows(3).position(|w| w == b"%25") {
            for (part, mode) in [
                (&host[..zone], Mode::Host),
                (&host[zone..close], Mode::Zone),
                (&host[close..], Mode::Host),
            ] {
                if unescape(part, mode, out)?.is_none() {
                    return Ok(None);
                }
            }
            return Ok(Some(()));
        }
    } else if let Some(colon) = host.iter().rposition(|b| *b == b':')
        && !valid_optional_port(&host[colon..])
    {
        return Ok(None);
    }
    unescape(host, Mode::Host, out)
}

/// Go's `URL.Hostname`: the host without its port and brackets.
fn hostname(host: &[u8]) -> &[u8] {
    let mut h = host;
    if let Some(colon) = host.iter().rposition(|b| *b == b':')
        && valid_optional_port(&host[colon..])
    {
        h = &host[..colon];
    }
    if h.len() >= 2 && h.starts_with(b"[") && h.ends_with(b"]") {
        h = &h[1..h.len() - 1];
    }
    h
}

/// Go's `Userinfo.String`.
fn user_string(
    user: &(SecureBuf<'_>, Option<SecureBuf<'_>>),
    out: &mut SecureBuf<'_>,
) -> std::result::Result<(), TemplateError> {
    escape(user.0.as_slice(), Mode::UserPassword, out)?;
    if let Some(pw) = &user.1 {
        out.extend(b":")?;
        escape(pw.as_slice(), Mode::UserPassword, out)?;
    }
    Ok(())
}

const UNPARSABLE: &str = "unable to parse the url (not shown: it may hold a value)";

fn url_parse<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let raw = args::string(call, &args, 0)?;
    call.work(raw.len().saturating_mul(4))?;
    let p = parse(call, raw)?.ok_or_else(|| reason(call, UNPARSABLE))?;
    let mut user = call.buf();
    if let Some(u) = &p.user {
        user_string(u, &mut user)?;
    }
    let host_name = call.copy_str(hostname(p.host.as_slice()))?;
    call.elements(8)?;
    let mut map = BTreeMap::new();
    let mut put = |k: &str, v: Value<'v>| {
        map.insert(GoKey(k.as_bytes().to_vec()), v);
    };
    put("hostname", host_name);
    put("scheme", call.string(p.scheme));
    put("host", call.string(p.host));
    put("path", call.string(p.path));
    put("query", call.string(p.query));
    put("opaque", call.string(p.opaque));
    put("fragment", call.string(p.fragment));
    put("userinfo", call.string(user));
    Ok(Value::dict(map))
}

/// The bytes of an optional string field (`""` when absent).
fn get<'a>(v: &'a Option<Value<'_>>) -> &'a [u8] {
    v.as_ref().and_then(Value::as_str).unwrap_or_default()
}

/// `urlJoin DICT`: the URL the dict's string fields make, as Go's `URL.String` writes it.
fn url_join<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let map = match &args[0] {
        Value::Map(m @ GoMap::Dict(_)) => m.clone(),
        other => {
            return Err(call.error(CallError::ArgType {
                index: 1,
                want: "map[string]interface {}",
                got: other.type_name(),
            }));
        }
    };
    let field = |k: &str| -> std::result::Result<Option<Value<'v>>, TemplateError> {
        match map.get(k.as_bytes()) {
            None => Ok(None),
            Some(v @ Value::Str(_)) => Ok(Some(v)),
            Some(_) => Err(reason(call, "a url field is not a string")),
        }
    };
    let scheme = field("scheme")?;
    let host = field("host")?;
    let path = field("path")?;
    let query = field("query")?;
    let opaque = field("opaque")?;
    let fragment = field("fragment")?;
    let userinfo = field("userinfo")?;
    let (scheme, host, path, query, opaque, fragment, userinfo) = (
        get(&scheme),
        get(&host),
        get(&path),
        get(&query),
        get(&opaque),
        get(&fragment),
        get(&userinfo),
    );
    call.work(
        scheme.len()
            + host.len()
            + path.len()
            + query.len()
            + opaque.len()
            + fragment.len()
            + userinfo.len(),
    )?;
    let user = if userinfo.is_empty() {
        None
    } else {
        // sprig parses "proto://USERINFO@host" to read it.
        let mut probe = call.buf();
        probe.extend(b"proto://")?;
        probe.extend(userinfo)?;
        probe.extend(b"@host")?;
        let parts = parse(call, probe.as_slice())?.ok_or_else(|| reason(call, UNPARSABLE))?;
        parts.user
    };
    let mut out = call.buf();
    if !scheme.is_empty() {
        out.extend(scheme)?;
        out.extend(b":")?;
    }
    if !opaque.is_empty() {
        out.extend(opaque)?;
    } else {
        if !scheme.is_empty() || !host.is_empty() || user.is_some() {
            if !host.is_empty() || !path.is_empty() || user.is_some() {
                out.extend(b"//")?;
            }
            if let Some(u) = &user {
                user_string(u, &mut out)?;
                out.extend(b"@")?;
            }
            escape(host, Mode::Host, &mut out)?;
        }
        let mut escaped = call.buf();
        if path == b"*" {
            escaped.extend(b"*")?;
        } else {
            escape(path, Mode::Path, &mut escaped)?;
        }
        let escaped = escaped.as_slice();
        if !escaped.is_empty() && escaped[0] != b'/' && !host.is_empty() {
            out.extend(b"/")?;
        }
        if out.is_empty() {
            let segment = escaped.split(|b| *b == b'/').next().unwrap_or_default();
            if segment.contains(&b':') {
                out.extend(b"./")?;
            }
        }
        out.extend(escaped)?;
    }
    if !query.is_empty() {
        out.extend(b"?")?;
        out.extend(query)?;
    }
    if !fragment.is_empty() {
        out.extend(b"#")?;
        escape(fragment, Mode::Fragment, &mut out)?;
    }
    Ok(call.string(out))
}
