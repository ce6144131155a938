//! The deprecated `spec.data` blob: one sealed value holding a whole core/v1 Secret as JSON
//! (Go's codec output). Bitnami accepts it behind a flag; we accept it always.
//!
//! The blob is plaintext once opened, so its errors are [`LegacyPayloadError`]s: fixed
//! reasons, never serde's message (which gives positions inside the blob, like "trailing
//! characters at line 1 column 7") nor a kind, field or key read from it.

use crate::{ApiError, LegacyPayloadError, PlainSecret, SealedSecret, describe_meta};
use sealant_crypto::{Plaintext, decode_base64};
use serde_json::Value;

/// The decoded legacy blob, if this object uses the deprecated `spec.data`.
pub(crate) fn legacy_blob(ss: &SealedSecret) -> Result<Option<Vec<u8>>, ApiError> {
    let object = || describe_meta(&ss.metadata);
    match ss.spec.data.as_deref() {
        None | Some("") => Ok(None),
        Some(_) if !ss.spec.encrypted_data.is_empty() => {
            Err(ApiError::LegacyAndEncryptedData { object: object() })
        }
        Some(b64) => decode_base64(b64)
            .map(Some)
            .map_err(|_| ApiError::CiphertextBase64 {
                object: object(),
                key: "spec.data".to_owned(),
            }),
    }
}

/// The Secret in a decrypted legacy blob.
pub(crate) fn legacy_secret(plaintext: &Plaintext, object: &str) -> Result<PlainSecret, ApiError> {
    let bad = |reason| ApiError::LegacyPayload {
        object: object.to_owned(),
        reason,
    };
    let mut value: Value = serde_json::from_slice(plaintext.as_bytes())
        .map_err(|_| bad(LegacyPayloadError::NotJson))?;
    let result = if value.is_object() {
        PlainSecret::from_value(&value, "legacy spec.data").map_err(|e| bad(fixed_reason(&e)))
    } else {
        Err(bad(LegacyPayloadError::NotAnObject))
    };
    crate::documents::zeroize_value(&mut value);
    result
}

/// The reason of a [`PlainSecret::from_value`] error, without any text it read.
fn fixed_reason(e: &ApiError) -> LegacyPayloadError {
    const FIELDS: &[&str] = &["metadata", "type", "immutable", "data", "stringData"];
    match e {
        ApiError::NotAnObject { .. } => LegacyPayloadError::NotAnObject,
        ApiError::WrongKind { .. } | ApiError::WrongApiVersion { .. } => {
            LegacyPayloadError::NotASecret
        }
        ApiError::InvalidBase64 { .. } => LegacyPayloadError::InvalidField("data"),
        ApiError::InvalidField { field, .. } => {
            // `data.<key>`: the key was read from the blob; keep only the fixed part.
            let top = field.split('.').next().unwrap_or_default();
            if top == "kind" || top == "apiVersion" {
                LegacyPayloadError::NotASecret
            } else {
                FIELDS.iter().copied().find(|f| *f == top).map_or(
                    LegacyPayloadError::NotASecret,
                    LegacyPayloadError::InvalidField,
                )
            }
        }
        _ => LegacyPayloadError::NotASecret,
    }
}
