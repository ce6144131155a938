use crate::{CryptoError, Label, PrivateKey, PublicKey};
use rsa::{Oaep, sha2::Sha256};
use zeroize::Zeroizing;

fn padding(label: &Label) -> Oaep<Sha256> {
    Oaep::<Sha256>::new_with_label(label.as_bytes())
}

pub(super) fn oaep_encrypt(
    key: &PublicKey,
    label: &Label,
    session_key: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut rng = rand::rng();
    key.rsa()
        .encrypt(&mut rng, padding(label), session_key)
        .map_err(|_| CryptoError::Encrypt("RSA-OAEP"))
}

pub(super) fn oaep_decrypt(
    key: &PrivateKey,
    label: &Label,
    rsa_block: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    // Blinded: the rng randomizes the private operation against timing attacks.
    let mut rng = rand::rng();
    key.rsa()
        .decrypt_blinded(&mut rng, padding(label), rsa_block)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}
