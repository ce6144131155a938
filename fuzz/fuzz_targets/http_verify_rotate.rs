//! `POST /v1/verify` and `POST /v1/rotate` bodies through the controller's real axum router
//! (`sealant_controller::http::router`), with TEST-ONLY keys a (older) and b (newest).
//! The first input byte picks the route, the rest is the body.
//!
//! * never panics; the answer is 200, or a refusal that is exactly 409 + `FAILURE_BODY`
//!   (no oracle: every refusal byte-identical), or 413 for an oversized body;
//! * verify 200 only when every value really opens under the object's own label;
//! * rotate 200 returns the same object re-sealed for the newest key under the same label,
//!   every value opening to the same plaintext as before.
#![no_main]

use axum::{Router, body::Body, http::Request};
use libfuzzer_sys::fuzz_target;
use sealant_api::{SealedSecret, parse_bytes};
use sealant_controller::{
    KeyStore, RsaPool,
    http::{FAILURE_BODY, HttpState, Limits, Readiness, router},
};
use sealant_crypto::{PrivateKey, decode_base64, open};
use sealant_fuzz::{TEST_KEY_A_PEM, TEST_KEY_B_PEM, test_key};
use sealant_keys::{CertificateOptions, KeyEntry, self_signed_certificate};
use std::sync::OnceLock;
use time::OffsetDateTime;
use tower::ServiceExt;

const MAX_BODY: usize = 64 * 1024;

struct World {
    runtime: tokio::runtime::Runtime,
    router: Router,
    older: PrivateKey,
    newest: PrivateKey,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let keys = KeyStore::new();
        for (name, pem, year) in [
            ("sealed-secrets-keya", TEST_KEY_A_PEM, 2024),
            ("sealed-secrets-keyb", TEST_KEY_B_PEM, 2025),
        ] {
            let key = test_key(pem);
            let not_before = OffsetDateTime::from_unix_timestamp((year - 1970) * 365 * 86_400)
                .unwrap_or_else(|e| panic!("date: {e}"));
            let cert = self_signed_certificate(&key, &CertificateOptions::new(not_before))
                .unwrap_or_else(|e| panic!("TEST-ONLY certificate: {e}"));
            keys.apply(
                name,
                KeyEntry::new(key, Some(cert)).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        let readiness = Readiness::new();
        readiness.set_keys_loaded();
        readiness.set_caches_synced();
        // No rate limit: every input must reach the handler, not the token bucket.
        let limits = Limits {
            max_body_bytes: MAX_BODY,
            rate_burst: 0,
            ..Limits::default()
        };
        let state = HttpState::new(keys, RsaPool::new(1), readiness, limits)
            .unwrap_or_else(|e| panic!("HttpState: {e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        World {
            runtime,
            router: router(state),
            older: test_key(TEST_KEY_A_PEM),
            newest: test_key(TEST_KEY_B_PEM),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let rotate = selector & 1 == 1;
    let world = world();
    let path = if rotate { "/v1/rotate" } else { "/v1/verify" };
    let request = Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_vec()))
        .unwrap_or_else(|e| panic!("request: {e}"));
    let (status, answer) = world.runtime.block_on(async {
        let response = world
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status().as_u16();
        let answer = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_else(|e| panic!("reading the answer: {e}"));
        (status, answer)
    });
    match status {
        200 => {
            let input = only_sealed_secret(body)
                .unwrap_or_else(|| panic!("200 for a body that is not one SealedSecret"));
            assert!(
                input.spec.data.is_some() || !input.spec.encrypted_data.is_empty(),
                "200 for an object with no data"
            );
            let before = open_all(&input, &[&world.older, &world.newest])
                .unwrap_or_else(|| panic!("200 for values that do not open under their own label"));
            if rotate {
                let output = only_sealed_secret(&answer)
                    .unwrap_or_else(|| panic!("rotate answered a non-SealedSecret"));
                assert_eq!(
                    input.label().ok(),
                    output.label().ok(),
                    "rotate changed the label"
                );
                let after = open_all(&output, &[&world.newest])
                    .unwrap_or_else(|| panic!("rotated values do not open with the newest key"));
                if input.spec.data.is_none() {
                    assert!(before == after, "rotation changed a plaintext");
                }
            }
        }
        409 => assert_eq!(
            &answer[..],
            FAILURE_BODY.as_bytes(),
            "a refusal differs from FAILURE_BODY"
        ),
        413 => assert!(body.len() > MAX_BODY, "413 for a body within the cap"),
        other => panic!("unexpected status {other}"),
    }
});

fn only_sealed_secret(bytes: &[u8]) -> Option<SealedSecret> {
    let docs = parse_bytes(bytes).ok()?;
    match docs.as_slice() {
        [doc] => doc.to_sealed_secret().ok(),
        _ => None,
    }
}

/// The plaintext of every value (per-key `encryptedData` only), opened under the object's own
/// label with the first key that opens it; `None` if any value opens with none. Legacy
/// `data` objects are taken as opening (they are checked by the API crate's own tests).
fn open_all(sealed: &SealedSecret, keys: &[&PrivateKey]) -> Option<Vec<(String, Vec<u8>)>> {
    if sealed.spec.data.is_some() {
        return Some(Vec::new());
    }
    let label = sealed.label().ok()?;
    sealed
        .spec
        .encrypted_data
        .iter()
        .map(|(k, v)| {
            let bytes = decode_base64(v).ok()?;
            keys.iter()
                .find_map(|key| open(key, &label, &bytes).ok())
                .map(|p| (k.clone(), p.as_bytes().to_vec()))
        })
        .collect()
}
