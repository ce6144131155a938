//! The in-memory object store, its event log (the source of watch streams) and the write log.
//!
//! Everything lives behind one mutex in [`State`]; handlers hold it only to read or mutate
//! maps and clone `Arc`s — JSON encoding happens outside the lock.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::faults::Faults;
use crate::fields::Owners;
use crate::object::meta_str;

/// (store, namespace, name). `store` is [`crate::ResourceType::store`]; the BTreeMap order
/// (store, namespace, name) is the order lists are served in, as etcd keys are.
pub(crate) type ObjKey = (&'static str, String, String);

/// The event log keeps at most this many events; beyond it the oldest half is dropped, as if
/// the server had compacted (watches from before that get 410 Expired). This bounds memory in
/// long benchmarks.
const MAX_LOG: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as watch streams replay it.
pub(crate) struct LogEvent {
    pub rv: u64,
    pub store: &'static str,
    pub namespace: String,
    pub kind: EventType,
    pub object: Arc<Value>,
    /// The object before a MODIFIED, so a watch with a selector can turn "stopped matching"
    /// into DELETED and "started matching" into ADDED, like the real server.
    pub prev: Option<Arc<Value>>,
}

/// One entry of the write log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// "create", "update", "patch", "delete", "deletecollection", or for the garbage
    /// collector "gc-delete" / "gc-patch".
    pub verb: String,
    /// Resource plural, with "/status" for the status subresource ("sealedsecrets/status").
    pub resource: String,
    pub namespace: String,
    pub name: String,
}

pub(crate) struct State {
    pub objects: BTreeMap<ObjKey, Arc<Value>>,
    /// Objects per store, kept with `objects`: benchmarks poll counts while the store holds
    /// 150,000 objects, and a scan under the one lock stalls every request meanwhile.
    counts: HashMap<&'static str, usize>,
    /// uid → key, to resolve ownerReferences.
    by_uid: HashMap<String, ObjKey>,
    /// owner uid → keys of objects that list it in ownerReferences (kept for objects whose
    /// owner is gone too, so deleting an owner finds its dependents without a scan).
    dependents: HashMap<String, BTreeSet<ObjKey>>,
    /// The last resourceVersion handed out.
    pub rv: u64,
    counter: u64,
    /// Events with rv > `compacted_rv`, in rv order.
    pub log: VecDeque<Arc<LogEvent>>,
    pub compacted_rv: u64,
    pub writes: Vec<Write>,
    /// (verb, resource) → number of requests that reached a handler (faults included).
    pub requests: HashMap<(String, String), usize>,
    /// Every resource request in arrival order (see `request_log`).
    pub request_log: Vec<crate::request_log::LoggedRequest>,
    /// For each `request_log` entry: when it arrived, and the injected fault it got.
    pub request_times: Vec<(std::time::Instant, Option<u16>)>,
    pub faults: Faults,
    pub services: HashMap<(String, String), SocketAddr>,
    /// Field ownership per object, for server-side apply conflicts.
    pub owners: HashMap<ObjKey, Owners>,
    /// Bumped by `drop_watches`: open watch streams started under an older epoch end.
    pub watch_epoch: u64,
    pub open_watches: usize,
}

impl State {
    pub fn new() -> Self {
        State {
            objects: BTreeMap::new(),
            counts: HashMap::new(),
            by_uid: HashMap::new(),
            dependents: HashMap::new(),
            rv: 1,
            counter: 0,
            log: VecDeque::new(),
            compacted_rv: 0,
            writes: Vec::new(),
            requests: HashMap::new(),
            request_log: Vec::new(),
            request_times: Vec::new(),
            faults: Faults::default(),
            services: HashMap::new(),
            owners: HashMap::new(),
            watch_epoch: 0,
            open_watches: 0,
        }
    }

    pub fn new_uid(&mut self) -> String {
        self.counter += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.counter)
    }

    /// `prefix` plus five characters from the real server's alphabet, unused in `store`/`ns`.
    pub fn generate_name(&mut self, store: &'static str, ns: &str, prefix: &str) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        loop {
            self.counter += 1;
            let mut x = self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let suffix: String = (0..5)
                .map(|_| {
                    let c = ALPHABET[(x % ALPHABET.len() as u64) as usize];
                    x /= ALPHABET.len() as u64;
                    c as char
                })
                .collect();
            let name = format!("{prefix}{suffix}");
            if !self
                .objects
                .contains_key(&(store, ns.to_string(), name.clone()))
            {
                return name;
            }
        }
    }

    /// How many objects `store` holds.
    pub fn count(&self, store: &str) -> usize {
        self.counts.get(store).copied().unwrap_or(0)
    }

    pub fn get(&self, key: &ObjKey) -> Option<Arc<Value>> {
        self.objects.get(key).cloned()
    }

    pub fn key_of_uid(&self, uid: &str) -> Option<&ObjKey> {
        self.by_uid.get(uid)
    }

    pub fn dependents_of(&self, uid: &str) -> Vec<ObjKey> {
        self.dependents
            .get(uid)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn stamp(&mut self, obj: &mut Value) {
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
    }

    /// Store a new object: new resourceVersion, ADDED event.
    pub fn insert(&mut self, key: ObjKey, mut obj: Value) -> Arc<Value> {
        self.stamp(&mut obj);
        let obj = Arc::new(obj);
        self.index(&key, &obj);
        if self.objects.insert(key.clone(), obj.clone()).is_none() {
            *self.counts.entry(key.0).or_default() += 1;
        }
        self.push_event(&key, EventType::Added, obj.clone(), None);
        obj
    }

    /// Replace a stored object: new resourceVersion, MODIFIED event.
    pub fn update(&mut self, key: ObjKey, mut obj: Value) -> Arc<Value> {
        self.stamp(&mut obj);
        let obj = Arc::new(obj);
        let prev = self.objects.insert(key.clone(), obj.clone());
        match &prev {
            Some(p) => self.unindex(&key, p),
            None => *self.counts.entry(key.0).or_default() += 1,
        }
        self.index(&key, &obj);
        self.push_event(&key, EventType::Modified, obj.clone(), prev);
        obj
    }

    /// Remove an object. The DELETED event (and the returned object) carry the
    /// resourceVersion of the deletion, as the real server's do.
    pub fn remove(&mut self, key: &ObjKey) -> Option<Arc<Value>> {
        let old = self.objects.remove(key)?;
        if let Some(count) = self.counts.get_mut(key.0) {
            *count -= 1;
        }
        self.unindex(key, &old);
        self.owners.remove(key);
        let mut gone = (*old).clone();
        self.stamp(&mut gone);
        let gone = Arc::new(gone);
        self.push_event(key, EventType::Deleted, gone.clone(), None);
        Some(gone)
    }

    pub fn record_write(&mut self, verb: &str, resource: &str, namespace: &str, name: &str) {
        self.writes.push(Write {
            verb: verb.into(),
            resource: resource.into(),
            namespace: namespace.into(),
            name: name.into(),
        });
    }

    /// Forget events up to now: watches from an older resourceVersion get 410.
    pub fn compact(&mut self) {
        self.log.clear();
        self.compacted_rv = self.rv;
    }

    fn push_event(
        &mut self,
        key: &ObjKey,
        kind: EventType,
        object: Arc<Value>,
        prev: Option<Arc<Value>>,
    ) {
        self.log.push_back(Arc::new(LogEvent {
            rv: self.rv,
            store: key.0,
            namespace: key.1.clone(),
            kind,
            object,
            prev,
        }));
        if self.log.len() > MAX_LOG {
            let drop = self.log.len() / 2;
            if let Some(last) = self.log.drain(..drop).next_back() {
                self.compacted_rv = last.rv;
            }
        }
    }

    fn index(&mut self, key: &ObjKey, obj: &Value) {
        let uid = meta_str(obj, "uid");
        if !uid.is_empty() {
            self.by_uid.insert(uid.to_string(), key.clone());
        }
        for owner in owner_uids(obj) {
            self.dependents
                .entry(owner)
                .or_default()
                .insert(key.clone());
        }
    }

    fn unindex(&mut self, key: &ObjKey, obj: &Value) {
        let uid = meta_str(obj, "uid");
        if self.by_uid.get(uid) == Some(key) {
            self.by_uid.remove(uid);
        }
        for owner in owner_uids(obj) {
            if let Some(set) = self.dependents.get_mut(&owner) {
                set.remove(key);
                if set.is_empty() {
                    self.dependents.remove(&owner);
                }
            }
        }
    }
}

/// The uids in `metadata.ownerReferences`.
pub(crate) fn owner_uids(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r.get("uid").and_then(Value::as_str))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(store: &'static str, name: &str) -> ObjKey {
        (store, "ns".to_string(), name.to_string())
    }

    #[test]
    fn counts_follow_inserts_updates_and_removals() {
        let mut s = State::new();
        s.insert(key("secrets", "a"), json!({"metadata": {"name": "a"}}));
        s.insert(key("secrets", "b"), json!({"metadata": {"name": "b"}}));
        s.insert(key("configmaps", "a"), json!({"metadata": {"name": "a"}}));
        s.update(key("secrets", "a"), json!({"metadata": {"name": "a"}}));
        assert_eq!((s.count("secrets"), s.count("configmaps")), (2, 1));
        s.remove(&key("secrets", "a"));
        s.remove(&key("secrets", "missing"));
        assert_eq!((s.count("secrets"), s.count("configmaps")), (1, 1));
        assert_eq!(s.count("leases"), 0);
    }
}
