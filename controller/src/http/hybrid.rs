//! `GET /v1/xwing.pub`: the newest hybrid (X-Wing) public key, PEM, to seal envelope v2
//! objects for (`sealant seal --format v2 --recipient`). 404 when the controller runs
//! without `--hybrid-keys`, so "this cluster has no hybrid key" is one plain answer; 503
//! while the first hybrid key is still being made, as `/v1/cert.pem` does.

use super::{HttpState, reply};
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

pub(super) async fn hybrid_public_key(State(state): State<HttpState>) -> Response {
    if !state.hybrid_keys {
        return reply::not_found().await;
    }
    // Public key only, cheap: stays on the runtime.
    let pem = state
        .keys
        .ring()
        .newest_hybrid()
        .map(|entry| entry.key().public_key().to_pem());
    match pem {
        Some(pem) => ([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response(),
        None => reply::no_key(),
    }
}
