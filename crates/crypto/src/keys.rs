//! RSA key types. Both wrap the RustCrypto key (which zeroizes its limbs on drop) and,
//! with the `aws-lc` feature, an aws-lc handle built once so private operations do not
//! re-parse the key.

use crate::{CryptoError, Fingerprint};
use pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, LineEnding};
use pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use std::fmt;
use zeroize::Zeroizing;

/// Smallest modulus we accept. Bitnami generates 4096; 2048 is the floor anyone should use.
pub const MIN_KEY_BITS: usize = 2048;

/// An RSA public key, with its fingerprint computed once.
pub struct PublicKey {
    inner: rsa::PublicKey,
    spki_der: Vec<u8>,
    fingerprint: Fingerprint,
}

impl PublicKey {
    pub fn from_rsa(inner: rsa::PublicKey) -> Result<Self, CryptoError> {
        let bits = modulus_bits(inner.size());
        if bits < MIN_KEY_BITS {
            return Err(CryptoError::KeyTooSmall {
                bits,
                min: MIN_KEY_BITS,
            });
        }
        let spki_der = inner
            .to_public_key_der()
            .map_err(|e| CryptoError::InvalidKey(e.to_string()))?
            .into_vec();
        let fingerprint = Fingerprint::of_spki_der(&spki_der);
        Ok(Self {
            inner,
            spki_der,
            fingerprint,
        })
    }

    /// From DER SubjectPublicKeyInfo, as found inside an X.509 certificate.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        let inner = rsa::PublicKey::from_public_key_der(der)
            .map_err(|e| CryptoError::InvalidKey(e.to_string()))?;
        Self::from_rsa(inner)
    }

    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, CryptoError> {
        let inner = rsa::PublicKey::from_pkcs1_der(der)
            .map_err(|e| CryptoError::InvalidKey(e.to_string()))?;
        Self::from_rsa(inner)
    }

    pub fn rsa(&self) -> &rsa::PublicKey {
        &self.inner
    }

    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Size of the modulus, and so of the RSA block in an envelope, in bytes.
    pub fn size_bytes(&self) -> usize {
        self.inner.size()
    }

    pub fn bits(&self) -> usize {
        modulus_bits(self.inner.size())
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PublicKey(rsa-{}, {})",
            self.bits(),
            self.fingerprint.short()
        )
    }
}

/// An RSA private key. Not `Clone`; zeroized on drop; `Debug` names only the fingerprint.
pub struct PrivateKey {
    inner: rsa::PrivateKey,
    public: PublicKey,
    #[cfg(feature = "aws-lc")]
    aws: aws_lc_rs::rsa::OaepPrivateDecryptingKey,
}

impl PrivateKey {
    pub fn from_rsa(inner: rsa::PrivateKey) -> Result<Self, CryptoError> {
        inner
            .validate()
            .map_err(|e| CryptoError::InvalidKey(e.to_string()))?;
        let public = PublicKey::from_rsa(inner.to_public_key())?;
        #[cfg(feature = "aws-lc")]
        let aws = crate::backend::awslc::private_key(&inner)?;
        Ok(Self {
            inner,
            public,
            #[cfg(feature = "aws-lc")]
            aws,
        })
    }

    /// From PKCS#1 DER (`RSA PRIVATE KEY`), the form Bitnami writes to `tls.key`.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, CryptoError> {
        let inner = rsa::PrivateKey::from_pkcs1_der(der)
            .map_err(|e| CryptoError::InvalidKey(e.to_string()))?;
        Self::from_rsa(inner)
    }

    /// From PKCS#8 DER (`PRIVATE KEY`).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        let inner = rsa::PrivateKey::from_pkcs8_der(der)
            .map_err(|e| CryptoError::InvalidKey(e.to_string()))?;
        Self::from_rsa(inner)
    }

    /// PKCS#1 PEM, as Bitnami stores it in `tls.key`.
    pub fn to_pkcs1_pem(&self) -> Result<Zeroizing<String>, CryptoError> {
        self.inner
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|e| CryptoError::InvalidKey(e.to_string()))
    }

    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let doc = self
            .inner
            .to_pkcs8_der()
            .map_err(|e| CryptoError::InvalidKey(e.to_string()))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.public.fingerprint()
    }

    /// The RustCrypto key, for certificate signing in `sealant-keys`.
    pub fn rsa(&self) -> &rsa::PrivateKey {
        &self.inner
    }

    #[cfg(feature = "aws-lc")]
    pub(crate) fn aws(&self) -> &aws_lc_rs::rsa::OaepPrivateDecryptingKey {
        &self.aws
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateKey(rsa-{}, {}, <redacted>)",
            self.public.bits(),
            self.public.fingerprint().short()
        )
    }
}

fn modulus_bits(size_bytes: usize) -> usize {
    size_bytes * 8
}
