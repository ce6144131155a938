//! `POST /v1/recipients`: an envelope v2 SealedSecret re-wrapped for exactly the recipients
//! the request names (`sealant reencrypt --update-recipients`, online).
//!
//! **Whose authority.** Wrapping a data key for a key is handing that key the plaintext, so
//! the recipients must be keys the cluster's administrator already trusts: the controller's
//! own (every RSA and hybrid key it holds) and those listed with `--allowed-recipients`.
//! The request names them by key id only; their public keys come from the controller's side,
//! never from the request, and never from the object (a stanza in a header is the writer's
//! claim: anyone can add a stanza naming their own key to somebody else's object). A request
//! naming any other key is refused with 403 before any key work, from the request alone.
//!
//! **Oracle rules.** The same as `/v1/rotate` ([`super::oracle`]): the header is opened
//! with a held key, every value must still open under its bound fields, and every failure of
//! the object is the one padded 409. The values stay byte for byte: they are bound to the
//! data key, not to who can unwrap it.

use super::oracle::{self, Refused, Rejection, RsaWork};
use crate::ControllerError;
use sealant_api::{Rewrap, SealedSecret, envelope_v2::is_v2_object};
use sealant_crypto::{Fingerprint, PublicKey, XWingPublicKey, v2::Recipient};
use sealant_keys::KeyRing;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

/// The most recipients one request may name: each costs a wrap (an RSA public operation
/// or an X-Wing encapsulation) and a stanza.
pub const MAX_RECIPIENTS: usize = 16;

/// A key `--allowed-recipients` lists.
#[derive(Debug)]
enum AllowedKey {
    Rsa(PublicKey),
    XWing(XWingPublicKey),
}

impl AllowedKey {
    fn recipient(&self) -> Recipient<'_> {
        match self {
            Self::Rsa(key) => Recipient::Rsa(key),
            Self::XWing(key) => Recipient::XWing(key),
        }
    }
}

/// The keys besides its own that this controller wraps data keys for (`--allowed-recipients`:
/// certificates and X-Wing public keys, one per file, or every file of a directory such as a
/// mounted ConfigMap).
#[derive(Debug, Default)]
pub struct AllowedRecipients {
    keys: Vec<AllowedKey>,
}

impl AllowedRecipients {
    /// Read every file `paths` name (a directory: its files, hidden ones and subdirectories
    /// aside, which a mounted ConfigMap has). An unreadable or unusable file fails start-up.
    pub fn load(paths: &[PathBuf]) -> Result<Self, ControllerError> {
        let mut keys = Vec::new();
        for path in paths {
            for file in files_of(path)? {
                keys.push(read_key(&file)?);
            }
        }
        Ok(Self { keys })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn config_error(path: &Path, reason: impl std::fmt::Display) -> ControllerError {
    ControllerError::Config(format!("--allowed-recipients {}: {reason}", path.display()))
}

fn files_of(path: &Path) -> Result<Vec<PathBuf>, ControllerError> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| config_error(path, e))? {
        let entry = entry.map_err(|e| config_error(path, e))?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        // `is_file` follows symlinks: a ConfigMap's keys are links into `..data/`.
        if !hidden && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

fn read_key(path: &Path) -> Result<AllowedKey, ControllerError> {
    let bytes = std::fs::read(path).map_err(|e| config_error(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    if text.contains("PRIVATE KEY-----") {
        return Err(config_error(
            path,
            "holds a private key; list public keys (a certificate or an X-Wing public key)",
        ));
    }
    if let Ok(key) = XWingPublicKey::from_pem(&text) {
        return Ok(AllowedKey::XWing(key));
    }
    // An allowed recipient's certificate may have expired: it names a key, it seals nothing
    // here by itself, so only its key is taken.
    let certificate = sealant_keys::parse_certificates(&bytes)
        .map_err(|e| config_error(path, e))?
        .into_iter()
        .next()
        .ok_or_else(|| config_error(path, "no certificate or X-Wing public key"))?;
    let key = PublicKey::from_spki_der(certificate.public_key().spki_der())
        .map_err(|e| config_error(path, e))?;
    Ok(AllowedKey::Rsa(key))
}

/// Why a request is refused before its object is looked at.
#[derive(Debug)]
pub(super) enum RequestRefusal {
    /// Not a recipients request (not JSON, unknown fields, an id that is not 64 hex digits,
    /// no recipient, too many, or one named twice).
    Malformed(&'static str),
    /// Key ids neither this controller's nor allowed: the ids, as hex.
    NotAllowed(Vec<String>),
}

/// A parsed request: the SealedSecret's bytes (checked later, as every object is) and the
/// key ids.
pub(super) struct Parsed {
    pub sealed_secret: Vec<u8>,
    pub recipients: Vec<Fingerprint>,
}

/// Parse the outer request. What is wrong here is wrong with the request, not the object.
pub(super) fn parse_request(body: &[u8]) -> Result<Parsed, RequestRefusal> {
    let request: sealant_api::contract::RecipientsRequest = serde_json::from_slice(body)
        .map_err(|_| RequestRefusal::Malformed("the body is not a recipients request"))?;
    if request.recipients.is_empty() || request.recipients.len() > MAX_RECIPIENTS {
        return Err(RequestRefusal::Malformed(
            "a request names 1 to 16 recipients",
        ));
    }
    let mut recipients = Vec::with_capacity(request.recipients.len());
    for id in &request.recipients {
        let whole = id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
        let id: Fingerprint =
            id.parse()
                .ok()
                .filter(|_| whole)
                .ok_or(RequestRefusal::Malformed(
                    "a recipient is a key id of 64 hex digits",
                ))?;
        if recipients.contains(&id) {
            return Err(RequestRefusal::Malformed("a recipient is named twice"));
        }
        recipients.push(id);
    }
    let sealed_secret = serde_json::to_vec(&request.sealed_secret)
        .map_err(|_| RequestRefusal::Malformed("the body is not a recipients request"))?;
    Ok(Parsed {
        sealed_secret,
        recipients,
    })
}

/// Where a requested key id was found.
enum Pick {
    /// One of this controller's RSA keys.
    OwnRsa(Fingerprint),
    /// One of this controller's hybrid keys.
    OwnXWing(Fingerprint),
    /// The `--allowed-recipients` key at this index.
    Allowed(usize),
}

/// The keys a request may wrap for, found by id; public keys stay where they are (the ring
/// snapshot, the allowed list).
pub(super) struct Resolved {
    ring: Arc<KeyRing>,
    allowed: Arc<AllowedRecipients>,
    picks: Vec<Pick>,
}

impl Resolved {
    fn recipients(&self) -> Vec<Recipient<'_>> {
        self.picks
            .iter()
            .filter_map(|pick| match pick {
                Pick::OwnRsa(id) => self
                    .ring
                    .find(id)
                    .map(|e| Recipient::Rsa(e.key().public_key())),
                Pick::OwnXWing(id) => self
                    .ring
                    .find_hybrid(id)
                    .map(|e| Recipient::XWing(e.key().public_key())),
                Pick::Allowed(i) => self.allowed.keys.get(*i).map(AllowedKey::recipient),
            })
            .collect()
    }
}

/// Find each of `ids` among this controller's keys (the `ring` snapshot) and `allowed`;
/// the ids found in neither are refused.
pub(super) fn resolve(
    ring: Arc<KeyRing>,
    allowed: Arc<AllowedRecipients>,
    ids: &[Fingerprint],
) -> Result<Resolved, RequestRefusal> {
    let mut picks = Vec::with_capacity(ids.len());
    let mut refused = Vec::new();
    for id in ids {
        let pick = if ring.find(id).is_some() {
            Some(Pick::OwnRsa(*id))
        } else if ring.find_hybrid(id).is_some() {
            Some(Pick::OwnXWing(*id))
        } else {
            allowed
                .keys
                .iter()
                .position(|k| k.recipient().id().key_id == *id)
                .map(Pick::Allowed)
        };
        match pick {
            Some(pick) => picks.push(pick),
            None => refused.push(id.to_hex()),
        }
    }
    if !refused.is_empty() {
        return Err(RequestRefusal::NotAllowed(refused));
    }
    Ok(Resolved {
        ring,
        allowed,
        picks,
    })
}

/// The pool-side work: the re-wrapped SealedSecret as JSON, or a refusal; and the RSA
/// operations it cost.
pub(super) fn recipients_parsed(
    work: &RsaWork<'_>,
    resolved: &Resolved,
    parsed: Result<SealedSecret, Refused>,
) -> (Result<Vec<u8>, Refused>, usize) {
    let to = resolved.recipients();
    oracle::guarded(work, parsed, |ss, opener| {
        if !is_v2_object(ss) {
            return Err(Rejection::NotV2);
        }
        // v1 values beside v2 ones are re-sealed for the newest RSA key, as `/v1/rotate`
        // would; a pure v2 object has none.
        let newest = {
            let ring = work.keys().ring();
            let newest = ring.newest().ok_or(Rejection::NoKey)?;
            PublicKey::from_spki_der(newest.key().public_key().spki_der())
                .map_err(Rejection::NewestKey)?
        };
        let rewrapped = sealant_api::reencrypt_with(ss, opener, &newest, &Rewrap::Recipients(&to))
            .map_err(Rejection::Unseal)?;
        serde_json::to_vec(&rewrapped).map_err(Rejection::Serialize)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sealant_crypto::XWingPrivateKey;

    #[test]
    fn allowed_recipients_refuse_private_keys_and_unusable_files_at_start_up() {
        let dir = tempfile::tempdir().unwrap();
        let key = XWingPrivateKey::generate().unwrap();
        let private = dir.path().join("escrow.key");
        std::fs::write(&private, key.to_pem().as_bytes()).unwrap();
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a key").unwrap();
        let missing = dir.path().join("missing.pem");
        for (path, says) in [
            (&private, "private key"),
            (&garbage, "garbage.pem"),
            (&missing, "missing.pem"),
        ] {
            let error = AllowedRecipients::load(std::slice::from_ref(path))
                .unwrap_err()
                .to_string();
            assert!(error.contains(says), "{error}");
            // The file's bytes are never echoed.
            assert!(!error.contains("not a key"), "{error}");
        }
        let public = dir.path().join("escrow.pem");
        std::fs::write(&public, key.public_key().to_pem()).unwrap();
        let allowed = AllowedRecipients::load(&[public]).unwrap();
        assert_eq!(allowed.len(), 1);
        assert_eq!(allowed.keys[0].recipient().id().key_id, key.key_id());
    }
}
