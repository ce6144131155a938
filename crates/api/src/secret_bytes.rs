//! [`SecretBytes`]: one plaintext Secret value, and base64 helpers that never leave a
//! non-zeroized copy of it behind.

use base64::{Engine, engine::general_purpose::STANDARD};
use sealant_crypto::Plaintext;
use std::fmt;
use zeroize::Zeroizing;

/// A plaintext Secret value. Zeroized on drop, not `Clone`, and `Debug` shows only its length.
#[derive(PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }

    /// Takes ownership of `bytes`; the caller's buffer moves in, so no copy is left behind.
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies `text` (e.g. a `stringData` value) into a zeroizing buffer.
    pub fn copy_from_slice(bytes: &[u8]) -> Self {
        Self(Zeroizing::new(bytes.to_vec()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_zeroizing(self) -> Zeroizing<Vec<u8>> {
        self.0
    }

    /// Standard base64 with padding, in a zeroizing string.
    pub fn to_base64(&self) -> Zeroizing<String> {
        encode_base64_zeroizing(&self.0)
    }
}

impl From<Plaintext> for SecretBytes {
    fn from(p: Plaintext) -> Self {
        Self(p.into_zeroizing())
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes redacted>", self.0.len())
    }
}

/// Base64-encode into a buffer sized up front, so it never reallocates (a reallocation would
/// free the old buffer without wiping it).
pub(crate) fn encode_base64_zeroizing(bytes: &[u8]) -> Zeroizing<String> {
    let cap = base64::encoded_len(bytes.len(), true).unwrap_or(0);
    let mut out = Zeroizing::new(String::with_capacity(cap));
    STANDARD.encode_string(bytes, &mut out);
    out
}

/// Decode standard base64 (padding required, ASCII whitespace ignored as Go's decoder ignores
/// line breaks) into a zeroizing buffer. `None` when the text is not valid base64.
pub(crate) fn decode_base64_zeroizing(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let compact: Zeroizing<Vec<u8>> = Zeroizing::new(
        text.bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .collect::<Vec<u8>>(),
    );
    let mut out = Zeroizing::new(vec![0u8; base64::decoded_len_estimate(compact.len())]);
    let n = STANDARD
        .decode_slice(compact.as_slice(), out.as_mut_slice())
        .ok()?;
    out.truncate(n);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretBytes::copy_from_slice(b"hunter2");
        assert_eq!(format!("{s:?}"), "<7 bytes redacted>");
    }

    #[test]
    fn base64_round_trip() {
        for input in [&b""[..], b"a", b"ab", b"abc", b"\x00\xff binary"] {
            let enc = encode_base64_zeroizing(input);
            let dec = decode_base64_zeroizing(&enc);
            assert_eq!(dec.as_deref().map(Vec::as_slice), Some(input));
        }
        assert_eq!(
            decode_base64_zeroizing("aGVs\r\nbG8=\n")
                .as_deref()
                .map(Vec::as_slice),
            Some(&b"hello"[..])
        );
        assert!(decode_base64_zeroizing("not base64!").is_none());
        assert!(decode_base64_zeroizing("aGVsbG8").is_none());
    }
}
