//! The live key ring, shared by every reconcile and updated by the key-Secret watch.
//!
//! A std `RwLock` rather than tokio's: the ring is read from the RSA worker threads, which
//! are not async, and writes (a key Secret changing) are rare and quick.

use sealant_crypto::Fingerprint;
use sealant_keys::{KeyEntry, KeyRing};
use std::{
    collections::BTreeMap,
    sync::{Arc, PoisonError, RwLock, RwLockReadGuard},
};
use time::OffsetDateTime;
use tokio::sync::watch;

#[derive(Clone)]
pub struct KeyStore {
    inner: Arc<RwLock<Inner>>,
    /// Bumped whenever a key the ring did not hold arrives, so objects that failed to
    /// decrypt can be retried at once instead of at their next backoff.
    new_keys: watch::Sender<u64>,
    /// Bumped on every change (keys or rotation requests): wakes the renewal loop.
    changes: watch::Sender<u64>,
}

#[derive(Default)]
struct Inner {
    ring: KeyRing,
    /// Which Secret holds which key, so a deleted Secret removes the right key (and only
    /// when no other Secret still holds it).
    by_secret: BTreeMap<String, Fingerprint>,
    /// Rotation requests found on key Secrets, by Secret name.
    rotation_requests: BTreeMap<String, OffsetDateTime>,
}

impl Default for KeyStore {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyStore {
    pub fn new() -> Self {
        Self {
            inner: Arc::default(),
            new_keys: watch::channel(0).0,
            changes: watch::channel(0).0,
        }
    }

    /// Read access to the ring, for opening values. Poisoning cannot leave the ring half
    /// updated (every write is a single insert or remove), so a poisoned lock is still used.
    pub fn ring(&self) -> KeyRingGuard<'_> {
        KeyRingGuard(self.inner.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Record that Secret `secret_name` holds `entry`. Returns true when the key is new.
    pub fn apply(&self, secret_name: &str, entry: KeyEntry) -> bool {
        let fingerprint = entry.fingerprint();
        let added = {
            let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
            let previous = inner.by_secret.insert(secret_name.to_owned(), fingerprint);
            if let Some(old) = previous.filter(|old| *old != fingerprint) {
                inner.forget_if_unheld(&old);
            }
            inner.ring.insert(entry)
        };
        if added {
            self.new_keys.send_modify(|n| *n += 1);
        }
        self.changes.send_modify(|n| *n += 1);
        added
    }

    /// Record (or clear, with `None`) the rotation request on Secret `secret_name`.
    pub fn set_rotation_request(&self, secret_name: &str, requested: Option<OffsetDateTime>) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let changed = match requested {
            Some(t) => inner.rotation_requests.insert(secret_name.to_owned(), t) != Some(t),
            None => inner.rotation_requests.remove(secret_name).is_some(),
        };
        drop(inner);
        if changed {
            self.changes.send_modify(|n| *n += 1);
        }
    }

    /// The latest rotation request on any key Secret.
    pub fn latest_rotation_request(&self) -> Option<OffsetDateTime> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        inner.rotation_requests.values().max().copied()
    }

    /// Wakes on every change of keys or requests.
    pub fn subscribe_changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Secret `secret_name` is gone (or no longer a usable key Secret).
    pub fn remove_secret(&self, secret_name: &str) -> Option<Fingerprint> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        inner.rotation_requests.remove(secret_name);
        let fingerprint = inner.by_secret.remove(secret_name)?;
        let removed = inner.forget_if_unheld(&fingerprint).then_some(fingerprint);
        drop(inner);
        self.changes.send_modify(|n| *n += 1);
        removed
    }

    /// Subscribe to "a new key arrived".
    /// The names of the Secrets holding each key (usually one; the legacy Secret and a
    /// labelled copy may both hold the same key).
    pub fn secrets_by_key(&self) -> BTreeMap<Fingerprint, Vec<String>> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut out: BTreeMap<Fingerprint, Vec<String>> = BTreeMap::new();
        for (secret, fingerprint) in &inner.by_secret {
            out.entry(*fingerprint).or_default().push(secret.clone());
        }
        out
    }

    pub fn subscribe_new_keys(&self) -> watch::Receiver<u64> {
        self.new_keys.subscribe()
    }

    /// RSA private operations performed so far (the restart test and benchmark read this).
    pub fn rsa_operations(&self) -> u64 {
        self.ring().rsa_operations()
    }
}

impl Inner {
    fn forget_if_unheld(&mut self, fingerprint: &Fingerprint) -> bool {
        if self.by_secret.values().any(|fp| fp == fingerprint) {
            return false;
        }
        self.ring.remove(fingerprint).is_some()
    }
}

/// A read guard that derefs to the ring.
pub struct KeyRingGuard<'a>(RwLockReadGuard<'a, Inner>);

impl std::ops::Deref for KeyRingGuard<'_> {
    type Target = KeyRing;

    fn deref(&self) -> &KeyRing {
        &self.0.ring
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry(key: &sealant_crypto::PrivateKey) -> KeyEntry {
        let again =
            sealant_crypto::PrivateKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap();
        KeyEntry::new(again, None).unwrap()
    }

    #[test]
    fn a_key_held_by_two_secrets_survives_one_deletion() {
        let key = sealant_keys::generate_private_key(2048).unwrap();
        let store = KeyStore::new();
        let mut news = store.subscribe_new_keys();
        assert!(store.apply("legacy", entry(&key)));
        assert!(news.has_changed().unwrap());
        news.mark_unchanged();
        assert!(!store.apply("copy", entry(&key)));
        assert!(!news.has_changed().unwrap());
        assert_eq!(store.remove_secret("legacy"), None);
        assert_eq!(store.ring().len(), 1);
        assert_eq!(store.remove_secret("copy"), Some(key.fingerprint()));
        assert!(store.ring().is_empty());
    }
}
