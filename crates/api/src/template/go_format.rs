//! Go-compatible string formatting (`%q`, `toJson`) into wiping buffers.

use zeroize::Zeroizing;

/// Go's `strconv.Quote` (`%q`).
pub(super) fn go_quote(bytes: &[u8], out: &mut SecureBuf) {
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
pub(super) fn go_printable(c: char) -> bool {
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
pub(super) fn go_json_string(bytes: &[u8], out: &mut SecureBuf) {
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
pub(super) struct SecureBuf(pub(super) Zeroizing<Vec<u8>>);

impl SecureBuf {
    pub(super) fn with_capacity(n: usize) -> Self {
        Self(Zeroizing::new(Vec::with_capacity(n)))
    }

    pub(super) fn extend(&mut self, bytes: &[u8]) {
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
