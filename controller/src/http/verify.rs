//! `POST /v1/verify`: 200 when every value decrypts with the object's own top-level scope,
//! 409 ([`super::FAILURE_BODY`]) otherwise. Templates are parsed, never rendered: rendering
//! them against plaintext was one of Bitnami's one-bit oracles.

use super::{
    HttpState,
    endpoint::{self, Endpoint, Success},
    oracle::{self, Refused, Rejection, RsaWork},
};
use axum::{extract::Request, extract::State, response::Response};
use sealant_api::SealedSecret;

pub(super) async fn verify(State(state): State<HttpState>, request: Request) -> Response {
    endpoint::handle(&state, Endpoint::Verify, request).await
}

/// The pool-side work of a verify request: the outcome and the RSA operations it cost.
pub(super) fn verify_parsed(
    work: &RsaWork<'_>,
    parsed: Result<SealedSecret, Refused>,
) -> (Result<Success, Refused>, usize) {
    let (outcome, spent) = oracle::guarded(work, parsed, |ss, opener| {
        sealant_api::verify(ss, opener).map_err(Rejection::Unseal)
    });
    (outcome.map(|()| Success::Verified), spent)
}
