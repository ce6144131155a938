//! Sealing: one data key, wrapped once per recipient, then any number of values under it.

use super::binding::Binding;
use super::data_key::DataKey;
use super::format::{HeaderId, MAX_STANZAS, NONCE_LEN};
use super::header::Header;
use super::recipient::Recipient;
use super::value::{SealedValue, to_v2_string};
use crate::{Backend, CryptoError};
use aes_gcm::{Aes256Gcm, Key, KeyInit, Nonce, aead::AeadInOut};
use rand::Rng;
use std::collections::HashSet;

/// One seal: its header is written once; [`Sealer::seal`] encrypts each value.
pub struct Sealer {
    header: Header,
    cipher: Aes256Gcm,
}

impl Sealer {
    /// Draw a data key and wrap it for every recipient (at least one, at most 32, no key twice).
    pub fn new(backend: Backend, recipients: &[Recipient<'_>]) -> Result<Self, CryptoError> {
        if recipients.is_empty() || recipients.len() > MAX_STANZAS {
            return Err(CryptoError::V2Format("a seal needs 1 to 32 recipients"));
        }
        let mut seen = HashSet::new();
        if !recipients.iter().all(|r| seen.insert(r.id().key_id)) {
            return Err(CryptoError::V2Format("a recipient is named twice"));
        }
        let data_key = DataKey::generate();
        let stanzas = recipients
            .iter()
            .map(|recipient| recipient.wrap(backend, &data_key))
            .collect::<Result<Vec<_>, _>>()?;
        let id = data_key.header_id();
        let mac = data_key.header_mac(&Header::authenticated_bytes(id, &stanzas))?;
        let cipher = value_cipher(&data_key)?;
        Ok(Self {
            header: Header { id, stanzas, mac },
            cipher,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn header_id(&self) -> HeaderId {
        self.header.id
    }

    /// The header's key in `encryptedData`.
    pub fn header_key(&self) -> String {
        self.header.id.key_name()
    }

    /// The header's value in `encryptedData`.
    pub fn header_string(&self) -> String {
        to_v2_string(&self.header.to_bytes())
    }

    /// Seal the value stored under `key` of an object bound by `binding`.
    pub fn seal(
        &self,
        binding: &Binding,
        key: &str,
        plaintext: &[u8],
    ) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut ciphertext = plaintext.to_vec();
        let tag = self
            .cipher
            .encrypt_inout_detached(
                &Nonce::from(nonce),
                &binding.aad(key),
                ciphertext.as_mut_slice().into(),
            )
            .map_err(|_| CryptoError::Encrypt("AES-GCM"))?;
        ciphertext.extend_from_slice(&tag);
        Ok(to_v2_string(&SealedValue::encode(
            self.header.id,
            &nonce,
            &ciphertext,
        )))
    }
}

pub(crate) fn value_cipher(data_key: &DataKey) -> Result<Aes256Gcm, CryptoError> {
    let key = data_key.value_key()?;
    let key = Key::<Aes256Gcm>::try_from(key.as_slice()).map_err(|_| CryptoError::Decrypt)?;
    Ok(Aes256Gcm::new(&key))
}
