//! RSA key generation.

use crate::KeysError;
use sealant_crypto::PrivateKey;

/// Bitnami's default modulus size; every sealed value then carries a 512-byte RSA block.
pub const DEFAULT_KEY_BITS: usize = 4096;

/// The smallest key we generate: the smallest `sealant-crypto` accepts at all.
pub use sealant_crypto::MIN_KEY_BITS;

/// Generate a fresh RSA private key (public exponent 65537).
///
/// CPU-heavy (seconds at 4096 bits): async callers must run it off the runtime.
pub fn generate_private_key(bits: usize) -> Result<PrivateKey, KeysError> {
    if bits < MIN_KEY_BITS {
        return Err(KeysError::KeyTooSmall {
            bits,
            min: MIN_KEY_BITS,
        });
    }
    let mut rng = rand::rng();
    let inner = rsa::PrivateKey::new(&mut rng, bits)
        .map_err(|e| KeysError::KeyGeneration(e.to_string()))?;
    Ok(PrivateKey::from_rsa(inner)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_small_keys_without_working() {
        assert!(matches!(
            generate_private_key(1024),
            Err(KeysError::KeyTooSmall {
                bits: 1024,
                min: 2048
            })
        ));
    }

    #[test]
    fn generates_2048() -> Result<(), KeysError> {
        let key = generate_private_key(2048)?;
        assert_eq!(key.public_key().bits(), 2048);
        Ok(())
    }
}
