//! X-Wing key pairs (draft-connolly-cfrg-xwing-kem-06): a 32-byte seed is the whole private
//! key; the 1216-byte encapsulation key is derived from it. Same rules as the RSA types: the
//! private key is not `Clone`, is zeroized on drop, and its `Debug` names only the key id.

use crate::{CryptoError, Fingerprint};
use rand::Rng;
use std::fmt;
use x_wing::{KeyExport, KeyInit};
use zeroize::Zeroizing;

/// Bytes of an X-Wing encapsulation (public) key.
pub const XWING_PUBLIC_KEY_LEN: usize = x_wing::ENCAPSULATION_KEY_SIZE;
/// Bytes of an X-Wing private key (its seed).
pub const XWING_SEED_LEN: usize = x_wing::DECAPSULATION_KEY_SIZE;
/// Bytes of an X-Wing ciphertext.
pub const XWING_CIPHERTEXT_LEN: usize = x_wing::CIPHERTEXT_SIZE;

/// PEM label of an X-Wing public key file (`sealant keys generate --type x-wing`).
pub const XWING_PUBLIC_PEM_LABEL: &str = "SEALANT XWING PUBLIC KEY";
/// PEM label of an X-Wing private key file.
pub const XWING_PRIVATE_PEM_LABEL: &str = "SEALANT XWING PRIVATE KEY";

/// An X-Wing public key, with its key id computed once.
#[derive(Clone)]
pub struct XWingPublicKey {
    bytes: Vec<u8>,
    pub(crate) inner: x_wing::EncapsulationKey,
    key_id: Fingerprint,
}

impl XWingPublicKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != XWING_PUBLIC_KEY_LEN {
            return Err(CryptoError::InvalidKey(format!(
                "an X-Wing public key is {XWING_PUBLIC_KEY_LEN} bytes, not {}",
                bytes.len()
            )));
        }
        let inner = x_wing::EncapsulationKey::try_from(bytes)
            .map_err(|_| CryptoError::InvalidKey("not a valid X-Wing public key".into()))?;
        Ok(Self {
            bytes: bytes.to_vec(),
            inner,
            key_id: Fingerprint::of_xwing_public(bytes),
        })
    }

    pub fn from_pem(text: &str) -> Result<Self, CryptoError> {
        let (label, der) = pem_rfc7468::decode_vec(text.trim().as_bytes())
            .map_err(|_| CryptoError::InvalidKey("not a PEM X-Wing public key".into()))?;
        if label != XWING_PUBLIC_PEM_LABEL {
            return Err(CryptoError::InvalidKey(format!(
                "PEM block is {label:?}, expected {XWING_PUBLIC_PEM_LABEL:?}"
            )));
        }
        Self::from_bytes(&der)
    }

    pub fn to_pem(&self) -> String {
        armor(XWING_PUBLIC_PEM_LABEL, &self.bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn key_id(&self) -> Fingerprint {
        self.key_id
    }
}

impl PartialEq for XWingPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.key_id == other.key_id
    }
}

impl fmt::Debug for XWingPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "XWingPublicKey({})", self.key_id.short())
    }
}

/// An X-Wing private key. Not `Clone`; zeroized on drop; `Debug` names only the key id.
pub struct XWingPrivateKey {
    seed: Zeroizing<[u8; XWING_SEED_LEN]>,
    pub(crate) inner: x_wing::DecapsulationKeyRejectNonContrib,
    public: XWingPublicKey,
    #[cfg(feature = "aws-lc")]
    pub(crate) aws: crate::backend::xwing_awslc::AwsXWingKey,
}

impl XWingPrivateKey {
    /// A new key from the system's CSPRNG.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut seed = Zeroizing::new([0u8; XWING_SEED_LEN]);
        rand::rng().fill_bytes(seed.as_mut_slice());
        Self::from_seed(&seed)
    }

    pub fn from_seed(seed: &[u8; XWING_SEED_LEN]) -> Result<Self, CryptoError> {
        let inner = x_wing::DecapsulationKeyRejectNonContrib::new(&(*seed).into());
        let public_bytes = x_wing::Decapsulator::encapsulation_key(&inner).to_bytes();
        let public = XWingPublicKey::from_bytes(public_bytes.as_slice())?;
        #[cfg(feature = "aws-lc")]
        let aws = crate::backend::xwing_awslc::AwsXWingKey::from_seed(seed)?;
        Ok(Self {
            seed: Zeroizing::new(*seed),
            inner,
            public,
            #[cfg(feature = "aws-lc")]
            aws,
        })
    }

    pub fn from_seed_slice(seed: &[u8]) -> Result<Self, CryptoError> {
        let seed: Zeroizing<[u8; XWING_SEED_LEN]> =
            Zeroizing::new(seed.try_into().map_err(|_| {
                CryptoError::InvalidKey(format!(
                    "an X-Wing private key is a {XWING_SEED_LEN}-byte seed"
                ))
            })?);
        Self::from_seed(&seed)
    }

    pub fn from_pem(text: &str) -> Result<Self, CryptoError> {
        let (label, seed) = pem_rfc7468::decode_vec(text.trim().as_bytes())
            .map_err(|_| CryptoError::InvalidKey("not a PEM X-Wing private key".into()))?;
        let seed = Zeroizing::new(seed);
        if label != XWING_PRIVATE_PEM_LABEL {
            return Err(CryptoError::InvalidKey(format!(
                "PEM block is {label:?}, expected {XWING_PRIVATE_PEM_LABEL:?}"
            )));
        }
        Self::from_seed_slice(&seed)
    }

    pub fn to_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(armor(XWING_PRIVATE_PEM_LABEL, self.seed.as_slice()))
    }

    /// The seed, for storing the key in a key Secret.
    pub fn seed(&self) -> &[u8; XWING_SEED_LEN] {
        &self.seed
    }

    pub fn public_key(&self) -> &XWingPublicKey {
        &self.public
    }

    pub fn key_id(&self) -> Fingerprint {
        self.public.key_id()
    }
}

impl fmt::Debug for XWingPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "XWingPrivateKey({}, <redacted>)",
            self.public.key_id().short()
        )
    }
}

fn armor(label: &str, bytes: &[u8]) -> String {
    // Encoding into a String cannot fail for a fixed ASCII label; fall back to empty rather
    // than panic, which the caller's parse would then refuse.
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, bytes).unwrap_or_default()
}
