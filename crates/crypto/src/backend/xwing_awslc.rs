//! X-Wing assembled from aws-lc's ML-KEM-768, X25519 and SHA3-256, following draft 06's
//! combiner. aws-lc cannot derive an ML-KEM key from a seed, so the key is expanded once with
//! RustCrypto (SHAKE256 and FIPS 203 key generation, which are not the secret-dependent
//! operations we time) and loaded into aws-lc; every encapsulation and decapsulation then runs
//! in aws-lc.

use crate::{CryptoError, XWingPublicKey};
use aws_lc_rs::{
    agreement::{self, X25519},
    digest::{self, SHA3_256},
    kem::{self, ML_KEM_768},
};
// aws-lc loads ML-KEM keys only in FIPS 203's expanded form, which `ml-kem` deprecates in
// favour of seeds; the expanded bytes live only in this zeroizing buffer.
#[allow(deprecated)]
use ml_kem::{ExpandedKeyEncoding, MlKem768};
use shake::{ExtendableOutput, Shake256, Update, XofReader};
use zeroize::Zeroizing;

const ML_KEM_PUBLIC_LEN: usize = 1184;
const ML_KEM_CIPHERTEXT_LEN: usize = 1088;
const X_WING_LABEL: &[u8] = br"\.//^\";

/// The aws-lc handles of one X-Wing private key, built once.
pub(crate) struct AwsXWingKey {
    ml_kem: kem::DecapsulationKey,
    x25519: agreement::PrivateKey,
    x25519_public: [u8; 32],
}

impl AwsXWingKey {
    pub(crate) fn from_seed(seed: &[u8; 32]) -> Result<Self, CryptoError> {
        let mut expanded = Zeroizing::new([0u8; 96]);
        let mut shake = Shake256::default();
        shake.update(seed);
        shake.finalize_xof().read(expanded.as_mut_slice());
        let (ml_kem_seed, x25519_secret) = expanded.split_at(64);

        let ml_kem_seed = ml_kem::Seed::try_from(ml_kem_seed)
            .map_err(|_| CryptoError::InvalidKey("X-Wing seed expansion".into()))?;
        let dk = ml_kem::DecapsulationKey::<MlKem768>::from_seed(ml_kem_seed);
        #[allow(deprecated)]
        let dk_bytes = Zeroizing::new(dk.to_expanded_bytes().to_vec());
        let ml_kem = kem::DecapsulationKey::new(&ML_KEM_768, &dk_bytes)
            .map_err(|_| CryptoError::InvalidKey("aws-lc rejected the ML-KEM key".into()))?;
        let x25519 = agreement::PrivateKey::from_private_key(&X25519, x25519_secret)
            .map_err(|_| CryptoError::InvalidKey("aws-lc rejected the X25519 key".into()))?;
        let public = x25519
            .compute_public_key()
            .map_err(|_| CryptoError::InvalidKey("aws-lc X25519 public key".into()))?;
        let x25519_public = public
            .as_ref()
            .try_into()
            .map_err(|_| CryptoError::InvalidKey("aws-lc X25519 public key".into()))?;
        Ok(Self {
            ml_kem,
            x25519,
            x25519_public,
        })
    }
}

pub(super) fn encapsulate(
    key: &XWingPublicKey,
) -> Result<(Vec<u8>, Zeroizing<[u8; 32]>), CryptoError> {
    let encrypt_failed = || CryptoError::Encrypt("X-Wing");
    let (ml_kem_public, x25519_public) = key.as_bytes().split_at(ML_KEM_PUBLIC_LEN);
    let ek =
        kem::EncapsulationKey::new(&ML_KEM_768, ml_kem_public).map_err(|_| encrypt_failed())?;
    let (ct_m, ss_m) = ek.encapsulate().map_err(|_| encrypt_failed())?;

    let ephemeral = agreement::PrivateKey::generate(&X25519).map_err(|_| encrypt_failed())?;
    let ct_x = ephemeral
        .compute_public_key()
        .map_err(|_| encrypt_failed())?;
    let ss_x = x25519_agree(&ephemeral, x25519_public).map_err(|_| encrypt_failed())?;

    let ss = combine(ss_m.as_ref(), &ss_x, ct_x.as_ref(), x25519_public)?;
    let mut ct = Vec::with_capacity(ML_KEM_CIPHERTEXT_LEN + 32);
    ct.extend_from_slice(ct_m.as_ref());
    ct.extend_from_slice(ct_x.as_ref());
    Ok((ct, ss))
}

pub(super) fn decapsulate(
    key: &AwsXWingKey,
    ciphertext: &[u8],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    if ciphertext.len() != ML_KEM_CIPHERTEXT_LEN + 32 {
        return Err(CryptoError::Decrypt);
    }
    let (ct_m, ct_x) = ciphertext.split_at(ML_KEM_CIPHERTEXT_LEN);
    let ss_m = key
        .ml_kem
        .decapsulate(kem::Ciphertext::from(ct_m))
        .map_err(|_| CryptoError::Decrypt)?;
    let ss_x = x25519_agree(&key.x25519, ct_x)?;
    combine(ss_m.as_ref(), &ss_x, ct_x, &key.x25519_public)
}

/// X25519 with aws-lc, which refuses an all-zero (non-contributory) result.
fn x25519_agree(
    private: &agreement::PrivateKey,
    peer: &[u8],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    agreement::agree(
        private,
        agreement::UnparsedPublicKey::new(&X25519, peer),
        CryptoError::Decrypt,
        |secret| {
            let bytes: [u8; 32] = secret.try_into().map_err(|_| CryptoError::Decrypt)?;
            Ok(Zeroizing::new(bytes))
        },
    )
}

/// Draft 06: `SHA3-256(ss_M || ss_X || ct_X || pk_X || label)`.
fn combine(
    ss_m: &[u8],
    ss_x: &[u8; 32],
    ct_x: &[u8],
    pk_x: &[u8],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let mut ctx = digest::Context::new(&SHA3_256);
    for part in [ss_m, ss_x.as_slice(), ct_x, pk_x, X_WING_LABEL] {
        ctx.update(part);
    }
    let out: [u8; 32] = ctx
        .finish()
        .as_ref()
        .try_into()
        .map_err(|_| CryptoError::Decrypt)?;
    Ok(Zeroizing::new(out))
}
