use crate::{CryptoError, Label, PrivateKey, PublicKey};
use aws_lc_rs::rsa::{
    OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use pkcs8::EncodePrivateKey;
use zeroize::Zeroizing;

/// Build the aws-lc handle once per key, from PKCS#8 DER held in a zeroizing buffer.
pub(crate) fn private_key(key: &rsa::PrivateKey) -> Result<OaepPrivateDecryptingKey, CryptoError> {
    let der = key
        .to_pkcs8_der()
        .map_err(|e| CryptoError::InvalidKey(e.to_string()))?;
    let decrypting = PrivateDecryptingKey::from_pkcs8(der.as_bytes())
        .map_err(|e| CryptoError::InvalidKey(format!("aws-lc rejected the key: {e}")))?;
    OaepPrivateDecryptingKey::new(decrypting)
        .map_err(|_| CryptoError::InvalidKey("aws-lc rejected the key for OAEP".into()))
}

pub(super) fn oaep_encrypt(
    key: &PublicKey,
    label: &Label,
    session_key: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let public = PublicEncryptingKey::from_der(key.spki_der())
        .map_err(|e| CryptoError::InvalidKey(format!("aws-lc rejected the key: {e}")))?;
    let oaep =
        OaepPublicEncryptingKey::new(public).map_err(|_| CryptoError::Encrypt("RSA-OAEP"))?;
    let mut out = vec![0u8; oaep.ciphertext_size()];
    let len = oaep
        .encrypt(
            &OAEP_SHA256_MGF1SHA256,
            session_key,
            &mut out,
            Some(label.as_bytes()),
        )
        .map_err(|_| CryptoError::Encrypt("RSA-OAEP"))?
        .len();
    out.truncate(len);
    Ok(out)
}

pub(super) fn oaep_decrypt(
    key: &PrivateKey,
    label: &Label,
    rsa_block: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let oaep = key.aws();
    let mut out = Zeroizing::new(vec![0u8; oaep.min_output_size()]);
    let len = oaep
        .decrypt(
            &OAEP_SHA256_MGF1SHA256,
            rsa_block,
            &mut out,
            Some(label.as_bytes()),
        )
        .map_err(|_| CryptoError::Decrypt)?
        .len();
    out.truncate(len);
    Ok(out)
}
