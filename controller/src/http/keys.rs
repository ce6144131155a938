//! `GET /v1/keys`: the key inventory, public facts only — fingerprint (SHA-256 of the
//! public key, as the `sealant.dev/key-fingerprint` annotation and the CLI print it), the
//! Secrets holding the key, the certificate's validity, the key's state and how many
//! SealedSecrets it opens. Nothing here depends on private material beyond the public key.
//!
//! Usage is counted by the leader from its caches; a replica that does not lead (or a
//! leader whose caches are still listing) answers `"usage": null` and
//! `"usage_counted": false` rather than a partial count.

use super::HttpState;
use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// The newest key seals; older loaded keys only open.
const STATE_ACTIVE: &str = "active";
const STATE_DECRYPT_ONLY: &str = "decrypt-only";

#[derive(Serialize)]
struct Inventory {
    /// Whether `usage` is a complete count (see the module docs).
    usage_counted: bool,
    keys: Vec<KeyInfo>,
}

#[derive(Serialize)]
struct KeyInfo {
    fingerprint: String,
    secrets: Vec<String>,
    not_before: Option<String>,
    not_after: Option<String>,
    state: &'static str,
    usage: Option<usize>,
}

fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.format(&Rfc3339).ok()
}

pub(super) async fn keys(State(state): State<HttpState>) -> Response {
    let usage = state.usage.as_ref().and_then(|source| source());
    let holders = state.keys.secrets_by_key();
    let ring = state.keys.ring();
    let newest = ring.newest().map(|e| e.fingerprint());
    let keys = ring
        .iter()
        .map(|entry| {
            let fingerprint = entry.fingerprint();
            let certificate = entry.certificate();
            KeyInfo {
                fingerprint: fingerprint.to_hex(),
                secrets: holders.get(&fingerprint).cloned().unwrap_or_default(),
                not_before: certificate.and_then(|c| rfc3339(c.not_before())),
                not_after: certificate.and_then(|c| rfc3339(c.not_after())),
                state: if Some(fingerprint) == newest {
                    STATE_ACTIVE
                } else {
                    STATE_DECRYPT_ONLY
                },
                usage: usage
                    .as_ref()
                    .map(|u| u.get(&fingerprint).copied().unwrap_or(0)),
            }
        })
        .collect();
    Json(Inventory {
        usage_counted: usage.is_some(),
        keys,
    })
    .into_response()
}
