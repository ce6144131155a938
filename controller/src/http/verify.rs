//! `POST /v1/verify`: 200 when every value decrypts with the object's own top-level scope,
//! 409 ([`super::FAILURE_BODY`]) otherwise. Templates are parsed, never rendered: rendering
//! them against plaintext was one of Bitnami's one-bit oracles.
//!
//! The HTTP side (limits, body, reply) is `endpoint.rs`; this is the work on a pool worker.

use super::oracle::{self, Refused, Rejection, RsaWork};
use sealant_api::SealedSecret;

/// The pool-side work of a verify request: the outcome and the RSA operations it cost.
pub(super) fn verify_parsed(
    work: &RsaWork<'_>,
    parsed: Result<SealedSecret, Refused>,
) -> (Result<(), Refused>, usize) {
    let (outcome, spent) = oracle::guarded(work, parsed, |ss, opener| {
        sealant_api::verify(ss, opener).map_err(Rejection::Unseal)
    });
    (outcome, spent)
}
