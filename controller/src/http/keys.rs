//! `GET /v1/keys`: the key inventory, public facts only — fingerprint (SHA-256 of the
//! public key, as the `sealant.dev/key-fingerprint` annotation and the CLI print it), the
//! Secrets holding the key, the certificate's validity, the key's state and how many
//! SealedSecrets it opens. Nothing here depends on private material beyond the public key.
//! Hybrid (X-Wing) keys are listed the same way, typed `x-wing`: their fingerprint is the key
//! id v2 stanzas name, `not_before` is when they were made, and the newest one is `active`.
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
use sealant_api::contract::{KeyInfo, KeyInventory, KeyState, KeyType};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.format(&Rfc3339).ok()
}

pub(super) async fn keys(State(state): State<HttpState>) -> Response {
    let usage = state.usage.as_ref().and_then(|source| source());
    let holders = state.keys.secrets_by_key();
    let ring = state.keys.ring();
    let newest = ring.newest().map(|e| e.fingerprint());
    let newest_hybrid = ring.newest_hybrid().map(|e| e.key_id());
    let state_of = |fingerprint, newest| {
        // The newest key of its kind seals; older loaded keys only open.
        if Some(fingerprint) == newest {
            KeyState::Active
        } else {
            KeyState::DecryptOnly
        }
    };
    let usage_of = |fingerprint| {
        usage
            .as_ref()
            .map(|u| u.get(&fingerprint).copied().unwrap_or(0) as u64)
    };
    let hybrid = ring.hybrid_keys().map(|entry| {
        let key_id = entry.key_id();
        KeyInfo {
            fingerprint: key_id.to_hex(),
            key_type: KeyType::XWing,
            secrets: holders.get(&key_id).cloned().unwrap_or_default(),
            not_before: entry.created().and_then(rfc3339),
            not_after: None,
            state: state_of(key_id, newest_hybrid),
            usage: usage_of(key_id),
        }
    });
    let keys = ring
        .iter()
        .map(|entry| {
            let fingerprint = entry.fingerprint();
            let certificate = entry.certificate();
            KeyInfo {
                fingerprint: fingerprint.to_hex(),
                key_type: KeyType::Rsa,
                secrets: holders.get(&fingerprint).cloned().unwrap_or_default(),
                not_before: certificate.and_then(|c| rfc3339(c.not_before())),
                not_after: certificate.and_then(|c| rfc3339(c.not_after())),
                state: state_of(fingerprint, newest),
                usage: usage_of(fingerprint),
            }
        })
        .chain(hybrid)
        .collect();
    Json(KeyInventory {
        usage_counted: usage.is_some(),
        keys,
    })
    .into_response()
}
