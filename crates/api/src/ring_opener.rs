//! The key ring as an [`Opener`]: v1 values through its hinted RSA opening, v2 headers through
//! the key their stanzas name. Callers pass `&mut RingOpener` to `unseal`, `verify` and
//! `reencrypt` directly.

use crate::Opener;
use sealant_crypto::{
    Label, Plaintext,
    v2::{Header, OpenedHeader},
};
use sealant_keys::{KeyRing, KeysError, RingOpener};
use std::ops::Deref;

impl<R: Deref<Target = KeyRing>> Opener for RingOpener<R> {
    type Error = KeysError;

    fn open(&mut self, label: &Label, sealed: &[u8]) -> Result<Plaintext, KeysError> {
        RingOpener::open(self, label, sealed)
    }

    fn open_v2_header(
        &mut self,
        header: &Header,
        values: usize,
    ) -> Result<Option<OpenedHeader>, KeysError> {
        match RingOpener::open_v2_header(self, header, values) {
            Ok(opened) => Ok(Some(opened)),
            Err(KeysError::V2NoHeldKey) => Ok(None),
            Err(other) => Err(other),
        }
    }
}
