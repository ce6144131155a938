//! Every fixed answer the API gives, in one place, so "the same body for every failure" is
//! a property of the code's shape rather than of care at each call site.

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use sealant_api::contract::RECIPIENTS_NOT_ALLOWED;
use std::time::Duration;

/// The one body of every refused `/v1/verify` and `/v1/rotate` request (status 409, plain
/// text). It deliberately does not say which check failed: the reason is logged at debug
/// level, server-side only.
pub const FAILURE_BODY: &str = "the SealedSecret could not be verified: it does not decrypt \
with this controller's keys under its own namespace, name and scope, or it is malformed\n";

/// Status of every refusal (Bitnami answers 409 Conflict for "does not decrypt").
pub(super) const FAILURE_STATUS: StatusCode = StatusCode::CONFLICT;

pub(super) fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

/// The oracle-safe refusal.
pub(super) fn failure() -> Response {
    text(FAILURE_STATUS, FAILURE_BODY)
}

/// Verify succeeded: Bitnami's 200 with an empty body.
pub(super) fn verified() -> Response {
    StatusCode::OK.into_response()
}

/// Rotate succeeded: the SealedSecret as JSON, as Bitnami answers (kubeseal re-formats it).
pub(super) fn rotated(json: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        json,
    )
        .into_response()
}

/// `/v1/recipients` succeeded: the SealedSecret as JSON.
pub(super) fn rewrapped(json: Vec<u8>) -> Response {
    rotated(json)
}

/// A `/v1/recipients` request that is not one. About the request, decided before its object
/// is looked at; `why` is a fixed text.
pub(super) fn malformed_request(why: &str) -> Response {
    text(StatusCode::BAD_REQUEST, format!("{why}\n"))
}

/// Recipients this controller may not wrap for, by key id (hex the request sent, re-encoded).
/// Decided from the request and the controller's configuration alone, before any key work.
pub(super) fn recipients_not_allowed(ids: &[String]) -> Response {
    text(
        StatusCode::FORBIDDEN,
        format!(
            "{RECIPIENTS_NOT_ALLOWED}: {}; this controller wraps only for its own keys and \
             those listed with --allowed-recipients\n",
            ids.join(", ")
        ),
    )
}

/// No key in the ring yet: a state of the server, not of the request, so it may differ.
pub(super) fn no_key() -> Response {
    text(
        StatusCode::SERVICE_UNAVAILABLE,
        "no sealing key is loaded yet\n",
    )
}

/// A state of the server: another replica (or this one restarted) can answer.
pub(super) fn shutting_down() -> Response {
    with_retry_after(
        text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the controller is shutting down\n",
        ),
        Duration::from_secs(1),
    )
}

pub(super) fn too_large(limit: usize) -> Response {
    text(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body too large: the limit is {limit} bytes\n"),
    )
}

pub(super) fn too_many_values(limit: usize) -> Response {
    text(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("too many values: the limit is {limit} per request\n"),
    )
}

pub(super) fn too_many_requests(retry_after: Duration) -> Response {
    with_retry_after(
        text(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests: slow down and retry later\n",
        ),
        retry_after,
    )
}

/// The HTTP lane of the RSA pool is full: a state of the server, not of the request.
pub(super) fn busy(retry_after: Duration) -> Response {
    with_retry_after(
        text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the controller is busy with other requests: retry later\n",
        ),
        retry_after,
    )
}

fn with_retry_after(mut response: Response, retry_after: Duration) -> Response {
    // Whole seconds, rounded up and at least 1, as the header requires.
    let secs = retry_after
        .as_secs()
        .saturating_add(u64::from(retry_after.subsec_nanos() > 0));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, secs.max(1).into());
    response
}

pub(super) async fn method_not_allowed() -> Response {
    text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
}

pub(super) async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "not found\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let header = |d| {
            too_many_requests(d).headers()[header::RETRY_AFTER]
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(header(Duration::from_millis(10)), "1");
        assert_eq!(header(Duration::ZERO), "1");
        assert_eq!(header(Duration::from_millis(2001)), "3");
        assert_eq!(header(Duration::MAX), u64::MAX.to_string());
        let busy = busy(Duration::from_millis(1500));
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[header::RETRY_AFTER], "2");
    }
}
