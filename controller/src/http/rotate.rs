//! `POST /v1/rotate`: the SealedSecret re-encrypted under the newest key, as JSON.
//!
//! Every value is re-sealed with exactly the label that decrypted it — the one built from
//! the top-level namespace, name and scope annotations — so scope annotations in the
//! template cannot widen it (CVE-2026-22728). Metadata, the template (metadata and `data`)
//! are kept as they are, templates are never rendered, status is dropped, and a
//! `sealant.dev/sealed-for` hint, when present, is updated to the newest key. An object whose
//! values all opened with the newest key already comes back with its spec byte for byte.
//!
//! Envelope v2 headers are re-wrapped instead: the stanza of the key that opened the header
//! moves to the newest key of the same kind (RSA, or the newest hybrid key); other
//! recipients (other clusters, an escrow key) and every value stay byte for byte.
//!
//! The HTTP side (limits, body, reply) is `endpoint.rs`; this is the work on a pool worker.

use super::oracle::{self, Refused, Rejection, RsaWork};
use sealant_api::{Rewrap, SealedSecret};
use sealant_crypto::{PublicKey, XWingPublicKey};

/// The pool-side work of a rotate request: the outcome (the rotated SealedSecret as JSON)
/// and the RSA operations it cost.
pub(super) fn rotate_parsed(
    work: &RsaWork<'_>,
    parsed: Result<SealedSecret, Refused>,
) -> (Result<Vec<u8>, Refused>, usize) {
    let (outcome, spent) = oracle::guarded(work, parsed, |ss, opener| {
        // A copy of the newest public key, so no key-store guard is held while the job
        // waits at a checkpoint.
        let (key, newest_fp, hybrid) = {
            let ring = work.keys().ring();
            let Some(newest) = ring.newest() else {
                return Err(Rejection::NoKey);
            };
            let key = PublicKey::from_spki_der(newest.key().public_key().spki_der())
                .map_err(Rejection::NewestKey)?;
            let hybrid: Option<XWingPublicKey> =
                ring.newest_hybrid().map(|e| e.key().public_key().clone());
            (key, newest.fingerprint(), hybrid)
        };
        let rewrap = Rewrap::Rotate {
            rsa: &key,
            hybrid: hybrid.as_ref(),
        };
        let resealed =
            sealant_api::reencrypt_with(ss, opener, &key, &rewrap).map_err(Rejection::Unseal)?;
        if !opener.all_opened_by(newest_fp) {
            return serde_json::to_vec(&resealed).map_err(Rejection::Serialize);
        }
        // Re-sealing draws fresh session keys, so it would change every ciphertext for
        // nothing and make GitOps diffs noisy: keep the spec of an up-to-date object byte for
        // byte. Only what reencrypt also does to metadata applies: status dropped, and a
        // sealed-for hint (if any) naming the newest key.
        let mut same = ss.clone();
        same.status = None;
        sealant_api::refresh_sealed_for(&mut same, &key);
        serde_json::to_vec(&same).map_err(Rejection::Serialize)
    });
    (outcome, spent)
}
