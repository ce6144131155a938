//! The shared core of `/v1/verify` and `/v1/rotate`: turning a request body into a checked
//! SealedSecret, opening it against the key ring, and making a refusal look like every other.
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

use sealant_api::{ApiError, Opener, SealedFor, SealedSecret, check_template, describe_meta};
use sealant_crypto::{Fingerprint, Label, Plaintext, Scope};
use sealant_keys::{KeyRing, KeysError};

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
    #[error("serializing the result failed: {0}")]
    Serialize(serde_json::Error),
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
    let docs = sealant_api::parse_bytes(body).map_err(|e| refused(UNPARSED, Rejection::Body(e)))?;
    let [doc] = docs.as_slice() else {
        return Err(refused(UNPARSED, Rejection::DocumentCount(docs.len())));
    };
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
    for (key, template) in &ss.spec.template.data {
        check_template(key, template).map_err(|e| refused(&object, Rejection::Template(e)))?;
    }
    Ok(ss)
}

/// Opens values against the ring, counting RSA private operations and remembering which
/// key opened each value.
pub(super) struct RingOpener<'r> {
    ring: &'r KeyRing,
    /// The object's sealed-for fingerprint at first, then the key that opened the last value
    /// (an object's values are nearly always sealed with one key).
    hint: Option<Fingerprint>,
    pub rsa_operations: usize,
    pub opened_by: Vec<Fingerprint>,
}

impl<'r> RingOpener<'r> {
    pub(super) fn new(ring: &'r KeyRing, ss: &SealedSecret) -> Self {
        let hint = ss
            .metadata
            .annotations
            .as_ref()
            .and_then(SealedFor::from_annotations)
            .and_then(Result::ok)
            .map(|h| h.fingerprint);
        Self {
            ring,
            hint,
            rsa_operations: 0,
            opened_by: Vec::new(),
        }
    }
}

impl Opener for RingOpener<'_> {
    type Error = KeysError;

    fn open(&mut self, label: &Label, sealed: &[u8]) -> Result<Plaintext, KeysError> {
        match self.ring.open(label, sealed, self.hint) {
            Ok(opened) => {
                self.rsa_operations += opened.attempts;
                self.hint = Some(opened.fingerprint);
                self.opened_by.push(opened.fingerprint);
                Ok(opened.plaintext)
            }
            Err(e) => {
                self.rsa_operations += match &e {
                    KeysError::NoKeyOpened { tried, .. } => *tried,
                    // At least the key that opened the RSA block; padding may add a few.
                    KeysError::Corrupted { .. } => 1,
                    // Framing errors and an empty ring cost nothing.
                    _ => 0,
                };
                Err(e)
            }
        }
    }
}

/// Parse `body`, then run `op` on the object with a counting opener; on any refusal, pad
/// the RSA work (see the module docs) before returning.
pub(super) fn guarded<T>(
    ring: &KeyRing,
    body: &[u8],
    op: impl FnOnce(&SealedSecret, &mut RingOpener<'_>) -> Result<T, Rejection>,
) -> Result<T, Refused> {
    let (outcome, spent) = counted(ring, body, op);
    if outcome.is_err() {
        pad_rsa_work(ring, spent);
    }
    outcome
}

/// [`guarded`] without the padding: the outcome and the RSA private operations it cost.
fn counted<T>(
    ring: &KeyRing,
    body: &[u8],
    op: impl FnOnce(&SealedSecret, &mut RingOpener<'_>) -> Result<T, Rejection>,
) -> (Result<T, Refused>, usize) {
    let ss = match parse_sealed(body) {
        Ok(ss) => ss,
        Err(refused) => return (Err(refused), 0),
    };
    let mut opener = RingOpener::new(ring, &ss);
    let outcome = op(&ss, &mut opener).map_err(|reason| Refused {
        object: describe_meta(&ss.metadata),
        reason: Box::new(reason),
    });
    (outcome, opener.rsa_operations)
}

/// RSA private operations a wrong-key refusal costs: one per key of the sealing key's size.
fn refusal_floor(ring: &KeyRing) -> usize {
    let Some(size) = ring.newest().map(|e| e.key().public_key().size_bytes()) else {
        return 0;
    };
    ring.iter()
        .filter(|e| e.key().public_key().size_bytes() == size)
        .count()
}

/// Spend dummy private operations until `spent` reaches [`refusal_floor`]; returns how many.
fn pad_rsa_work(ring: &KeyRing, spent: usize) -> usize {
    let missing = refusal_floor(ring).saturating_sub(spent);
    let Some(size) = ring.newest().map(|e| e.key().public_key().size_bytes()) else {
        return 0;
    };
    // Sealed under one label and opened under another: a genuine OAEP label mismatch, so the
    // operation fails exactly where a wrong-label value fails (after the full modexp).
    let (Ok(sealed_for), Ok(opened_as)) = (
        Scope::Strict.label("sealant.invalid", "timing-pad"),
        Scope::ClusterWide.label("", ""),
    ) else {
        return 0;
    };
    let keys: Vec<_> = ring
        .iter()
        .filter(|e| e.key().public_key().size_bytes() == size)
        .collect();
    let mut done = 0;
    for entry in keys.iter().cycle().take(missing) {
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
    fn ring() -> KeyRing {
        let mut ring = KeyRing::new();
        for (which, year) in [('a', 2024), ('c', 2026)] {
            let key = test_key(which);
            let not_before = time::Date::from_ordinal_date(year, 1)
                .unwrap()
                .midnight()
                .assume_utc();
            let options = sealant_keys::CertificateOptions::new(not_before);
            let cert = sealant_keys::self_signed_certificate(&key, &options).unwrap();
            ring.insert(sealant_keys::KeyEntry::new(key, Some(cert)).unwrap());
        }
        ring
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

    fn verify_cost(ring: &KeyRing, body: &[u8]) -> (bool, usize) {
        let (outcome, spent) = counted(ring, body, |ss, opener| {
            sealant_api::verify(ss, opener).map_err(Rejection::Unseal)
        });
        (outcome.is_ok(), spent)
    }

    #[test]
    fn refusals_are_padded_to_the_rsa_work_of_a_wrong_key() {
        let ring = ring();
        assert_eq!(refusal_floor(&ring), 2);

        // Opening: one operation per value with the newest key, then the hint helps too.
        assert_eq!(
            verify_cost(&ring, &body([sealed_by('c', "s"), sealed_by('c', "s")])),
            (true, 2)
        );
        assert_eq!(
            verify_cost(&ring, &body([sealed_by('a', "s"), sealed_by('a', "s")])),
            (true, 3)
        );

        // Wrong key and wrong label try every key: already at the floor, no padding.
        for wrong in [sealed_by('b', "s"), sealed_by('c', "other")] {
            let (ok, spent) = verify_cost(&ring, &body([wrong, sealed_by('c', "s")]));
            assert!(!ok);
            assert_eq!(spent, 2);
            assert_eq!(pad_rsa_work(&ring, spent), 0);
        }

        // Cheap refusals cost nothing by themselves and are padded to the floor.
        let other_size = [[0x02, 0x00].as_slice(), &[7u8; 512 + 16]].concat();
        for cheap in [
            b"garbage".to_vec(),
            body([vec![0, 9, 1], sealed_by('c', "s")]),
            body([other_size, sealed_by('c', "s")]),
        ] {
            assert_eq!(verify_cost(&ring, &cheap), (false, 0));
            assert_eq!(pad_rsa_work(&ring, 0), 2);
        }

        // An empty ring must not loop or panic.
        assert_eq!(refusal_floor(&KeyRing::new()), 0);
        assert_eq!(pad_rsa_work(&KeyRing::new(), 0), 0);
    }
}
