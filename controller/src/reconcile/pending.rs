//! The ciphertexts of objects whose work is due, kept from their watch event so that the
//! reconcile does not read the object again.
//!
//! **Why.** The cache keeps a reduced copy of each SealedSecret (see [`super::cached`]), so
//! a reconcile that must decrypt used to read the whole object back from the API server:
//! one request per new or changed object that the watch had just delivered in full.
//!
//! **What is kept.** When a watch event brings an object the cache has not seen at this
//! generation (new, or a changed spec; in a list after a start, only one whose Secret
//! surely does not exist yet), the parts [`slim`] removes are parked here under the object's uid and resourceVersion instead of being
//! dropped. The reconcile takes them back ([`Pending::restore`]) only when its cached copy
//! is exactly that version; anything else reads the object as before.
//!
//! **Bounded.** At most [`PENDING_BUDGET_BYTES`] are parked; past it an event's parts are
//! dropped as before and its reconcile reads the object. Each reconcile forgets its
//! object's entry when it ends, whatever it did, and every parked entry came from an event
//! that schedules a reconcile (its generation changed or it was new), so nothing stays
//! parked: at rest the map is empty.
//!
//! [`slim`]: super::cached::slim

use crate::sync::lock;
use kube::runtime::reflector::ObjectRef;
use sealant_api::SealedSecret;
use std::{
    collections::{BTreeMap, HashMap},
    sync::Mutex,
};

/// How many bytes of ciphertext may wait for their reconciles. A cold start parks the
/// first objects of its list up to this much (a few thousand typical objects) and reads
/// the rest; steady-state changes, a few at a time, always fit.
pub const PENDING_BUDGET_BYTES: usize = 4 << 20;

/// What a map entry costs beyond its strings: a rough B-tree share, so that many tiny
/// values are not counted as free.
const PER_ENTRY_OVERHEAD: usize = 48;

/// What [`super::cached::slim`] removes from an object: everything only decryption needs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SpecParts {
    pub encrypted_data: BTreeMap<String, String>,
    pub template_data: BTreeMap<String, Option<String>>,
    /// The legacy `spec.data` blob, when the object had a non-empty one.
    pub legacy_data: Option<String>,
}

impl SpecParts {
    fn bytes(&self) -> usize {
        let encrypted: usize = self
            .encrypted_data
            .iter()
            .map(|(k, v)| k.len() + v.len() + PER_ENTRY_OVERHEAD)
            .sum();
        let template: usize = self
            .template_data
            .iter()
            .map(|(k, v)| k.len() + v.as_ref().map_or(0, String::len) + PER_ENTRY_OVERHEAD)
            .sum();
        encrypted + template + self.legacy_data.as_ref().map_or(0, String::len)
    }

    /// Put the parts back on a reduced copy.
    pub fn restore_into(self, ss: &mut SealedSecret) {
        ss.spec.encrypted_data = self.encrypted_data;
        ss.spec.template.data = self.template_data;
        if self.legacy_data.is_some() {
            ss.spec.data = self.legacy_data;
        }
    }
}

struct Entry {
    uid: Option<String>,
    version: Option<String>,
    parts: SpecParts,
    bytes: usize,
}

#[derive(Default)]
struct Parked {
    entries: HashMap<ObjectRef<SealedSecret>, Entry>,
    bytes: usize,
}

impl Parked {
    fn remove(&mut self, object: &ObjectRef<SealedSecret>) -> Option<Entry> {
        let entry = self.entries.remove(object)?;
        self.bytes -= entry.bytes;
        Some(entry)
    }
}

/// The parked parts, by object (see the module docs).
#[derive(Default)]
pub struct Pending {
    parked: Mutex<Parked>,
}

impl Pending {
    fn lock(&self) -> std::sync::MutexGuard<'_, Parked> {
        // Every critical section is a single map operation, so a poisoned map is still whole.
        lock(&self.parked)
    }

    /// Park `parts` of `ss` (already reduced) for its reconcile. Returns false, dropping
    /// them, when the budget has no room.
    pub fn park(&self, ss: &SealedSecret, parts: SpecParts) -> bool {
        let object = ObjectRef::from_obj(ss);
        let bytes = parts.bytes();
        let mut parked = self.lock();
        // A newer event replaces what an older one parked.
        parked.remove(&object);
        if parked.bytes + bytes > PENDING_BUDGET_BYTES {
            return false;
        }
        parked.bytes += bytes;
        parked.entries.insert(
            object,
            Entry {
                uid: ss.metadata.uid.clone(),
                version: ss.metadata.resource_version.clone(),
                parts,
                bytes,
            },
        );
        true
    }

    /// The whole object behind the reduced copy `ss`, when its parts are parked for exactly
    /// this uid and resourceVersion. The entry is used up either way.
    pub fn restore(&self, ss: &SealedSecret) -> Option<SealedSecret> {
        let entry = self.lock().remove(&ObjectRef::from_obj(ss))?;
        let same = entry.uid.is_some()
            && entry.uid == ss.metadata.uid
            && entry.version.is_some()
            && entry.version == ss.metadata.resource_version;
        same.then(|| {
            let mut whole = ss.clone();
            entry.parts.restore_into(&mut whole);
            whole
        })
    }

    /// The object's reconcile has ended, or the object is gone.
    pub fn forget(&self, object: &ObjectRef<SealedSecret>) {
        self.lock().remove(object);
    }

    /// A new leadership term, or a scope stopped: nothing parked is wanted any more.
    pub fn clear(&self) {
        *self.lock() = Parked::default();
    }

    /// Bytes parked now (tests and the memory reasoning above).
    pub fn parked_bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn reduced(version: &str) -> SealedSecret {
        let mut ss = SealedSecret::new("db", Default::default());
        ss.metadata.namespace = Some("app".to_owned());
        ss.metadata.uid = Some("u1".to_owned());
        ss.metadata.resource_version = Some(version.to_owned());
        ss
    }

    fn parts(size: usize) -> SpecParts {
        SpecParts {
            encrypted_data: BTreeMap::from([("password".to_owned(), "A".repeat(size))]),
            ..SpecParts::default()
        }
    }

    #[test]
    fn parts_come_back_only_for_the_version_they_were_parked_for() {
        let pending = Pending::default();
        assert!(pending.park(&reduced("5"), parts(10)));
        assert_eq!(pending.restore(&reduced("6")), None);
        // Used up by the mismatch: a later look reads the object.
        assert_eq!(pending.restore(&reduced("5")), None);

        assert!(pending.park(&reduced("6"), parts(10)));
        let whole = pending.restore(&reduced("6")).unwrap();
        assert_eq!(whole.spec.encrypted_data, parts(10).encrypted_data);
        assert_eq!(pending.parked_bytes(), 0);
    }

    #[test]
    fn an_object_created_again_under_the_same_name_does_not_get_the_old_parts() {
        let pending = Pending::default();
        assert!(pending.park(&reduced("5"), parts(10)));
        let mut again = reduced("5");
        again.metadata.uid = Some("u2".to_owned());
        assert_eq!(pending.restore(&again), None);
    }

    #[test]
    fn the_budget_bounds_what_is_parked_and_forgetting_frees_it() {
        let pending = Pending::default();
        let big = PENDING_BUDGET_BYTES / 2;
        let mut first = reduced("1");
        first.metadata.name = Some("a".to_owned());
        let mut second = reduced("1");
        second.metadata.name = Some("b".to_owned());
        assert!(pending.park(&first, parts(big)));
        assert!(!pending.park(&second, parts(big)));
        assert!(pending.parked_bytes() <= PENDING_BUDGET_BYTES);
        pending.forget(&ObjectRef::from_obj(&first));
        assert_eq!(pending.parked_bytes(), 0);
        assert!(pending.park(&second, parts(big)));
        // A newer event for the same object replaces, never adds.
        assert!(pending.park(&second, parts(big)));
        assert!(pending.parked_bytes() < PENDING_BUDGET_BYTES);
    }
}
