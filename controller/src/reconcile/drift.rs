//! Drift: a generated Secret changed by anyone but the controller, while it runs or while
//! none runs (an upgrade, a crash loop, a change of leader).
//!
//! **The problem.** An unchanged SealedSecret costs no RSA work because its Secret carries
//! the digest of the sealed input it was made from. The digest says nothing about the data,
//! though: someone with `update secrets` can change the data and keep the annotation. While
//! the controller runs it sees such a write as a resourceVersion it did not produce. After a
//! start it has no memory of what it wrote, and Bitnami's answer (decrypt everything) costs
//! one RSA operation per value of every object.
//!
//! **The design: a keyed seal on the data, carried by the Secret.**
//! * Every write puts [`DATA_MAC`] on the Secret: HMAC-SHA-256 over the namespace, the name,
//!   the sealed digest, the fingerprint of the key that opened the values, and the data the
//!   controller wrote. The MAC key is derived from that private key
//!   (HMAC-SHA-256(PKCS#8 DER of the key, a fixed label)), so it exists only where the
//!   private key does.
//! * Whenever the Secret's resourceVersion is not one this controller wrote or verified in
//!   its current term (always at first sight after a start), the reconcile reads the Secret
//!   once, recomputes the tag and compares the template's labels and annotations. If all
//!   hold, the Secret is what the controller wrote: its resourceVersion becomes the baseline
//!   (no RSA work, no write). If not, the Secret is restored from the SealedSecret and a
//!   Warning Event says so.
//!
//! **Why not a plain hash of the data.** Anyone who can read a Secret's metadata (for example
//! a metadata-only `list`) could test guesses of a weak value against it. The tag can only be
//! computed or checked with the private key.
//!
//! **Why not the resourceVersion in the SealedSecret's status.** Anyone allowed to
//! `patch sealedsecrets/status` could bless their own edit of the Secret, the status has no
//! field for it in Bitnami's schema, and a backup restore (which changes every
//! resourceVersion) would turn the next start into a full decrypt. The tag survives a restore.
//!
//! **Why the key that opened the values.** It stays in the ring across key renewals (new keys
//! seal, old keys still open), so a renewal does not turn restarts into full decrypts. A
//! Secret whose key is gone cannot be checked and is unsealed again, which it would need
//! anyway.
//!
//! **What is covered.** The data the controller wrote: all of it, except for `patch` Secrets,
//! where only the keys the SealedSecret defines are covered (the others belong to someone
//! else; a legacy `spec.data` object's keys are unknown without decrypting, so such a Secret
//! is unsealed again at first sight). The template's labels and
//! annotations, compared as they are (they are not secret). Type and immutability cannot
//! change after creation. Labels or annotations other tools add are left alone.
//! A Secret without a tag (written before this existed) is rewritten once, quietly.

use hmac::{Hmac, KeyInit, Mac};
use k8s_openapi::api::core::v1::Secret;
use sealant_api::SealedSecret;
use sealant_crypto::{Fingerprint, PrivateKey, XWingPrivateKey};
use sha2::Sha256;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// The keyed seal on a generated Secret's data (see the module documentation).
pub const DATA_MAC: &str = "sealant.dev/data-mac";

/// Tag format version: a change rewrites every Secret once, quietly.
const TAG_PREFIX: &str = "v1:";
/// What the MAC key is derived for; no other use of the private key shares it.
const KEY_LABEL: &[u8] = b"sealant.dev/data-mac key v1";

type HmacSha256 = Hmac<Sha256>;

/// A MAC key derived from one private key. Deliberately not `Debug`.
#[derive(Clone)]
pub struct MacKey(Zeroizing<Vec<u8>>);

impl MacKey {
    /// Derive the MAC key of `key`; `None` if the key cannot be encoded (never in practice).
    pub fn derive(key: &PrivateKey) -> Option<Self> {
        let der = key.to_pkcs8_der().ok()?;
        let mut mac = HmacSha256::new_from_slice(&der).ok()?;
        mac.update(KEY_LABEL);
        Some(Self(Zeroizing::new(mac.finalize().into_bytes().to_vec())))
    }

    /// Derive the MAC key of a hybrid (X-Wing) key, from its seed: a v2 object opened by a
    /// hybrid key is sealed and checked like any other, so a restart finds it current at no
    /// key operation. (The seed is the whole private key, as the PKCS#8 DER is for RSA.)
    pub fn derive_hybrid(key: &XWingPrivateKey) -> Option<Self> {
        let mut mac = HmacSha256::new_from_slice(key.seed()).ok()?;
        mac.update(KEY_LABEL);
        Some(Self(Zeroizing::new(mac.finalize().into_bytes().to_vec())))
    }

    fn mac(&self) -> Option<HmacSha256> {
        HmacSha256::new_from_slice(&self.0).ok()
    }
}

/// What one seal covers besides the data.
pub struct Subject<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub digest: &'a str,
    pub key: Fingerprint,
}

/// The tag for `data` (the covered keys and their values) of `subject`.
pub fn tag<'a>(
    key: &MacKey,
    subject: &Subject<'_>,
    data: impl Iterator<Item = (&'a str, Option<&'a [u8]>)>,
) -> Option<String> {
    let mut mac = key.mac()?;
    let mut field = |bytes: &[u8]| {
        mac.update(&(bytes.len() as u64).to_be_bytes());
        mac.update(bytes);
    };
    field(subject.namespace.as_bytes());
    field(subject.name.as_bytes());
    field(subject.digest.as_bytes());
    field(subject.key.to_hex().as_bytes());
    for (name, value) in data {
        field(name.as_bytes());
        // A covered key that is missing differs from one that is present and empty.
        match value {
            Some(v) => {
                field(b"+");
                field(v);
            }
            None => field(b"-"),
        }
    }
    Some(format!(
        "{TAG_PREFIX}{}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

/// Seal the Secret about to be written: its data is exactly what the controller writes.
pub fn seal_written(target: &mut Secret, key: &MacKey, subject: &Subject<'_>) {
    let data = target.data.get_or_insert_with(BTreeMap::new);
    let tag = tag(
        key,
        subject,
        data.iter().map(|(k, v)| (k.as_str(), Some(v.0.as_slice()))),
    );
    if let Some(tag) = tag {
        target
            .metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(DATA_MAC.to_owned(), tag);
    }
}

/// What a look at a generated Secret's data found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seal {
    /// Data and template metadata are what the controller wrote.
    Intact,
    /// Cannot be told: no tag (written by an older controller), or a legacy `spec.data`
    /// Secret in `patch` mode (its keys are unknown without decrypting). Rewritten quietly.
    Unverifiable,
    /// Changed by someone else (or the tag's key is gone). Restored, with an Event.
    Broken,
}

/// Check `secret` (read with its data) against the seal the controller put on it.
/// `merged`: the Secret is a `patch` Secret, of which only the SealedSecret's keys count.
pub fn check(
    ss: &SealedSecret,
    secret: &Secret,
    key: Option<&MacKey>,
    subject: &Subject<'_>,
    merged: bool,
) -> Seal {
    let annotations = secret.metadata.annotations.as_ref();
    let Some(recorded) = annotations.and_then(|a| a.get(DATA_MAC)) else {
        return Seal::Unverifiable;
    };
    let Some(key) = key else {
        return Seal::Broken;
    };
    let empty = BTreeMap::new();
    let data = secret.data.as_ref().unwrap_or(&empty);
    let expected = match merged.then(|| covered_keys(ss)) {
        Some(None) => return Seal::Unverifiable,
        Some(Some(keys)) => tag(
            key,
            subject,
            keys.iter()
                .map(|k| (k.as_str(), data.get(k).map(|v| v.0.as_slice()))),
        ),
        None => tag(
            key,
            subject,
            data.iter().map(|(k, v)| (k.as_str(), Some(v.0.as_slice()))),
        ),
    };
    // Tags are public (they sit on the Secret), so comparing them in variable time leaks
    // nothing an observer could not read anyway.
    if expected.as_deref() != Some(recorded.as_str()) || !template_metadata_applied(ss, secret) {
        return Seal::Broken;
    }
    Seal::Intact
}

/// The data keys the SealedSecret defines, known without decrypting; `None` for the legacy
/// `spec.data` blob, whose keys are inside the ciphertext. A key whose template is `null`
/// is not written (Bitnami v0.40, #1871), so in a merged Secret it is someone else's.
fn covered_keys(ss: &SealedSecret) -> Option<Vec<String>> {
    if ss.spec.data.as_deref().is_some_and(|d| !d.is_empty()) {
        return None;
    }
    let template = &ss.spec.template.data;
    let mut keys: Vec<String> = ss
        .spec
        .encrypted_data
        .keys()
        .chain(template.keys())
        .filter(|k| !matches!(template.get(*k), Some(None)))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    Some(keys)
}

/// The template's labels and annotations are on the Secret as the template has them. (The
/// legacy blob carries its own metadata, unknown without decrypting.)
fn template_metadata_applied(ss: &SealedSecret, secret: &Secret) -> bool {
    if ss.spec.data.as_deref().is_some_and(|d| !d.is_empty()) {
        return true;
    }
    let contains = |wanted: Option<&BTreeMap<String, String>>,
                    found: Option<&BTreeMap<String, String>>| {
        wanted
            .into_iter()
            .flatten()
            .all(|(k, v)| found.and_then(|f| f.get(k)) == Some(v))
    };
    let template = &ss.spec.template.metadata;
    contains(template.labels.as_ref(), secret.metadata.labels.as_ref())
        && contains(
            template.annotations.as_ref(),
            secret.metadata.annotations.as_ref(),
        )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    const TEST_KEY: &[u8] =
        include_bytes!("../../../keys/tests/data/test-only-rsa2048-a.pkcs1.pem");

    fn key() -> (MacKey, Fingerprint) {
        let private = sealant_keys::read_private_keys(TEST_KEY)
            .unwrap()
            .remove(0)
            .key;
        (MacKey::derive(&private).unwrap(), private.fingerprint())
    }

    fn sealed() -> SealedSecret {
        let mut ss = SealedSecret::new("db", Default::default());
        ss.metadata.namespace = Some("app".to_owned());
        ss.spec
            .encrypted_data
            .insert("password".to_owned(), "AgB...".to_owned());
        ss.spec.template.metadata.labels = Some(BTreeMap::from([("tier".into(), "db".into())]));
        ss
    }

    /// The subject the tests seal: app/db at digest `sha256:1`, opened by `key`.
    fn app_db(key: Fingerprint) -> Subject<'static> {
        Subject {
            namespace: "app",
            name: "db",
            digest: "sha256:1",
            key,
        }
    }

    fn written(mac: &MacKey, subject: &Subject<'_>) -> Secret {
        let mut secret = Secret::default();
        secret.metadata.labels = Some(BTreeMap::from([("tier".into(), "db".into())]));
        secret.data = Some(BTreeMap::from([(
            "password".to_owned(),
            ByteString(b"s3cret".to_vec()),
        )]));
        seal_written(&mut secret, mac, subject);
        secret
    }

    #[test]
    fn an_untouched_secret_is_intact_and_every_edit_breaks_the_seal() {
        let (mac, fp) = key();
        let ss = sealed();
        let subject = app_db(fp);
        let secret = written(&mac, &subject);
        assert_eq!(
            check(&ss, &secret, Some(&mac), &subject, false),
            Seal::Intact
        );
        assert_eq!(
            check(&ss, &secret, Some(&mac), &subject, true),
            Seal::Intact
        );

        let mut edited = secret.clone();
        edited.data.as_mut().unwrap().get_mut("password").unwrap().0 = b"hacked".to_vec();
        assert_eq!(
            check(&ss, &edited, Some(&mac), &subject, false),
            Seal::Broken
        );

        // An added key breaks a replaced Secret, not a merged one (it is someone else's).
        let mut added = secret.clone();
        added
            .data
            .as_mut()
            .unwrap()
            .insert("extra".to_owned(), ByteString(b"x".to_vec()));
        assert_eq!(
            check(&ss, &added, Some(&mac), &subject, false),
            Seal::Broken
        );
        assert_eq!(check(&ss, &added, Some(&mac), &subject, true), Seal::Intact);

        let mut relabelled = secret.clone();
        relabelled.metadata.labels = None;
        assert_eq!(
            check(&ss, &relabelled, Some(&mac), &subject, false),
            Seal::Broken
        );

        // The tag is bound to the object and the input it was made from.
        let other = Subject {
            name: "db2",
            ..subject
        };
        assert_eq!(check(&ss, &secret, Some(&mac), &other, false), Seal::Broken);
        let newer = Subject {
            digest: "sha256:2",
            ..subject
        };
        assert_eq!(check(&ss, &secret, Some(&mac), &newer, false), Seal::Broken);

        // Without the key nothing can be vouched for; without a tag it predates tags.
        assert_eq!(check(&ss, &secret, None, &subject, false), Seal::Broken);
        let mut untagged = secret.clone();
        untagged
            .metadata
            .annotations
            .as_mut()
            .unwrap()
            .remove(DATA_MAC);
        assert_eq!(
            check(&ss, &untagged, Some(&mac), &subject, false),
            Seal::Unverifiable
        );
    }

    #[test]
    fn the_tag_is_not_a_hash_of_the_data() {
        let (mac, fp) = key();
        let subject = app_db(fp);
        let secret = written(&mac, &subject);
        let tag = &secret.metadata.annotations.unwrap()[DATA_MAC];
        let plain = hex::encode(<Sha256 as sha2::Digest>::digest(b"s3cret"));
        assert!(!tag.contains(&plain));
        // Another key gives another tag for the same data.
        let other_private = sealant_keys::read_private_keys(include_bytes!(
            "../../../keys/tests/data/test-only-rsa2048-c.pkcs1.pem"
        ))
        .unwrap()
        .remove(0)
        .key;
        let other = MacKey::derive(&other_private).unwrap();
        let again = written(&other, &subject);
        assert_ne!(&again.metadata.annotations.unwrap()[DATA_MAC], tag);
    }
}
