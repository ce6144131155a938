//! The backend seam: every RSA-OAEP and X-Wing operation goes through here, so swapping the
//! implementation of private-key operations is a one-line choice for callers.
//!
//! RustCrypto (`rsa` 0.10, constant-time crypto-bigint, blinded) is always present.
//! aws-lc (`--features aws-lc`) is several times faster for private operations.

#[cfg(feature = "aws-lc")]
pub(crate) mod awslc;
mod rustcrypto;
#[cfg(feature = "aws-lc")]
pub(crate) mod xwing_awslc;
mod xwing_rustcrypto;

use crate::{CryptoError, Label, PrivateKey, PublicKey, XWingPrivateKey, XWingPublicKey};
use zeroize::Zeroizing;

/// Which implementation performs the RSA-OAEP step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    RustCrypto,
    AwsLc,
}

impl Backend {
    /// The fastest backend compiled in: aws-lc when the feature is on.
    pub fn preferred() -> Self {
        if cfg!(feature = "aws-lc") {
            Backend::AwsLc
        } else {
            Backend::RustCrypto
        }
    }

    /// Every backend compiled into this build.
    pub fn available() -> Vec<Self> {
        let mut all = vec![Backend::RustCrypto];
        if cfg!(feature = "aws-lc") {
            all.push(Backend::AwsLc);
        }
        all
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::RustCrypto => "rustcrypto",
            Backend::AwsLc => "aws-lc",
        }
    }

    pub(crate) fn oaep_encrypt(
        self,
        key: &PublicKey,
        label: &Label,
        session_key: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        match self {
            Backend::RustCrypto => rustcrypto::oaep_encrypt(key, label, session_key),
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => awslc::oaep_encrypt(key, label, session_key),
            #[cfg(not(feature = "aws-lc"))]
            Backend::AwsLc => Err(CryptoError::BackendUnavailable("aws-lc")),
        }
    }

    pub(crate) fn oaep_decrypt(
        self,
        key: &PrivateKey,
        label: &Label,
        rsa_block: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        match self {
            Backend::RustCrypto => rustcrypto::oaep_decrypt(key, label, rsa_block),
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => awslc::oaep_decrypt(key, label, rsa_block),
            #[cfg(not(feature = "aws-lc"))]
            Backend::AwsLc => Err(CryptoError::BackendUnavailable("aws-lc")),
        }
    }

    /// X-Wing encapsulation to `key`: `(ciphertext, shared secret)`.
    pub(crate) fn xwing_encapsulate(
        self,
        key: &XWingPublicKey,
    ) -> Result<(Vec<u8>, Zeroizing<[u8; 32]>), CryptoError> {
        match self {
            Backend::RustCrypto => xwing_rustcrypto::encapsulate(key),
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => xwing_awslc::encapsulate(key),
            #[cfg(not(feature = "aws-lc"))]
            Backend::AwsLc => Err(CryptoError::BackendUnavailable("aws-lc")),
        }
    }

    pub(crate) fn xwing_decapsulate(
        self,
        key: &XWingPrivateKey,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        match self {
            Backend::RustCrypto => xwing_rustcrypto::decapsulate(key, ciphertext),
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => xwing_awslc::decapsulate(&key.aws, ciphertext),
            #[cfg(not(feature = "aws-lc"))]
            Backend::AwsLc => Err(CryptoError::BackendUnavailable("aws-lc")),
        }
    }
}
