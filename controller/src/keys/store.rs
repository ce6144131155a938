//! The live key ring, shared by every reconcile and HTTP request and updated by the
//! key-Secret watch.
//!
//! The ring is an immutable snapshot swapped atomically. A reader takes an `Arc<KeyRing>`
//! and keeps it for as long as its RSA work lasts (a whole object's values, or a 1 MiB
//! verify body: seconds); a writer builds the next state (a clone that shares the keys,
//! plus one change) and swaps it in. Nobody ever waits for anybody: with a lock, a key
//! Secret arriving during a long job queued its write behind the job's read guard on an
//! async worker, and every later reader queued behind the write, which stalled `/healthz`
//! for seconds (issue 12).
//!
//! The bookkeeping (which Secret holds which key, rotation requests, the key-set version)
//! lives in the same snapshot, so it always agrees with the ring it describes.

use super::HybridKey;
use arc_swap::{ArcSwap, Guard};
use sealant_crypto::Fingerprint;
use sealant_keys::{HybridEntry, KeyEntry, KeyRing};
use std::{collections::BTreeMap, sync::Arc};
use time::OffsetDateTime;
use tokio::sync::watch;

#[derive(Clone)]
pub struct KeyStore {
    state: Arc<ArcSwap<State>>,
    /// Bumped whenever a key the ring did not hold arrives, so objects that failed to
    /// decrypt can be retried at once instead of at their next backoff.
    new_keys: watch::Sender<u64>,
    /// Bumped on every change (keys or rotation requests): wakes the renewal loop and the
    /// certificate publisher.
    changes: watch::Sender<u64>,
}

/// One consistent view of the keys. Cloning it is cheap: the ring shares its keys.
#[derive(Clone, Default)]
struct State {
    ring: Arc<KeyRing>,
    /// Which Secret holds which key, so a deleted Secret removes the right key (and only
    /// when no other Secret still holds it).
    by_secret: BTreeMap<String, Fingerprint>,
    /// Rotation requests found on key Secrets, by Secret name.
    rotation_requests: BTreeMap<String, OffsetDateTime>,
    /// Bumped whenever a key joins or leaves the ring.
    key_set_version: u64,
}

impl Default for KeyStore {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyStore {
    pub fn new() -> Self {
        Self {
            state: Arc::default(),
            new_keys: watch::channel(0).0,
            changes: watch::channel(0).0,
        }
    }

    /// The current ring, for opening values. The snapshot never changes: hold it for the
    /// whole job, so every value of one object is opened with the same keys. Changes made
    /// meanwhile reach the next caller.
    pub fn ring(&self) -> Arc<KeyRing> {
        Arc::clone(&self.state.load().ring)
    }

    /// A number that grows whenever a key joins or leaves the ring (a new certificate for a
    /// key already held does not count): an object that failed with every key needs
    /// another try only once this has moved.
    pub fn key_set_version(&self) -> u64 {
        self.state.load().key_set_version
    }

    /// [`KeyStore::ring`] with the [`KeyStore::key_set_version`] it belongs to. Taken
    /// together, so a failure recorded with this version is retried after any later change;
    /// reading the version separately after `ring()` could miss a key that arrived between.
    pub fn ring_with_version(&self) -> (Arc<KeyRing>, u64) {
        let state = self.state.load();
        (Arc::clone(&state.ring), state.key_set_version)
    }

    /// Swap in `change` applied to the current state. Writers are rare (key Secrets change
    /// a few times a year), so a writer that lost a race to another just rebuilds from the
    /// newer state: `change` may run more than once and must only touch its argument.
    fn update<R>(&self, mut change: impl FnMut(&mut State) -> R) -> R {
        let mut current = self.state.load_full();
        loop {
            let mut next = State::clone(&current);
            let result = change(&mut next);
            if next.key_set_differs_from(&current) {
                next.key_set_version += 1;
            }
            let previous = self.state.compare_and_swap(&current, Arc::new(next));
            if Arc::ptr_eq(&previous, &current) {
                return result;
            }
            current = Guard::into_inner(previous);
        }
    }

    /// Record that Secret `secret_name` holds `entry`. Returns true when the key is new.
    pub fn apply(&self, secret_name: &str, entry: KeyEntry) -> bool {
        let fingerprint = entry.fingerprint();
        let entry = Arc::new(entry);
        let added = self.update(|state| {
            let previous = state.by_secret.insert(secret_name.to_owned(), fingerprint);
            if let Some(old) = previous.filter(|old| *old != fingerprint) {
                state.forget_if_unheld(&old);
            }
            Arc::make_mut(&mut state.ring).insert(Arc::clone(&entry))
        });
        if added {
            self.new_keys.send_modify(|n| *n += 1);
        }
        self.changes.send_modify(|n| *n += 1);
        added
    }

    /// Record that hybrid key Secret `secret_name` holds `hybrid`. Returns true when the key
    /// is new. Hybrid keys share the bookkeeping of RSA keys (by Secret name, key set
    /// version, "a new key arrived"), so a v2 object waiting for its key is retried alike.
    pub fn apply_hybrid(&self, secret_name: &str, hybrid: HybridKey) -> bool {
        let key_id = hybrid.key.key_id();
        let entry = Arc::new(HybridEntry::new(hybrid.key, Some(hybrid.created_at)));
        let added = self.update(|state| {
            let previous = state.by_secret.insert(secret_name.to_owned(), key_id);
            if let Some(old) = previous.filter(|old| *old != key_id) {
                state.forget_if_unheld(&old);
            }
            Arc::make_mut(&mut state.ring).insert_hybrid(Arc::clone(&entry))
        });
        if added {
            self.new_keys.send_modify(|n| *n += 1);
        }
        self.changes.send_modify(|n| *n += 1);
        added
    }

    /// The newest hybrid key's id and creation time (it seals new v2 objects).
    pub fn newest_hybrid(&self) -> Option<(Fingerprint, OffsetDateTime)> {
        let ring = self.ring();
        let newest = ring.newest_hybrid()?;
        Some((newest.key_id(), newest.created()?))
    }

    /// Record (or clear, with `None`) the rotation request on Secret `secret_name`.
    pub fn set_rotation_request(&self, secret_name: &str, requested: Option<OffsetDateTime>) {
        let changed = self.update(|state| match requested {
            Some(t) => state.rotation_requests.insert(secret_name.to_owned(), t) != Some(t),
            None => state.rotation_requests.remove(secret_name).is_some(),
        });
        if changed {
            self.changes.send_modify(|n| *n += 1);
        }
    }

    /// The latest rotation request on any key Secret.
    pub fn latest_rotation_request(&self) -> Option<OffsetDateTime> {
        self.state.load().rotation_requests.values().max().copied()
    }

    /// Wakes on every change of keys or requests.
    pub fn subscribe_changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Secret `secret_name` is gone (or no longer a usable key Secret). Returns the key
    /// that left the ring, if one did.
    pub fn remove_secret(&self, secret_name: &str) -> Option<Fingerprint> {
        let (changed, removed) = self.update(|state| {
            let had_request = state.rotation_requests.remove(secret_name).is_some();
            let Some(fingerprint) = state.by_secret.remove(secret_name) else {
                return (had_request, None);
            };
            let removed = state.forget_if_unheld(&fingerprint).then_some(fingerprint);
            (true, removed)
        });
        if changed {
            self.changes.send_modify(|n| *n += 1);
        }
        removed
    }

    /// The names of the Secrets holding each key (usually one; the legacy Secret and a
    /// labelled copy may both hold the same key).
    pub fn secrets_by_key(&self) -> BTreeMap<Fingerprint, Vec<String>> {
        let state = self.state.load();
        let mut out: BTreeMap<Fingerprint, Vec<String>> = BTreeMap::new();
        for (secret, fingerprint) in &state.by_secret {
            out.entry(*fingerprint).or_default().push(secret.clone());
        }
        out
    }

    /// Subscribe to "a new key arrived".
    pub fn subscribe_new_keys(&self) -> watch::Receiver<u64> {
        self.new_keys.subscribe()
    }

    /// RSA private operations performed so far (the restart test and benchmark read this).
    /// Every ring the store ever held shares one counter, so work done with an older
    /// snapshot counts too.
    pub fn rsa_operations(&self) -> u64 {
        self.state.load().ring.rsa_operations()
    }

    /// X-Wing decapsulations performed so far (envelope v2 headers), counted like
    /// [`KeyStore::rsa_operations`].
    pub fn kem_operations(&self) -> u64 {
        self.state.load().ring.kem_operations()
    }
}

impl State {
    /// Drop `fingerprint` from the ring unless another Secret still holds it.
    fn forget_if_unheld(&mut self, fingerprint: &Fingerprint) -> bool {
        if self.by_secret.values().any(|fp| fp == fingerprint) {
            return false;
        }
        let ring = Arc::make_mut(&mut self.ring);
        // Key ids of the two kinds are hashes of different encodings: one removal at most.
        ring.remove(fingerprint).is_some() || ring.remove_hybrid(fingerprint).is_some()
    }

    fn key_set_differs_from(&self, before: &State) -> bool {
        !Arc::ptr_eq(&self.ring, &before.ring)
            && (self.ring.len() != before.ring.len()
                || self
                    .ring
                    .iter()
                    .any(|e| before.ring.find(&e.fingerprint()).is_none())
                || self.ring.hybrid_keys().count() != before.ring.hybrid_keys().count()
                || self
                    .ring
                    .hybrid_keys()
                    .any(|e| before.ring.find_hybrid(&e.key_id()).is_none()))
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

    #[test]
    fn a_held_snapshot_keeps_its_keys_while_the_store_moves_on() {
        let (a, b) = (
            sealant_keys::generate_private_key(2048).unwrap(),
            sealant_keys::generate_private_key(2048).unwrap(),
        );
        let store = KeyStore::new();
        store.apply("a", entry(&a));
        let held = store.ring();
        store.apply("b", entry(&b));
        store.remove_secret("a");
        assert_eq!(held.fingerprints(), [a.fingerprint()]);
        assert_eq!(store.ring().fingerprints(), [b.fingerprint()]);
    }

    #[test]
    fn the_key_set_version_moves_only_when_keys_join_or_leave() {
        let (a, b) = (
            sealant_keys::generate_private_key(2048).unwrap(),
            sealant_keys::generate_private_key(2048).unwrap(),
        );
        let store = KeyStore::new();
        let mut version = store.key_set_version();
        let mut moved = |store: &KeyStore| {
            let now = store.key_set_version();
            let moved = now > version;
            version = now;
            moved
        };
        store.apply("a", entry(&a));
        assert!(moved(&store), "a key joined");
        store.apply("a-copy", entry(&a));
        assert!(!moved(&store), "the same key again");
        store.set_rotation_request("a", Some(OffsetDateTime::UNIX_EPOCH));
        assert!(!moved(&store), "a rotation request");
        store.remove_secret("a");
        assert!(!moved(&store), "a copy still holds the key");
        store.apply("a-copy", entry(&b));
        assert!(
            moved(&store),
            "a Secret now holds another key: a left, b joined"
        );
        assert_eq!(store.ring().fingerprints(), [b.fingerprint()]);
        store.remove_secret("a-copy");
        assert!(moved(&store), "the last key left");
        let (ring, at) = store.ring_with_version();
        assert!(ring.is_empty());
        assert_eq!(at, store.key_set_version());
    }

    fn hybrid(created: i64) -> HybridKey {
        HybridKey {
            key: sealant_crypto::XWingPrivateKey::generate().unwrap(),
            created_at: OffsetDateTime::from_unix_timestamp(created).unwrap(),
        }
    }

    #[test]
    fn hybrid_keys_join_and_leave_like_rsa_keys() {
        let store = KeyStore::new();
        let news = store.subscribe_new_keys();
        let version = store.key_set_version();
        let (old, new) = (hybrid(1_000), hybrid(2_000));
        let (old_id, new_id) = (old.key.key_id(), new.key.key_id());
        assert!(store.apply_hybrid("h-old", old));
        assert!(store.key_set_version() > version, "a hybrid key joined");
        assert!(news.has_changed().unwrap());
        assert!(store.apply_hybrid("h-new", new));
        assert_eq!(store.newest_hybrid().unwrap().0, new_id);
        assert_eq!(store.secrets_by_key()[&old_id], ["h-old"]);
        assert!(store.ring().newest().is_none(), "no RSA key came with them");
        let version = store.key_set_version();
        assert_eq!(store.remove_secret("h-new"), Some(new_id));
        assert!(store.key_set_version() > version, "a hybrid key left");
        assert_eq!(store.newest_hybrid().unwrap().0, old_id);
    }
}
