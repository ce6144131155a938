//! Every constant of the v2 byte format (docs/envelope-v2.md), defined once. The strings
//! inside HKDF `info`s, the OAEP label and the AAD contexts are domain separators: each use
//! of a key derives from a different one, so no derived key can stand in for another.

use crate::Fingerprint;
use std::fmt;

/// The version byte, first in every header and value.
pub const VERSION: u8 = 2;
/// Prefix of every v2 string in `spec.encryptedData`. `:` is outside the base64 alphabet, so
/// a v1 reader (Bitnami's controller) fails on it with a clean decode error.
pub const STRING_PREFIX: &str = "sealant:v2:";
/// Prefix of a header's key in `spec.encryptedData`, followed by the header id in hex. `/`
/// cannot occur in a Secret data key, so a header key never collides with one.
pub const HEADER_KEY_PREFIX: &str = "sealant.v2/";
/// Bytes of a header id.
pub const HEADER_ID_LEN: usize = 8;
/// Bytes of a stanza's key id (SHA-256 of the recipient's public key).
pub const KEY_ID_LEN: usize = 32;
/// Most stanzas a header may hold; bounds what a hostile header can make a reader parse.
pub const MAX_STANZAS: usize = 32;
/// Bytes of the random data key.
pub const DATA_KEY_LEN: usize = 32;
pub(crate) const MAC_LEN: usize = 32;
pub(crate) const NONCE_LEN: usize = 12;
pub(crate) const TAG_LEN: usize = 16;

pub(crate) const INFO_HEADER_MAC: &[u8] = b"sealant/v2 header mac";
pub(crate) const INFO_VALUE_KEY: &[u8] = b"sealant/v2 value key";
pub(crate) const INFO_XWING_WRAP: &[u8] = b"sealant/v2 x-wing wrap";
/// OAEP label of RSA stanzas: distinct from every v1 label (namespace/name, namespace, or
/// empty), so an RSA stanza can never be replayed as a v1 session key.
pub(crate) const RSA_OAEP_LABEL: &[u8] = b"sealant/v2 data key";
pub(crate) const AAD_CONTEXT: &[u8] = b"sealant/v2 value\0";
pub(crate) const TEMPLATE_CONTEXT: &[u8] = b"sealant/v2 template\0";

/// True when an `encryptedData` value is in the v2 format (header or value).
pub fn is_v2_string(value: &str) -> bool {
    value.starts_with(STRING_PREFIX)
}

/// True when an `encryptedData` key names a v2 header rather than a Secret data key.
pub fn is_header_key(key: &str) -> bool {
    key.starts_with(HEADER_KEY_PREFIX)
}

/// Names the header whose data key opens a value. Random per seal.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HeaderId(pub [u8; HEADER_ID_LEN]);

impl HeaderId {
    /// `sealant.v2/<16 hex>`: the header's key in `encryptedData`.
    pub fn key_name(&self) -> String {
        format!("{HEADER_KEY_PREFIX}{}", hex::encode(self.0))
    }

    /// The id in a header key name, if it is one.
    pub fn from_key_name(key: &str) -> Option<Self> {
        let digits = key.strip_prefix(HEADER_KEY_PREFIX)?;
        if digits.len() != HEADER_ID_LEN * 2 || digits.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut id = [0u8; HEADER_ID_LEN];
        hex::decode_to_slice(digits, &mut id).ok()?;
        Some(Self(id))
    }
}

impl fmt::Debug for HeaderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeaderId({})", hex::encode(self.0))
    }
}

/// What kind of key a stanza is wrapped for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecipientKind {
    /// RSA-OAEP-SHA256 to a cluster certificate's key.
    Rsa,
    /// X-Wing (ML-KEM-768 + X25519).
    XWing,
}

impl RecipientKind {
    pub(crate) const fn type_byte(self) -> u8 {
        match self {
            Self::Rsa => 0x01,
            Self::XWing => 0x02,
        }
    }

    pub(crate) fn from_type_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(Self::Rsa),
            0x02 => Some(Self::XWing),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rsa => "rsa",
            Self::XWing => "x-wing",
        }
    }
}

/// A stanza's key id, with the kind of key it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecipientId {
    pub kind: RecipientKind,
    pub key_id: Fingerprint,
}

/// `u32be(len) || bytes`, the length prefix of every variable field in AAD and digests.
pub(crate) fn put_lp(out: &mut Vec<u8>, bytes: &[u8]) {
    // Fields longer than 4 GiB cannot reach here (objects are bounded far below); saturate
    // rather than panic so the function stays total.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}
