//! sprig's regular expression functions, with Go's RE2 syntax (see `regex_syntax.rs`) on the
//! `regex` crate's linear-time engine, and Go's rules for empty matches.
//!
//! Go reads each invalid UTF-8 byte of a subject as U+FFFD (so `.` matches it); the crate
//! would not, so such a subject is matched as a copy with each invalid byte replaced by
//! U+FFFD, and the positions mapped back: results are slices of the original bytes, as Go's.
//!
//! A pattern may be computed from a value, so no error shows it or the compiler's message.
//! Compiled programs are kept small (`SIZE_LIMIT`), and matching is charged as work.

use super::super::error::TemplateError;
use super::super::func::{Call, FuncTable};
use super::super::value::{Elem, Value};
use super::args::{self, reason};
use super::regex_syntax::translate;
use super::unicode::decode;
use regex::bytes::{Regex, RegexBuilder};
use zeroize::Zeroizing;

pub(super) fn register(table: &mut FuncTable) {
    table.register("regexMatch", regex_match);
    table.register("mustRegexMatch", must_regex_match);
    table.register("regexFindAll", regex_find_all);
    table.register("mustRegexFindAll", regex_find_all);
    table.register("regexFind", regex_find);
    table.register("mustRegexFind", regex_find);
    table.register("regexReplaceAll", regex_replace_all);
    table.register("mustRegexReplaceAll", regex_replace_all);
    table.register("regexReplaceAllLiteral", regex_replace_all_literal);
    table.register("mustRegexReplaceAllLiteral", regex_replace_all_literal);
    table.register("regexSplit", regex_split);
    table.register("mustRegexSplit", regex_split);
    table.register("regexQuoteMeta", regex_quote_meta);
}

use super::Res;

/// Bytes of compiled program one pattern may take.
const SIZE_LIMIT: usize = 256 * 1024;
/// Work charged per byte of pattern for compiling it.
const COMPILE_WORK_PER_BYTE: usize = 64;

const INVALID: &str = "invalid regular expression (not shown: it may come from a value)";

/// A subject as the engine sees it: valid UTF-8 (a wiped copy with U+FFFD for each invalid
/// byte, when needed) and the way back to positions in the original.
struct Subject<'s> {
    original: &'s [u8],
    copy: Option<(Zeroizing<Vec<u8>>, Vec<usize>)>,
}

impl<'s> Subject<'s> {
    fn new(call: &Call<'_, '_>, s: &'s [u8]) -> std::result::Result<Self, TemplateError> {
        if std::str::from_utf8(s).is_ok() {
            return Ok(Subject {
                original: s,
                copy: None,
            });
        }
        call.work(
            s.len()
                .saturating_mul(3)
                .saturating_mul(1 + std::mem::size_of::<usize>()),
        )?;
        let mut text = Zeroizing::new(Vec::with_capacity(s.len() * 3));
        let mut back = Vec::with_capacity(s.len() * 3 + 1);
        let mut at = 0;
        for chunk in s.utf8_chunks() {
            let valid = chunk.valid();
            for (i, c) in valid.char_indices() {
                back.extend(std::iter::repeat_n(at + i, c.len_utf8()));
            }
            text.extend_from_slice(valid.as_bytes());
            at += valid.len();
            for _ in chunk.invalid() {
                text.extend_from_slice("\u{FFFD}".as_bytes());
                back.extend([at; 3]);
                at += 1;
            }
        }
        back.push(at);
        Ok(Subject {
            original: s,
            copy: Some((text, back)),
        })
    }

    /// What the engine matches.
    fn text(&self) -> &[u8] {
        match &self.copy {
            Some((t, _)) => t,
            None => self.original,
        }
    }

    /// The position in the original of position `i` of [`Self::text`].
    fn orig(&self, i: usize) -> usize {
        match &self.copy {
            Some((_, back)) => back.get(i).copied().unwrap_or(self.original.len()),
            None => i,
        }
    }
}

/// Compile Go pattern `pattern`; `None` where Go's `regexp.Compile` fails.
fn compile(
    call: &Call<'_, '_>,
    pattern: &[u8],
) -> std::result::Result<Option<Regex>, TemplateError> {
    call.work(pattern.len().saturating_mul(COMPILE_WORK_PER_BYTE))?;
    let Ok(text) = std::str::from_utf8(pattern) else {
        return Ok(None); // Go: "invalid UTF-8"
    };
    let Ok(translated) = translate(text).map(Zeroizing::new) else {
        return Ok(None);
    };
    Ok(RegexBuilder::new(&translated)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(4 * SIZE_LIMIT)
        .build()
        .ok())
}

/// Compile, failing the template where sprig's `MustCompile` panics.
fn must_compile(call: &Call<'_, '_>, pattern: &[u8]) -> std::result::Result<Regex, TemplateError> {
    compile(call, pattern)?.ok_or_else(|| reason(call, INVALID))
}

/// Matching `s` is charged as reading it a few times over.
fn charge_match(
    call: &Call<'_, '_>,
    s: &[u8],
    re: &Regex,
) -> std::result::Result<(), TemplateError> {
    let factor = 1 + re.as_str().len() / 16;
    call.work(s.len().saturating_add(1).saturating_mul(factor))
}

/// The arguments of a `MustCompile` function, compiled.
struct Compiled<'a> {
    re: Regex,
    pattern: &'a [u8],
    subject: &'a [u8],
    /// The count argument; -1 (all) for a function without one.
    n: i64,
}

/// Type-check the arguments first, as Go converts them before the call (pattern, subject,
/// and with `arity` 3 a count), then compile the pattern and charge the match.
fn compiled_args<'a>(
    call: &Call<'_, '_>,
    args: &'a [Value<'_>],
    arity: usize,
) -> std::result::Result<Compiled<'a>, TemplateError> {
    call.arity(args, arity)?;
    let pattern = args::string(call, args, 0)?;
    let subject = args::string(call, args, 1)?;
    let n = if arity == 3 {
        args::int(call, args, 2)?
    } else {
        -1
    };
    let re = must_compile(call, pattern)?;
    charge_match(call, subject, &re)?;
    Ok(Compiled {
        re,
        pattern,
        subject,
        n,
    })
}

fn regex_match<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let pattern = args::string(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    // sprig ignores the compile error: an invalid pattern matches nothing.
    let Some(re) = compile(call, pattern)? else {
        return Ok(Value::Bool(false));
    };
    charge_match(call, s, &re)?;
    Ok(Value::Bool(re.is_match(Subject::new(call, s)?.text())))
}

fn must_regex_match<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let pattern = args::string(call, &args, 0)?;
    let s = args::string(call, &args, 1)?;
    let re = must_compile(call, pattern)?;
    charge_match(call, s, &re)?;
    Ok(Value::Bool(re.is_match(Subject::new(call, s)?.text())))
}

/// Go's `allMatches`: up to `n` (all if negative) matches, where an empty match right
/// after the previous match is skipped and the search moves on by one rune.
fn all_matches(re: &Regex, s: &[u8], n: i64) -> Vec<(usize, usize)> {
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    let mut found = Vec::new();
    let mut pos = 0;
    let mut prev_end: Option<usize> = None;
    while found.len() < n && pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else {
            break;
        };
        let mut accept = true;
        if m.end() == pos {
            if Some(m.start()) == prev_end {
                accept = false;
            }
            pos += if pos < s.len() {
                decode(&s[pos..]).1
            } else {
                1
            };
        } else {
            pos = m.end();
        }
        prev_end = Some(m.end());
        if accept {
            found.push((m.start(), m.end()));
        }
    }
    found
}

/// The original bytes of each range of the subject's text.
fn strings_list<'v>(
    call: &Call<'_, 'v>,
    subject: &Subject<'_>,
    ranges: &[(usize, usize)],
) -> Res<'v> {
    let s = subject.original;
    let items = ranges
        .iter()
        .map(|(a, b)| call.copy_str(&s[subject.orig(*a)..subject.orig(*b)]))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    call.list(Elem::Str, items)
}

fn regex_find_all<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let Compiled {
        re, subject: s, n, ..
    } = compiled_args(call, &args, 3)?;
    let subject = Subject::new(call, s)?;
    strings_list(call, &subject, &all_matches(&re, subject.text(), n))
}

fn regex_find<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let Compiled { re, subject: s, .. } = compiled_args(call, &args, 2)?;
    let subject = Subject::new(call, s)?;
    match re.find(subject.text()) {
        Some(m) => call.copy_str(&s[subject.orig(m.start())..subject.orig(m.end())]),
        None => Ok(Value::borrowed(b"")),
    }
}

/// Go's `replaceAll`: `expand` writes the replacement of each match.
fn replace_all<'v>(call: &Call<'_, 'v>, args: &[Value<'v>], literal: bool) -> Res<'v> {
    call.arity(args, 3)?;
    let pattern = args::string(call, args, 0)?;
    let s = args::string(call, args, 1)?;
    let repl = args::string(call, args, 2)?;
    let re = must_compile(call, pattern)?;
    charge_match(call, s, &re)?;
    let mut out = call.buf();
    let subject = Subject::new(call, s)?;
    let text = subject.text();
    let mut caps = re.capture_locations();
    let mut last_end = 0;
    let mut search = 0;
    while search <= text.len() {
        let Some(m) = re.captures_read_at(&mut caps, text, search) else {
            break;
        };
        let (start, end) = (m.start(), m.end());
        out.extend(&s[subject.orig(last_end)..subject.orig(start)])?;
        if end > last_end || start == 0 {
            if literal {
                out.extend(repl)?;
            } else {
                expand(&re, &caps, &subject, repl, &mut out)?;
            }
        }
        last_end = end;
        let width = if search < text.len() {
            decode(&text[search..]).1
        } else {
            0
        };
        if search + width > end {
            search += width;
        } else if search + 1 > end {
            search += 1;
        } else {
            search = end;
        }
    }
    out.extend(&s[subject.orig(last_end)..])?;
    Ok(call.string(out))
}

/// Go's `Regexp.Expand`: `$name`, `${name}`, `$1`, `$$`; an unknown group is empty, a `$`
/// not followed by a name is literal.
fn expand(
    re: &Regex,
    caps: &regex::bytes::CaptureLocations,
    subject: &Subject<'_>,
    template: &[u8],
    out: &mut super::super::budget::SecureBuf<'_>,
) -> std::result::Result<(), TemplateError> {
    let mut t = template;
    while let Some(i) = t.iter().position(|b| *b == b'$') {
        out.extend(&t[..i])?;
        t = &t[i..];
        if t.get(1) == Some(&b'$') {
            out.extend(b"$")?;
            t = &t[2..];
            continue;
        }
        let Some((name, rest)) = extract_name(t) else {
            out.extend(b"$")?;
            t = &t[1..];
            continue;
        };
        let number = group_number(name);
        let group = match number {
            Some(n) => Some(n),
            None => std::str::from_utf8(name)
                .ok()
                .and_then(|n| re.capture_names().position(|g| g == Some(n))),
        };
        if let Some((a, b)) = group.and_then(|g| caps.get(g)) {
            out.extend(&subject.original[subject.orig(a)..subject.orig(b)])?;
        }
        t = rest;
    }
    out.extend(t)
}

/// Go's `extract`: the group name after `$` (letters, digits, `_`, as long as possible, or
/// in braces) and the rest of the template.
fn extract_name(t: &[u8]) -> Option<(&[u8], &[u8])> {
    let brace = t.get(1) == Some(&b'{');
    let body = if brace { &t[2..] } else { t.get(1..)? };
    let mut i = 0;
    while i < body.len() {
        let (c, w) = decode(&body[i..]);
        let ok = c != char::REPLACEMENT_CHARACTER
            && (super::unicode::is_letter(c) || super::unicode::is_digit(c) || c == '_');
        if !ok {
            break;
        }
        i += w;
    }
    if i == 0 {
        return None;
    }
    let name = &body[..i];
    if brace {
        if body.get(i) != Some(&b'}') {
            return None;
        }
        return Some((name, &body[i + 1..]));
    }
    Some((name, &body[i..]))
}

/// A group number: digits without a leading zero, below 10^8.
fn group_number(name: &[u8]) -> Option<usize> {
    if name.len() > 1 && name[0] == b'0' {
        return None;
    }
    let mut n = 0usize;
    for b in name {
        if !b.is_ascii_digit() || n >= 100_000_000 {
            return None;
        }
        n = n * 10 + usize::from(b - b'0');
    }
    Some(n)
}

fn regex_replace_all<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    replace_all(call, &args, false)
}

fn regex_replace_all_literal<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    replace_all(call, &args, true)
}

fn regex_split<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let Compiled {
        re,
        pattern,
        subject: s,
        n,
    } = compiled_args(call, &args, 3)?;
    if n == 0 {
        return call.list(Elem::Str, Vec::new());
    }
    let subject = Subject::new(call, s)?;
    let text = subject.text();
    if !pattern.is_empty() && s.is_empty() {
        return strings_list(call, &subject, &[(0, 0)]);
    }
    let mut parts = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for (a, b) in all_matches(&re, text, n) {
        if n > 0 && i64::try_from(parts.len()).unwrap_or(i64::MAX) == n.wrapping_sub(1) {
            break;
        }
        end = a;
        if b != 0 {
            parts.push((beg, end));
        }
        beg = b;
    }
    if end != text.len() {
        parts.push((beg, text.len()));
    }
    strings_list(call, &subject, &parts)
}

/// Go's `regexp.QuoteMeta`: a backslash before each of `\.+*?()|[]{}^$`.
fn regex_quote_meta<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let s = args::string(call, &args, 0)?;
    let mut out = call.buf_with_capacity(s.len())?;
    for b in s {
        if br"\.+*?()|[]{}^$".contains(b) {
            out.extend(b"\\")?;
        }
        out.extend(&[*b])?;
    }
    Ok(call.string(out))
}
