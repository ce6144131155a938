//! `POST /v1/verify`: 200 when every value decrypts with the object's own top-level scope,
//! 409 ([`super::FAILURE_BODY`]) otherwise. Templates are parsed, never rendered: rendering
//! them against plaintext was one of Bitnami's one-bit oracles.

use super::{
    HttpState,
    endpoint::{self, Endpoint, Success},
    oracle::{self, Refused, Rejection},
};
use axum::{extract::Request, extract::State, response::Response};
use sealant_keys::KeyRing;

pub(super) async fn verify(State(state): State<HttpState>, request: Request) -> Response {
    endpoint::handle(&state, Endpoint::Verify, request).await
}

/// The pool-side work of a verify request.
pub(super) fn verify_body(ring: &KeyRing, body: &[u8]) -> Result<Success, Refused> {
    oracle::guarded(ring, body, |ss, opener| {
        sealant_api::verify(ss, opener).map_err(Rejection::Unseal)
    })
    .map(|()| Success::Verified)
}
