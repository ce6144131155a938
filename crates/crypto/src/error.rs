use thiserror::Error;

/// Every failure of the sealing core. Messages never contain plaintext, session keys
/// or label bytes: callers add the object's namespace/name/key around them.
#[derive(Debug, Error)]
pub enum CryptoError {
    #[error("sealed value is not valid base64")]
    Base64,
    #[error("sealed value is truncated: {len} bytes is too short for an envelope")]
    TruncatedEnvelope { len: usize },
    #[error(
        "sealed value's RSA block is {found} bytes but the key is {expected} bytes \
         (sealed for a different key size)"
    )]
    RsaLengthMismatch { found: usize, expected: usize },
    #[error("decryption failed: wrong key, or wrong scope/namespace/name for this value")]
    Decrypt,
    #[error("the symmetric part of the sealed value failed authentication (corrupted value)")]
    Integrity,
    #[error("encryption failed: {0}")]
    Encrypt(&'static str),
    #[error("invalid scope {0:?}: expected strict, namespace-wide or cluster-wide")]
    InvalidScope(String),
    #[error("a {scope} scope needs a {field}")]
    MissingScopeField {
        scope: &'static str,
        field: &'static str,
    },
    #[error("invalid RSA key: {0}")]
    InvalidKey(String),
    #[error("RSA key of {bits} bits is too small; at least {min} bits are required")]
    KeyTooSmall { bits: usize, min: usize },
    #[error("invalid fingerprint {0:?}: expected 64 hex digits (colons allowed)")]
    InvalidFingerprint(String),
    #[error("malformed envelope v2 data: {0}")]
    V2Format(&'static str),
    #[error("the {0} backend is not compiled in (enable the cargo feature)")]
    BackendUnavailable(&'static str),
}
