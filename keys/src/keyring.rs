//! The set of keys a controller (or an offline recovery) holds: every key opens, the newest
//! seals, and a fingerprint hint makes opening one RSA operation instead of one per key.

use crate::{Certificate, KeyMaterial, KeysError};
use sealant_crypto::{CryptoError, Envelope, Fingerprint, Label, Plaintext, PrivateKey};
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};
use time::OffsetDateTime;

/// One key, with its certificate when known (a bare key file has none).
#[derive(Debug)]
pub struct KeyEntry {
    key: PrivateKey,
    certificate: Option<Certificate>,
}

impl KeyEntry {
    /// Refuses a certificate for another key: the ring would otherwise advertise a
    /// certificate whose values it cannot open.
    pub fn new(key: PrivateKey, certificate: Option<Certificate>) -> Result<Self, KeysError> {
        if let Some(cert) = &certificate
            && !cert.matches(&key)
        {
            return Err(KeysError::CertificateMismatch {
                source_name: format!("key {}", key.fingerprint().short()),
            });
        }
        Ok(Self { key, certificate })
    }

    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.key.fingerprint()
    }

    /// The certificate's NotBefore: the key's age, as Bitnami orders keys.
    pub fn not_before(&self) -> Option<OffsetDateTime> {
        self.certificate.as_ref().map(Certificate::not_before)
    }
}

impl TryFrom<KeyMaterial> for KeyEntry {
    type Error = KeysError;

    fn try_from(m: KeyMaterial) -> Result<Self, KeysError> {
        Self::new(m.key, m.certificate).map_err(|e| match e {
            KeysError::CertificateMismatch { .. } => KeysError::CertificateMismatch {
                source_name: m.source,
            },
            other => other,
        })
    }
}

/// A successfully opened value and the key that opened it (to remember as the next hint).
#[derive(Debug)]
pub struct Opened {
    pub plaintext: Plaintext,
    pub fingerprint: Fingerprint,
    /// RSA private operations this call performed (1 when the hint or the newest key was right).
    pub attempts: usize,
}

/// Keys by fingerprint, kept ordered newest first.
///
/// A clone is cheap and shares the keys (no private-key copy) and the RSA-operation
/// counter: a controller builds each new key set as a clone plus one change and swaps it in
/// whole, while jobs still holding the old ring keep using it undisturbed.
#[derive(Debug, Default, Clone)]
pub struct KeyRing {
    /// Newest first: by certificate NotBefore, keys without a certificate last, ties by
    /// fingerprint so the order never depends on insertion order.
    entries: Vec<Arc<KeyEntry>>,
    rsa_operations: Arc<AtomicU64>,
    /// X-Wing keys, newest first (see `keyring_v2`): they open envelope v2 headers only.
    pub(crate) hybrid: Vec<Arc<crate::HybridEntry>>,
    pub(crate) kem_operations: Arc<AtomicU64>,
}

impl KeyRing {
    pub fn new() -> Self {
        Self::default()
    }

    /// A ring of every key read from files or Secrets.
    pub fn from_materials(
        materials: impl IntoIterator<Item = KeyMaterial>,
    ) -> Result<Self, KeysError> {
        let mut ring = Self::new();
        for m in materials {
            ring.insert(KeyEntry::try_from(m)?);
        }
        Ok(ring)
    }

    /// Add a key. Returns false when the key was already present; the existing entry is
    /// kept, but gains the certificate if it had none.
    pub fn insert(&mut self, entry: impl Into<Arc<KeyEntry>>) -> bool {
        let entry = entry.into();
        let fp = entry.fingerprint();
        if let Some(existing) = self.entries.iter_mut().find(|e| e.fingerprint() == fp) {
            if existing.certificate.is_none() && entry.certificate.is_some() {
                // Replaced, not mutated: clones of this ring keep the entry they had.
                *existing = entry;
                self.sort();
            }
            return false;
        }
        self.entries.push(entry);
        self.sort();
        true
    }

    /// Remove a key (its Secret was deleted).
    pub fn remove(&mut self, fingerprint: &Fingerprint) -> Option<Arc<KeyEntry>> {
        let index = self.position(fingerprint)?;
        Some(self.entries.remove(index))
    }

    fn sort(&mut self) {
        self.entries.sort_by(|a, b| {
            b.not_before()
                .cmp(&a.not_before())
                .then_with(|| a.fingerprint().cmp(&b.fingerprint()))
        });
    }

    pub(crate) fn count_rsa_operation(&self) {
        self.rsa_operations.fetch_add(1, Ordering::Relaxed);
    }

    fn position(&self, fingerprint: &Fingerprint) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.fingerprint() == *fingerprint)
    }

    /// The key that seals: newest certificate NotBefore.
    pub fn newest(&self) -> Option<&KeyEntry> {
        self.entries.first().map(|e| &**e)
    }

    pub fn find(&self, fingerprint: &Fingerprint) -> Option<&KeyEntry> {
        self.iter().find(|e| e.fingerprint() == *fingerprint)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Newest first.
    pub fn iter(&self) -> impl Iterator<Item = &KeyEntry> {
        self.entries.iter().map(|e| &**e)
    }

    /// Newest first.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        self.entries.iter().map(|e| e.fingerprint()).collect()
    }

    /// RSA private-key operations performed by [`KeyRing::open`] over this ring's lifetime.
    pub fn rsa_operations(&self) -> u64 {
        self.rsa_operations.load(Ordering::Relaxed)
    }

    /// Open a sealed value, trying the hinted key, then the newest, then the rest newest
    /// first, and stopping at the first that opens. Bitnami tries every key in random
    /// order; with a correct hint this is exactly one RSA operation.
    ///
    /// Framing errors fail before any key is tried, and keys whose modulus does not match
    /// the envelope's RSA block are skipped without an RSA operation.
    pub fn open(
        &self,
        label: &Label,
        sealed: &[u8],
        hint: Option<Fingerprint>,
    ) -> Result<Opened, KeysError> {
        let envelope = Envelope::parse(sealed)?;
        if self.entries.is_empty() {
            return Err(KeysError::EmptyKeyRing);
        }
        let hinted = hint.and_then(|fp| self.position(&fp));
        let order = hinted
            .into_iter()
            .chain((0..self.entries.len()).filter(|i| Some(*i) != hinted));

        let mut tried = Vec::new();
        let mut skipped = 0usize;
        for index in order {
            let entry = &self.entries[index];
            if entry.key.public_key().size_bytes() != envelope.rsa_len() {
                skipped += 1;
                continue;
            }
            self.rsa_operations.fetch_add(1, Ordering::Relaxed);
            tried.push(entry.fingerprint());
            match sealant_crypto::open(&entry.key, label, sealed) {
                Ok(plaintext) => {
                    return Ok(Opened {
                        plaintext,
                        fingerprint: entry.fingerprint(),
                        attempts: tried.len(),
                    });
                }
                // Wrong key or wrong label: the next key may be right.
                Err(CryptoError::Decrypt) => {}
                // OAEP succeeded, so this was the right key: no other key can do better.
                Err(CryptoError::Integrity) => {
                    return Err(KeysError::Corrupted {
                        fingerprint: entry.fingerprint().short(),
                    });
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(KeysError::NoKeyOpened {
            tried: tried.len(),
            fingerprints: tried
                .iter()
                .map(Fingerprint::short)
                .collect::<Vec<_>>()
                .join(", "),
            skipped_note: if skipped == 0 {
                String::new()
            } else {
                format!(
                    "; skipped {skipped} key(s) of another size (the value was sealed for a \
                     {}-bit key)",
                    envelope.rsa_len() * 8
                )
            },
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::{CertificateOptions, self_signed_certificate, test_data};
    use sealant_crypto::{Scope, seal};
    use time::macros::datetime;

    fn entry(key: PrivateKey, not_before: Option<OffsetDateTime>) -> KeyEntry {
        let cert = not_before
            .map(|nb| self_signed_certificate(&key, &CertificateOptions::new(nb)).unwrap());
        KeyEntry::new(key, cert).unwrap()
    }

    /// a (2024, oldest), b (2025), c (2026, newest).
    fn ring_of_three() -> KeyRing {
        let mut ring = KeyRing::new();
        // Inserted out of order on purpose.
        assert!(ring.insert(entry(
            test_data::key_b(),
            Some(datetime!(2025-01-01 0:00 UTC))
        )));
        assert!(ring.insert(entry(
            test_data::key_c(),
            Some(datetime!(2026-01-01 0:00 UTC))
        )));
        assert!(ring.insert(entry(
            test_data::key_a(),
            Some(datetime!(2024-01-01 0:00 UTC))
        )));
        ring
    }

    #[test]
    fn newest_is_by_not_before_and_bare_keys_sort_oldest() {
        let mut ring = ring_of_three();
        assert_eq!(
            ring.newest().unwrap().fingerprint(),
            test_data::key_c().fingerprint()
        );
        let order = ring.fingerprints();
        assert_eq!(
            order,
            [
                test_data::key_c().fingerprint(),
                test_data::key_b().fingerprint(),
                test_data::key_a().fingerprint()
            ]
        );
        let removed = ring.remove(&test_data::key_c().fingerprint()).unwrap();
        assert_eq!(removed.fingerprint(), test_data::key_c().fingerprint());
        // A key with no certificate never becomes the sealing key while others have one.
        assert!(ring.insert(entry(test_data::key_c(), None)));
        assert_eq!(
            ring.newest().unwrap().fingerprint(),
            test_data::key_b().fingerprint()
        );
        assert_eq!(
            ring.fingerprints().last(),
            Some(&test_data::key_c().fingerprint())
        );
    }

    #[test]
    fn same_key_twice_keeps_one_and_gains_a_certificate() {
        let mut ring = KeyRing::new();
        assert!(ring.insert(entry(test_data::key_a(), None)));
        assert!(!ring.insert(entry(test_data::key_a(), None)));
        assert!(!ring.insert(entry(
            test_data::key_a(),
            Some(datetime!(2026-01-01 0:00 UTC))
        )));
        assert_eq!(ring.len(), 1);
        assert!(ring.newest().unwrap().certificate().is_some());
        assert!(ring.find(&test_data::key_a().fingerprint()).is_some());
        assert!(ring.find(&test_data::key_b().fingerprint()).is_none());
    }

    #[test]
    fn certificate_of_another_key_is_refused() {
        let cert = self_signed_certificate(
            &test_data::key_a(),
            &CertificateOptions::new(datetime!(2026-01-01 0:00 UTC)),
        )
        .unwrap();
        assert!(matches!(
            KeyEntry::new(test_data::key_b(), Some(cert)),
            Err(KeysError::CertificateMismatch { .. })
        ));
    }

    #[test]
    fn a_clone_changes_alone_but_counts_rsa_work_with_the_original() {
        let original = ring_of_three();
        let mut next = original.clone();
        next.remove(&test_data::key_c().fingerprint()).unwrap();
        assert!(next.insert(entry(test_data::key_4096(), None)));
        // The original (a job still holding it) is untouched by the clone's changes.
        assert_eq!(original.len(), 3);
        assert!(original.find(&test_data::key_c().fingerprint()).is_some());
        assert!(
            original
                .find(&test_data::key_4096().fingerprint())
                .is_none()
        );
        assert_eq!(next.len(), 3);

        // Work done through either ring is counted once, in both.
        let label = Scope::Strict.label("ns", "app").unwrap();
        let sealed = seal(test_data::key_a().public_key(), &label, b"x").unwrap();
        let hint = Some(test_data::key_a().fingerprint());
        original.open(&label, &sealed, hint).unwrap();
        next.open(&label, &sealed, hint).unwrap();
        assert_eq!(original.rsa_operations(), 2);
        assert_eq!(next.rsa_operations(), 2);
    }

    #[test]
    fn hint_makes_an_old_key_one_rsa_operation() {
        let ring = ring_of_three();
        let label = Scope::Strict.label("ns", "app").unwrap();
        let old = test_data::key_a();
        let sealed = seal(old.public_key(), &label, b"s3cret").unwrap();

        let before = ring.rsa_operations();
        let opened = ring.open(&label, &sealed, Some(old.fingerprint())).unwrap();
        assert_eq!(opened.plaintext.as_bytes(), b"s3cret");
        assert_eq!(opened.fingerprint, old.fingerprint());
        assert_eq!(opened.attempts, 1);
        assert_eq!(ring.rsa_operations() - before, 1);

        // Without a hint: newest (c), then b, then a.
        let opened = ring.open(&label, &sealed, None).unwrap();
        assert_eq!(opened.attempts, 3);
        assert_eq!(ring.rsa_operations() - before, 4);

        // A wrong hint costs one extra operation, never more.
        let opened = ring
            .open(&label, &sealed, Some(test_data::key_b().fingerprint()))
            .unwrap();
        assert_eq!(opened.attempts, 3);
        // An unknown hint is ignored.
        let unknown = test_data::key_4096().fingerprint();
        assert_eq!(
            ring.open(&label, &sealed, Some(unknown)).unwrap().attempts,
            3
        );
    }

    #[test]
    fn newest_key_opens_in_one_operation_without_a_hint() {
        let ring = ring_of_three();
        let label = Scope::ClusterWide.label("", "").unwrap();
        let sealed = seal(ring.newest().unwrap().key().public_key(), &label, b"x").unwrap();
        assert_eq!(ring.open(&label, &sealed, None).unwrap().attempts, 1);
    }

    #[test]
    fn no_key_opens_error_names_fingerprints_not_values() {
        let ring = ring_of_three();
        let sealed_for = Scope::Strict
            .label("team-secret-ns", "db-password")
            .unwrap();
        let sealed = seal(
            test_data::key_a().public_key(),
            &sealed_for,
            b"hunter2-plaintext",
        )
        .unwrap();
        let wrong = Scope::Strict.label("other-ns", "db-password").unwrap();
        let before = ring.rsa_operations();
        let err = ring.open(&wrong, &sealed, None).unwrap_err();
        assert_eq!(ring.rsa_operations() - before, 3);
        let msg = err.to_string();
        assert!(msg.contains("tried 3 key(s)"), "{msg}");
        for fp in ring.fingerprints() {
            assert!(msg.contains(&fp.short()), "{msg}");
        }
        for secret in ["hunter2", "team-secret-ns", "other-ns", "db-password"] {
            assert!(!msg.contains(secret), "{msg}");
        }
    }

    #[test]
    fn framing_and_size_mismatches_cost_no_rsa_operation() {
        let ring = ring_of_three();
        let label = Scope::ClusterWide.label("", "").unwrap();
        let err = ring.open(&label, &[0, 9, 1], None).unwrap_err();
        assert!(matches!(
            err,
            KeysError::Crypto(CryptoError::TruncatedEnvelope { .. })
        ));

        // Sealed for a 4096-bit key: every 2048-bit key is skipped without an RSA operation.
        let sealed = seal(test_data::key_4096().public_key(), &label, b"x").unwrap();
        let err = ring.open(&label, &sealed, None).unwrap_err();
        assert_eq!(ring.rsa_operations(), 0);
        let msg = err.to_string();
        assert!(
            msg.contains("tried 0 key(s)") && msg.contains("4096-bit"),
            "{msg}"
        );

        assert!(matches!(
            KeyRing::new().open(&label, &sealed, None),
            Err(KeysError::EmptyKeyRing)
        ));
    }

    #[test]
    fn corrupted_value_stops_at_the_right_key() {
        let ring = ring_of_three();
        let label = Scope::ClusterWide.label("", "").unwrap();
        let mut sealed = seal(test_data::key_b().public_key(), &label, b"value").unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        let err = ring.open(&label, &sealed, None).unwrap_err();
        assert!(matches!(err, KeysError::Corrupted { .. }), "{err}");
        assert!(
            err.to_string()
                .contains(&test_data::key_b().fingerprint().short())
        );
    }

    #[test]
    fn from_materials_and_debug_is_redacted() {
        let materials = crate::read_private_keys(
            &[
                test_data::RSA_A_PKCS1,
                test_data::RSA_A_CRT,
                test_data::RSA_B_PKCS8,
            ]
            .concat(),
        )
        .unwrap();
        let ring = KeyRing::from_materials(materials).unwrap();
        assert_eq!(ring.len(), 2);
        assert!(!ring.is_empty());
        assert_eq!(
            ring.newest().unwrap().fingerprint(),
            test_data::key_a().fingerprint()
        );
        let shown = format!("{ring:?}");
        assert!(shown.contains("redacted"), "{shown}");
        assert!(!shown.contains("MII"), "{shown}");
        assert!(
            !shown
                .chars()
                .collect::<Vec<_>>()
                .windows(40)
                .any(|w| w.iter().all(char::is_ascii_alphanumeric)),
            "{shown}"
        );
    }
}
