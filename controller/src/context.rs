//! State shared by every reconcile: clients, keys, the RSA pool, settings and bookkeeping.

use crate::{EventSink, KeyStore, RsaPool, Stats, metrics::Metrics};
use kube::{
    Client,
    runtime::reflector::{ObjectRef, Store},
};
use sealant_api::SealedSecret;
use sealant_crypto::Fingerprint;
use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

/// Behaviour switches taken from the flags.
#[derive(Debug, Clone)]
pub struct ReconcileSettings {
    pub update_status: bool,
    pub accept_deprecated_v1_data: bool,
    pub old_gc_behavior: bool,
    pub retry_base: Duration,
    pub retry_max: Duration,
}

pub struct Context {
    pub client: Client,
    pub metrics: Metrics,
    pub keys: KeyStore,
    pub pool: RsaPool,
    pub events: EventSink,
    pub settings: ReconcileSettings,
    pub stats: Stats,
    /// Per target Secret (namespace, name): the resourceVersion we last wrote or verified.
    /// A different one on the Secret means someone else changed it (drift to correct).
    known_versions: Mutex<HashMap<(String, String), String>>,
    /// Consecutive failures per object, for the backoff.
    failures: Mutex<HashMap<ObjectRef<SealedSecret>, u32>>,
    /// Objects that failed to decrypt: retried as soon as a new key arrives.
    waiting_for_key: Mutex<HashSet<ObjectRef<SealedSecret>>>,
    /// Which key opened each object's values (from the Secrets' fingerprint annotations):
    /// the per-key usage inventory.
    key_usage: Mutex<HashMap<(String, String), Fingerprint>>,
    /// The last status this process wrote per object (generation and verdict text), so a
    /// reconcile that sees a cached object from before that write does not write it again.
    written_status: Mutex<HashMap<ObjectRef<SealedSecret>, String>>,
    /// The SealedSecret caches, one per watched scope: the inventory counts only objects
    /// that still exist (a reconcile racing a deletion may record a use after it).
    stores: Mutex<Vec<Store<SealedSecret>>>,
    /// This replica leads and its caches have synced: [`Context::key_usage`] counts every
    /// SealedSecret (a standby, or a leader still listing, knows only some or none).
    inventory_complete: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every critical section is a single map operation, so a poisoned map is still whole.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Context {
    pub fn new(
        client: Client,
        keys: KeyStore,
        pool: RsaPool,
        events: EventSink,
        settings: ReconcileSettings,
        metrics: Metrics,
    ) -> Self {
        Self {
            client,
            metrics,
            keys,
            pool,
            events,
            settings,
            stats: Stats::default(),
            known_versions: Mutex::default(),
            failures: Mutex::default(),
            waiting_for_key: Mutex::default(),
            key_usage: Mutex::default(),
            written_status: Mutex::default(),
            stores: Mutex::default(),
            inventory_complete: AtomicBool::new(false),
        }
    }

    /// Start a leadership term afresh: what this process remembered writing may have been
    /// changed by another leader since, so every memo and cache handle goes. (Counters
    /// and metrics stay: they describe the process.)
    pub fn begin_term(&self) {
        lock(&self.known_versions).clear();
        lock(&self.failures).clear();
        lock(&self.waiting_for_key).clear();
        lock(&self.key_usage).clear();
        lock(&self.written_status).clear();
        lock(&self.stores).clear();
        self.set_inventory_complete(false);
    }

    /// Whether [`Context::key_usage`] is complete (see `inventory_complete`).
    pub fn set_inventory_complete(&self, complete: bool) {
        self.inventory_complete.store(complete, Ordering::Release);
    }

    /// The usage inventory, when this replica can vouch for it.
    pub fn complete_key_usage(&self) -> Option<BTreeMap<Fingerprint, usize>> {
        self.inventory_complete
            .load(Ordering::Acquire)
            .then(|| self.key_usage())
    }

    pub fn known_version(&self, namespace: &str, name: &str) -> Option<String> {
        lock(&self.known_versions)
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    pub fn remember_version(&self, namespace: &str, name: &str, version: Option<String>) {
        let key = (namespace.to_owned(), name.to_owned());
        let mut map = lock(&self.known_versions);
        match version {
            Some(v) => map.insert(key, v),
            None => map.remove(&key),
        };
    }

    /// Record a failure and return the delay before the next attempt: `retry_base` doubled
    /// per consecutive failure, capped at `retry_max`, without end.
    pub fn next_backoff(&self, object: &ObjectRef<SealedSecret>) -> Duration {
        let mut failures = lock(&self.failures);
        let n = failures.entry(object.clone()).or_insert(0);
        *n = n.saturating_add(1);
        let factor = 2u32.saturating_pow((*n - 1).min(20));
        self.settings
            .retry_base
            .saturating_mul(factor)
            .min(self.settings.retry_max)
    }

    pub fn succeeded(&self, object: &ObjectRef<SealedSecret>) {
        lock(&self.failures).remove(object);
        lock(&self.waiting_for_key).remove(object);
    }

    fn forget_status(&self, object: &ObjectRef<SealedSecret>) {
        lock(&self.written_status).remove(object);
    }

    pub fn wait_for_key(&self, object: &ObjectRef<SealedSecret>) {
        lock(&self.waiting_for_key).insert(object.clone());
    }

    /// Take the objects of `namespace` (all when `None`) that wait for a new key.
    pub fn take_waiting_for_key(&self, namespace: Option<&str>) -> Vec<ObjectRef<SealedSecret>> {
        let mut waiting = lock(&self.waiting_for_key);
        let taken: Vec<_> = waiting
            .iter()
            .filter(|r| namespace.is_none() || r.namespace.as_deref() == namespace)
            .cloned()
            .collect();
        for r in &taken {
            waiting.remove(r);
        }
        taken
    }

    pub fn forget(&self, object: &ObjectRef<SealedSecret>) {
        self.succeeded(object);
        if let Some(ns) = object.namespace.as_deref() {
            self.metrics.forget_object(ns, &object.name);
        }
        self.forget_status(object);
        if let Some(ns) = object.namespace.as_deref() {
            self.remember_version(ns, &object.name, None);
            self.record_key_use(ns, &object.name, None);
        }
    }

    /// True when `status_key` is what we last wrote for `object`.
    pub fn status_already_written(
        &self,
        object: &ObjectRef<SealedSecret>,
        status_key: &str,
    ) -> bool {
        lock(&self.written_status).get(object).map(String::as_str) == Some(status_key)
    }

    pub fn status_written(&self, object: &ObjectRef<SealedSecret>, status_key: String) {
        lock(&self.written_status).insert(object.clone(), status_key);
    }

    /// Record which key opened ns/name (`None`: it no longer counts).
    pub fn record_key_use(&self, namespace: &str, name: &str, key: Option<Fingerprint>) {
        let id = (namespace.to_owned(), name.to_owned());
        let mut usage = lock(&self.key_usage);
        match key {
            Some(fp) => usage.insert(id, fp),
            None => usage.remove(&id),
        };
    }

    pub fn add_store(&self, store: Store<SealedSecret>) {
        lock(&self.stores).push(store);
    }

    /// SealedSecrets per key, as far as this process has seen them.
    pub fn key_usage(&self) -> BTreeMap<Fingerprint, usize> {
        let stores = lock(&self.stores).clone();
        let exists = |(ns, name): &(String, String)| {
            let object = ObjectRef::<SealedSecret>::new(name).within(ns);
            stores.iter().any(|s| s.get(&object).is_some())
        };
        let mut counts = BTreeMap::new();
        for (id, fp) in lock(&self.key_usage).iter() {
            if exists(id) {
                *counts.entry(*fp).or_insert(0) += 1;
            }
        }
        counts
    }
}
