//! The request log: every resource request that reached a handler (failed ones and injected
//! faults included), in arrival order, with what an RBAC authorizer looks at — verb, API
//! group, resource, subresource, namespace and name. Lets tests check that a role grants
//! exactly what a client used.

use axum::http::HeaderMap;

use crate::FakeKube;

/// One request as an authorizer sees it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LoggedRequest {
    /// get, list, watch, create, update, patch, delete, deletecollection.
    pub verb: String,
    /// API group ("" for the core group).
    pub group: String,
    /// Resource plural ("secrets", "services").
    pub resource: String,
    /// "status", "proxy" or "".
    pub subresource: String,
    /// "" for cluster-wide requests.
    pub namespace: String,
    /// The object's name; for list and watch the `metadata.name` field selector's value, as
    /// the real API server authorizes such requests by name; "" otherwise.
    pub name: String,
    /// The `Impersonate-User` header, "" without one: lets a test tell its own requests
    /// from those of the client under test when both talk to the same fake.
    pub user: String,
}

/// The `Impersonate-User` header's value, or "".
pub(crate) fn user(headers: &HeaderMap) -> String {
    headers
        .get("impersonate-user")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

impl FakeKube {
    /// Every resource request so far (service proxy requests as `services/proxy`), in order.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.request_log_from(0)
    }

    /// How many requests the log holds: where a poller of [`FakeKube::request_log_from`]
    /// starts.
    pub fn request_log_len(&self) -> usize {
        self.lock().request_log.len()
    }

    /// The log from entry `from` on: a poller copies only what is new, not a benchmark's
    /// hundreds of thousands of entries each time.
    pub fn request_log_from(&self, from: usize) -> Vec<LoggedRequest> {
        self.lock()
            .request_log
            .get(from..)
            .map(<[LoggedRequest]>::to_vec)
            .unwrap_or_default()
    }
}
