//! What the SealedSecret cache keeps of each object, and the full object when work is due.
//!
//! **The problem** (issue 18): the reflector kept every SealedSecret whole, ciphertexts
//! included (~2 KiB of base64 per 3 RSA-4096 values, more with `kubectl apply`'s
//! last-applied annotation, which repeats them), so memory grew with the cluster until the
//! Deployment's limit killed the controller.
//!
//! **The design.** Before an object enters the cache, [`slim`] records its sealed digest
//! (computed from the whole object, exactly as the generated Secret records it) and drops
//! what only decryption needs: `encryptedData` and `template.data` whole (keys included:
//! each map costs a 544-byte B-tree node however few keys it has), the legacy `spec.data`
//! blob, `managedFields` and the last-applied annotations. Everything a reconcile decides
//! on without decrypting stays: uid, generation, resourceVersion, scope and hint
//! annotations, template metadata, type, status. A reconcile that finds the Secret current
//! (every restart, every pass after our own writes) needs nothing more; one that must
//! decrypt, or check a `patch` Secret's seal over the keys the object defines, reads the
//! whole object once ([`full`]) and works on that.
//!
//! The digest lives on the cached copy in `metadata.selfLink`, a field API servers stopped
//! serving in Kubernetes 1.20 and that clients cannot set, so it holds nothing else: [`slim`]
//! overwrites whatever an older server sent, [`full`] clears it on what it reads, and only a
//! digest reads as one. It is kept as base64 of its 32 bytes (a 48-byte allocation; the
//! `sha256:<hex>` text takes 80). An annotation did the same job before, but an object
//! without annotations then carried a 640-byte map node for it alone (~32 MiB at 50,000
//! objects, issue 18).
//!
//! An event that schedules decryption (a new object, or a new generation) parks what
//! [`slim`] removed in [`super::pending`] for its reconcile, so the common case reads
//! nothing back; see that module for the bound.

use super::pending::SpecParts;
use crate::{Context, ControllerError, error::ApiCall};
use kube::{
    Api,
    runtime::{
        reflector::{ObjectRef, Store},
        watcher,
    },
};
use sealant_api::{SealedSecret, annotations::LAST_APPLIED_ANNOTATIONS, digest::sealed_digest};
use sealant_crypto::{decode_base64, encode_base64};
use std::sync::Arc;

/// Stands in for a non-empty legacy `spec.data` blob: its presence decides how a Secret is
/// checked and written, its bytes only decryption needs.
const LEGACY_DATA_PLACEHOLDER: &str = "-";

/// Reduce `ss` to what reconcile decisions need, recording its digest first. Returns what
/// was removed that decryption needs.
pub fn slim(ss: &mut SealedSecret) -> SpecParts {
    let digest = packed(sealed_digest(ss));
    strip(ss, digest)
}

/// [`slim`] with the digest known: `packed`, as the cache stores it.
fn strip(ss: &mut SealedSecret, packed_digest: String) -> SpecParts {
    let legacy_data = match ss.spec.data.as_mut() {
        Some(data) if !data.is_empty() => {
            Some(std::mem::replace(data, LEGACY_DATA_PLACEHOLDER.to_owned()))
        }
        _ => None,
    };
    let parts = SpecParts {
        encrypted_data: std::mem::take(&mut ss.spec.encrypted_data),
        template_data: std::mem::take(&mut ss.spec.template.data),
        legacy_data,
    };
    ss.metadata.managed_fields = None;
    if let Some(annotations) = ss.metadata.annotations.as_mut() {
        for name in LAST_APPLIED_ANNOTATIONS {
            annotations.remove(name);
        }
    }
    ss.metadata.self_link = Some(packed_digest);
    parts
}

/// The digest recorded on `previous` (a cached copy), when `current` is the same object at
/// the same generation with the same annotations: then every input of [`sealed_digest`] is
/// the same (the API server bumps `metadata.generation` on every change of the spec; the
/// scope and write-mode annotations are the rest), and hashing the whole object again would
/// only repeat it. Every status write the controller makes comes back as such an event.
/// `None` when anything differs, or without a generation to trust.
fn reusable_digest(previous: &SealedSecret, current: &SealedSecret) -> Option<String> {
    let stored = previous.metadata.self_link.as_ref()?;
    (same_digest_inputs(previous, current) && unpacked(stored).is_some()).then(|| stored.clone())
}

/// See [`reusable_digest`].
fn same_digest_inputs(previous: &SealedSecret, current: &SealedSecret) -> bool {
    previous.metadata.uid == current.metadata.uid
        && previous.metadata.generation.is_some()
        && previous.metadata.generation == current.metadata.generation
        && digest_annotations(previous).eq(digest_annotations(current))
}

/// The annotations a cached copy keeps: all but the last-applied ones [`slim`] drops.
fn digest_annotations(ss: &SealedSecret) -> impl Iterator<Item = (&String, &String)> {
    ss.metadata
        .annotations
        .iter()
        .flatten()
        .filter(|(name, _)| !LAST_APPLIED_ANNOTATIONS.contains(&name.as_str()))
}

/// [`slim`] the object a watch event carries, and say whether it is news: whether the
/// object must be reconciled. When the event schedules decryption, its parts are parked for
/// the reconcile in `ctx.pending`; otherwise they are dropped:
/// - a live event (`Apply`) schedules it when the cache has no copy of this object at this
///   generation (new, or a changed spec); a status write or a label change does not;
/// - an object of a (re)list (`InitApply`) only when, besides, its Secret surely does not
///   exist yet (see `secret_names`): after a restart every object is listed again and
///   almost all are current, and parking them all would only raise the peak memory.
///
/// Call it before the event reaches the cache, which then still holds the previous copy.
pub fn slim_event(
    event: &mut watcher::Event<SealedSecret>,
    cache: &Store<SealedSecret>,
    ctx: &Context,
) -> bool {
    let (ss, from_list) = match event {
        watcher::Event::Apply(ss) => (ss, false),
        watcher::Event::InitApply(ss) => (ss, true),
        watcher::Event::Delete(ss) => {
            drop(slim(ss));
            return false;
        }
        watcher::Event::Init | watcher::Event::InitDone => return false,
    };
    let previous = cache.get(&ObjectRef::from_obj(ss));
    let parts = match previous.as_deref().and_then(|p| reusable_digest(p, ss)) {
        Some(digest) => strip(ss, digest),
        None => slim(ss),
    };
    let new_spec = previous.as_ref().is_none_or(|p| {
        p.metadata.uid != ss.metadata.uid || p.metadata.generation != ss.metadata.generation
    });
    let secret_missing = || {
        ctx.secret_names
            .surely_absent(ss.namespace_str(), ss.name_str())
    };
    if new_spec && (!from_list || secret_missing()) {
        ctx.pending.park(ss, parts);
    }
    new_spec || previous.is_some_and(|p| !same_decision_inputs(&p, ss))
}

/// Whether two cached copies of one object at one generation reconcile alike. A change of
/// status alone (ours, written at the end of every reconcile) is no news; labels and
/// annotations are (the scope, the `managed` and `patch` annotations, the labels the
/// Secret inherits), and a new spec bumps the generation. The sealed digest covers nothing
/// that these miss.
fn same_decision_inputs(previous: &SealedSecret, current: &SealedSecret) -> bool {
    previous.metadata.labels == current.metadata.labels
        && previous.metadata.annotations == current.metadata.annotations
}

/// The cached copy's recorded digest; `None` for a whole object.
pub fn cached_digest(ss: &SealedSecret) -> Option<String> {
    unpacked(ss.metadata.self_link.as_deref()?)
}

/// How every sealed digest starts.
const DIGEST_PREFIX: &str = "sha256:";

/// `sha256:<64 hex>` as base64 of its 32 bytes. Anything else (there is nothing else: see
/// `sealed_digest`) is kept as it is, so a digest is never lost.
fn packed(digest: String) -> String {
    let bytes = digest
        .strip_prefix(DIGEST_PREFIX)
        .and_then(|hex_digits| hex::decode(hex_digits).ok());
    match bytes {
        Some(bytes) if bytes.len() == 32 => encode_base64(&bytes),
        _ => digest,
    }
}

/// The digest [`packed`] stored. An old API server's selfLink (`/apis/bitnami.com/...`) is
/// neither form: its dots are not base64, and it does not start with `sha256:`.
fn unpacked(stored: &str) -> Option<String> {
    if stored.starts_with(DIGEST_PREFIX) {
        return Some(stored.to_owned());
    }
    let bytes = decode_base64(stored).ok()?;
    (bytes.len() == 32).then(|| format!("{DIGEST_PREFIX}{}", hex::encode(bytes)))
}

/// The sealed digest of the object `ss` stands for, cached or whole.
pub fn digest_of(ss: &SealedSecret) -> String {
    cached_digest(ss).unwrap_or_else(|| sealed_digest(ss))
}

/// The whole object behind a cached copy, and its sealed digest.
pub struct Whole {
    pub object: Arc<SealedSecret>,
    pub digest: String,
}

/// The whole object behind `ss`: itself when it is whole, its parked parts put back when
/// they are this very version, else read from the API server. `None` when it is gone, or
/// was deleted and created again (the new one comes through the watch and is reconciled on
/// its own).
pub async fn full(ctx: &Context, ss: &Arc<SealedSecret>) -> Result<Option<Whole>, ControllerError> {
    let Some(digest) = cached_digest(ss) else {
        return Ok(Some(Whole {
            object: ss.clone(),
            digest: sealed_digest(ss),
        }));
    };
    if let Some(mut whole) = ctx.pending.restore(ss) {
        // The same version as the cached copy, so the same digest; the field itself
        // belongs to the cache only.
        whole.metadata.self_link = None;
        return Ok(Some(Whole {
            object: Arc::new(whole),
            digest,
        }));
    }
    let api: Api<SealedSecret> = Api::namespaced(ctx.client.clone(), ss.namespace_str());
    let read = api
        .get_opt(ss.name_str())
        .await
        .map_err(|source| ControllerError::Api {
            call: ApiCall::ReadSealedSecret,
            object: ss.describe(),
            source,
        })?;
    Ok(read
        .filter(|whole| whole.metadata.uid == ss.metadata.uid)
        .map(|mut whole| {
            // An API server older than 1.20 serves a selfLink; this copy is whole.
            whole.metadata.self_link = None;
            whole
        })
        .map(|whole| Whole {
            // Read back at the cached copy's generation: its digest, not a rehash.
            digest: if same_digest_inputs(ss, &whole) {
                digest
            } else {
                sealed_digest(&whole)
            },
            object: Arc::new(whole),
        }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kube::ResourceExt;
    use std::collections::BTreeMap;

    fn whole() -> SealedSecret {
        let mut ss = SealedSecret::new("db", Default::default());
        ss.metadata.namespace = Some("app".to_owned());
        ss.metadata.uid = Some("u1".to_owned());
        ss.spec
            .encrypted_data
            .insert("password".to_owned(), "AgBciphertext".repeat(50));
        ss.spec
            .template
            .data
            .insert("dsn".to_owned(), Some("{{ .password }}".to_owned()));
        ss.spec.template.data.insert("dropped".to_owned(), None);
        ss.metadata.annotations = Some(BTreeMap::from([
            (LAST_APPLIED_ANNOTATIONS[0].to_owned(), "{...}".to_owned()),
            (
                sealant_api::annotations::NAMESPACE_WIDE.to_owned(),
                "true".to_owned(),
            ),
        ]));
        ss
    }

    #[test]
    fn the_cached_copy_keeps_the_whole_digest_and_every_decision_input() {
        let original = whole();
        let mut cached = original.clone();
        let parts = slim(&mut cached);
        assert_eq!(digest_of(&cached), sealed_digest(&original));
        let mut restored = cached.clone();
        parts.restore_into(&mut restored);
        restored.metadata.self_link = None;
        assert_eq!(sealed_digest(&restored), sealed_digest(&original));
        assert_eq!(digest_of(&original), sealed_digest(&original));
        assert!(cached.spec.encrypted_data.is_empty());
        assert!(cached.spec.template.data.is_empty());
        assert_eq!(cached.scope(), original.scope());
        assert!(
            !cached
                .annotations()
                .contains_key(LAST_APPLIED_ANNOTATIONS[0])
        );
    }

    /// A cached copy at generation 1, and the whole object it came from.
    fn cached_at_generation_one() -> (SealedSecret, SealedSecret) {
        let mut original = whole();
        original.metadata.generation = Some(1);
        let mut cached = original.clone();
        drop(slim(&mut cached));
        (cached, original)
    }

    #[test]
    fn a_status_echo_reuses_the_cached_digest() {
        let (cached, original) = cached_at_generation_one();
        let mut echo = original;
        echo.status = Some(Default::default());
        echo.metadata.resource_version = Some("2".to_owned());
        echo.metadata.annotations.as_mut().unwrap().insert(
            LAST_APPLIED_ANNOTATIONS[0].to_owned(),
            "{changed}".to_owned(),
        );
        // Proof that nothing is rehashed: a spec the server would have given generation 2
        // still reads as the cached digest at generation 1.
        echo.spec.encrypted_data.clear();
        assert_eq!(reusable_digest(&cached, &echo), cached.metadata.self_link);
    }

    #[test]
    fn a_new_generation_uid_or_annotation_is_hashed_again() {
        let (cached, original) = cached_at_generation_one();
        let mut changes: Vec<(&str, SealedSecret)> = Vec::new();
        let mut next = original.clone();
        next.metadata.generation = Some(2);
        changes.push(("generation", next));
        let mut recreated = original.clone();
        recreated.metadata.uid = Some("u2".to_owned());
        changes.push(("uid", recreated));
        let mut rescoped = original.clone();
        rescoped.metadata.annotations.as_mut().unwrap().insert(
            sealant_api::annotations::CLUSTER_WIDE.to_owned(),
            "true".to_owned(),
        );
        changes.push(("annotation", rescoped));
        let mut unversioned = original;
        unversioned.metadata.generation = None;
        changes.push(("no generation", unversioned));
        for (what, changed) in &changes {
            assert_eq!(reusable_digest(&cached, changed), None, "{what}");
        }
        let (mut cached, original) = cached_at_generation_one();
        cached.metadata.generation = None;
        assert_eq!(
            reusable_digest(&cached, &original),
            None,
            "cached without generation"
        );
    }

    #[test]
    fn a_served_self_link_is_overwritten_and_never_read_as_a_digest() {
        let mut served = whole();
        served.metadata.self_link = Some("/apis/bitnami.com/v1alpha1/x".to_owned());
        assert_eq!(cached_digest(&served), None);
        assert_eq!(digest_of(&served), sealed_digest(&served));
        let mut forged = whole();
        forged.metadata.self_link = Some("sha256:forged".to_owned());
        let expected = {
            let mut clean = whole();
            drop(slim(&mut clean));
            digest_of(&clean)
        };
        drop(slim(&mut forged));
        assert_eq!(digest_of(&forged), expected);
    }

    #[test]
    fn an_object_without_annotations_gets_no_annotation_map() {
        let mut bare = SealedSecret::new("db", Default::default());
        bare.metadata.namespace = Some("app".to_owned());
        let expected = sealed_digest(&bare);
        drop(slim(&mut bare));
        assert_eq!(bare.metadata.annotations, None);
        assert_eq!(bare.metadata.self_link.as_ref().map(String::len), Some(44));
        assert_eq!(cached_digest(&bare), Some(expected));
    }

    #[test]
    fn a_legacy_blob_stays_visible_but_not_its_bytes() {
        let mut ss = whole();
        ss.spec.data = Some("AgBlegacy".repeat(40));
        let parts = slim(&mut ss);
        assert_eq!(ss.spec.data.as_deref(), Some(LEGACY_DATA_PLACEHOLDER));
        assert_eq!(parts.legacy_data, Some("AgBlegacy".repeat(40)));
    }
}
