//! Parsed X.509 certificates: the public half of a sealing key as kubeseal distributes it.

use crate::{KeysError, pem};
use sealant_crypto::{Fingerprint, PrivateKey, PublicKey};
use std::fmt;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use x509_parser::{
    oid_registry::{OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION},
    prelude::{FromDer, X509Certificate},
    public_key::PublicKey as ParsedKey,
};

/// An X.509 certificate whose subject key is RSA. The DER is kept verbatim so that it is
/// served and cached byte-for-byte as it was issued.
#[derive(PartialEq)]
pub struct Certificate {
    der: Vec<u8>,
    public_key: PublicKey,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    common_name: Option<String>,
    serial_hex: String,
}

impl Certificate {
    /// Parse one DER certificate. Trailing bytes are refused: they would be silently dropped
    /// when the certificate is served again.
    pub fn from_der(der: &[u8]) -> Result<Self, KeysError> {
        Self::from_der_named(der, "certificate")
    }

    pub(crate) fn from_der_named(der: &[u8], source_name: &str) -> Result<Self, KeysError> {
        let parse_error = |reason: String| KeysError::CertificateParse {
            source_name: source_name.to_owned(),
            reason,
        };
        let (rest, cert) =
            X509Certificate::from_der(der).map_err(|e| parse_error(e.to_string()))?;
        if !rest.is_empty() {
            return Err(parse_error(format!(
                "{} trailing bytes after the certificate",
                rest.len()
            )));
        }
        let spki = cert.public_key();
        if spki.algorithm.algorithm != OID_PKCS1_RSAENCRYPTION {
            return Err(KeysError::UnsupportedKeyAlgorithm {
                source_name: source_name.to_owned(),
                algorithm: algorithm_name(&cert),
            });
        }
        let public_key = PublicKey::from_spki_der(spki.raw)?;
        let validity = cert.validity();
        let not_before = to_offset(validity.not_before.timestamp(), &parse_error)?;
        let not_after = to_offset(validity.not_after.timestamp(), &parse_error)?;
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned);
        let serial_hex = hex_lower(cert.raw_serial());
        Ok(Self {
            der: der.to_vec(),
            public_key,
            not_before,
            not_after,
            common_name,
            serial_hex,
        })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM with a single `CERTIFICATE` block, as `/v1/cert.pem` serves it.
    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.der)
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The fingerprint of the subject public key (not of the certificate), so a re-issued
    /// certificate for the same key keeps it.
    pub fn fingerprint(&self) -> Fingerprint {
        self.public_key.fingerprint()
    }

    pub fn bits(&self) -> usize {
        self.public_key.bits()
    }

    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    pub fn common_name(&self) -> Option<&str> {
        self.common_name.as_deref()
    }

    /// Serial number as lowercase hex of its DER integer bytes.
    pub fn serial_hex(&self) -> &str {
        &self.serial_hex
    }

    /// True when this certificate carries `key`'s public key.
    pub fn matches(&self, key: &PrivateKey) -> bool {
        self.fingerprint() == key.fingerprint()
    }

    /// Refuse a certificate outside its validity window. Sealing for an expired key would
    /// produce values the cluster may have stopped renewing for; kubeseal refuses it too.
    pub fn check_valid_at(&self, now: OffsetDateTime) -> Result<(), KeysError> {
        if now < self.not_before {
            return Err(KeysError::CertificateNotYetValid {
                not_before: rfc3339(self.not_before),
            });
        }
        if now > self.not_after {
            return Err(KeysError::CertificateExpired {
                not_after: rfc3339(self.not_after),
            });
        }
        Ok(())
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("common_name", &self.common_name)
            .field("fingerprint", &self.fingerprint())
            .field("bits", &self.bits())
            .field("not_before", &rfc3339(self.not_before))
            .field("not_after", &rfc3339(self.not_after))
            .finish()
    }
}

/// Every certificate in `bytes`: PEM with one or more `CERTIFICATE` blocks (other blocks
/// ignored), or a single DER certificate.
pub fn parse_certificates(bytes: &[u8]) -> Result<Vec<Certificate>, KeysError> {
    if let Ok(text) = std::str::from_utf8(bytes)
        && pem::looks_like_pem(text)
    {
        return certificates_from_pem(text);
    }
    if bytes.first() == Some(&0x30) {
        return match Certificate::from_der(bytes) {
            Ok(cert) => Ok(vec![cert]),
            Err(_) if is_der_private_key(bytes) => Err(KeysError::PrivateKeyNotCertificate),
            Err(e) => Err(e),
        };
    }
    Err(KeysError::NoCertificate)
}

/// The certificate in a PEM block; `None` for a block of another kind.
pub(crate) fn certificate_in(block: &pem::PemBlock) -> Result<Option<Certificate>, KeysError> {
    if block.label != "CERTIFICATE" {
        return Ok(None);
    }
    Certificate::from_der_named(&block.der, &block.source_name()).map(Some)
}

fn certificates_from_pem(text: &str) -> Result<Vec<Certificate>, KeysError> {
    let blocks = pem::parse_blocks(text)?;
    let mut certs = Vec::new();
    let mut saw_private_key = false;
    for block in &blocks {
        if let Some(cert) = certificate_in(block)? {
            certs.push(cert);
        } else if block.label.contains("PRIVATE KEY") {
            saw_private_key = true;
        }
    }
    // A key next to certificates (a combined PEM) is tolerated; a key alone is the classic
    // mix-up of `--cert` with the key file, and deserves its own message.
    match (certs.is_empty(), saw_private_key) {
        (true, true) => Err(KeysError::PrivateKeyNotCertificate),
        (true, false) => Err(KeysError::NoCertificate),
        _ => Ok(certs),
    }
}

fn is_der_private_key(der: &[u8]) -> bool {
    PrivateKey::from_pkcs1_der(der).is_ok() || PrivateKey::from_pkcs8_der(der).is_ok()
}

/// The certificate to seal with: the first in `bytes`, checked to be valid at `now`.
pub fn load_sealing_certificate(
    bytes: &[u8],
    now: OffsetDateTime,
) -> Result<Certificate, KeysError> {
    let cert = parse_certificates(bytes)?
        .into_iter()
        .next()
        .ok_or(KeysError::NoCertificate)?;
    cert.check_valid_at(now)?;
    Ok(cert)
}

/// RFC 3339 for messages; falls back to `time`'s display for years RFC 3339 cannot show.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn to_offset(
    unix: i64,
    parse_error: &impl Fn(String) -> KeysError,
) -> Result<OffsetDateTime, KeysError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|_| parse_error("validity date out of range".to_owned()))
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A human name for a non-RSA subject key, for the refusal message.
fn algorithm_name(cert: &X509Certificate<'_>) -> String {
    let spki = cert.public_key();
    let oid = &spki.algorithm.algorithm;
    if *oid == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|c| match c.to_id_string().as_str() {
                "1.2.840.10045.3.1.7" => "P-256".to_owned(),
                "1.3.132.0.34" => "P-384".to_owned(),
                "1.3.132.0.35" => "P-521".to_owned(),
                other => other.to_owned(),
            });
        return match curve {
            Some(curve) => format!("EC ({curve})"),
            None => "EC".to_owned(),
        };
    }
    match (oid.to_id_string().as_str(), spki.parsed()) {
        ("1.3.101.112", _) => "Ed25519".to_owned(),
        ("1.3.101.113", _) => "Ed448".to_owned(),
        ("1.2.840.113549.1.1.10", _) => "RSASSA-PSS (not usable for encryption)".to_owned(),
        (_, Ok(ParsedKey::DSA(_))) => "DSA".to_owned(),
        (id, _) => format!("an unsupported algorithm (OID {id})"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::test_data;
    use time::macros::datetime;

    #[test]
    fn openssl_certificate_parses_with_known_fingerprint() {
        let certs = parse_certificates(test_data::RSA_A_CRT).unwrap();
        assert_eq!(certs.len(), 1);
        let cert = &certs[0];
        assert_eq!(cert.common_name(), Some("sealed-secret"));
        assert_eq!(cert.bits(), 2048);
        // Computed independently with openssl (see tests/data/README.md).
        assert_eq!(cert.fingerprint().to_hex(), test_data::RSA_A_FINGERPRINT);
        assert_eq!(Certificate::from_der(cert.der()).unwrap(), *cert);
        assert_eq!(
            parse_certificates(cert.to_pem().as_bytes()).unwrap()[0],
            *cert
        );
        assert_eq!(parse_certificates(cert.der()).unwrap()[0], *cert);
    }

    #[test]
    fn ec_certificate_is_refused_naming_the_algorithm() {
        let err = parse_certificates(test_data::EC_CRT).unwrap_err();
        assert!(matches!(err, KeysError::UnsupportedKeyAlgorithm { .. }));
        let msg = err.to_string();
        assert!(msg.contains("EC (P-256)"), "{msg}");
        assert!(msg.contains("not RSA"), "{msg}");
    }

    #[test]
    fn private_key_instead_of_certificate() {
        for input in [test_data::RSA_A_PKCS1, test_data::RSA_A_PKCS8] {
            let err = parse_certificates(input).unwrap_err();
            assert!(matches!(err, KeysError::PrivateKeyNotCertificate));
            let msg = err.to_string();
            assert_eq!(msg, "file holds a private key, not a certificate");
        }
        let key = PrivateKey::from_pkcs8_der(&test_data::der_of(test_data::RSA_A_PKCS8)).unwrap();
        let der = key.to_pkcs8_der().unwrap();
        assert!(matches!(
            parse_certificates(&der),
            Err(KeysError::PrivateKeyNotCertificate)
        ));
    }

    #[test]
    fn empty_and_garbage_inputs() {
        assert!(matches!(
            parse_certificates(b""),
            Err(KeysError::NoCertificate)
        ));
        assert!(matches!(
            parse_certificates(b"hello"),
            Err(KeysError::NoCertificate)
        ));
        assert!(matches!(
            parse_certificates(&[0x30, 0x03, 1, 2, 3]),
            Err(KeysError::CertificateParse { .. })
        ));
    }

    #[test]
    fn several_certificates_in_order() {
        let mut bundle = String::from_utf8(test_data::RSA_A_CRT.to_vec()).unwrap();
        bundle.push_str("\n# comment between blocks\n");
        bundle.push_str(std::str::from_utf8(test_data::RSA_A_PKCS1).unwrap());
        bundle.push_str(std::str::from_utf8(test_data::RSA_A_CRT).unwrap());
        let certs = parse_certificates(bundle.as_bytes()).unwrap();
        assert_eq!(certs.len(), 2);
    }

    #[test]
    fn validity_window_is_enforced_with_dates_in_messages() {
        let cert = parse_certificates(test_data::RSA_A_CRT).unwrap().remove(0);
        let inside = cert.not_before() + time::Duration::days(1);
        cert.check_valid_at(inside).unwrap();

        let after = cert.not_after() + time::Duration::seconds(1);
        let err = cert.check_valid_at(after).unwrap_err();
        assert!(matches!(err, KeysError::CertificateExpired { .. }));
        assert!(
            err.to_string().contains(&rfc3339(cert.not_after())),
            "{err}"
        );

        let before = cert.not_before() - time::Duration::seconds(1);
        let err = cert.check_valid_at(before).unwrap_err();
        assert!(matches!(err, KeysError::CertificateNotYetValid { .. }));
        assert!(
            err.to_string().contains(&rfc3339(cert.not_before())),
            "{err}"
        );

        assert!(load_sealing_certificate(test_data::RSA_A_CRT, inside).is_ok());
        assert!(matches!(
            load_sealing_certificate(test_data::RSA_A_CRT, datetime!(2100-01-01 0:00 UTC)),
            Err(KeysError::CertificateExpired { .. })
        ));
    }

    #[test]
    fn debug_is_short() {
        let cert = parse_certificates(test_data::RSA_A_CRT).unwrap().remove(0);
        let shown = format!("{cert:?}");
        assert!(shown.contains("sealed-secret"));
        assert!(shown.len() < 300, "{shown}");
    }
}
