//! Go's RE2 regular expression syntax, translated to the `regex` crate's, which is also
//! linear-time but reads some patterns differently:
//!
//! * Go's `\d`, `\w`, `\s`, `\b` are ASCII-only; the crate's are Unicode.
//! * Inside a class, the crate reads `[` as a nested class and `&&`, `--`, `~~` as set
//!   operations; Go reads them literally.
//! * Go reads `\` before any ASCII punctuation as that character (`\<` is `<`); the crate
//!   reads `\<` and `\>` as word boundaries.
//! * Go supports `\Q…\E` and octal escapes (`\012`); the crate does not.
//! * Go refuses flags other than `i`, `m`, `s`, `U`, escapes it does not know, and
//!   repetition counts over 1000; so do we.
//!
//! The output is a pattern for `regex::bytes` that means what Go's pattern means.

/// Why a pattern is refused (a fixed reason: the pattern may come from a value).
pub(super) struct Invalid;

// Negated classes stay negated classes (nested inside a class), so that `(?i)` folds case
// before negating, as Go does (`(?i)\W` does not match `k`, because of the Kelvin sign).
const DIGIT: &str = "0-9";
const NOT_DIGIT: &str = "[^0-9]";
const WORD: &str = "0-9A-Za-z_";
const NOT_WORD: &str = "[^0-9A-Za-z_]";
const SPACE: &str = r"\t\n\x0C\r ";
const NOT_SPACE: &str = r"[^\t\n\x0C\r ]";

/// The class body of a Perl class escape letter.
fn perl_class(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => DIGIT,
        'D' => NOT_DIGIT,
        'w' => WORD,
        'W' => NOT_WORD,
        's' => SPACE,
        'S' => NOT_SPACE,
        _ => return None,
    })
}

fn push_literal(out: &mut String, c: char) {
    use std::fmt::Write;
    let _ = write!(out, r"\x{{{:X}}}", c as u32);
}

/// The largest count of a repetition `{n}`, `{n,}` or `{n,m}` at the start of `s`, and its
/// length in characters.
fn repetition(s: &[char]) -> Option<(u64, usize)> {
    let mut j = 1;
    let mut largest = 0u64;
    let mut n = 0u64;
    let mut digits = 0;
    let mut comma = false;
    while let Some(c) = s.get(j) {
        match c {
            '0'..='9' => {
                n = n
                    .saturating_mul(10)
                    .saturating_add(u64::from(*c as u8 - b'0'));
                digits += 1;
            }
            ',' if !comma && digits > 0 => {
                comma = true;
                largest = n;
                n = 0;
            }
            '}' if digits > 0 => return Some((largest.max(n), j + 1)),
            _ => return None,
        }
        j += 1;
    }
    None
}

/// Translate a Go pattern; `Err` where Go's `regexp.Compile` would fail.
/// Copy the `{...}` that starts at `chars[i]` (a `\p{Name}` or `\x{hex}` argument) into
/// `out`, braces included, and return the index after it; unclosed is invalid.
fn copy_braced(chars: &[char], mut i: usize, out: &mut String) -> Result<usize, Invalid> {
    while i < chars.len() && chars[i] != '}' {
        out.push(chars[i]);
        i += 1;
    }
    if i == chars.len() {
        return Err(Invalid);
    }
    out.push('}');
    Ok(i + 1)
}

pub(super) fn translate(pattern: &str) -> Result<String, Invalid> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = 0;
    // Go refuses a repetition right after another (`a**`, `a+*`, `a{2}{3}`; `a*?` is lazy).
    let mut last_repeat = false;
    let mut names: Vec<String> = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        let was_repeat = std::mem::take(&mut last_repeat);
        if c == '\\' {
            let Some(&e) = chars.get(i + 1) else {
                return Err(Invalid);
            };
            i += 2;
            if e == 'Q' && in_class {
                // Go reads \Q…\E only outside classes.
                return Err(Invalid);
            }
            if e == 'Q' {
                let mut j = i;
                while j < chars.len() && !(chars[j] == '\\' && chars.get(j + 1) == Some(&'E')) {
                    push_literal(&mut out, chars[j]);
                    j += 1;
                }
                i = if j < chars.len() { j + 2 } else { j };
                continue;
            }
            if let Some(class) = perl_class(e) {
                if in_class || class.starts_with('[') {
                    out.push_str(class);
                } else {
                    out.push('[');
                    out.push_str(class);
                    out.push(']');
                }
                continue;
            }
            match e {
                'b' | 'B' if !in_class => {
                    out.push_str(if e == 'b' { r"(?-u:\b)" } else { r"(?-u:\B)" });
                }
                'A' | 'z' if !in_class => {
                    out.push('\\');
                    out.push(e);
                }
                'a' | 'f' | 't' | 'n' | 'r' | 'v' => {
                    out.push('\\');
                    out.push(e);
                }
                'p' | 'P' => {
                    out.push('\\');
                    out.push(e);
                    if chars.get(i) == Some(&'{') {
                        i = copy_braced(&chars, i, &mut out)?;
                    } else if let Some(&n) = chars.get(i) {
                        out.push(n);
                        i += 1;
                    } else {
                        return Err(Invalid);
                    }
                }
                'x' => {
                    out.push_str(r"\x");
                    if chars.get(i) == Some(&'{') {
                        i = copy_braced(&chars, i, &mut out)?;
                    } else {
                        for _ in 0..2 {
                            match chars.get(i) {
                                Some(h) if h.is_ascii_hexdigit() => out.push(*h),
                                _ => return Err(Invalid),
                            }
                            i += 1;
                        }
                    }
                }
                '0'..='7' => {
                    // A single non-zero digit would be a backreference: refused, as in Go.
                    if e != '0' && !chars.get(i).is_some_and(|d| ('0'..='7').contains(d)) {
                        return Err(Invalid);
                    }
                    let mut v = e.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match chars.get(i).and_then(|d| d.to_digit(8)) {
                            Some(d) => {
                                v = v * 8 + d;
                                i += 1;
                            }
                            None => break,
                        }
                    }
                    push_literal(&mut out, char::from_u32(v).unwrap_or('\0'));
                }
                e if e.is_ascii() && !e.is_ascii_alphanumeric() => push_literal(&mut out, e),
                _ => return Err(Invalid),
            }
            continue;
        }
        if in_class {
            match c {
                ']' if i > class_start => {
                    in_class = false;
                    out.push(']');
                }
                '[' if chars.get(i + 1) == Some(&':') => {
                    // a POSIX class [:alpha:]: copy through its closing ":]"
                    let mut j = i + 2;
                    while j + 1 < chars.len() && !(chars[j] == ':' && chars[j + 1] == ']') {
                        j += 1;
                    }
                    if j + 1 >= chars.len() {
                        push_literal(&mut out, '[');
                    } else {
                        out.extend(&chars[i..j + 2]);
                        i = j + 1;
                    }
                }
                '[' | '&' | '~' => push_literal(&mut out, c),
                '-' if chars.get(i + 1) == Some(&'-')
                    || chars.get(i + 1) == Some(&']')
                    || i == class_start =>
                {
                    push_literal(&mut out, c)
                }
                c => out.push(c),
            }
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                class_start = i;
                // A `]` first in a class is literal.
                if chars.get(i) == Some(&']') {
                    push_literal(&mut out, ']');
                    i += 1;
                }
                continue;
            }
            '(' if chars.get(i + 1) == Some(&'?') => {
                // Flags and named groups: Go knows only i, m, s, U and (?P<name>.
                let rest = &chars[i + 2..];
                let name_at = match rest {
                    ['P', '<', ..] => Some(2),
                    ['<', ..] => Some(1),
                    _ => None,
                };
                if let Some(at) = name_at {
                    let name: String = rest[at..].iter().take_while(|c| **c != '>').collect();
                    let valid = !name.is_empty()
                        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                        && rest.len() > at + name.chars().count();
                    if !valid {
                        return Err(Invalid);
                    }
                    // Go allows a name twice (`$name` means the first); the crate does not,
                    // so later ones get a name Go could not write.
                    out.push_str("(?P<");
                    out.push_str(&name);
                    if names.contains(&name) {
                        use std::fmt::Write;
                        let _ = write!(out, ".dup{}", names.len());
                    }
                    out.push('>');
                    names.push(name.clone());
                    i += 2 + at + name.chars().count() + 1;
                    continue;
                }
                let flags: String = rest
                    .iter()
                    .take_while(|c| **c != ')' && **c != ':')
                    .collect();
                if flags.is_empty()
                    || !flags
                        .chars()
                        .all(|f| matches!(f, 'i' | 'm' | 's' | 'U' | '-'))
                {
                    return Err(Invalid);
                }
                out.push_str("(?");
                i += 2;
                continue;
            }
            '{' => match repetition(&chars[i..]) {
                // Go refuses counts over 1000 in {n}, {n,}, {n,m}.
                Some((n, _)) if n > 1000 || was_repeat => return Err(Invalid),
                Some((_, len)) => {
                    out.extend(&chars[i..i + len]);
                    i += len;
                    if chars.get(i) == Some(&'?') {
                        out.push('?');
                        i += 1;
                    }
                    last_repeat = true;
                    continue;
                }
                // Not a repetition: Go reads `{` literally.
                None => push_literal(&mut out, '{'),
            },
            '*' | '+' | '?' => {
                if was_repeat {
                    return Err(Invalid);
                }
                out.push(c);
                i += 1;
                if chars.get(i) == Some(&'?') {
                    out.push('?');
                    i += 1;
                }
                last_repeat = true;
                continue;
            }
            c => out.push(c),
        }
        i += 1;
    }
    if in_class {
        return Err(Invalid);
    }
    Ok(out)
}
