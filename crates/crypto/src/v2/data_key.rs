//! The per-seal data key and the two keys derived from it (docs/envelope-v2.md §3.1). The data key
//! is never used directly: one HKDF output authenticates the header, another encrypts values.

use super::format::{DATA_KEY_LEN, HeaderId, INFO_HEADER_MAC, INFO_VALUE_KEY, MAC_LEN};
use crate::CryptoError;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use sha2::Sha256;
use std::fmt;
use zeroize::Zeroizing;

/// A data key with the header id it belongs to. Not `Clone`, zeroized, redacted `Debug`.
pub struct DataKey {
    bytes: Zeroizing<[u8; DATA_KEY_LEN]>,
    header_id: HeaderId,
}

impl DataKey {
    pub(crate) fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; DATA_KEY_LEN]);
        rand::rng().fill_bytes(bytes.as_mut_slice());
        let mut id = [0u8; super::format::HEADER_ID_LEN];
        rand::rng().fill_bytes(&mut id);
        Self {
            bytes,
            header_id: HeaderId(id),
        }
    }

    pub(crate) fn from_unwrapped(bytes: &[u8], header_id: HeaderId) -> Result<Self, CryptoError> {
        let bytes: [u8; DATA_KEY_LEN] = bytes.try_into().map_err(|_| CryptoError::Decrypt)?;
        Ok(Self {
            bytes: Zeroizing::new(bytes),
            header_id,
        })
    }

    pub(crate) fn as_bytes(&self) -> &[u8; DATA_KEY_LEN] {
        &self.bytes
    }

    pub fn header_id(&self) -> HeaderId {
        self.header_id
    }

    /// `HMAC-SHA256(HKDF(dk, hid, "…header mac"), header bytes)`.
    pub(crate) fn header_mac(&self, header_bytes: &[u8]) -> Result<[u8; MAC_LEN], CryptoError> {
        Ok(self.mac_over(header_bytes)?.finalize().into_bytes().into())
    }

    /// Check a header's mac in constant time.
    pub(crate) fn verify_header_mac(
        &self,
        header_bytes: &[u8],
        mac: &[u8; MAC_LEN],
    ) -> Result<(), CryptoError> {
        self.mac_over(header_bytes)?
            .verify_slice(mac)
            .map_err(|_| CryptoError::Integrity)
    }

    fn mac_over(&self, header_bytes: &[u8]) -> Result<Hmac<Sha256>, CryptoError> {
        let key = self.derive(INFO_HEADER_MAC)?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_slice())
            .map_err(|_| CryptoError::Encrypt("HMAC key"))?;
        mac.update(header_bytes);
        Ok(mac)
    }

    /// The AES-256-GCM key of every value under this header.
    pub(crate) fn value_key(&self) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        self.derive(INFO_VALUE_KEY)
    }

    fn derive(&self, info: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        hkdf_sha256(self.bytes.as_slice(), &self.header_id.0, info)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKey({:?}, <redacted>)", self.header_id)
    }
}

/// HKDF-SHA256 with a 32-byte output, the only KDF of the format.
pub(crate) fn hkdf_sha256(
    ikm: &[u8],
    salt: &[u8],
    info: &[u8],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let mut out = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out.as_mut_slice())
        .map_err(|_| CryptoError::Encrypt("HKDF"))?;
    Ok(out)
}
