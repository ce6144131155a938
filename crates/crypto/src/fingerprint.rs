use crate::CryptoError;
use sha2::{Digest, Sha256};
use std::{fmt, str::FromStr};

/// SHA-256 over the DER SubjectPublicKeyInfo of an RSA public key, shown as lowercase hex.
///
/// Keyed on the public key rather than the certificate so that a re-issued certificate for
/// the same key keeps its fingerprint. Reproduce with
/// `openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn of_spki_der(spki_der: &[u8]) -> Self {
        Self(Sha256::digest(spki_der).into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first 16 hex digits: enough to tell keys apart in tables and messages.
    pub fn short(&self) -> String {
        self.to_hex()[..16].to_owned()
    }

    /// True when `prefix` (hex, any case, at least 8 digits) starts this fingerprint.
    pub fn matches_prefix(&self, prefix: &str) -> bool {
        let prefix = prefix.trim().to_ascii_lowercase().replace(':', "");
        prefix.len() >= 8 && self.to_hex().starts_with(&prefix)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.short())
    }
}

impl FromStr for Fingerprint {
    type Err = CryptoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let cleaned: String = s.trim().chars().filter(|c| *c != ':').collect();
        let mut out = [0u8; 32];
        hex::decode_to_slice(&cleaned, &mut out)
            .map_err(|_| CryptoError::InvalidFingerprint(s.to_owned()))?;
        Ok(Self(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_prefix() -> Result<(), CryptoError> {
        let fp = Fingerprint::of_spki_der(b"abc");
        let parsed: Fingerprint = fp.to_hex().parse()?;
        assert_eq!(parsed, fp);
        assert!(fp.matches_prefix(&fp.short()));
        assert!(!fp.matches_prefix("abc"));
        assert!("zz".parse::<Fingerprint>().is_err());
        Ok(())
    }
}
