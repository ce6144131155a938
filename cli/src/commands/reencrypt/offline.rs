//! Offline re-encryption: open each value with the given private keys, using the object's
//! own top-level label (its SealedSecret scope, never the template's), and seal it again for
//! the same label with the new certificate's public key. No cluster is contacted.

use super::rotator::{Outcome, Rotator};
use crate::error::CliError;
use sealant_api::SealedSecret;
use sealant_keys::{Certificate, KeyRing, RingOpener};

pub struct Offline {
    ring: KeyRing,
    cert: Certificate,
}

impl Offline {
    pub fn new(ring: KeyRing, cert: Certificate) -> Self {
        Self { ring, cert }
    }
}

impl Rotator for Offline {
    fn rotate(
        &mut self,
        _document: &serde_json::Value,
        sealed: &SealedSecret,
    ) -> Result<Outcome, CliError> {
        let mut opener = RingOpener::new(&self.ring, sealed.sealed_for_fingerprint());
        let rotated = sealant_api::reencrypt(sealed, &mut opener, self.cert.public_key());
        match rotated {
            // Every value was already opened by the new key: nothing to do (as `/v1/rotate`
            // answers).
            Ok(_) if opener.all_opened_by(self.cert.fingerprint()) => {
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
