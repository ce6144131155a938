//! X-Wing through RustCrypto's `x-wing` crate (draft 06), rejecting non-contributory X25519
//! shares as aws-lc and OpenSSL do, so the two backends accept exactly the same ciphertexts.

use crate::{CryptoError, XWingPrivateKey, XWingPublicKey};
use rand::Rng;
use x_wing::TryDecapsulate;
use zeroize::Zeroizing;

pub(super) fn encapsulate(
    key: &XWingPublicKey,
) -> Result<(Vec<u8>, Zeroizing<[u8; 32]>), CryptoError> {
    let mut randomness = Zeroizing::new([0u8; x_wing::ENCAPSULATION_RANDOMNESS_SIZE]);
    rand::rng().fill_bytes(randomness.as_mut_slice());
    let (ct, ss) = key.inner.encapsulate_deterministic(&(*randomness).into());
    Ok((ct.to_vec(), Zeroizing::new(ss.into())))
}

pub(super) fn decapsulate(
    key: &XWingPrivateKey,
    ciphertext: &[u8],
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let ct = x_wing::Ciphertext::try_from(ciphertext).map_err(|_| CryptoError::Decrypt)?;
    let ss = key
        .inner
        .try_decapsulate(&ct)
        .map_err(|_| CryptoError::Decrypt)?;
    Ok(Zeroizing::new(ss.into()))
}
