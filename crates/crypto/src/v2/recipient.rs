//! Wrapping the data key for one recipient, and unwrapping it with one private key
//! (docs/envelope-v2.md §3.2). Each stanza names its key by id, so a reader unwraps only with the
//! key the stanza names and never tries keys blindly.

use super::data_key::{DataKey, hkdf_sha256};
use super::format::{
    DATA_KEY_LEN, INFO_XWING_WRAP, KEY_ID_LEN, NONCE_LEN, RecipientId, RecipientKind, TAG_LEN,
};
use super::header::Stanza;
use crate::{
    Backend, CryptoError, Fingerprint, Label, PrivateKey, PublicKey, XWingPrivateKey,
    XWingPublicKey, v2::xwing_keys::XWING_CIPHERTEXT_LEN,
};
use aes_gcm::{Aes256Gcm, Key, KeyInit, Nonce, aead::AeadInOut};
use zeroize::Zeroizing;

/// A public key a seal can be opened by.
#[derive(Clone, Copy, Debug)]
pub enum Recipient<'a> {
    Rsa(&'a PublicKey),
    XWing(&'a XWingPublicKey),
}

impl Recipient<'_> {
    pub fn id(&self) -> RecipientId {
        match self {
            Self::Rsa(key) => RecipientId {
                kind: RecipientKind::Rsa,
                key_id: key.fingerprint(),
            },
            Self::XWing(key) => RecipientId {
                kind: RecipientKind::XWing,
                key_id: key.key_id(),
            },
        }
    }

    pub(crate) fn wrap(&self, backend: Backend, data_key: &DataKey) -> Result<Stanza, CryptoError> {
        let id = self.id();
        let body = match self {
            Self::Rsa(key) => {
                backend.oaep_encrypt(key, &Label::v2_data_key(), data_key.as_bytes())?
            }
            Self::XWing(key) => {
                let (ciphertext, shared) = backend.xwing_encapsulate(key)?;
                let cipher = wrap_cipher(&shared, &id.key_id)?;
                let mut body = ciphertext;
                let start = body.len();
                body.extend_from_slice(data_key.as_bytes());
                let tag = cipher
                    .encrypt_inout_detached(
                        &Nonce::default(),
                        &wrap_aad(data_key, &id.key_id),
                        (&mut body[start..]).into(),
                    )
                    .map_err(|_| CryptoError::Encrypt("X-Wing wrap"))?;
                body.extend_from_slice(&tag);
                body
            }
        };
        Ok(Stanza {
            kind: Some(id.kind),
            type_byte: id.kind.type_byte(),
            key_id: id.key_id,
            body,
        })
    }
}

/// A private key a seal can be opened with.
#[derive(Clone, Copy, Debug)]
pub enum RecipientKey<'a> {
    Rsa(&'a PrivateKey),
    XWing(&'a XWingPrivateKey),
}

impl RecipientKey<'_> {
    pub fn id(&self) -> RecipientId {
        match self {
            Self::Rsa(key) => Recipient::Rsa(key.public_key()).id(),
            Self::XWing(key) => Recipient::XWing(key.public_key()).id(),
        }
    }

    /// Unwrap `stanza`, which must name this key. One key operation.
    pub(crate) fn unwrap(
        &self,
        backend: Backend,
        stanza: &Stanza,
        header: super::format::HeaderId,
    ) -> Result<DataKey, CryptoError> {
        if stanza.recipient() != Some(self.id()) {
            return Err(CryptoError::Decrypt);
        }
        match self {
            Self::Rsa(key) => {
                let dk = backend.oaep_decrypt(key, &Label::v2_data_key(), &stanza.body)?;
                DataKey::from_unwrapped(&dk, header)
            }
            Self::XWing(key) => {
                let expected = XWING_CIPHERTEXT_LEN + DATA_KEY_LEN + TAG_LEN;
                if stanza.body.len() != expected {
                    return Err(CryptoError::Decrypt);
                }
                let (ciphertext, wrapped) = stanza.body.split_at(XWING_CIPHERTEXT_LEN);
                let shared = backend.xwing_decapsulate(key, ciphertext)?;
                let cipher = wrap_cipher(&shared, &stanza.key_id)?;
                let (sealed, tag) = wrapped.split_at(DATA_KEY_LEN);
                let mut dk = Zeroizing::new(sealed.to_vec());
                let aad = wrap_aad_parts(&header.0, &stanza.key_id);
                cipher
                    .decrypt_inout_detached(
                        &Nonce::default(),
                        &aad,
                        dk.as_mut_slice().into(),
                        tag.try_into().map_err(|_| CryptoError::Decrypt)?,
                    )
                    .map_err(|_| CryptoError::Decrypt)?;
                DataKey::from_unwrapped(&dk, header)
            }
        }
    }
}

/// `HKDF(ss, "", "sealant/v2 x-wing wrap" || key_id)`: a zero nonce is safe because every
/// encapsulation gives a fresh shared secret, so this key encrypts exactly once.
fn wrap_cipher(shared: &[u8; 32], key_id: &Fingerprint) -> Result<Aes256Gcm, CryptoError> {
    let mut info = INFO_XWING_WRAP.to_vec();
    info.extend_from_slice(key_id.as_bytes());
    let key = hkdf_sha256(shared, &[], &info)?;
    let key = Key::<Aes256Gcm>::try_from(key.as_slice()).map_err(|_| CryptoError::Decrypt)?;
    Ok(Aes256Gcm::new(&key))
}

fn wrap_aad(data_key: &DataKey, key_id: &Fingerprint) -> Vec<u8> {
    wrap_aad_parts(&data_key.header_id().0, key_id)
}

fn wrap_aad_parts(header_id: &[u8], key_id: &Fingerprint) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header_id.len() + KEY_ID_LEN);
    aad.extend_from_slice(header_id);
    aad.extend_from_slice(key_id.as_bytes());
    aad
}

// The nonce type must be GCM's 96 bits; this ties NONCE_LEN to it at compile time.
const _: () = assert!(NONCE_LEN == 12);
