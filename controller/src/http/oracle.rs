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
    pub reason: Rejection,
}

/// The placeholder object name when the body did not parse as a SealedSecret.
const UNPARSED: &str = "<unparsed body>";

/// Parse `body` as exactly one SealedSecret and make the checks that need no key: it has
/// data, not both kinds of data (checked when opening), and every template parses.
pub(super) fn parse_sealed(body: &[u8]) -> Result<SealedSecret, Refused> {
    let refused = |object: &str, reason| Refused {
        object: object.to_owned(),
        reason,
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
    let mut spent = 0;
    let outcome = parse_sealed(body).and_then(|ss| {
        let mut opener = RingOpener::new(ring, &ss);
        let result = op(&ss, &mut opener);
        spent = opener.rsa_operations;
        result.map_err(|reason| Refused {
            object: describe_meta(&ss.metadata),
            reason,
        })
    });
    if outcome.is_err() {
        pad_rsa_work(ring, spent);
    }
    outcome
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

/// Spend dummy private operations until `spent` reaches [`refusal_floor`].
fn pad_rsa_work(ring: &KeyRing, spent: usize) {
    let missing = refusal_floor(ring).saturating_sub(spent);
    let Some(size) = ring.newest().map(|e| e.key().public_key().size_bytes()) else {
        return;
    };
    // Sealed under one label and opened under another: a genuine OAEP label mismatch, so the
    // operation fails exactly where a wrong-label value fails (after the full modexp).
    let (Ok(sealed_for), Ok(opened_as)) = (
        Scope::Strict.label("sealant.invalid", "timing-pad"),
        Scope::ClusterWide.label("", ""),
    ) else {
        return;
    };
    let keys: Vec<_> = ring
        .iter()
        .filter(|e| e.key().public_key().size_bytes() == size)
        .collect();
    for entry in keys.iter().cycle().take(missing) {
        if let Ok(sealed) = sealant_crypto::seal(entry.key().public_key(), &sealed_for, b"") {
            let _ = std::hint::black_box(sealant_crypto::open(entry.key(), &opened_as, &sealed));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parse_refuses_what_cannot_be_one_sealed_secret() {
        let reason = |body: &[u8]| parse_sealed(body).unwrap_err().reason;
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
        assert!(matches!(refused.reason, Rejection::NoData));
        assert_eq!(refused.object, "n/s");
        let template = one.replace("spec: {", "spec: {template: {data: {x: \"{{ .k \"}}, ");
        assert!(matches!(
            reason(template.as_bytes()),
            Rejection::Template(_)
        ));
    }

    #[test]
    fn floor_counts_keys_of_the_sealing_size() {
        assert_eq!(refusal_floor(&KeyRing::new()), 0);
        // An empty ring must not loop or panic.
        pad_rsa_work(&KeyRing::new(), 0);
    }
}
