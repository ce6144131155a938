//! What the controller shares with its HTTP servers.

use crate::{
    Context, Flags, KeyStore, RsaPool,
    http::Readiness,
    metrics::{KeySnapshot, Metrics, ObjectNames},
};
use std::sync::{Arc, OnceLock};
use tokio::sync::watch;

/// What the controller shares with its HTTP servers, made before the controller starts so
/// the servers answer (probes, not-ready) from the first second.
#[derive(Clone)]
pub struct Services {
    pub metrics: Metrics,
    pub readiness: Readiness,
    pub keys: KeyStore,
    pub pool: RsaPool,
    /// Filled by [`start_with`]: the reconcile context, for the usage inventory.
    pub context: Arc<OnceLock<Arc<Context>>>,
    /// Filled by [`start_with`]: whether this replica leads.
    pub leading: Arc<OnceLock<watch::Receiver<bool>>>,
}

impl Services {
    /// What `flags` ask for (`--rsa-workers`, `--metrics-omit-secret-labels`).
    pub fn from_flags(flags: &Flags) -> Self {
        let names = if flags.metrics_omit_secret_labels {
            ObjectNames::Omitted
        } else {
            ObjectNames::Exposed
        };
        Self::with(flags.rsa_worker_count(), names)
    }

    /// `rsa_workers` workers, metrics with object names (Bitnami's default).
    pub fn new(rsa_workers: usize) -> Self {
        Self::with(rsa_workers, ObjectNames::Exposed)
    }

    fn with(rsa_workers: usize, names: ObjectNames) -> Self {
        Self {
            metrics: Metrics::with_object_names(env!("CARGO_PKG_VERSION"), names),
            readiness: Readiness::new(),
            keys: KeyStore::new(),
            pool: RsaPool::new(rsa_workers),
            context: Arc::default(),
            leading: Arc::default(),
        }
    }

    /// Key usage for `/v1/keys`, counted only where complete (the leader, once synced).
    pub fn usage_source(&self) -> crate::http::UsageSource {
        let context = self.context.clone();
        Arc::new(move || context.get()?.complete_key_usage())
    }

    /// The key figures the metrics compute at scrape time.
    pub fn key_snapshot(&self) -> KeySnapshot {
        // Only a complete count: a standby's zeros would read as "safe to retire".
        let usage = self.context.get().and_then(|c| c.complete_key_usage());
        let ring = self.keys.ring();
        KeySnapshot {
            leader: self.leading.get().is_some_and(|l| *l.borrow()),
            active_not_before: ring.newest().and_then(|e| e.not_before()),
            key_count: ring.len(),
            // Hybrid keys too: "safe to retire" reads the same for both kinds.
            usage: ring
                .iter()
                .map(|e| e.fingerprint())
                .chain(ring.hybrid_keys().map(|e| e.key_id()))
                .filter_map(|fp| {
                    let used = usage.as_ref()?.get(&fp).copied().unwrap_or(0);
                    Some((fp.short(), used))
                })
                .collect(),
            rsa_operations: ring.rsa_operations(),
        }
    }
}
