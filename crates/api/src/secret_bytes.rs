//! [`SecretBytes`]: one plaintext Secret value, and base64 helpers that never leave a
//! non-zeroized copy of it behind.

use base64::{Engine, engine::general_purpose::STANDARD};
use sealant_crypto::Plaintext;
use zeroize::Zeroizing;

/// A plaintext Secret value: the crypto crate's zeroizing, redacted, non-`Clone` buffer,
/// under the name this crate's Secret types use.
pub type SecretBytes = Plaintext;

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
        assert!(!format!("{s:?}").contains("hunter2"));
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
