//! State shared by every reconcile: clients, keys, the RSA pool, settings and bookkeeping.

use crate::backoff::Backoff;
use crate::key_table::{KeyIndex, KeyTable};
use crate::sync::lock;
use crate::{
    EventSink, KeyStore, RsaPool, Stats,
    metrics::Metrics,
    reconcile::{Attempt, MacKey, Stall, Verdict, pending::Pending, secret_names::SecretNames},
};
use kube::{
    Client,
    runtime::reflector::{ObjectRef, Store},
};
use sealant_api::SealedSecret;
use sealant_crypto::Fingerprint;
use std::{
    collections::{BTreeMap, HashMap},
    hash::{BuildHasher, Hash, RandomState},
    num::NonZeroU64,
    sync::{
        Mutex,
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
    /// Delay before retrying a failed object.
    pub retry: Backoff,
    /// Caps on what templates may render (`--template-max-*`).
    pub render_limits: sealant_api::RenderLimits,
    /// `--max-unseal-retries`: retries, with backoff, of a permanent failure before the
    /// object is Stalled (0: Stalled at once).
    pub unseal_retries: u32,
    /// `--additional-secret-labels` / `--additional-secret-annotations`.
    pub extra_metadata: crate::reconcile::ExtraMetadata,
}

pub struct Context {
    pub client: Client,
    pub metrics: Metrics,
    pub keys: KeyStore,
    pub pool: RsaPool,
    pub events: EventSink,
    pub settings: ReconcileSettings,
    pub stats: Stats,
    /// Ciphertexts from watch events, waiting for their reconciles (bounded).
    pub pending: Pending,
    /// Secrets that surely do not exist, from the Secret watch.
    pub secret_names: SecretNames,
    /// Keys the hashes memos keep instead of strings ([`SeenSecret`], the written status):
    /// only equality is asked of them, and random keys keep a crafted collision out of reach.
    hasher: RandomState,
    /// What this term remembers per SealedSecret, in one map under one lock.
    memos: Mutex<HashMap<MemoKey, Memo>>,
    /// The key fingerprints memos name, each stored once (see `key_table.rs`). Locked
    /// after `memos` when both are held.
    key_table: Mutex<KeyTable>,
    /// MAC keys for the drift seal, derived once per key (see `reconcile::drift`).
    mac_keys: Mutex<HashMap<Fingerprint, MacKey>>,
    /// The SealedSecret caches, one per watched scope: the inventory counts only objects
    /// that still exist (a reconcile racing a deletion may record a use after it).
    /// Each with its scope's namespace (`None`: all namespaces).
    stores: Mutex<Vec<(Option<String>, Store<SealedSecret>)>>,
    /// This replica leads and its caches have synced: [`Context::key_usage`] counts every
    /// SealedSecret (a standby, or a leader still listing, knows only some or none).
    inventory_complete: AtomicBool,
}

/// What this process remembers about one SealedSecret during a leadership term. All of it
/// is an optimisation or a schedule: losing it (a restart) costs work, never correctness.
#[derive(Default)]
struct Memo {
    /// The target Secret's resourceVersion the controller last wrote or verified, hashed.
    /// Another one on the Secret means someone else wrote it since: its seal is checked
    /// again.
    verified_version: Option<Hashed>,
    /// The target Secret as its watch last showed it (see [`SeenSecret`]).
    seen_secret: Option<SeenSecret>,
    /// Consecutive failures, for the backoff.
    failures: u32,
    /// Failed to decrypt: reconciled again as soon as a new key arrives.
    waiting_for_key: bool,
    /// Which key opened the values (from the Secret's fingerprint annotation): the per-key
    /// usage inventory.
    key: Option<KeyIndex>,
    /// A hash of the last status this process wrote (generation and verdict), so a
    /// reconcile that sees a cached object from before that write does not write it again.
    written_status: Option<Hashed>,
    /// A permanent failure: not tried again until its attempt changes. Boxed: few objects
    /// have one, and every memo would otherwise carry its size (issue 18's RSS budget).
    stall: Option<Box<Stall>>,
}

/// A target Secret's resourceVersion and its sealed-digest annotation, from the Secret
/// watch, both hashed.
///
/// Versions and digests in the memo are hashed with this process's random keys (see
/// `Context::hasher`) because only equality is ever asked of them, and strings cost ~100
/// bytes an object (issue 18). Two different versions of one Secret would have to collide
/// under 64-bit keys no one outside the process knows, and the API server, not a user,
/// picks versions.
struct SeenSecret {
    version: Hashed,
    digest: Hashed,
}

/// A value the memo only compares for equality: its hash under this process's keys (see
/// [`SeenSecret`] for why that is enough). Never zero, so an `Option` of it is 8 bytes.
type Hashed = NonZeroU64;

/// The memo map's key: namespace and name only, in boxed strings. An `ObjectRef` is three
/// times the size, and a reference made from an object also carries its uid and
/// resourceVersion, which the map never compares.
#[derive(PartialEq, Eq, Hash)]
struct MemoKey {
    namespace: Option<Box<str>>,
    name: Box<str>,
}

impl MemoKey {
    fn of(object: &ObjectRef<SealedSecret>) -> Self {
        Self {
            namespace: object.namespace.as_deref().map(Box::from),
            name: Box::from(object.name.as_str()),
        }
    }

    fn object_ref(&self) -> ObjectRef<SealedSecret> {
        let object = ObjectRef::new(&self.name);
        match &self.namespace {
            Some(namespace) => object.within(namespace),
            None => object,
        }
    }
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
            pending: Pending::default(),
            secret_names: SecretNames::default(),
            hasher: RandomState::new(),
            memos: Mutex::default(),
            key_table: Mutex::default(),
            mac_keys: Mutex::default(),
            stores: Mutex::default(),
            inventory_complete: AtomicBool::new(false),
        }
    }

    /// Start a leadership term afresh: what this process remembered writing may have been
    /// changed by another leader since, so every memo and cache handle goes. (Counters
    /// and metrics stay: they describe the process.)
    pub fn begin_term(&self) {
        lock(&self.memos).clear();
        lock(&self.stores).clear();
        self.pending.clear();
        self.secret_names.forget_listings();
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

    fn hashed(&self, value: impl Hash) -> Hashed {
        NonZeroU64::new(self.hasher.hash_one(value)).unwrap_or(NonZeroU64::MIN)
    }

    fn with_memo<T>(&self, object: &ObjectRef<SealedSecret>, f: impl FnOnce(&mut Memo) -> T) -> T {
        f(lock(&self.memos).entry(MemoKey::of(object)).or_default())
    }

    fn read_memo<T>(
        &self,
        object: &ObjectRef<SealedSecret>,
        f: impl FnOnce(&Memo) -> T,
    ) -> Option<T> {
        lock(&self.memos).get(&MemoKey::of(object)).map(f)
    }

    /// Whether the controller has written or verified some version of `object`'s Secret.
    pub fn has_verified_version(&self, object: &ObjectRef<SealedSecret>) -> bool {
        self.read_memo(object, |m| m.verified_version.is_some())
            .unwrap_or(false)
    }

    /// Whether `version` is the resourceVersion of `object`'s Secret that the controller
    /// last wrote or verified.
    pub fn is_verified_version(&self, object: &ObjectRef<SealedSecret>, version: &str) -> bool {
        let version = self.hashed(version);
        self.read_memo(object, |m| m.verified_version == Some(version))
            .unwrap_or(false)
    }

    pub fn remember_version(&self, object: &ObjectRef<SealedSecret>, version: Option<String>) {
        let version = version.map(|v| self.hashed(v));
        self.with_memo(object, |m| m.verified_version = version);
    }

    /// Record what the Secret watch showed of `object`'s target Secret.
    pub fn saw_secret(
        &self,
        object: &ObjectRef<SealedSecret>,
        version: String,
        digest: Option<&str>,
    ) {
        let seen = SeenSecret {
            version: self.hashed(version),
            digest: self.hashed(digest),
        };
        self.with_memo(object, |m| m.seen_secret = Some(seen));
    }

    /// Whether the Secret watch's latest view of `object`'s target Secret is the version
    /// this controller last wrote or verified, made from `digest`: the reconcile then knows
    /// it is current without reading it. A later change by anyone reaches the watch with
    /// another version and wakes the object again.
    pub fn seen_current(&self, object: &ObjectRef<SealedSecret>, digest: &str) -> bool {
        let digest = self.hashed(Some(digest));
        self.read_memo(object, |m| {
            m.seen_secret.as_ref().is_some_and(|seen| {
                seen.digest == digest && m.verified_version == Some(seen.version)
            })
        })
        .unwrap_or(false)
    }

    /// Record a failure and return the delay before the next attempt: `retry_base` doubled
    /// per consecutive failure, capped at `retry_max`, without end.
    pub fn next_backoff(&self, object: &ObjectRef<SealedSecret>) -> Duration {
        let n = self.with_memo(object, |m| {
            m.failures = m.failures.saturating_add(1);
            m.failures
        });
        self.settings.retry.delay(n)
    }

    /// Consecutive failures of `object` so far (the one being handled not counted yet).
    pub fn failures(&self, object: &ObjectRef<SealedSecret>) -> u32 {
        self.read_memo(object, |m| m.failures).unwrap_or(0)
    }

    /// The object is in sync: no backoff, no wait for a key, no stall.
    pub fn succeeded(&self, object: &ObjectRef<SealedSecret>) {
        self.with_memo(object, |m| {
            m.failures = 0;
            m.waiting_for_key = false;
            m.stall = None;
        });
    }

    pub fn wait_for_key(&self, object: &ObjectRef<SealedSecret>) {
        self.with_memo(object, |m| m.waiting_for_key = true);
    }

    /// Take the objects of `namespace` (all when `None`) that wait for a new key.
    pub fn take_waiting_for_key(&self, namespace: Option<&str>) -> Vec<ObjectRef<SealedSecret>> {
        let mut memos = lock(&self.memos);
        memos
            .iter_mut()
            .filter(|(r, m)| {
                m.waiting_for_key && (namespace.is_none() || r.namespace.as_deref() == namespace)
            })
            .map(|(r, m)| {
                m.waiting_for_key = false;
                r.object_ref()
            })
            .collect()
    }

    /// The SealedSecret is gone: forget everything about it.
    pub fn forget(&self, object: &ObjectRef<SealedSecret>) {
        lock(&self.memos).remove(&MemoKey::of(object));
        self.pending.forget(object);
        if let Some(ns) = object.namespace.as_deref() {
            self.metrics.forget_object(ns, &object.name);
        }
    }

    /// True when `status_key` is what we last wrote for `object`.
    pub fn status_already_written(
        &self,
        object: &ObjectRef<SealedSecret>,
        status_key: &str,
    ) -> bool {
        let hash = self.hashed(status_key);
        self.read_memo(object, |m| m.written_status == Some(hash))
            .unwrap_or(false)
    }

    pub fn status_written(&self, object: &ObjectRef<SealedSecret>, status_key: &str) {
        let hash = self.hashed(status_key);
        self.with_memo(object, |m| m.written_status = Some(hash));
    }

    /// Record which key opened `object` (`None`: it no longer counts).
    pub fn record_key_use(&self, object: &ObjectRef<SealedSecret>, key: Option<Fingerprint>) {
        let mut memos = lock(&self.memos);
        let mut table = lock(&self.key_table);
        let index = key.and_then(|fp| table.index(fp));
        memos.entry(MemoKey::of(object)).or_default().key = index;
        if table.needs_rebuild() {
            *table = table.rebuilt(memos.values_mut().map(|m| &mut m.key));
        }
    }

    /// Remember that `object` failed permanently on `stall.attempt`.
    pub fn stall(&self, object: &ObjectRef<SealedSecret>, stall: Stall) {
        self.with_memo(object, |m| m.stall = Some(Box::new(stall)));
    }

    /// The verdict of `object`'s permanent failure, if it failed on exactly `attempt`.
    pub fn stalled_on(
        &self,
        object: &ObjectRef<SealedSecret>,
        attempt: &Attempt,
    ) -> Option<Verdict> {
        self.read_memo(object, |m| {
            m.stall
                .as_ref()
                .filter(|s| s.attempt == *attempt)
                .map(|s| s.verdict.clone())
        })
        .flatten()
    }

    /// True when `object` is stalled and no key has arrived since its attempt read the
    /// count (one that arrived meanwhile may not have been tried: no stall then).
    pub fn stall_holds(&self, object: &ObjectRef<SealedSecret>) -> bool {
        let now = self.new_keys_seen();
        self.read_memo(object, |m| {
            m.stall.as_ref().is_some_and(|s| s.attempt.new_keys == now)
        })
        .unwrap_or(false)
    }

    /// How many times a key the ring did not hold has arrived.
    pub fn new_keys_seen(&self) -> u64 {
        *self.keys.subscribe_new_keys().borrow()
    }

    /// The drift-seal MAC key of private key `fingerprint`, if the ring holds (or held) it.
    pub fn mac_key(&self, fingerprint: &Fingerprint) -> Option<MacKey> {
        if let Some(key) = lock(&self.mac_keys).get(fingerprint) {
            return Some(key.clone());
        }
        let derived = {
            let ring = self.keys.ring();
            match ring.find(fingerprint) {
                Some(entry) => MacKey::derive(entry.key())?,
                None => MacKey::derive_hybrid(ring.find_hybrid(fingerprint)?.key())?,
            }
        };
        lock(&self.mac_keys).insert(*fingerprint, derived.clone());
        Some(derived)
    }

    /// The cache of the scope watching `namespace` (`None`: all namespaces).
    pub fn add_store(&self, namespace: Option<&str>, store: Store<SealedSecret>) {
        lock(&self.stores).push((namespace.map(str::to_owned), store));
    }

    /// The scope watching `namespace` has stopped: its cache no longer says what exists.
    pub fn remove_store(&self, namespace: Option<&str>) {
        lock(&self.stores).retain(|(scope, _)| scope.as_deref() != namespace);
        self.pending.clear();
        self.secret_names.unset_listed(namespace);
    }

    /// A namespace is no longer watched (`--namespace-selector`): forget its objects'
    /// memos and per-object metrics, as if they had been deleted. Their Secrets stay.
    pub fn forget_namespace(&self, namespace: &str) {
        let gone: Vec<ObjectRef<SealedSecret>> = lock(&self.memos)
            .keys()
            .filter(|r| r.namespace.as_deref() == Some(namespace))
            .map(MemoKey::object_ref)
            .collect();
        for object in gone {
            self.forget(&object);
        }
    }

    /// Whether the watch cache still holds `object` with this `uid` (a SealedSecret deleted
    /// and created again under the same name has a new uid). True without any cache (a
    /// reconcile run outside a watch, as some tests do).
    pub fn is_cached(&self, object: &ObjectRef<SealedSecret>, uid: Option<&str>) -> bool {
        let stores = lock(&self.stores);
        stores.is_empty()
            || stores.iter().any(|(_, store)| {
                store
                    .get(object)
                    .is_some_and(|cached| cached.metadata.uid.as_deref() == uid)
            })
    }

    /// SealedSecrets per key, as far as this process has seen them.
    pub fn key_usage(&self) -> BTreeMap<Fingerprint, usize> {
        let stores = lock(&self.stores).clone();
        let exists =
            |object: &ObjectRef<SealedSecret>| stores.iter().any(|(_, s)| s.get(object).is_some());
        let used: Vec<(ObjectRef<SealedSecret>, Fingerprint)> = {
            let memos = lock(&self.memos);
            let table = lock(&self.key_table);
            memos
                .iter()
                .filter_map(|(r, m)| Some((r.object_ref(), table.fingerprint(m.key?)?)))
                .collect()
        };
        let mut counts = BTreeMap::new();
        for (object, fp) in used {
            if exists(&object) {
                *counts.entry(fp).or_insert(0) += 1;
            }
        }
        counts
    }
}
