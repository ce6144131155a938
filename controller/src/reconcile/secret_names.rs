//! Which Secrets surely do not exist, from the metadata-only Secret watch, so that a new
//! object's reconcile creates its Secret without first reading a 404.
//!
//! **Why.** Every new SealedSecret's first reconcile read its target Secret (not there yet)
//! before creating it: one request per object, a quarter of a cold start's requests.
//!
//! **How.** Every Secret the watch shows, related to a SealedSecret or not, sets its bits
//! in a Bloom filter of the Secret's namespace and name: a fixed 256 KiB, however many
//! Secrets the cluster has. A name whose bits are not all set was never seen. Once a
//! scope's Secret watch has listed everything, "never seen" means "did not exist when the
//! watch last looked", and the reconcile skips the read.
//!
//! **Why it stays safe.** The answer can only be wrong one way: a Secret created after the
//! watch last looked. Creating then fails with 409 AlreadyExists (a create never
//! overwrites), and the reconcile starts again with a read, deciding on the Secret it finds
//! exactly as before; an unmanaged Secret is never taken over. A false positive (the
//! filter's, or a deleted Secret's bits, which stay set) only costs the read that was
//! always made. The hash keys are random per process, so nobody can choose names that
//! collide. With `--skip-recreate` no Secret is watched and every reconcile reads.

use crate::sync::lock;
use std::{
    hash::{BuildHasher, RandomState},
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

/// Bits in the filter: 2^21 = 256 KiB. With 100,000 Secrets about 1% of absent names read
/// as "maybe there" (and cost the usual read); at a million most do, which is today's cost.
const BITS: usize = 1 << 21;
/// Bits set per name.
const PROBES: u64 = 6;

/// The filter and the scopes whose Secret watch has listed (see the module docs).
pub struct SecretNames {
    bits: Box<[AtomicU64]>,
    hasher: RandomState,
    /// Scopes (`None`: all namespaces) whose Secret watch has completed a list this term.
    listed: Mutex<Vec<Option<String>>>,
}

impl Default for SecretNames {
    fn default() -> Self {
        Self {
            bits: (0..BITS / 64).map(|_| AtomicU64::new(0)).collect(),
            hasher: RandomState::new(),
            listed: Mutex::default(),
        }
    }
}

impl SecretNames {
    /// The filter positions of one name: double hashing over one 64-bit hash.
    fn positions(&self, namespace: &str, name: &str) -> impl Iterator<Item = usize> {
        let hash = self.hasher.hash_one((namespace, name));
        let (first, step) = (hash & 0xffff_ffff, (hash >> 32) | 1);
        (0..PROBES).map(move |i| (first.wrapping_add(i.wrapping_mul(step)) as usize) % BITS)
    }

    /// The watch showed this Secret.
    pub fn saw(&self, namespace: &str, name: &str) {
        for bit in self.positions(namespace, name) {
            self.bits[bit / 64].fetch_or(1 << (bit % 64), Ordering::Relaxed);
        }
    }

    fn maybe_seen(&self, namespace: &str, name: &str) -> bool {
        self.positions(namespace, name)
            .all(|bit| self.bits[bit / 64].load(Ordering::Relaxed) & (1 << (bit % 64)) != 0)
    }

    fn lock_listed(&self) -> std::sync::MutexGuard<'_, Vec<Option<String>>> {
        lock(&self.listed)
    }

    /// The Secret watch of `scope` has listed everything (and keeps watching).
    pub fn set_listed(&self, scope: Option<&str>) {
        let mut listed = self.lock_listed();
        if !listed.iter().any(|s| s.as_deref() == scope) {
            listed.push(scope.map(str::to_owned));
        }
    }

    /// The Secret watch of `scope` stopped.
    pub fn unset_listed(&self, scope: Option<&str>) {
        self.lock_listed().retain(|s| s.as_deref() != scope);
    }

    /// A new term: its watches must list again before their absence means anything.
    pub fn forget_listings(&self) {
        self.lock_listed().clear();
    }

    /// True only when a watch covering `namespace` has listed and never showed this Secret.
    pub fn surely_absent(&self, namespace: &str, name: &str) -> bool {
        let covered = self
            .lock_listed()
            .iter()
            .any(|s| s.as_deref().is_none_or(|ns| ns == namespace));
        covered && !self.maybe_seen(namespace, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_absent_before_a_list_covers_its_namespace() {
        let names = SecretNames::default();
        assert!(!names.surely_absent("app", "db"));
        names.set_listed(Some("other"));
        assert!(!names.surely_absent("app", "db"));
        names.set_listed(Some("app"));
        assert!(names.surely_absent("app", "db"));
        names.unset_listed(Some("app"));
        assert!(!names.surely_absent("app", "db"));
        names.set_listed(None);
        assert!(names.surely_absent("app", "db"));
        names.forget_listings();
        assert!(!names.surely_absent("app", "db"));
    }

    #[test]
    fn a_seen_secret_is_never_absent() {
        let names = SecretNames::default();
        names.set_listed(None);
        for i in 0..10_000 {
            names.saw("app", &format!("secret-{i}"));
        }
        for i in 0..10_000 {
            assert!(!names.surely_absent("app", &format!("secret-{i}")));
        }
        // The same name elsewhere is another Secret.
        let elsewhere = (0..1_000)
            .filter(|i| names.surely_absent("other", &format!("secret-{i}")))
            .count();
        assert!(
            elsewhere > 990,
            "{elsewhere} of 1000 unseen names read as absent"
        );
    }
}
