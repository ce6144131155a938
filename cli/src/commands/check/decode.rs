//! Bytes to text, for every encoding a manifest arrives in: UTF-8 (with or without a BOM),
//! UTF-16 (PowerShell 5's `Out-File` and `>` write UTF-16LE with a BOM) and, as a last
//! resort, invalid UTF-8 with the bad bytes replaced. Nothing is skipped for its encoding:
//! a file that cannot be decoded would otherwise be a silent false negative.
//!
//! Decoded copies hold file contents (often plaintext Secrets), so they are zeroized.

use std::ops::Deref;
use zeroize::Zeroizing;

/// A file's text, borrowed when it was already UTF-8.
pub enum Text<'a> {
    Borrowed(&'a str),
    Owned(Zeroizing<String>),
}

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Owned(s) => s,
        }
    }
}

/// How the text was obtained, when it was not plain UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lossy {
    /// Invalid UTF-8 sequences were replaced by U+FFFD.
    InvalidUtf8,
    /// The text holds NUL characters, which YAML and JSON forbid.
    Nul,
}

pub struct Decoded<'a> {
    pub text: Text<'a>,
    pub lossy: Option<Lossy>,
}

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    if let Some(units) = utf16_units(bytes) {
        let text = Zeroizing::new(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or('\u{fffd}'))
                .collect::<String>(),
        );
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => Zeroizing::new(rest.to_owned()),
            None => text,
        };
        return finish(Text::Owned(text), None);
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => finish(Text::Borrowed(text), None),
        Err(_) => finish(
            Text::Owned(Zeroizing::new(String::from_utf8_lossy(bytes).into_owned())),
            Some(Lossy::InvalidUtf8),
        ),
    }
}

fn finish(text: Text<'_>, lossy: Option<Lossy>) -> Decoded<'_> {
    let lossy = lossy.or_else(|| text.contains('\0').then_some(Lossy::Nul));
    Decoded { text, lossy }
}

/// UTF-16 code units when the bytes are UTF-16: a BOM says so, and without one the NUL
/// pattern of ASCII text does (`k\0i\0` little-endian, `\0k\0i` big-endian). UTF-8 text
/// never holds NUL bytes, so the guess cannot take a UTF-8 manifest for UTF-16.
fn utf16_units(bytes: &[u8]) -> Option<impl Iterator<Item = u16> + '_> {
    let big_endian = match bytes {
        [0xff, 0xfe, ..] => false,
        [0xfe, 0xff, ..] => true,
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => false,
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => true,
        _ => return None,
    };
    // An odd trailing byte is dropped: what precedes it is still worth scanning.
    Some(bytes.chunks_exact(2).map(move |pair| {
        let pair = [pair[0], pair[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    use sealant_test_support::text_files::utf16;

    #[test]
    fn every_encoding_becomes_the_same_text() {
        let text = "kind: Secret\nstringData:\n  k: \u{e9}t\u{e9}\n";
        for bytes in [
            text.as_bytes().to_vec(),
            [UTF8_BOM, text.as_bytes()].concat(),
            utf16(text, false, true),
            utf16(text, true, true),
            utf16(text, false, false),
            utf16(text, true, false),
        ] {
            let decoded = decode(&bytes);
            assert_eq!(&*decoded.text, text, "{bytes:?}");
            assert_eq!(decoded.lossy, None);
        }
    }

    #[test]
    fn bad_bytes_are_replaced_and_flagged() {
        let decoded = decode(b"kind: Secret\nk: \xe9\n");
        assert_eq!(&*decoded.text, "kind: Secret\nk: \u{fffd}\n");
        assert_eq!(decoded.lossy, Some(Lossy::InvalidUtf8));
        assert_eq!(decode(b"kind: Secret\0").lossy, Some(Lossy::Nul));
        assert_eq!(&*decode(b"").text, "");
        assert_eq!(&*decode(b"\xff\xfe").text, "");
        // An odd byte count: the last byte is dropped, the rest decoded.
        assert_eq!(&*decode(b"\xff\xfea\0b").text, "a");
    }
}
