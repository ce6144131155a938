//! `/healthz` (liveness) and `/readyz` (readiness).
//!
//! Both answer from the first second: the server starts before keys load and caches sync,
//! so a slow API server shows up as "not ready" rather than as a crash-looping pod.

use super::{HttpState, reply};
use axum::{extract::State, response::Response};
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

/// Whether this replica may receive traffic: keys loaded and caches synced. Keys and the
/// key cache are flipped once by the start-up; a leader additionally reports its
/// SealedSecret caches syncing at the start of each term. Clones share the flags.
#[derive(Clone, Debug, Default)]
pub struct Readiness(Arc<Flags>);

#[derive(Debug, Default)]
struct Flags {
    keys_loaded: AtomicBool,
    caches_synced: AtomicBool,
    /// A leadership term's SealedSecret caches are still on their first list.
    term_syncing: AtomicBool,
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_keys_loaded(&self) {
        self.0.keys_loaded.store(true, Ordering::Release);
    }

    pub fn set_caches_synced(&self) {
        self.0.caches_synced.store(true, Ordering::Release);
    }

    /// A leadership term's caches started (`true`) or finished (`false`) their first list.
    pub fn set_term_syncing(&self, syncing: bool) {
        self.0.term_syncing.store(syncing, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.not_ready_reason().is_none()
    }

    /// The first unmet condition, for the 503 body.
    pub fn not_ready_reason(&self) -> Option<&'static str> {
        if !self.0.keys_loaded.load(Ordering::Acquire) {
            Some("keys not loaded yet")
        } else if !self.0.caches_synced.load(Ordering::Acquire)
            || self.0.term_syncing.load(Ordering::Acquire)
        {
            Some("caches not synced yet")
        } else {
            None
        }
    }
}

/// Liveness: the process answers HTTP. Nothing else, so a kube API outage never restarts us.
pub(super) async fn healthz() -> Response {
    reply::text(axum::http::StatusCode::OK, "ok\n")
}

pub(super) async fn readyz(State(state): State<HttpState>) -> Response {
    match state.readiness.not_ready_reason() {
        None => reply::text(axum::http::StatusCode::OK, "ready\n"),
        Some(reason) => reply::text(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_needs_both_flags_and_clones_share_them() {
        let r = Readiness::new();
        let seen_by_server = r.clone();
        assert_eq!(
            seen_by_server.not_ready_reason(),
            Some("keys not loaded yet")
        );
        r.set_caches_synced();
        assert_eq!(
            seen_by_server.not_ready_reason(),
            Some("keys not loaded yet")
        );
        r.set_keys_loaded();
        assert!(seen_by_server.is_ready());
        r.set_term_syncing(true);
        assert_eq!(
            seen_by_server.not_ready_reason(),
            Some("caches not synced yet")
        );
        r.set_term_syncing(false);
        assert!(seen_by_server.is_ready());
    }
}
