//! Opening: unwrap a header's data key with the one held key its stanzas name (one key
//! operation), verify the mac, then open each value under it. Every failure after parsing is
//! [`CryptoError::Decrypt`] or [`CryptoError::Integrity`], which callers report as one message.

use super::binding::Binding;
use super::data_key::DataKey;
use super::format::{HeaderId, MAX_STANZAS, RecipientId};
use super::header::{Header, Stanza};
use super::recipient::{Recipient, RecipientKey};
use super::seal::value_cipher;
use super::value::{SealedValue, from_v2_string};
use crate::{Backend, CryptoError, Plaintext};
use aes_gcm::{Aes256Gcm, Nonce, aead::AeadInOut};
use zeroize::Zeroizing;

/// Parse a header from its key and string in `encryptedData`, checking that the id in the
/// key name is the id in the header.
pub fn parse_header(key: &str, text: &str) -> Result<Header, CryptoError> {
    let id = HeaderId::from_key_name(key).ok_or(CryptoError::V2Format("malformed header key"))?;
    let header = Header::parse(&from_v2_string(text)?)?;
    if header.id != id {
        return Err(CryptoError::V2Format("header id differs from its key name"));
    }
    Ok(header)
}

/// A header whose data key has been unwrapped and whose mac holds.
pub struct OpenedHeader {
    id: HeaderId,
    opened_by: RecipientId,
    data_key: DataKey,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for OpenedHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpenedHeader({:?}, <redacted>)", self.id)
    }
}

impl OpenedHeader {
    /// Unwrap with `key`, if a stanza names it; `Ok(None)` when none does (no operation spent).
    pub fn unwrap(
        backend: Backend,
        header: &Header,
        key: RecipientKey<'_>,
    ) -> Result<Option<Self>, CryptoError> {
        let id = key.id();
        let Some(stanza) = header.stanzas.iter().find(|s| s.recipient() == Some(id)) else {
            return Ok(None);
        };
        let data_key = key.unwrap(backend, stanza, header.id)?;
        data_key.verify_header_mac(
            &Header::authenticated_bytes(header.id, &header.stanzas),
            &header.mac,
        )?;
        Ok(Some(Self {
            id: header.id,
            opened_by: id,
            cipher: value_cipher(&data_key)?,
            data_key,
        }))
    }

    pub fn id(&self) -> HeaderId {
        self.id
    }

    /// The held key whose stanza was unwrapped.
    pub fn opened_by(&self) -> RecipientId {
        self.opened_by
    }

    /// A new header for the same data key (so every value stays as it is), wrapped for
    /// `recipients` plus the `kept` stanzas copied verbatim (recipients this reader cannot
    /// wrap for, e.g. another cluster's key when only re-wrapping our own). Same header id.
    pub fn rewrap(
        &self,
        backend: Backend,
        kept: &[Stanza],
        recipients: &[Recipient<'_>],
    ) -> Result<Header, CryptoError> {
        let mut stanzas = kept.to_vec();
        for recipient in recipients {
            stanzas.push(recipient.wrap(backend, &self.data_key)?);
        }
        let mut seen = std::collections::HashSet::new();
        if stanzas.is_empty()
            || stanzas.len() > MAX_STANZAS
            || !stanzas.iter().all(|s| seen.insert(s.key_id))
        {
            return Err(CryptoError::V2Format(
                "a header needs 1 to 32 distinct recipients",
            ));
        }
        let mac = self
            .data_key
            .header_mac(&Header::authenticated_bytes(self.id, &stanzas))?;
        Ok(Header {
            id: self.id,
            stanzas,
            mac,
        })
    }

    /// Open the value string stored under `key`.
    pub fn open(&self, binding: &Binding, key: &str, text: &str) -> Result<Plaintext, CryptoError> {
        let bytes = from_v2_string(text)?;
        let value = SealedValue::parse(&bytes)?;
        if value.header_id != self.id {
            return Err(CryptoError::Decrypt);
        }
        let (body, tag) = value
            .ciphertext
            .split_at(value.ciphertext.len() - super::format::TAG_LEN);
        let mut plaintext = Zeroizing::new(body.to_vec());
        let nonce: [u8; 12] = value.nonce.try_into().map_err(|_| CryptoError::Integrity)?;
        self.cipher
            .decrypt_inout_detached(
                &Nonce::from(nonce),
                &binding.aad(key),
                plaintext.as_mut_slice().into(),
                tag.try_into().map_err(|_| CryptoError::Integrity)?,
            )
            .map_err(|_| CryptoError::Integrity)?;
        Ok(Plaintext::new(plaintext))
    }
}
