//! Offline re-encryption: open each value with the given private keys, using the object's
//! own top-level label (its SealedSecret scope, never the template's), and seal it again for
//! the same label with the new certificate's public key. No cluster is contacted.

use super::rotator::{Outcome, Rotator};
use crate::error::CliError;
use sealant_api::{Opener, SealedSecret};
use sealant_crypto::{Fingerprint, Label, Plaintext};
use sealant_keys::{Certificate, KeyRing, KeysError};

pub struct Offline {
    ring: KeyRing,
    cert: Certificate,
}

impl Offline {
    pub fn new(ring: KeyRing, cert: Certificate) -> Self {
        Self { ring, cert }
    }
}

/// Opens with the ring, trying the key that opened the previous value first (one RSA
/// private operation per value in the common case), and remembers which keys opened.
struct TrackingOpener<'a> {
    ring: &'a KeyRing,
    hint: Option<Fingerprint>,
    opened_by: Vec<Fingerprint>,
}

impl Opener for TrackingOpener<'_> {
    type Error = KeysError;

    fn open(&mut self, label: &Label, sealed: &[u8]) -> Result<Plaintext, Self::Error> {
        let opened = self.ring.open(label, sealed, self.hint)?;
        self.hint = Some(opened.fingerprint);
        self.opened_by.push(opened.fingerprint);
        Ok(opened.plaintext)
    }
}

impl Rotator for Offline {
    fn rotate(
        &mut self,
        _document: &serde_json::Value,
        sealed: &SealedSecret,
    ) -> Result<Outcome, CliError> {
        let mut opener = TrackingOpener {
            ring: &self.ring,
            hint: None,
            opened_by: Vec::new(),
        };
        match sealant_api::reencrypt(sealed, &mut opener, self.cert.public_key()) {
            Ok(_) if is_current(&opener.opened_by, self.cert.fingerprint()) => {
                Ok(Outcome::Rotated(Box::new(sealed.clone())))
            }
            Ok(rotated) => Ok(Outcome::Rotated(Box::new(rotated))),
            Err(e) => Ok(Outcome::Refused(e.to_string())),
        }
    }

    fn default_namespace(&self) -> Option<&str> {
        None
    }
}

/// Every value was already opened by the new key: nothing to do (as `/v1/rotate` answers).
fn is_current(opened_by: &[Fingerprint], newest: Fingerprint) -> bool {
    !opened_by.is_empty() && opened_by.iter().all(|fp| *fp == newest)
}
