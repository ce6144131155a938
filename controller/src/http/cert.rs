//! `GET /v1/cert.pem`: the certificate new values should be sealed with (Bitnami's route,
//! which kubeseal's `--fetch-cert` reaches through the API server's service proxy).

use super::{HttpState, reply};
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

pub(super) async fn cert_pem(State(state): State<HttpState>) -> Response {
    // PEM encoding is cheap (no private-key work), so it stays on the runtime. The ring sorts
    // keys without a certificate last: if the newest has none, none has.
    let pem = state
        .keys
        .ring()
        .newest()
        .and_then(|entry| entry.certificate().map(|c| c.to_pem()));
    match pem {
        Some(pem) => ([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response(),
        None => reply::no_key(),
    }
}
