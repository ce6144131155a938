//! sprig's JSON functions: `toJson`, `toPrettyJson`, `toRawJson`, `fromJson` and their `must`
//! forms, following Go's `encoding/json` byte for byte (HTML-escaped `<`, `>`, `&` except in
//! `toRawJson`; `\ufffd` for each invalid UTF-8 byte; sorted map keys; floats as Go writes
//! them).
//!
//! sprig has no `toYaml`/`fromYaml`: they are Helm's, and Bitnami's function map has neither.
//!
//! The parser is written here rather than taken from serde_json so that every decoded string
//! is a metered, zeroizing value: a `serde_json::Value` would leave unwiped copies of the
//! plaintext behind.

use super::super::budget::SecureBuf;
use super::super::error::TemplateError;
use super::super::func::{Call, FuncTable};
use super::super::value::{Elem, GoKey, Value};
use super::args::{self, reason};
use super::convert::parse_float;
use super::gofmt::{float_json, int};
use std::collections::BTreeMap;

pub(super) fn register(table: &mut FuncTable) {
    table.register("toJson", to_json);
    table.register("mustToJson", must_to_json);
    table.register("toPrettyJson", to_pretty_json);
    table.register("mustToPrettyJson", must_to_pretty_json);
    table.register("toRawJson", to_raw_json);
    table.register("mustToRawJson", must_to_raw_json);
    table.register("fromJson", from_json);
    table.register("mustFromJson", must_from_json);
}

use super::Res;
type Done = std::result::Result<(), TemplateError>;

/// How to write JSON.
#[derive(Clone, Copy)]
struct Style {
    escape_html: bool,
    indent: bool,
}

/// Why a value cannot be written as JSON (Go's `UnsupportedValueError`: NaN and ±Inf).
struct Unsupported;

enum EncodeError {
    Unsupported,
    Budget(TemplateError),
}

impl From<TemplateError> for EncodeError {
    fn from(e: TemplateError) -> Self {
        EncodeError::Budget(e)
    }
}

/// A JSON string as Go's encoder writes it.
fn string(bytes: &[u8], escape_html: bool, out: &mut SecureBuf<'_>) -> Done {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend(b"\"")?;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            let mut tmp = [0u8; 4];
            match c {
                '"' => out.extend(b"\\\"")?,
                '\\' => out.extend(b"\\\\")?,
                '\n' => out.extend(b"\\n")?,
                '\r' => out.extend(b"\\r")?,
                '\t' => out.extend(b"\\t")?,
                // Go 1.22 and later (Bitnami's build) write \b and \f.
                '\u{8}' => out.extend(b"\\b")?,
                '\u{c}' => out.extend(b"\\f")?,
                // Control characters, and with escape_html `<`, `>`, `&`: `\u00XX`.
                c if (c as u32) < 0x20 || (escape_html && matches!(c, '<' | '>' | '&')) => {
                    let b = c as u8;
                    out.extend(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(b >> 4)],
                        HEX[usize::from(b & 15)],
                    ])?
                }
                '\u{2028}' => out.extend(b"\\u2028")?,
                '\u{2029}' => out.extend(b"\\u2029")?,
                c => out.extend(c.encode_utf8(&mut tmp).as_bytes())?,
            }
        }
        for _ in chunk.invalid() {
            out.extend(b"\\ufffd")?;
        }
    }
    out.extend(b"\"")
}

fn newline(out: &mut SecureBuf<'_>, depth: usize) -> Done {
    out.extend(b"\n")?;
    for _ in 0..depth {
        out.extend(b"  ")?;
    }
    Ok(())
}

fn encode(
    v: &Value<'_>,
    style: Style,
    depth: usize,
    out: &mut SecureBuf<'_>,
) -> std::result::Result<(), EncodeError> {
    match v {
        Value::Missing | Value::Nil => out.extend(b"null")?,
        Value::Bool(b) => out.extend(if *b { b"true" } else { b"false" })?,
        Value::Int(i) | Value::Int64(i) => int(*i, out)?,
        Value::Uint8(b) => int(i64::from(*b), out)?,
        Value::Float(f) if !f.is_finite() => return Err(EncodeError::Unsupported),
        Value::Float(f) => float_json(*f, out)?,
        Value::Str(s) => string(s.as_bytes(), style.escape_html, out)?,
        Value::List(l) => {
            out.extend(b"[")?;
            for (n, item) in l.items.iter().enumerate() {
                if n > 0 {
                    out.extend(b",")?;
                }
                if style.indent {
                    newline(out, depth + 1)?;
                }
                encode(item, style, depth + 1, out)?;
            }
            if style.indent && !l.items.is_empty() {
                newline(out, depth)?;
            }
            out.extend(b"]")?;
        }
        Value::Map(m) => {
            out.extend(b"{")?;
            let entries = m.entries();
            for (n, (k, item)) in entries.iter().enumerate() {
                if n > 0 {
                    out.extend(b",")?;
                }
                if style.indent {
                    newline(out, depth + 1)?;
                }
                string(k.as_bytes(), style.escape_html, out)?;
                out.extend(if style.indent { b": " as &[u8] } else { b":" })?;
                encode(item, style, depth + 1, out)?;
            }
            if style.indent && !entries.is_empty() {
                newline(out, depth)?;
            }
            out.extend(b"}")?;
        }
    }
    Ok(())
}

/// `v` as JSON, or `Unsupported` for NaN/±Inf anywhere in it.
fn marshal<'v>(
    call: &Call<'_, 'v>,
    args: &[Value<'v>],
    style: Style,
) -> std::result::Result<std::result::Result<Value<'v>, Unsupported>, TemplateError> {
    call.arity(args, 1)?;
    let mut out = call.buf();
    match encode(&args[0], style, 0, &mut out) {
        Ok(()) => Ok(Ok(call.string(out))),
        Err(EncodeError::Unsupported) => Ok(Err(Unsupported)),
        Err(EncodeError::Budget(e)) => Err(e),
    }
}

const COMPACT: Style = Style {
    escape_html: true,
    indent: false,
};
const PRETTY: Style = Style {
    escape_html: true,
    indent: true,
};
const RAW: Style = Style {
    escape_html: false,
    indent: false,
};

const UNSUPPORTED: &str = "json: unsupported value (NaN or Inf)";

/// sprig's non-`must` forms print `""` where Go's encoder fails.
fn or_empty<'v>(r: std::result::Result<Value<'v>, Unsupported>) -> Value<'v> {
    r.unwrap_or_else(|Unsupported| Value::borrowed(b""))
}

fn to_json<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    Ok(or_empty(marshal(call, &args, COMPACT)?))
}

fn to_pretty_json<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    Ok(or_empty(marshal(call, &args, PRETTY)?))
}

fn must<'v>(call: &Call<'_, 'v>, args: &[Value<'v>], style: Style) -> Res<'v> {
    marshal(call, args, style)?.map_err(|Unsupported| reason(call, UNSUPPORTED))
}

fn must_to_json<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    must(call, &args, COMPACT)
}

fn must_to_pretty_json<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    must(call, &args, PRETTY)
}

/// `toRawJson` panics in sprig where the others print `""`: it fails, like `mustToRawJson`.
fn to_raw_json<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    must(call, &args, RAW)
}

fn must_to_raw_json<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    must(call, &args, RAW)
}

/// Nesting deeper than this is refused (Go allows 10,000; a recursive parser on the
/// controller's stack should not).
const MAX_DEPTH: usize = 500;

/// Why a JSON text was refused: fixed texts only, never the parser's view of the value.
#[derive(Clone, Copy)]
enum ParseError {
    Syntax,
    TooDeep,
}

struct Parser<'s, 'c, 'x, 'v> {
    s: &'s [u8],
    i: usize,
    call: &'x Call<'c, 'v>,
    /// A number that does not fit a float64: Go leaves that value nil and reports an error.
    out_of_range: bool,
}

type Parsed<'v> = std::result::Result<std::result::Result<Value<'v>, ParseError>, TemplateError>;

impl<'v> Parser<'_, '_, '_, 'v> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &[u8], v: Value<'v>) -> Parsed<'v> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(Ok(v))
        } else {
            Ok(Err(ParseError::Syntax))
        }
    }

    fn value(&mut self, depth: usize) -> Parsed<'v> {
        if depth > MAX_DEPTH {
            return Ok(Err(ParseError::TooDeep));
        }
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let mut buf = self.call.buf();
                match self.string(&mut buf)? {
                    Ok(()) => Ok(Ok(self.call.string(buf))),
                    Err(e) => Ok(Err(e)),
                }
            }
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Nil),
            Some(b'-' | b'0'..=b'9') => Ok(self.number()),
            _ => Ok(Err(ParseError::Syntax)),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> std::result::Result<Value<'v>, ParseError> {
        let start = self.i;
        self.eat(b'-');
        if self.eat(b'0') {
            // no leading zeros
        } else if self.digits() == 0 {
            return Err(ParseError::Syntax);
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(ParseError::Syntax);
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            if self.digits() == 0 {
                return Err(ParseError::Syntax);
            }
        }
        match parse_float(&self.s[start..self.i]) {
            Some(f) => Ok(Value::Float(f)),
            None => {
                self.out_of_range = true;
                Ok(Value::Nil)
            }
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let h = self.s.get(at..at + 4)?;
        h.iter()
            .try_fold(0u32, |n, b| Some(n * 16 + (*b as char).to_digit(16)?))
    }

    /// A string literal (at `"`) into `out`, as Go decodes it.
    fn string(
        &mut self,
        out: &mut SecureBuf<'_>,
    ) -> std::result::Result<std::result::Result<(), ParseError>, TemplateError> {
        self.i += 1;
        loop {
            let Some(&b) = self.s.get(self.i) else {
                return Ok(Err(ParseError::Syntax));
            };
            match b {
                b'"' => {
                    self.i += 1;
                    return Ok(Ok(()));
                }
                0..=0x1f => return Ok(Err(ParseError::Syntax)),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i + 1) else {
                        return Ok(Err(ParseError::Syntax));
                    };
                    self.i += 2;
                    let simple: &[u8] = match e {
                        b'"' => b"\"",
                        b'\\' => b"\\",
                        b'/' => b"/",
                        b'b' => b"\x08",
                        b'f' => b"\x0c",
                        b'n' => b"\n",
                        b'r' => b"\r",
                        b't' => b"\t",
                        b'u' => b"",
                        _ => return Ok(Err(ParseError::Syntax)),
                    };
                    if e != b'u' {
                        out.extend(simple)?;
                        continue;
                    }
                    let Some(hi) = self.hex4(self.i) else {
                        return Ok(Err(ParseError::Syntax));
                    };
                    self.i += 4;
                    let mut c = char::from_u32(hi);
                    if (0xD800..0xE000).contains(&hi) {
                        c = None;
                        let low = (self.s.get(self.i..self.i + 2) == Some(b"\\u"))
                            .then(|| self.hex4(self.i + 2))
                            .flatten();
                        if let Some(lo) = low.filter(|lo| {
                            (0xD800..0xDC00).contains(&hi) && (0xDC00..0xE000).contains(lo)
                        }) {
                            c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
                            self.i += 6;
                        }
                    }
                    let mut tmp = [0u8; 4];
                    let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
                    out.extend(c.encode_utf8(&mut tmp).as_bytes())?;
                }
                _ => {
                    let rest = &self.s[self.i..];
                    let chunk = rest.utf8_chunks().next();
                    match chunk.and_then(|c| c.valid().chars().next()) {
                        Some(c) => {
                            let n = c.len_utf8();
                            out.extend(&rest[..n])?;
                            self.i += n;
                        }
                        None => {
                            out.extend("\u{FFFD}".as_bytes())?;
                            self.i += 1;
                        }
                    }
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Parsed<'v> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if !self.eat(b']') {
            loop {
                match self.value(depth + 1)? {
                    Ok(v) => items.push(v),
                    Err(e) => return Ok(Err(e)),
                }
                self.call.elements(1)?;
                self.ws();
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return Ok(Err(ParseError::Syntax));
                }
            }
        }
        Ok(Ok(Value::list(Elem::Any, items)))
    }

    fn object(&mut self, depth: usize) -> Parsed<'v> {
        self.i += 1;
        let mut map = BTreeMap::new();
        self.ws();
        if !self.eat(b'}') {
            loop {
                self.ws();
                if self.s.get(self.i) != Some(&b'"') {
                    return Ok(Err(ParseError::Syntax));
                }
                let mut key = self.call.buf();
                if let Err(e) = self.string(&mut key)? {
                    return Ok(Err(e));
                }
                self.ws();
                if !self.eat(b':') {
                    return Ok(Err(ParseError::Syntax));
                }
                let v = match self.value(depth + 1)? {
                    Ok(v) => v,
                    Err(e) => return Ok(Err(e)),
                };
                self.call.elements(1)?;
                map.insert(GoKey(key.as_slice().to_vec()), v);
                self.ws();
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return Ok(Err(ParseError::Syntax));
                }
            }
        }
        Ok(Ok(Value::dict(map)))
    }
}

/// The decoded value; `Err` when Go's `json.Unmarshal` reports an error (then sprig's
/// `fromJson` still returns what was decoded: nil for a syntax error).
fn unmarshal<'v>(
    call: &Call<'_, 'v>,
    args: &[Value<'v>],
) -> std::result::Result<std::result::Result<Value<'v>, (Value<'v>, &'static str)>, TemplateError> {
    call.arity(args, 1)?;
    let s = args::string(call, args, 0)?;
    call.work(s.len())?;
    let mut p = Parser {
        s,
        i: 0,
        call,
        out_of_range: false,
    };
    let v = match p.value(0)? {
        Ok(v) => v,
        Err(ParseError::Syntax) => return Ok(Err((Value::Nil, "invalid JSON"))),
        Err(ParseError::TooDeep) => return Ok(Err((Value::Nil, "JSON nested too deeply"))),
    };
    p.ws();
    if p.i != s.len() {
        return Ok(Err((Value::Nil, "invalid JSON")));
    }
    if p.out_of_range {
        return Ok(Err((v, "JSON number out of range for float64")));
    }
    Ok(Ok(v))
}

fn from_json<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    Ok(match unmarshal(call, &args)? {
        Ok(v) | Err((v, _)) => v,
    })
}

fn must_from_json<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    unmarshal(call, &args)?.map_err(|(_, why)| reason(call, why))
}
