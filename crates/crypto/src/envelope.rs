//! The sealed-value layout: `u16be(L) ‖ RSA-OAEP(session key), L bytes ‖ AES-256-GCM(plaintext) ‖ tag`.
//!
//! The GCM nonce is twelve zero bytes and there is no AAD: each session key encrypts exactly
//! one value, so a fixed nonce never repeats under one key.

use crate::{Backend, CryptoError, Label, Plaintext, PrivateKey, PublicKey};
use aes_gcm::{
    Aes256Gcm, Key, KeyInit, Nonce,
    aead::{AeadInOut, consts::U12},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use rand::Rng;
use zeroize::Zeroizing;

/// AES-256 session key length.
pub const SESSION_KEY_LEN: usize = 32;
const LENGTH_PREFIX: usize = 2;
const GCM_TAG_LEN: usize = 16;

/// A parsed envelope, borrowing the sealed bytes.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    pub rsa_block: &'a [u8],
    pub aead_block: &'a [u8],
}

impl<'a> Envelope<'a> {
    /// Split sealed bytes into their parts, checking only the framing.
    pub fn parse(sealed: &'a [u8]) -> Result<Self, CryptoError> {
        let truncated = || CryptoError::TruncatedEnvelope { len: sealed.len() };
        let (prefix, rest) = sealed
            .split_at_checked(LENGTH_PREFIX)
            .ok_or_else(truncated)?;
        let rsa_len = usize::from(u16::from_be_bytes([prefix[0], prefix[1]]));
        let (rsa_block, aead_block) = rest.split_at_checked(rsa_len).ok_or_else(truncated)?;
        if rsa_len == 0 || aead_block.len() < GCM_TAG_LEN {
            return Err(truncated());
        }
        Ok(Self {
            rsa_block,
            aead_block,
        })
    }

    /// The modulus size, in bytes, of the key this value was sealed for.
    pub fn rsa_len(&self) -> usize {
        self.rsa_block.len()
    }
}

/// Seal `plaintext` for `label` under `key`, with the preferred backend (aws-lc's public
/// operation is ~4× RustCrypto's when the feature is on).
pub fn seal(key: &PublicKey, label: &Label, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    seal_with(Backend::preferred(), key, label, plaintext)
}

pub fn seal_with(
    backend: Backend,
    key: &PublicKey,
    label: &Label,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut session_key = Zeroizing::new([0u8; SESSION_KEY_LEN]);
    rand::rng().fill_bytes(session_key.as_mut_slice());

    let rsa_block = backend.oaep_encrypt(key, label, session_key.as_slice())?;
    let rsa_len =
        u16::try_from(rsa_block.len()).map_err(|_| CryptoError::Encrypt("RSA block length"))?;

    let cipher = aes_cipher(session_key.as_slice())?;
    let mut out =
        Vec::with_capacity(LENGTH_PREFIX + rsa_block.len() + plaintext.len() + GCM_TAG_LEN);
    out.extend_from_slice(&rsa_len.to_be_bytes());
    out.extend_from_slice(&rsa_block);
    let body_start = out.len();
    out.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_inout_detached(&zero_nonce(), &[], (&mut out[body_start..]).into())
        .map_err(|_| CryptoError::Encrypt("AES-GCM"))?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Open a sealed value with the preferred backend (aws-lc when compiled in).
pub fn open(key: &PrivateKey, label: &Label, sealed: &[u8]) -> Result<Plaintext, CryptoError> {
    open_with(Backend::preferred(), key, label, sealed)
}

pub fn open_with(
    backend: Backend,
    key: &PrivateKey,
    label: &Label,
    sealed: &[u8],
) -> Result<Plaintext, CryptoError> {
    let envelope = Envelope::parse(sealed)?;
    let expected = key.public_key().size_bytes();
    if envelope.rsa_len() != expected {
        return Err(CryptoError::RsaLengthMismatch {
            found: envelope.rsa_len(),
            expected,
        });
    }
    let session_key = backend.oaep_decrypt(key, label, envelope.rsa_block)?;
    if session_key.len() != SESSION_KEY_LEN {
        return Err(CryptoError::Decrypt);
    }
    let cipher = aes_cipher(session_key.as_slice())?;
    let body_len = envelope.aead_block.len() - GCM_TAG_LEN;
    let (body, tag) = envelope.aead_block.split_at(body_len);
    let mut plaintext = Zeroizing::new(body.to_vec());
    cipher
        .decrypt_inout_detached(
            &zero_nonce(),
            &[],
            plaintext.as_mut_slice().into(),
            tag.try_into().map_err(|_| CryptoError::Integrity)?,
        )
        .map_err(|_| CryptoError::Integrity)?;
    Ok(Plaintext::new(plaintext))
}

fn aes_cipher(session_key: &[u8]) -> Result<Aes256Gcm, CryptoError> {
    let key = Key::<Aes256Gcm>::try_from(session_key).map_err(|_| CryptoError::Decrypt)?;
    Ok(Aes256Gcm::new(&key))
}

fn zero_nonce() -> Nonce<U12> {
    Nonce::<U12>::default()
}

/// Standard base64 with padding, as Bitnami writes sealed values.
pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decode standard base64, tolerating embedded whitespace and newlines (wrapped YAML scalars).
pub fn decode_base64(text: &str) -> Result<Vec<u8>, CryptoError> {
    // Values are nearly always one line: copy only when there is whitespace to drop.
    if !text.bytes().any(|b| b.is_ascii_whitespace()) {
        return STANDARD.decode(text).map_err(|_| CryptoError::Base64);
    }
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD.decode(compact).map_err(|_| CryptoError::Base64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_short_input() {
        assert!(Envelope::parse(&[]).is_err());
        assert!(Envelope::parse(&[0]).is_err());
        assert!(Envelope::parse(&[0, 4, 1, 2]).is_err());
        assert!(Envelope::parse(&[0, 0]).is_err());
        let mut ok = vec![0, 2, 9, 9];
        ok.extend_from_slice(&[0u8; 16]);
        let env = Envelope::parse(&ok);
        assert!(matches!(env, Ok(e) if e.rsa_len() == 2 && e.aead_block.len() == 16));
    }

    #[test]
    fn base64_tolerates_newlines() -> Result<(), CryptoError> {
        assert_eq!(decode_base64("aGVs\nbG8=\n")?, b"hello");
        assert_eq!(decode_base64("aGVsbG8=")?, b"hello");
        assert!(decode_base64("not base64!").is_err());
        Ok(())
    }
}
