//! The string forms in `encryptedData` and a value's binary layout (docs/envelope-v2.md §1, §5):
//! `sealant:v2:` + base64 of `0x02 || hid || nonce || AES-GCM(value_key, nonce, aad, m)`.

use super::format::{HEADER_ID_LEN, HeaderId, NONCE_LEN, STRING_PREFIX, TAG_LEN, VERSION};
use crate::{CryptoError, encode_base64};
use base64::{Engine, engine::general_purpose::STANDARD};

/// `sealant:v2:` + base64, the form of every v2 string.
pub(crate) fn to_v2_string(bytes: &[u8]) -> String {
    format!("{STRING_PREFIX}{}", encode_base64(bytes))
}

/// The binary form of a v2 string. Fails on a string without the prefix, and on anything but
/// canonical one-line base64 (unlike v1, which tolerates wrapping): one spelling per value.
pub fn from_v2_string(text: &str) -> Result<Vec<u8>, CryptoError> {
    let body = text
        .strip_prefix(STRING_PREFIX)
        .ok_or(CryptoError::V2Format(
            "not a v2 string (no sealant:v2: prefix)",
        ))?;
    STANDARD.decode(body).map_err(|_| CryptoError::Base64)
}

/// A parsed value, borrowing its bytes.
pub(crate) struct SealedValue<'a> {
    pub header_id: HeaderId,
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
}

const VALUE_HEAD: usize = 1 + HEADER_ID_LEN + NONCE_LEN;

impl<'a> SealedValue<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, CryptoError> {
        if bytes.len() < VALUE_HEAD + TAG_LEN {
            return Err(CryptoError::V2Format("value is truncated"));
        }
        if bytes[0] != VERSION {
            return Err(CryptoError::V2Format("unknown value version"));
        }
        let (id, rest) = bytes[1..].split_at(HEADER_ID_LEN);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let mut header_id = [0u8; HEADER_ID_LEN];
        header_id.copy_from_slice(id);
        Ok(Self {
            header_id: HeaderId(header_id),
            nonce,
            ciphertext,
        })
    }

    pub fn encode(header_id: HeaderId, nonce: &[u8; NONCE_LEN], ciphertext: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(VALUE_HEAD + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&header_id.0);
        out.extend_from_slice(nonce);
        out.extend_from_slice(ciphertext);
        out
    }
}

/// The header a v2 value string names, without opening it (for `check` and for grouping).
pub fn value_header_id(text: &str) -> Result<HeaderId, CryptoError> {
    let bytes = from_v2_string(text)?;
    Ok(SealedValue::parse(&bytes)?.header_id)
}
