//! A small, documented subset of Go's `text/template` for `spec.template.data`.
//!
//! Bitnami evaluates these templates with Go's engine and the whole sprig library against
//! the decrypted values (a map of key → string). We support what Bitnami users actually write
//! and refuse everything else with an error naming the construct, rather than guess:
//!
//! * literal text;
//! * actions `{{ pipeline }}`, with the trim markers `{{- ` and ` -}}`, and comments
//!   `{{/* ... */}}`;
//! * operands: `.key` (a decrypted value), `.` (only as the first argument of `index`),
//!   string literals `"..."` (Go escapes) and `` `raw` ``;
//! * pipelines `a | f | g`, where the piped value becomes the last argument;
//! * functions: `index . "key"`, `quote`, `squote`, `upper`, `lower`, `trim`, `b64enc`,
//!   `b64dec`, `toJson`, and `printf` with the verbs `%s`, `%v`, `%q` and `%%`.
//!
//! Differences from Go, all of them errors where Go would silently produce something odd:
//! a reference to a key that does not exist (Go prints `<no value>`), `b64dec` of invalid
//! base64 (sprig returns the error text as the value), `printf` argument-count mismatches
//! (Go prints `%!s(MISSING)`), and printing `.` itself. `quote` follows Go's `%q` for ASCII,
//! control characters and invalid UTF-8; for other non-printable Unicode it approximates
//! Go's `unicode.IsPrint` (controls, format characters and non-ASCII spaces are escaped).
//!
//! Rendering never panics on any input, and every buffer that holds plaintext zeroizes itself.

use crate::{ApiError, SecretBytes, secret_bytes::encode_base64_zeroizing};
use base64::{Engine, engine::general_purpose::STANDARD};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// Render `template` (the value of `spec.template.data[key]`) against decrypted `values`.
pub fn render_template(
    key: &str,
    template: &str,
    values: &BTreeMap<String, SecretBytes>,
) -> Result<SecretBytes, ApiError> {
    render(template, values).map_err(|reason| template_error(key, reason))
}

/// Parse `template` without evaluating it: for offline checks, which have no plaintext.
pub fn check_template(key: &str, template: &str) -> Result<(), ApiError> {
    parse(template)
        .map(drop)
        .map_err(|reason| template_error(key, reason))
}

fn template_error(key: &str, reason: String) -> ApiError {
    ApiError::Template {
        object: "template".to_owned(),
        key: key.to_owned(),
        reason,
    }
}

/// Render, returning the reason on failure (the caller adds object and key).
pub(crate) fn render(
    template: &str,
    values: &BTreeMap<String, SecretBytes>,
) -> Result<SecretBytes, String> {
    let nodes = parse(template)?;
    let mut out = SecureBuf::default();
    for node in &nodes {
        match node {
            Node::Text(t) => out.extend(t.as_bytes()),
            Node::Action(p) => match eval_pipeline(p, values)? {
                Val::Bytes(b) => out.extend(&b),
                Val::Dot => {
                    return Err("cannot print `.` (the whole data map); use .key".to_owned());
                }
            },
        }
    }
    Ok(SecretBytes::new(out.0))
}

// ---- parsing ------------------------------------------------------------------------------

#[derive(Debug)]
enum Node<'a> {
    Text(&'a str),
    Action(Vec<Command>),
}

/// One command of a pipeline: a function with its arguments, or a lone operand.
#[derive(Debug)]
enum Command {
    Call(Func, Vec<Operand>),
    Operand(Operand),
}

#[derive(Debug)]
enum Operand {
    Field(String),
    Dot,
    Str(String),
}

#[derive(Debug, Clone, Copy)]
enum Func {
    Index,
    Quote,
    Squote,
    Upper,
    Lower,
    Trim,
    B64enc,
    B64dec,
    ToJson,
    Printf,
}

impl Func {
    fn name(self) -> &'static str {
        match self {
            Func::Index => "index",
            Func::Quote => "quote",
            Func::Squote => "squote",
            Func::Upper => "upper",
            Func::Lower => "lower",
            Func::Trim => "trim",
            Func::B64enc => "b64enc",
            Func::B64dec => "b64dec",
            Func::ToJson => "toJson",
            Func::Printf => "printf",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "index" => Func::Index,
            "quote" => Func::Quote,
            "squote" => Func::Squote,
            "upper" => Func::Upper,
            "lower" => Func::Lower,
            "trim" => Func::Trim,
            "b64enc" => Func::B64enc,
            "b64dec" => Func::B64dec,
            "toJson" => Func::ToJson,
            "printf" => Func::Printf,
            _ => return None,
        })
    }
}

#[derive(Debug)]
enum Token {
    Pipe,
    Ident(String),
    Field(String),
    Dot,
    Str(String),
}

const KEYWORDS: &[&str] = &[
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
];

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn parse(src: &str) -> Result<Vec<Node<'_>>, String> {
    let mut nodes = Vec::new();
    let mut rest = src;
    let mut trim_next_text = false;
    loop {
        let Some(open) = rest.find("{{") else {
            let text = if trim_next_text {
                rest.trim_start_matches(is_space)
            } else {
                rest
            };
            if !text.is_empty() {
                nodes.push(Node::Text(text));
            }
            return Ok(nodes);
        };
        let mut text = &rest[..open];
        if trim_next_text {
            text = text.trim_start_matches(is_space);
        }
        let mut body = &rest[open + 2..];
        // `{{- ` trims the whitespace before the action; the dash must be followed by a space.
        if let Some(after) = body.strip_prefix('-')
            && after.starts_with(is_space)
        {
            text = text.trim_end_matches(is_space);
            body = after;
        }
        if !text.is_empty() {
            nodes.push(Node::Text(text));
        }
        let (tokens, trim_right, consumed) = lex_action(body)?;
        trim_next_text = trim_right;
        if let Some(cmds) = parse_pipeline(tokens)? {
            nodes.push(Node::Action(cmds));
        }
        rest = &body[consumed..];
    }
}

/// Lex one action body (after `{{` and any left trim marker). Returns the tokens, whether a
/// right trim marker was present, and how many bytes were consumed including `}}`.
fn lex_action(body: &str) -> Result<(Vec<Token>, bool, usize), String> {
    // Comments: `{{/* ... */}}`, optionally with trim markers around.
    let lead = body.len() - body.trim_start_matches(is_space).len();
    if body[lead..].starts_with("/*") {
        let Some(end) = body[lead + 2..].find("*/") else {
            return Err("unclosed comment".to_owned());
        };
        let after = lead + 2 + end + 2;
        let tail = &body[after..];
        let tail_ws = tail.len() - tail.trim_start_matches(is_space).len();
        if tail[tail_ws..].starts_with("}}") {
            return Ok((Vec::new(), false, after + tail_ws + 2));
        }
        if tail_ws > 0 && tail[tail_ws..].starts_with("-}}") {
            return Ok((Vec::new(), true, after + tail_ws + 3));
        }
        return Err("comment must end the action (`*/}}`)".to_owned());
    }

    let mut tokens = Vec::new();
    let mut chars = body.char_indices().peekable();
    // A right trim marker needs a space before it, even right after `{{`.
    let mut prev_space = false;
    while let Some((i, c)) = chars.next() {
        let rest = &body[i..];
        if is_space(c) {
            prev_space = true;
            continue;
        }
        if rest.starts_with("}}") {
            return Ok((tokens, false, i + 2));
        }
        if prev_space && rest.starts_with("-}}") {
            return Ok((tokens, true, i + 3));
        }
        prev_space = false;
        match c {
            '|' => tokens.push(Token::Pipe),
            '"' => {
                let mut s = String::new();
                let mut closed = false;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\n' => return Err("unterminated string literal".to_owned()),
                        '\\' => s.push(unescape(&mut chars)?),
                        c => s.push(c),
                    }
                }
                if !closed {
                    return Err("unterminated string literal".to_owned());
                }
                tokens.push(Token::Str(s));
            }
            '`' => {
                let Some(end) = body[i + 1..].find('`') else {
                    return Err("unterminated raw string".to_owned());
                };
                tokens.push(Token::Str(body[i + 1..i + 1 + end].to_owned()));
                while chars.peek().is_some_and(|(j, _)| *j <= i + 1 + end) {
                    chars.next();
                }
            }
            '.' => {
                let name: String = take_ident(&mut chars);
                if name.is_empty() {
                    tokens.push(Token::Dot);
                } else if chars.peek().is_some_and(|(_, c)| *c == '.') {
                    return Err(format!(
                        "chained field `.{name}.…` is not supported: values are strings"
                    ));
                } else {
                    tokens.push(Token::Field(name));
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut name = String::from(c);
                name.push_str(&take_ident(&mut chars));
                tokens.push(Token::Ident(name));
            }
            '$' => return Err("variables (`$`) are not supported".to_owned()),
            '(' | ')' => return Err("parenthesized pipelines are not supported".to_owned()),
            ':' | '=' => return Err("variable assignment is not supported".to_owned()),
            '\'' => return Err("character constants are not supported".to_owned()),
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                return Err("number literals are not supported".to_owned());
            }
            c => return Err(format!("unexpected character {c:?} in action")),
        }
    }
    Err("unclosed action (missing `}}`)".to_owned())
}

fn take_ident(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> String {
    let mut name = String::new();
    while let Some((_, c)) = chars.peek().copied() {
        if c.is_alphanumeric() || c == '_' {
            name.push(c);
            chars.next();
        } else {
            break;
        }
    }
    name
}

/// Go string-literal escapes: `\n \t \r \\ \" \a \b \f \v \xNN \uNNNN \UNNNNNNNN`.
fn unescape(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> Result<char, String> {
    let Some((_, c)) = chars.next() else {
        return Err("unterminated string literal".to_owned());
    };
    let hex = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, n: usize| {
        let mut v: u32 = 0;
        for _ in 0..n {
            let d = chars
                .next()
                .and_then(|(_, c)| c.to_digit(16))
                .ok_or_else(|| "invalid escape in string literal".to_owned())?;
            v = v * 16 + d;
        }
        char::from_u32(v).ok_or_else(|| "invalid escape in string literal".to_owned())
    };
    Ok(match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'v' => '\u{b}',
        '\\' => '\\',
        '"' => '"',
        'x' => hex(chars, 2)?,
        'u' => hex(chars, 4)?,
        'U' => hex(chars, 8)?,
        other => return Err(format!("unknown escape `\\{other}` in string literal")),
    })
}

/// Tokens → commands. `None` for an action with nothing in it (only a comment).
fn parse_pipeline(tokens: Vec<Token>) -> Result<Option<Vec<Command>>, String> {
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut cmds = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let mut groups = Vec::new();
    for t in tokens {
        if matches!(t, Token::Pipe) {
            groups.push(std::mem::take(&mut current));
        } else {
            current.push(t);
        }
    }
    groups.push(current);
    let n = groups.len();
    for (i, group) in groups.into_iter().enumerate() {
        let mut it = group.into_iter();
        let Some(first) = it.next() else {
            return Err("missing command in pipeline".to_owned());
        };
        let args = it.map(operand).collect::<Result<Vec<_>, _>>()?;
        let cmd = match first {
            Token::Ident(name) => {
                if KEYWORDS.contains(&name.as_str()) {
                    return Err(format!("`{name}` actions are not supported"));
                }
                let f = Func::from_name(&name)
                    .ok_or_else(|| format!("function {name:?} is not supported"))?;
                Command::Call(f, args)
            }
            other => {
                if !args.is_empty() {
                    return Err("only functions take arguments".to_owned());
                }
                if i > 0 {
                    return Err("cannot pipe into a non-function".to_owned());
                }
                Command::Operand(operand(other)?)
            }
        };
        cmds.push(cmd);
    }
    debug_assert_eq!(cmds.len(), n);
    Ok(Some(cmds))
}

fn operand(t: Token) -> Result<Operand, String> {
    Ok(match t {
        Token::Field(f) => Operand::Field(f),
        Token::Dot => Operand::Dot,
        Token::Str(s) => Operand::Str(s),
        Token::Ident(name) if KEYWORDS.contains(&name.as_str()) => {
            return Err(format!("`{name}` actions are not supported"));
        }
        Token::Ident(name) => {
            return Err(format!(
                "function {name:?} used as an argument (parenthesized calls are not supported)"
            ));
        }
        Token::Pipe => return Err("missing command in pipeline".to_owned()),
    })
}

// ---- evaluation ---------------------------------------------------------------------------

enum Val {
    Bytes(Zeroizing<Vec<u8>>),
    Dot,
}

fn eval_pipeline(cmds: &[Command], values: &BTreeMap<String, SecretBytes>) -> Result<Val, String> {
    let mut piped: Option<Val> = None;
    for cmd in cmds {
        piped = Some(match cmd {
            Command::Operand(op) => eval_operand(op, values)?,
            Command::Call(f, args) => {
                let mut vals = args
                    .iter()
                    .map(|a| eval_operand(a, values))
                    .collect::<Result<Vec<_>, _>>()?;
                vals.extend(piped.take());
                call(*f, vals, values)?
            }
        });
    }
    piped.ok_or_else(|| "empty pipeline".to_owned())
}

fn eval_operand(op: &Operand, values: &BTreeMap<String, SecretBytes>) -> Result<Val, String> {
    Ok(match op {
        Operand::Dot => Val::Dot,
        Operand::Str(s) => Val::Bytes(Zeroizing::new(s.as_bytes().to_vec())),
        Operand::Field(k) => Val::Bytes(lookup(values, k)?),
    })
}

fn lookup(values: &BTreeMap<String, SecretBytes>, key: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    values
        .get(key)
        .map(|v| Zeroizing::new(v.as_bytes().to_vec()))
        .ok_or_else(|| format!("no data key {key:?} (Go would print \"<no value>\")"))
}

fn call(
    f: Func,
    mut args: Vec<Val>,
    values: &BTreeMap<String, SecretBytes>,
) -> Result<Val, String> {
    let name = f.name();
    let bytes = |v: Val| match v {
        Val::Bytes(b) => Ok(b),
        Val::Dot => Err(format!("{name}: `.` is only allowed as `index .`")),
    };
    let one = |args: Vec<Val>| -> Result<Zeroizing<Vec<u8>>, String> {
        let n = args.len();
        let mut it = args.into_iter();
        match (it.next(), n) {
            (Some(v), 1) => bytes(v),
            _ => Err(format!("{name} takes exactly one argument, got {n}")),
        }
    };
    Ok(Val::Bytes(match f {
        Func::Index => {
            if args.len() != 2 {
                return Err(format!(
                    "index supports only `index . \"key\"`, got {} arguments",
                    args.len()
                ));
            }
            let key = args.pop().map(bytes).transpose()?.unwrap_or_default();
            if !matches!(args.first(), Some(Val::Dot)) {
                return Err("index supports only `index . \"key\"`".to_owned());
            }
            let key = std::str::from_utf8(&key).map_err(|_| "index key is not UTF-8".to_owned())?;
            lookup(values, key)?
        }
        Func::Quote | Func::Squote => {
            let mut out = SecureBuf::default();
            for (i, a) in args.into_iter().enumerate() {
                if i > 0 {
                    out.extend(b" ");
                }
                let a = bytes(a)?;
                if matches!(f, Func::Quote) {
                    go_quote(&a, &mut out);
                } else {
                    out.extend(b"'");
                    out.extend(&a);
                    out.extend(b"'");
                }
            }
            out.0
        }
        Func::Upper | Func::Lower => {
            let v = one(args)?;
            let s = std::str::from_utf8(&v).map_err(|_| format!("{name}: value is not UTF-8"))?;
            let mut out = SecureBuf::with_capacity(s.len());
            let mut tmp = [0u8; 4];
            for c in s.chars() {
                // Go maps rune by rune and keeps runes without a single-rune case mapping.
                let mapped = if matches!(f, Func::Upper) {
                    single(c.to_uppercase()).unwrap_or(c)
                } else {
                    single(c.to_lowercase()).unwrap_or(c)
                };
                out.extend(mapped.encode_utf8(&mut tmp).as_bytes());
            }
            out.0
        }
        Func::Trim => {
            let v = one(args)?;
            let trimmed = match std::str::from_utf8(&v) {
                Ok(s) => s.trim().as_bytes(),
                Err(_) => v.trim_ascii(),
            };
            Zeroizing::new(trimmed.to_vec())
        }
        Func::B64enc => {
            let v = one(args)?;
            let s = encode_base64_zeroizing(&v);
            Zeroizing::new(s.as_bytes().to_vec())
        }
        Func::B64dec => {
            let v = one(args)?;
            let mut out = Zeroizing::new(vec![0u8; base64::decoded_len_estimate(v.len())]);
            let n = STANDARD
                .decode_slice(v.as_slice(), out.as_mut_slice())
                .map_err(|_| "b64dec: value is not valid base64".to_owned())?;
            out.truncate(n);
            out
        }
        Func::ToJson => {
            let v = one(args)?;
            let mut out = SecureBuf::with_capacity(v.len() + 2);
            go_json_string(&v, &mut out);
            out.0
        }
        Func::Printf => {
            let mut it = args.into_iter();
            let format = it
                .next()
                .ok_or_else(|| "printf needs a format string".to_owned())
                .and_then(bytes)?;
            let rest = it.map(bytes).collect::<Result<Vec<_>, _>>()?;
            printf(&format, rest)?
        }
    }))
}

fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

fn printf(format: &[u8], args: Vec<Zeroizing<Vec<u8>>>) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut out = SecureBuf::default();
    let mut args = args.into_iter();
    let mut i = 0;
    while i < format.len() {
        let b = format[i];
        if b != b'%' {
            out.extend(&format[i..=i]);
            i += 1;
            continue;
        }
        let verb = format.get(i + 1).copied();
        i += 2;
        match verb {
            Some(b'%') => out.extend(b"%"),
            Some(v @ (b's' | b'v' | b'q')) => {
                let arg = args
                    .next()
                    .ok_or_else(|| "printf: too few arguments for the format".to_owned())?;
                if v == b'q' {
                    go_quote(&arg, &mut out);
                } else {
                    out.extend(&arg);
                }
            }
            Some(other) => {
                return Err(format!(
                    "printf: verb %{} is not supported (only %s, %v, %q, %%)",
                    char::from(other).escape_default()
                ));
            }
            None => return Err("printf: format ends with a lone %".to_owned()),
        }
    }
    if args.next().is_some() {
        return Err("printf: too many arguments for the format".to_owned());
    }
    Ok(out.0)
}

/// Go's `strconv.Quote` (`%q`).
fn go_quote(bytes: &[u8], out: &mut SecureBuf) {
    out.extend(b"\"");
    for chunk in bytes.utf8_chunks() {
        let mut tmp = [0u8; 4];
        for c in chunk.valid().chars() {
            match c {
                '"' => out.extend(b"\\\""),
                '\\' => out.extend(b"\\\\"),
                '\u{7}' => out.extend(b"\\a"),
                '\u{8}' => out.extend(b"\\b"),
                '\u{c}' => out.extend(b"\\f"),
                '\n' => out.extend(b"\\n"),
                '\r' => out.extend(b"\\r"),
                '\t' => out.extend(b"\\t"),
                '\u{b}' => out.extend(b"\\v"),
                c if go_printable(c) => out.extend(c.encode_utf8(&mut tmp).as_bytes()),
                c if (c as u32) < 0x80 => out.extend(format!("\\x{:02x}", c as u32).as_bytes()),
                c if (c as u32) < 0x10000 => out.extend(format!("\\u{:04x}", c as u32).as_bytes()),
                c => out.extend(format!("\\U{:08x}", c as u32).as_bytes()),
            }
        }
        for b in chunk.invalid() {
            out.extend(format!("\\x{b:02x}").as_bytes());
        }
    }
    out.extend(b"\"");
}

/// Approximates Go's `unicode.IsPrint`: controls, format characters and spaces other than
/// U+0020 are not printable.
fn go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    let format_char = matches!(c as u32,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF);
    !(c.is_control() || c.is_whitespace() || format_char)
}

/// A JSON string as Go's `json.Marshal` writes it (sprig `toJson`): HTML-escaped `<>&`,
/// escaped U+2028/U+2029, and U+FFFD for invalid UTF-8.
fn go_json_string(bytes: &[u8], out: &mut SecureBuf) {
    out.extend(b"\"");
    for chunk in bytes.utf8_chunks() {
        let mut tmp = [0u8; 4];
        for c in chunk.valid().chars() {
            match c {
                '"' => out.extend(b"\\\""),
                '\\' => out.extend(b"\\\\"),
                '\n' => out.extend(b"\\n"),
                '\r' => out.extend(b"\\r"),
                '\t' => out.extend(b"\\t"),
                '\u{8}' => out.extend(b"\\b"),
                '\u{c}' => out.extend(b"\\f"),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                    out.extend(format!("\\u{:04x}", c as u32).as_bytes());
                }
                c if (c as u32) < 0x20 => out.extend(format!("\\u{:04x}", c as u32).as_bytes()),
                c => out.extend(c.encode_utf8(&mut tmp).as_bytes()),
            }
        }
        if !chunk.invalid().is_empty() {
            out.extend("\u{FFFD}".as_bytes());
        }
    }
    out.extend(b"\"");
}

/// A growable buffer that never leaves an unwiped copy behind: it grows by moving into a new
/// zeroizing allocation, so the old one is wiped when dropped (a `Vec` reallocation would not).
#[derive(Default)]
struct SecureBuf(Zeroizing<Vec<u8>>);

impl SecureBuf {
    fn with_capacity(n: usize) -> Self {
        Self(Zeroizing::new(Vec::with_capacity(n)))
    }

    fn extend(&mut self, bytes: &[u8]) {
        let needed = self.0.len().saturating_add(bytes.len());
        if needed > self.0.capacity() {
            let cap = needed.max(self.0.capacity().saturating_mul(2)).max(64);
            let mut grown = Zeroizing::new(Vec::with_capacity(cap));
            grown.extend_from_slice(&self.0);
            self.0 = grown;
        }
        self.0.extend_from_slice(bytes);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values() -> BTreeMap<String, SecretBytes> {
        [
            ("user", &b"admin"[..]),
            ("pass", b"s3cr\"t<&>"),
            ("tls.crt", b"CERT"),
            ("pad", b"  x \n"),
            ("bin", b"\xff\x00a"),
            ("uni", "é\u{200b}".as_bytes()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), SecretBytes::copy_from_slice(v)))
        .collect()
    }

    fn ok(t: &str) -> String {
        let out = render(t, &values()).unwrap_or_else(|e| panic!("{t:?}: {e}"));
        String::from_utf8_lossy(out.as_bytes()).into_owned()
    }

    fn err(t: &str) -> String {
        match render(t, &values()) {
            Ok(v) => panic!("{t:?} rendered {:?}", v.as_bytes()),
            Err(e) => e,
        }
    }

    #[test]
    fn fields_index_and_text() {
        assert_eq!(ok("plain text"), "plain text");
        assert_eq!(ok("u={{ .user }};"), "u=admin;");
        assert_eq!(ok("{{.user}}{{ index . \"tls.crt\" }}"), "adminCERT");
        assert_eq!(ok("{{ `raw` }}{{ \"a\\tb\\x41\" }}"), "rawa\tbA");
        assert_eq!(ok("{{/* a comment */}}x"), "x");
        assert_eq!(ok(""), "");
    }

    #[test]
    fn trim_markers() {
        assert_eq!(ok("a  \n {{- .user -}} \n b"), "aadminb");
        assert_eq!(ok("a {{- /* c */ -}} b"), "ab");
        assert_eq!(ok("a {{ .user -}}\n\n"), "a admin");
        assert_eq!(ok("\n {{- .user }} "), "admin ");
    }

    #[test]
    fn functions() {
        assert_eq!(ok("{{ .user | upper }}"), "ADMIN");
        assert_eq!(ok("{{ upper .user | lower }}"), "admin");
        assert_eq!(ok("{{ .pad | trim }}"), "x");
        assert_eq!(ok("{{ .user | quote }}"), "\"admin\"");
        assert_eq!(ok("{{ quote .pass }}"), r#""s3cr\"t<&>""#);
        assert_eq!(ok("{{ .bin | quote }}"), r#""\xff\x00a""#);
        assert_eq!(ok("{{ .uni | quote }}"), "\"é\\u200b\"");
        assert_eq!(ok("{{ squote .user }}"), "'admin'");
        assert_eq!(ok("{{ .user | b64enc }}"), "YWRtaW4=");
        assert_eq!(ok("{{ .user | b64enc | b64dec }}"), "admin");
        assert_eq!(ok("{{ toJson .pass }}"), r#""s3cr\"t\u003c\u0026\u003e""#);
        assert_eq!(ok("{{ .bin | toJson }}"), "\"\u{fffd}\\u0000a\"");
        assert_eq!(
            ok(r#"{{ printf "%s:%s %%" .user .user }}"#),
            "admin:admin %"
        );
        assert_eq!(ok(r#"{{ .user | printf "<%v>" }}"#), "<admin>");
        assert_eq!(ok(r#"{{ printf "%q" .user }}"#), "\"admin\"");
    }

    #[test]
    fn unsupported_and_bad_input_are_errors() {
        assert!(err("{{ .missing }}").contains("\"missing\""));
        assert!(err("{{ index . \"nope\" }}").contains("\"nope\""));
        assert!(err("{{ if .user }}x{{ end }}").contains("`if`"));
        assert!(err("{{ range . }}{{ end }}").contains("`range`"));
        assert!(err("{{ sha256sum .user }}").contains("\"sha256sum\""));
        assert!(err("{{ $x := .user }}").contains("variables"));
        assert!(err("{{ .user").contains("unclosed"));
        assert!(err("{{ \"abc }}").contains("unterminated"));
        assert!(err("{{ . }}").contains("whole data map"));
        assert!(err("{{ .a.b }}").contains("chained"));
        assert!(err("{{ upper (lower .user) }}").contains("parenthesized"));
        assert!(err("{{ .user .user }}").contains("only functions"));
        assert!(err("{{ .user | .user }}").contains("non-function"));
        assert!(err("{{ printf \"%d\" .user }}").contains("%d"));
        assert!(err("{{ printf \"%s\" }}").contains("too few"));
        assert!(err("{{ printf \"x\" .user }}").contains("too many"));
        assert!(err("{{ .user | b64dec }}").contains("base64"));
        assert!(err("{{ upper .user .user }}").contains("one argument"));
        assert!(err("{{ 3 }}").contains("number"));
        assert!(err("{{ | upper }}").contains("missing command"));
        assert!(err("{{ index .user \"x\" }}").contains("index"));
        // No error message quotes a value.
        for t in ["{{ .pass | b64dec }}", "{{ upper .bin }}"] {
            assert!(!err(t).contains("s3cr"));
        }
        assert!(check_template("k", "{{ .x | upper }}").is_ok());
        assert!(check_template("k", "{{ if }}").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_templates_never_panic(t in r#"[{}\-. a-z"`|$()/*\\%:=0-9\n\t'é]{0,48}"#) {
            let _ = render(&t, &values());
            let _ = check_template("k", &t);
        }

        #[test]
        fn token_soup_never_panics(parts in proptest::collection::vec(prop_oneof![
            Just("{{"), Just("}}"), Just("{{- "), Just(" -}}"), Just(".user"), Just("."),
            Just("|"), Just(" "), Just("\""), Just("`"), Just("index"), Just("quote"),
            Just("printf"), Just("\"%s\""), Just("/*"), Just("*/"), Just("toJson"), Just("b64dec"),
            Just("\\"), Just("\\u12"), Just("x"),
        ], 0..24)) {
            let t: String = parts.concat();
            let _ = render(&t, &values());
        }
    }
}
