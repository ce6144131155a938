//! The one way a SealedSecret's values are opened with a [`KeyRing`], in the CLI (`unseal`,
//! `edit`, offline `reencrypt`) and the controller (reconciles, `/v1/verify`, `/v1/rotate`).
//!
//! Values of one object are nearly always sealed with one key, so the opener tries a hinted
//! key first (the object's sealed-for fingerprint, or the key that opened it last time), then
//! the key that opened the previous value: one RSA private operation per value in the common
//! case. It counts every RSA operation, failed attempts included, because that is the unit
//! the controller charges and pads in; and it remembers which key opened each value, which is
//! how "already under the newest key" is decided.

use crate::{KeyRing, KeysError};
use sealant_crypto::{
    Fingerprint, Label, Plaintext,
    v2::{Header, OpenedHeader, RecipientKind},
};
use std::ops::Deref;

/// Opens values with the ring `R` (a `&KeyRing`, or an `Arc<KeyRing>` taken from a live key
/// store). Pass it to `sealant_api`'s operations as `&mut |l, s| opener.open(l, s)`.
#[derive(Debug)]
pub struct RingOpener<R> {
    ring: R,
    hint: Option<Fingerprint>,
    rsa_operations: usize,
    kem_operations: usize,
    opened_by: Vec<Fingerprint>,
}

impl<R: Deref<Target = KeyRing>> RingOpener<R> {
    /// `hint`: the key to try first (`None`: newest first).
    pub fn new(ring: R, hint: Option<Fingerprint>) -> Self {
        Self {
            ring,
            hint,
            rsa_operations: 0,
            kem_operations: 0,
            opened_by: Vec::new(),
        }
    }

    /// Open one sealed value (raw bytes) sealed for `label`.
    pub fn open(&mut self, label: &Label, sealed: &[u8]) -> Result<Plaintext, KeysError> {
        match self.ring.open(label, sealed, self.hint) {
            Ok(opened) => {
                self.rsa_operations += opened.attempts;
                self.hint = Some(opened.fingerprint);
                self.opened_by.push(opened.fingerprint);
                Ok(opened.plaintext)
            }
            Err(error) => {
                self.rsa_operations += match &error {
                    KeysError::NoKeyOpened { tried, .. } => *tried,
                    // At least the key that opened the RSA block.
                    KeysError::Corrupted { .. } => 1,
                    // Framing errors and an empty ring cost nothing.
                    _ => 0,
                };
                Err(error)
            }
        }
    }

    /// Unwrap an envelope v2 header with the held key its stanzas name (no hint needed: the
    /// header names its keys). One key operation, counted whether or not it succeeds; a
    /// header naming no held key costs nothing. `values` is how many values the header opens,
    /// recorded as opened by the unwrapping key (for "already current").
    pub fn open_v2_header(
        &mut self,
        header: &Header,
        values: usize,
    ) -> Result<OpenedHeader, KeysError> {
        if let Some(key) = self.ring.v2_key_for(header) {
            match key.id().kind {
                RecipientKind::Rsa => self.rsa_operations += 1,
                RecipientKind::XWing => self.kem_operations += 1,
            }
        }
        let opened = self.ring.open_v2_header(header)?;
        self.opened_by
            .extend(std::iter::repeat_n(opened.key_id, values));
        Ok(opened.header)
    }

    /// X-Wing decapsulations spent so far (v2 headers).
    pub fn kem_operations(&self) -> usize {
        self.kem_operations
    }

    /// RSA private operations spent so far, failed attempts included.
    pub fn rsa_operations(&self) -> usize {
        self.rsa_operations
    }

    /// The key that opened each value so far, in order.
    pub fn opened_by(&self) -> &[Fingerprint] {
        &self.opened_by
    }

    /// The key that opened the last value.
    pub fn last_opened(&self) -> Option<Fingerprint> {
        self.opened_by.last().copied()
    }

    /// At least one value was opened, and every one by `key`: with the newest key, the
    /// object is already current and re-encrypting it would change nothing.
    pub fn all_opened_by(&self, key: Fingerprint) -> bool {
        !self.opened_by.is_empty() && self.opened_by.iter().all(|fp| *fp == key)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{CertificateOptions, KeyEntry, self_signed_certificate, test_data};
    use sealant_crypto::{PrivateKey, Scope, seal};
    use time::macros::datetime;

    fn ring() -> KeyRing {
        let mut ring = KeyRing::new();
        for (key, year) in [(test_data::key_a(), 2024), (test_data::key_b(), 2025)] {
            let nb = datetime!(2024-01-01 0:00 UTC).replace_year(year).unwrap();
            let cert = self_signed_certificate(&key, &CertificateOptions::new(nb)).unwrap();
            ring.insert(KeyEntry::new(key, Some(cert)).unwrap());
        }
        ring
    }

    fn sealed(key: &PrivateKey, label: &Label) -> Vec<u8> {
        seal(key.public_key(), label, b"v").unwrap()
    }

    #[test]
    fn the_key_that_opened_one_value_is_tried_first_for_the_next() {
        let ring = ring();
        let label = Scope::Strict.label("ns", "name").unwrap();
        let old = test_data::key_a();
        let old_fp = old.public_key().fingerprint();
        let mut opener = RingOpener::new(&ring, None);
        // The newest key (b) is tried first and fails, then a opens: 2 operations.
        opener.open(&label, &sealed(&old, &label)).unwrap();
        assert_eq!(opener.rsa_operations(), 2);
        // Now a is the hint: 1 operation per value.
        opener.open(&label, &sealed(&old, &label)).unwrap();
        assert_eq!(opener.rsa_operations(), 3);
        assert!(opener.all_opened_by(old_fp));
        assert_eq!(opener.last_opened(), Some(old_fp));
    }

    #[test]
    fn failures_are_counted_and_nothing_opened_is_not_current() {
        let ring = ring();
        let label = Scope::Strict.label("ns", "name").unwrap();
        let other = Scope::Strict.label("ns", "other").unwrap();
        let newest = test_data::key_b();
        let mut opener = RingOpener::new(&ring, Some(newest.public_key().fingerprint()));
        // Sealed for another name: every key is tried, every try costs.
        assert!(opener.open(&label, &sealed(&newest, &other)).is_err());
        assert_eq!(opener.rsa_operations(), 2);
        assert!(!opener.all_opened_by(newest.public_key().fingerprint()));
        assert!(opener.opened_by().is_empty());
    }
}
