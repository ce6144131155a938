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
use sealant_api::contract::{KeyInfo, KeyInventory, KeyState};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

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
                // The newest key seals; older loaded keys only open.
                state: if Some(fingerprint) == newest {
                    KeyState::Active
                } else {
                    KeyState::DecryptOnly
                },
                usage: usage
                    .as_ref()
                    .map(|u| u.get(&fingerprint).copied().unwrap_or(0) as u64),
            }
        })
        .collect();
    Json(KeyInventory {
        usage_counted: usage.is_some(),
        keys,
    })
    .into_response()
}
