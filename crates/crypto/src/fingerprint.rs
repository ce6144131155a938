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

    /// SHA-256 of an X-Wing encapsulation key (its 1216 raw bytes): the key id of envelope v2.
    pub fn of_xwing_public(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// A key id as read from an envelope v2 stanza.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
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

impl Fingerprint {
    /// The hex digits a user typed for a fingerprint or a prefix of one, in the forms people
    /// copy them: `sha256:`/`SHA256:` prefix optional, colons between bytes optional, either
    /// case. `None` unless 1 to 64 hex digits remain. Lowercase, so it compares with
    /// [`Fingerprint::to_hex`].
    pub fn normalize_hex(text: &str) -> Option<String> {
        let trimmed = text.trim();
        let body = trimmed
            .strip_prefix("sha256:")
            .or_else(|| trimmed.strip_prefix("SHA256:"))
            .unwrap_or(trimmed);
        let hex: String = body
            .chars()
            .filter(|c| *c != ':')
            .collect::<String>()
            .to_ascii_lowercase();
        (!hex.is_empty() && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(hex)
    }
}

/// A whole fingerprint in any form [`Fingerprint::normalize_hex`] accepts.
impl FromStr for Fingerprint {
    type Err = CryptoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || CryptoError::InvalidFingerprint(s.to_owned());
        let hex = Self::normalize_hex(s).ok_or_else(invalid)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&hex, &mut out).map_err(|_| invalid())?;
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
        assert!(fp.to_hex()[..62].parse::<Fingerprint>().is_err());
        let copied = format!(
            "SHA256:{}",
            fp.to_hex()
                .to_ascii_uppercase()
                .as_bytes()
                .chunks(2)
                .map(|b| std::str::from_utf8(b).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(":")
        );
        assert_eq!(copied.parse::<Fingerprint>()?, fp);
        assert_eq!(
            Fingerprint::normalize_hex("sha256:AB:cd"),
            Some("abcd".into())
        );
        assert_eq!(Fingerprint::normalize_hex("sha256:"), None);
        assert_eq!(Fingerprint::normalize_hex("xyz"), None);
        Ok(())
    }
}
