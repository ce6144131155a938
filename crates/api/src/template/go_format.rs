//! Go-compatible string formatting (`%q`, `toJson`) into metered, wiping buffers.
//!
//! Escapes are written from stack buffers, never through `format!`: a `String` made for one
//! escape would be a heap copy of plaintext that nobody wipes.

use super::{SecureBuf, TemplateError};

/// Go's `strconv.Quote` (`%q`).
pub(super) fn go_quote(bytes: &[u8], out: &mut SecureBuf<'_>) -> Result<(), TemplateError> {
    quoted(bytes, out, quote_char, |invalid, out| {
        invalid
            .iter()
            .try_for_each(|b| hex_escape(b'x', u32::from(*b), 2, out))
    })
}

/// One character of `%q` that [`shared_escape`] leaves alone.
fn quote_char(c: char, out: &mut SecureBuf<'_>) -> Result<(), TemplateError> {
    match c {
        '\u{7}' => out.extend(b"\\a"),
        '\u{b}' => out.extend(b"\\v"),
        c if go_printable(c) => literal(c, out),
        c if (c as u32) < 0x80 => hex_escape(b'x', c as u32, 2, out),
        c if (c as u32) < 0x10000 => hex_escape(b'u', c as u32, 4, out),
        c => hex_escape(b'U', c as u32, 8, out),
    }
}

/// The frame `%q` and `json.Marshal` share: `bytes` between double quotes, the escapes both
/// write, every other character through `escape_char` and each run of invalid UTF-8 through
/// `escape_invalid`.
fn quoted(
    bytes: &[u8],
    out: &mut SecureBuf<'_>,
    escape_char: fn(char, &mut SecureBuf<'_>) -> Result<(), TemplateError>,
    escape_invalid: fn(&[u8], &mut SecureBuf<'_>) -> Result<(), TemplateError>,
) -> Result<(), TemplateError> {
    out.extend(b"\"")?;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match shared_escape(c) {
                Some(escape) => out.extend(escape)?,
                None => escape_char(c, out)?,
            }
        }
        escape_invalid(chunk.invalid(), out)?;
    }
    out.extend(b"\"")
}

/// The escapes Go's `%q` and `json.Marshal` write alike.
fn shared_escape(c: char) -> Option<&'static [u8]> {
    Some(match c {
        '"' => b"\\\"",
        '\\' => b"\\\\",
        '\n' => b"\\n",
        '\r' => b"\\r",
        '\t' => b"\\t",
        '\u{8}' => b"\\b",
        '\u{c}' => b"\\f",
        _ => return None,
    })
}

/// `c` as its UTF-8 bytes, through a stack buffer.
fn literal(c: char, out: &mut SecureBuf<'_>) -> Result<(), TemplateError> {
    let mut tmp = [0u8; 4];
    out.extend(c.encode_utf8(&mut tmp).as_bytes())
}

/// `\` + `kind` + `value` as `digits` lower-case hex digits.
fn hex_escape(
    kind: u8,
    value: u32,
    digits: usize,
    out: &mut SecureBuf<'_>,
) -> Result<(), TemplateError> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 10];
    buf[0] = b'\\';
    buf[1] = kind;
    let digits = digits.min(8);
    for (i, slot) in buf[2..2 + digits].iter_mut().enumerate() {
        let shift = 4 * (digits - 1 - i);
        *slot = HEX[((value >> shift) & 0xf) as usize];
    }
    out.extend(&buf[..2 + digits])
}

/// Approximates Go's `unicode.IsPrint`: controls, format characters, private-use characters
/// and spaces other than U+0020 are not printable.
fn go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    let format_char = matches!(c as u32,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F | 0xF0000..=0xFFFFD
        | 0x100000..=0x10FFFD);
    !(c.is_control() || c.is_whitespace() || format_char)
}

/// A JSON string as Go's `json.Marshal` writes it (sprig `toJson`): HTML-escaped `<>&`,
/// escaped U+2028/U+2029, and U+FFFD for invalid UTF-8.
pub(super) fn go_json_string(bytes: &[u8], out: &mut SecureBuf<'_>) -> Result<(), TemplateError> {
    quoted(bytes, out, json_char, |invalid, out| {
        match invalid.is_empty() {
            true => Ok(()),
            false => out.extend("\u{FFFD}".as_bytes()),
        }
    })
}

/// One character of a JSON string that [`shared_escape`] leaves alone.
fn json_char(c: char, out: &mut SecureBuf<'_>) -> Result<(), TemplateError> {
    match c {
        '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => hex_escape(b'u', c as u32, 4, out),
        c if (c as u32) < 0x20 => hex_escape(b'u', c as u32, 4, out),
        c => literal(c, out),
    }
}
