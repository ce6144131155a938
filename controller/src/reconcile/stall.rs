//! Stalled objects: a SealedSecret that failed permanently (no key opens a value, a template
//! does not render, the legacy payload is refused, the Secret is someone else's or
//! immutable) is not tried again until something that could change the outcome changes.
//!
//! Retrying such an object at full cost only burns RSA operations: one object with
//! thousands of values and one bad value cost thousands of operations per retry. So each
//! permanent failure is remembered with the [`Attempt`] it was made on, and a reconcile
//! that finds the same attempt again does no RSA work and writes nothing. The status says
//! `Stalled=True` (kstatus and Flux report the object as Failed rather than InProgress
//! forever); `Synced` and `Ready` stay `False` as before, for Argo CD.
//!
//! An attempt changes, and the object is tried again, when its sealed input changes (the
//! digest covers the spec, target and scope), when its Secret changes (any write moves the
//! resourceVersion: deleted, annotated `managed`, …), or when a key the ring did not hold
//! arrives (counted by the key store; the object is also queued for that moment). The memory
//! lives for one leadership term, so a restart tries each failing object once.

use super::status::Verdict;

/// Everything a permanent failure depended on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The sealed-input digest of the SealedSecret.
    pub digest: String,
    /// The target Secret's resourceVersion (`None`: no Secret).
    pub secret_version: Option<String>,
    /// The key store's count of keys that arrived, read before decrypting.
    pub new_keys: u64,
}

/// A permanent failure and the attempt it happened on.
#[derive(Debug, Clone)]
pub struct Stall {
    pub attempt: Attempt,
    /// What the status says meanwhile (rewritten if a status write failed).
    pub verdict: Verdict,
}
