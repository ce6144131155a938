//! HTTP replies: JSON bodies and `metav1.Status` errors shaped like the real server's.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::resources::ResourceType;

pub(crate) const JSON: &str = "application/json";

/// An error reply: a `metav1.Status` body (its `code` is the HTTP status). Boxed so
/// `Result`s carrying it stay small.
#[derive(Debug)]
pub(crate) struct ApiError(Box<Value>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.get("code").and_then(Value::as_u64).unwrap_or(500);
        let sc = u16::try_from(code)
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // No Retry-After on 429 unless a test asks (`FakeKube::set_retry_after`; the real
        // server sends one): kube-rs would then wait a whole second per retry, which makes
        // fault-injection tests slow for no insight.
        (sc, [(header::CONTENT_TYPE, JSON)], self.0.to_string()).into_response()
    }
}

impl From<Value> for ApiError {
    fn from(v: Value) -> Self {
        ApiError(Box::new(v))
    }
}

/// A handler step's result.
pub(crate) type Reply<T> = Result<T, ApiError>;

pub(crate) fn status_value(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":message,"reason":reason,"code":code})
}

/// Error reply with a metav1.Status body.
pub(crate) fn status(code: u16, reason: &str, message: &str) -> ApiError {
    status_value(code, reason, message).into()
}

/// The `reason` the real server pairs with a status code (used for injected faults).
pub(crate) fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Expired",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    }
}

pub(crate) fn bad_request(message: &str) -> ApiError {
    status(400, "BadRequest", message)
}

pub(crate) fn no_route(path: &str) -> ApiError {
    status(
        404,
        "NotFound",
        &format!("the server could not find the requested resource ({path})"),
    )
}

/// An error about one object, with `details` naming it as the real server does.
fn object_error(
    code: u16,
    reason: &str,
    res: &ResourceType,
    name: &str,
    message: &str,
) -> ApiError {
    let mut v = status_value(code, reason, message);
    v["details"] = json!({"name": name, "group": res.group, "kind": res.plural});
    v.into()
}

pub(crate) fn not_found(res: &ResourceType, name: &str) -> ApiError {
    object_error(
        404,
        "NotFound",
        res,
        name,
        &format!("{} \"{name}\" not found", res.qualified()),
    )
}

pub(crate) fn already_exists(res: &ResourceType, name: &str) -> ApiError {
    object_error(
        409,
        "AlreadyExists",
        res,
        name,
        &format!("{} \"{name}\" already exists", res.qualified()),
    )
}

/// 409 for a stale `resourceVersion` (optimistic concurrency), worded like the real server.
pub(crate) fn conflict(res: &ResourceType, name: &str) -> ApiError {
    precondition_failed(
        res,
        name,
        "the object has been modified; please apply your changes to the latest version and try again",
    )
}

/// 409 for a failed uid/resourceVersion precondition.
pub(crate) fn precondition_failed(res: &ResourceType, name: &str, message: &str) -> ApiError {
    object_error(
        409,
        "Conflict",
        res,
        name,
        &format!(
            "Operation cannot be fulfilled on {} \"{name}\": {message}",
            res.qualified()
        ),
    )
}

/// One field error inside a 422 Invalid.
pub(crate) struct Cause {
    pub reason: &'static str,
    pub field: String,
    pub message: String,
}

/// 422 Invalid with `details.causes`, formatted `Kind "name" is invalid: field: message`.
pub(crate) fn invalid(res: &ResourceType, name: &str, causes: &[Cause]) -> ApiError {
    let msg = causes
        .iter()
        .map(|c| format!("{}: {}", c.field, c.message))
        .collect::<Vec<_>>()
        .join(", ");
    let mut v = status_value(
        422,
        "Invalid",
        &format!("{} \"{name}\" is invalid: {msg}", res.kind),
    );
    let causes: Vec<Value> = causes
        .iter()
        .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
        .collect();
    v["details"] = json!({"name": name, "group": res.group, "kind": res.kind, "causes": causes});
    v.into()
}

pub(crate) fn json_reply(code: StatusCode, content_type: &str, v: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, content_type.to_string())],
        v.to_string(),
    )
        .into_response()
}
