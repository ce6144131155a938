//! The shared core of `/v1/verify`, `/v1/rotate` and `/v1/recipients`: turning a request
//! body into a checked SealedSecret, opening it against the key ring, and making a refusal
//! look like every other.
//!
//! Runs on an RSA pool thread (parsing a 1 MiB YAML body is CPU work too).
//!
//! # Timing shape
//!
//! Equalized: a refusal that spent fewer RSA private operations than a wrong-key/wrong-label
//! refusal of a current-size value (one per key of the newest key's size: every such key is
//! tried) is padded with dummy private operations up to that count. Unparseable bodies, bad
//! base64, malformed envelopes, values sealed for another key size, missing data, unusable
//! templates and label errors therefore cost the same RSA work as a wrong key or wrong label.
//! The dummy operation is a real OAEP decryption that fails at the label check, the same path
//! a wrong label takes.
//!
//! Not equalized: parse time (proportional to the body, which the client chose); the number
//! of values opened before the failing one (each value that opens costs one more operation,
//! which only tells the client what submitting those values alone would tell it through the
//! status); a value whose RSA block opened but whose AES-GCM data is corrupt (it needs the
//! right key and label, so it says nothing the 200 of the untampered value would not); waits
//! for a free pool worker under load. Templates are never rendered, so no timing depends on
//! what a template would print.
//!
//! # Envelope v2
//!
//! A v2 object costs one key operation per header, whatever its number of values: the
//! header's stanza names the held key, which unwraps the data key (an RSA private operation
//! or an X-Wing decapsulation, each counted and charged as one operation), and the values
//! then open with AES-GCM alone. Every v2 failure — no held key named, a header that does not
//! open, a value whose bound fields (scope, key name, template meaning) were changed — is the
//! same refusal as a v1 failure, padded to the same RSA floor. Not equalized: whether the
//! header opened before a value failed (one decapsulation or RSA operation in place of one
//! padding operation); that needs a genuine header naming this cluster's key, which says
//! nothing its recipients list does not already say, and never depends on plaintext.
//!
//! # Cost
//!
//! Every RSA private operation a request makes, padding included, is counted ([`guarded`]
//! returns the count) so the rate limit can charge it; before each one the job passes its
//! pool [`Checkpoint`](crate::rsa_pool::Checkpoint), where a waiting reconcile goes first.
//! The key ring is taken once per request as a snapshot (an `Arc`, not a lock), so nothing
//! on the key store is held while a job waits at a checkpoint.

use crate::{KeyStore, rsa_pool::Abandoned};
use sealant_api::{ApiError, Opener, SealedSecret, check_template, describe_meta};
use sealant_crypto::{
    Fingerprint, Label, Plaintext, Scope,
    v2::{Header, OpenedHeader},
};
use sealant_keys::{KeyRing, KeysError};
use std::sync::Arc;

/// Why a request was refused: logged at debug level, never sent to the client.
#[derive(Debug, thiserror::Error)]
pub(super) enum Rejection {
    #[error("the body is not a SealedSecret: {0}")]
    Body(ApiError),
    #[error("the body holds {0} documents; exactly one SealedSecret is accepted")]
    DocumentCount(usize),
    #[error("neither spec.encryptedData nor the legacy spec.data holds a value")]
    NoData,
    #[error("spec.template.data is unusable: {0}")]
    Template(ApiError),
    #[error("{0}")]
    Unseal(ApiError),
    #[error("the key ring is empty")]
    NoKey,
    #[error("not an envelope v2 object: only v2 headers have recipients")]
    NotV2,
    #[error("the newest public key could not be copied: {0}")]
    NewestKey(sealant_crypto::CryptoError),
    #[error("serializing the result failed: {0}")]
    Serialize(serde_json::Error),
    /// Not a refusal of the object: the client went away or the server is shutting down.
    #[error("the request was abandoned before its work was done")]
    Abandoned,
}

/// A refusal and the object it concerns (`namespace/name`, or a placeholder).
#[derive(Debug)]
pub(super) struct Refused {
    pub object: String,
    /// Boxed: `ApiError` is large and refusals are the cold path.
    pub reason: Box<Rejection>,
}

/// The placeholder object name when the body did not parse as a SealedSecret.
const UNPARSED: &str = "<unparsed body>";

/// Parse `body` as exactly one SealedSecret and make the checks that need no key: it has
/// data, not both kinds of data (checked when opening), and every template parses.
pub(super) fn parse_sealed(body: &[u8]) -> Result<SealedSecret, Refused> {
    let refused = |object: &str, reason| Refused {
        object: object.to_owned(),
        reason: Box::new(reason),
    };
    let doc = sealant_api::parse_bytes(body)
        .and_then(sealant_api::exactly_one)
        .map_err(|e| match e {
            ApiError::DocumentCount { found } => refused(UNPARSED, Rejection::DocumentCount(found)),
            other => refused(UNPARSED, Rejection::Body(other)),
        })?;
    let ss = doc
        .to_sealed_secret()
        .map_err(|e| refused(UNPARSED, Rejection::Body(e)))?;
    let object = describe_meta(&ss.metadata);
    let no_legacy = ss.spec.data.as_deref().is_none_or(str::is_empty);
    if ss.spec.encrypted_data.is_empty() && no_legacy {
        return Err(refused(&object, Rejection::NoData));
    }
    // Parsing depends only on the template text, never on plaintext, so refusing here leaks
    // nothing; a template that does not parse could never unseal.
    // A null template (Bitnami v0.40) only drops its key: nothing to parse.
    for (key, template) in &ss.spec.template.data {
        if let Some(template) = template {
            check_template(key, template).map_err(|e| refused(&object, Rejection::Template(e)))?;
        }
    }
    Ok(ss)
}

/// The sealed values of `ss`, each at least one RSA private operation to open: the
/// encrypted data entries, or the one legacy blob. (Both at once is refused when opening.)
pub(super) fn sealed_values(ss: &SealedSecret) -> usize {
    let legacy = ss.spec.data.as_deref().is_some_and(|d| !d.is_empty());
    ss.spec.encrypted_data.len() + usize::from(legacy)
}

/// What an HTTP job opens values with: the key store, and the pool checkpoint to pass
/// before each RSA operation.
pub(super) struct RsaWork<'a> {
    keys: &'a KeyStore,
    checkpoint: &'a dyn Fn() -> Result<(), Abandoned>,
}

impl<'a> RsaWork<'a> {
    pub(super) fn new(
        keys: &'a KeyStore,
        checkpoint: &'a dyn Fn() -> Result<(), Abandoned>,
    ) -> Self {
        Self { keys, checkpoint }
    }

    pub(super) fn keys(&self) -> &KeyStore {
        self.keys
    }
}

/// Why one value did not open.
#[derive(Debug, thiserror::Error)]
pub(super) enum OpenFailure {
    #[error(transparent)]
    Keys(#[from] KeysError),
    #[error(transparent)]
    Abandoned(#[from] Abandoned),
}

/// The ring's opener (hinted key first, RSA operations counted) behind the pool's
/// checkpoint: before each value the job yields to waiting reconciles, and stops if the
/// request was abandoned.
pub(super) struct RingOpener<'w> {
    work: &'w RsaWork<'w>,
    inner: sealant_keys::RingOpener<Arc<KeyRing>>,
    /// The request was abandoned at a checkpoint: stop, and pad nothing.
    abandoned: bool,
}

impl<'w> RingOpener<'w> {
    pub(super) fn new(work: &'w RsaWork<'w>, ss: &SealedSecret) -> Self {
        Self {
            work,
            inner: sealant_keys::RingOpener::new(work.keys.ring(), ss.sealed_for_fingerprint()),
            abandoned: false,
        }
    }

    /// Key operations spent, in the unit requests are charged in: RSA private operations,
    /// plus X-Wing decapsulations (v2 headers) counted as one each.
    pub(super) fn rsa_operations(&self) -> usize {
        self.inner.rsa_operations() + self.inner.kem_operations()
    }

    /// Every value opened with `key` (see [`sealant_keys::RingOpener::all_opened_by`]).
    pub(super) fn all_opened_by(&self, key: Fingerprint) -> bool {
        self.inner.all_opened_by(key)
    }
}

impl Opener for RingOpener<'_> {
    type Error = OpenFailure;

    fn open(&mut self, label: &Label, sealed: &[u8]) -> Result<Plaintext, OpenFailure> {
        if let Err(abandoned) = (self.work.checkpoint)() {
            self.abandoned = true;
            return Err(abandoned.into());
        }
        Ok(self.inner.open(label, sealed)?)
    }

    fn open_v2_header(
        &mut self,
        header: &Header,
        values: usize,
    ) -> Result<Option<OpenedHeader>, OpenFailure> {
        if let Err(abandoned) = (self.work.checkpoint)() {
            self.abandoned = true;
            return Err(abandoned.into());
        }
        match self.inner.open_v2_header(header, values) {
            Ok(opened) => Ok(Some(opened)),
            // No held key is a recipient: cost nothing, fail like any other value.
            Err(KeysError::V2NoHeldKey) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }
}

/// Run `op` on the parsed object with a counting opener; on any refusal, pad the RSA work
/// (see the module docs). Returns the outcome and the RSA private operations spent,
/// padding included.
pub(super) fn guarded<T>(
    work: &RsaWork<'_>,
    parsed: Result<SealedSecret, Refused>,
    op: impl FnOnce(&SealedSecret, &mut RingOpener<'_>) -> Result<T, Rejection>,
) -> (Result<T, Refused>, usize) {
    let (outcome, spent, abandoned) = counted(work, parsed, op);
    match outcome {
        // Whatever the opener's error became: the object was not refused, and an abandoned
        // request has nobody to time it.
        Err(refused) if abandoned => (
            Err(Refused {
                object: refused.object,
                reason: Box::new(Rejection::Abandoned),
            }),
            spent,
        ),
        Err(refused) => {
            let padded = pad_rsa_work(work, spent);
            (Err(refused), spent + padded)
        }
        Ok(done) => (Ok(done), spent),
    }
}

/// [`guarded`] without the padding: the outcome, the RSA private operations it cost, and
/// whether it was abandoned.
fn counted<T>(
    work: &RsaWork<'_>,
    parsed: Result<SealedSecret, Refused>,
    op: impl FnOnce(&SealedSecret, &mut RingOpener<'_>) -> Result<T, Rejection>,
) -> (Result<T, Refused>, usize, bool) {
    let ss = match parsed {
        Ok(ss) => ss,
        Err(refused) => return (Err(refused), 0, false),
    };
    let mut opener = RingOpener::new(work, &ss);
    let outcome = op(&ss, &mut opener).map_err(|reason| Refused {
        object: describe_meta(&ss.metadata),
        reason: Box::new(reason),
    });
    (outcome, opener.rsa_operations(), opener.abandoned)
}

/// The sealing key's size in bytes, and the keys of that size: a wrong-key refusal tries
/// each of them once.
fn sealing_size(ring: &KeyRing) -> Option<(usize, usize)> {
    let size = ring.newest()?.key().public_key().size_bytes();
    let keys = ring
        .iter()
        .filter(|e| e.key().public_key().size_bytes() == size)
        .count();
    Some((size, keys))
}

/// RSA private operations a wrong-key refusal costs: one per key of the sealing key's size.
fn refusal_floor(ring: &KeyRing) -> usize {
    sealing_size(ring).map_or(0, |(_, keys)| keys)
}

/// Spend dummy private operations until `spent` reaches [`refusal_floor`]; returns how many.
fn pad_rsa_work(work: &RsaWork<'_>, spent: usize) -> usize {
    let missing = refusal_floor(&work.keys.ring()).saturating_sub(spent);
    // Sealed under one label and opened under another: a genuine OAEP label mismatch, so the
    // operation fails exactly where a wrong-label value fails (after the full modexp).
    let (Ok(sealed_for), Ok(opened_as)) = (
        Scope::Strict.label("sealant.invalid", "timing-pad"),
        Scope::ClusterWide.label("", ""),
    ) else {
        return 0;
    };
    let mut done = 0;
    for round in 0..missing {
        if (work.checkpoint)().is_err() {
            break;
        }
        // Looked up per operation, as when opening (no guard held across a checkpoint).
        let ring = work.keys.ring();
        let Some((size, keys)) = sealing_size(&ring) else {
            break;
        };
        let Some(entry) = ring
            .iter()
            .filter(|e| e.key().public_key().size_bytes() == size)
            .nth(round % keys)
        else {
            break;
        };
        if let Ok(sealed) = sealant_crypto::seal(entry.key().public_key(), &sealed_for, b"") {
            let _ = std::hint::black_box(sealant_crypto::open(entry.key(), &opened_as, &sealed));
            done += 1;
        }
    }
    done
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parse_refuses_what_cannot_be_one_sealed_secret() {
        let reason = |body: &[u8]| *parse_sealed(body).unwrap_err().reason;
        assert!(matches!(reason(b"\0\xff"), Rejection::Body(_)));
        assert!(matches!(reason(b"{}"), Rejection::Body(_)));
        assert!(matches!(
            reason(b"kind: Secret\napiVersion: v1\nmetadata: {name: s}\n"),
            Rejection::Body(_)
        ));
        let one = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n\
                   metadata: {name: s, namespace: n}\nspec: {encryptedData: {k: AgA=}}\n";
        assert!(parse_sealed(one.as_bytes()).is_ok());
        assert!(matches!(
            reason(format!("{one}---\n{one}").as_bytes()),
            Rejection::DocumentCount(2)
        ));
        let empty = one.replace("{k: AgA=}", "{}");
        let refused = parse_sealed(empty.as_bytes()).unwrap_err();
        assert!(matches!(*refused.reason, Rejection::NoData));
        assert_eq!(refused.object, "n/s");
        let template = one.replace("spec: {", "spec: {template: {data: {x: \"{{ .k \"}}, ");
        assert!(matches!(
            reason(template.as_bytes()),
            Rejection::Template(_)
        ));
    }

    /// TEST-ONLY keys from the repository.
    fn test_key(which: char) -> sealant_crypto::PrivateKey {
        let pem: &[u8] = match which {
            'a' => include_bytes!("../../../keys/tests/data/test-only-rsa2048-a.pkcs1.pem"),
            'b' => include_bytes!("../../../keys/tests/data/test-only-rsa2048-b.pkcs8.pem"),
            _ => include_bytes!("../../../keys/tests/data/test-only-rsa2048-c.pkcs1.pem"),
        };
        sealant_keys::read_private_keys(pem).unwrap().remove(0).key
    }

    /// Keys a (2024) and c (2026) with certificates.
    fn store() -> KeyStore {
        let keys = KeyStore::new();
        for (which, year) in [('a', 2024), ('c', 2026)] {
            let key = test_key(which);
            let not_before = time::Date::from_ordinal_date(year, 1)
                .unwrap()
                .midnight()
                .assume_utc();
            let options = sealant_keys::CertificateOptions::new(not_before);
            let cert = sealant_keys::self_signed_certificate(&key, &options).unwrap();
            keys.apply(
                &format!("key-{which}"),
                sealant_keys::KeyEntry::new(key, Some(cert)).unwrap(),
            );
        }
        keys
    }

    /// A SealedSecret for n/s whose two values are `sealed` (raw bytes).
    fn body(values: [Vec<u8>; 2]) -> Vec<u8> {
        let [x, y] = values.map(|v| sealant_crypto::encode_base64(&v));
        serde_json::to_vec(&serde_json::json!({
            "apiVersion": "bitnami.com/v1alpha1",
            "kind": "SealedSecret",
            "metadata": {"name": "s", "namespace": "n"},
            "spec": {"encryptedData": {"x": x, "y": y}},
        }))
        .unwrap()
    }

    fn sealed_by(which: char, name: &str) -> Vec<u8> {
        let label = Scope::Strict.label("n", name).unwrap();
        sealant_crypto::seal(test_key(which).public_key(), &label, b"v").unwrap()
    }

    const NEVER_YIELD: &dyn Fn() -> Result<(), Abandoned> = &|| Ok(());

    fn verify_cost(keys: &KeyStore, body: &[u8]) -> (bool, usize) {
        let work = RsaWork::new(keys, NEVER_YIELD);
        let (outcome, spent, _) = counted(&work, parse_sealed(body), |ss, opener| {
            sealant_api::verify(ss, opener).map_err(Rejection::Unseal)
        });
        (outcome.is_ok(), spent)
    }

    #[test]
    fn refusals_are_padded_to_the_rsa_work_of_a_wrong_key() {
        let keys = store();
        let work = RsaWork::new(&keys, NEVER_YIELD);
        assert_eq!(refusal_floor(&keys.ring()), 2);

        // Opening: one operation per value with the newest key, then the hint helps too.
        assert_eq!(
            verify_cost(&keys, &body([sealed_by('c', "s"), sealed_by('c', "s")])),
            (true, 2)
        );
        assert_eq!(
            verify_cost(&keys, &body([sealed_by('a', "s"), sealed_by('a', "s")])),
            (true, 3)
        );

        // Wrong key and wrong label try every key: already at the floor, no padding.
        for wrong in [sealed_by('b', "s"), sealed_by('c', "other")] {
            let (ok, spent) = verify_cost(&keys, &body([wrong, sealed_by('c', "s")]));
            assert!(!ok);
            assert_eq!(spent, 2);
            assert_eq!(pad_rsa_work(&work, spent), 0);
        }

        // Cheap refusals cost nothing by themselves and are padded to the floor.
        let other_size = [[0x02, 0x00].as_slice(), &[7u8; 512 + 16]].concat();
        for cheap in [
            b"garbage".to_vec(),
            body([vec![0, 9, 1], sealed_by('c', "s")]),
            body([other_size, sealed_by('c', "s")]),
        ] {
            assert_eq!(verify_cost(&keys, &cheap), (false, 0));
            assert_eq!(pad_rsa_work(&work, 0), 2);
        }

        // `guarded` reports the padding with the work: what the rate limit charges.
        let (outcome, spent) = guarded(&work, parse_sealed(b"garbage"), |_, _| Ok(()));
        assert!(outcome.is_err());
        assert_eq!(spent, 2);

        // An empty ring must not loop or panic.
        let empty = KeyStore::new();
        assert_eq!(refusal_floor(&empty.ring()), 0);
        assert_eq!(pad_rsa_work(&RsaWork::new(&empty, NEVER_YIELD), 0), 0);
    }

    #[test]
    fn an_abandoned_request_stops_opening_and_is_not_padded() {
        let keys = store();
        let gone: &dyn Fn() -> Result<(), Abandoned> = &|| Err(Abandoned);
        let work = RsaWork::new(&keys, gone);
        let body = body([sealed_by('c', "s"), sealed_by('c', "s")]);
        let (outcome, spent) = guarded(&work, parse_sealed(&body), |ss, opener| {
            sealant_api::verify(ss, opener).map_err(Rejection::Unseal)
        });
        assert!(matches!(*outcome.unwrap_err().reason, Rejection::Abandoned));
        assert_eq!(spent, 0);
        assert_eq!(keys.rsa_operations(), 0);
    }

    #[test]
    fn values_are_the_encrypted_entries_or_the_legacy_blob() {
        let ss = parse_sealed(&body([sealed_by('c', "s"), sealed_by('c', "s")])).unwrap();
        assert_eq!(sealed_values(&ss), 2);
        let legacy = parse_sealed(
            b"apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n\
              metadata: {name: s, namespace: n}\nspec: {data: AgA=}\n",
        )
        .unwrap();
        assert_eq!(sealed_values(&legacy), 1);
    }
}
