//! Counters of what the reconciles did, for logs, tests and the benchmark. Plain atomics;
//! `progress` lets a waiter sleep until the next reconcile ends instead of polling.

use crate::sync::lock;
use std::{
    collections::HashSet,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};
use tokio::sync::watch;

pub struct Stats {
    reconciles: AtomicU64,
    unchanged: AtomicU64,
    written: AtomicU64,
    failed: AtomicU64,
    stalled: AtomicU64,
    restored: AtomicU64,
    status_writes: AtomicU64,
    /// Distinct objects (namespace/name) reconciled at least once since start.
    seen: Mutex<HashSet<String>>,
    progress: watch::Sender<u64>,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            reconciles: AtomicU64::new(0),
            unchanged: AtomicU64::new(0),
            written: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            stalled: AtomicU64::new(0),
            restored: AtomicU64::new(0),
            status_writes: AtomicU64::new(0),
            seen: Mutex::default(),
            progress: watch::channel(0).0,
        }
    }
}

/// One reconcile's result, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The Secret already matched: no RSA work, no Secret write.
    Unchanged,
    /// The Secret was created or updated.
    Written,
    /// The Secret was changed by someone else and has been written back.
    Restored,
    /// The object failed permanently before, on the same input: no RSA work, no write.
    Stalled,
    Failed,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub reconciles: u64,
    pub unchanged: u64,
    pub written: u64,
    pub failed: u64,
    /// Reconciles skipped because the object is stalled (see `reconcile::stall`).
    pub stalled: u64,
    /// Secrets written back after someone else changed them (counted in `written` too).
    pub restored: u64,
    pub status_writes: u64,
    /// Distinct objects reconciled at least once.
    pub objects: u64,
}

impl Stats {
    pub fn record(&self, object: &str, outcome: Outcome) {
        lock(&self.seen).insert(object.to_owned());
        self.reconciles.fetch_add(1, Ordering::Relaxed);
        let counter = match outcome {
            Outcome::Unchanged => &self.unchanged,
            Outcome::Written | Outcome::Restored => &self.written,
            Outcome::Stalled => &self.stalled,
            Outcome::Failed => &self.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if outcome == Outcome::Restored {
            self.restored.fetch_add(1, Ordering::Relaxed);
        }
        self.progress.send_modify(|n| *n += 1);
    }

    pub fn record_status_write(&self) {
        self.status_writes.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            reconciles: self.reconciles.load(Ordering::Relaxed),
            unchanged: self.unchanged.load(Ordering::Relaxed),
            written: self.written.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            stalled: self.stalled.load(Ordering::Relaxed),
            restored: self.restored.load(Ordering::Relaxed),
            status_writes: self.status_writes.load(Ordering::Relaxed),
            objects: lock(&self.seen).len() as u64,
        }
    }

    /// Wakes after each reconcile.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.progress.subscribe()
    }
}
