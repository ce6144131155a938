//! Self-signed certificates for sealing keys, built the way kubeseal expects them.
//!
//! Bitnami's controller publishes each key as a self-signed CA certificate with only a CN in
//! the subject (default `sealed-secret`, its `--my-cn`), a random 128-bit serial, and a
//! validity of ten years. kubeseal only reads the RSA key and the validity dates, but Go's
//! `x509.ParseCertificate` must accept the whole certificate, so we keep it conventional:
//! v3, sha256WithRSAEncryption, CA basic constraints and a subject key identifier.

use crate::{Certificate, KeysError};
use rand::Rng;
use rsa::{pkcs1v15::SigningKey, sha2::Sha256};
use sealant_crypto::PrivateKey;
use std::{str::FromStr, time::Duration as StdDuration};
use time::{Duration, OffsetDateTime};
use x509_cert::{
    builder::{Builder, CertificateBuilder, profile::BuilderProfile},
    certificate::TbsCertificate,
    der::{DateTime, Encode},
    ext::{
        Extension, ToExtension,
        pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier},
    },
    name::Name,
    serial_number::SerialNumber,
    spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef},
    time::{Time, Validity},
};

/// Bitnami's default subject CN (`--my-cn`).
pub const DEFAULT_COMMON_NAME: &str = "sealed-secret";

/// Bitnami's default certificate lifetime: ten years (3650 days).
pub const DEFAULT_CERT_VALIDITY: Duration = Duration::days(3650);

/// What goes into a key's certificate. `not_before` is injected so tests and the key
/// renewal schedule control the clock.
#[derive(Debug, Clone)]
pub struct CertificateOptions {
    pub common_name: String,
    pub not_before: OffsetDateTime,
    pub validity: Duration,
}

impl CertificateOptions {
    /// Bitnami's defaults, valid from `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            common_name: DEFAULT_COMMON_NAME.to_owned(),
            not_before: now,
            validity: DEFAULT_CERT_VALIDITY,
        }
    }
}

/// Issue a self-signed certificate for `key`.
pub fn self_signed_certificate(
    key: &PrivateKey,
    options: &CertificateOptions,
) -> Result<Certificate, KeysError> {
    let subject = subject_name(&options.common_name)?;
    if !options.validity.is_positive() {
        return Err(KeysError::CertificateOptions(
            "validity must be positive".to_owned(),
        ));
    }
    let not_before = options.not_before;
    let not_after = not_before
        .checked_add(options.validity)
        .ok_or_else(|| KeysError::CertificateOptions("validity end out of range".to_owned()))?;
    let validity = Validity::new(x509_time(not_before)?, x509_time(not_after)?);

    let build_error = |e: x509_cert::builder::Error| KeysError::CertificateBuild(e.to_string());
    let spki = SubjectPublicKeyInfoOwned::try_from(key.public_key().spki_der())
        .map_err(|e| KeysError::CertificateBuild(e.to_string()))?;
    let builder = CertificateBuilder::new(
        SealingKeyProfile { subject },
        random_serial()?,
        validity,
        spki,
    )
    .map_err(build_error)?;
    // The signing key is a clone of the RSA key; rsa zeroizes it when it drops here.
    let signer = SigningKey::<Sha256>::new(key.rsa().clone());
    let cert = builder
        .build::<_, rsa::pkcs1v15::Signature>(&signer)
        .map_err(build_error)?;
    let der = cert
        .to_der()
        .map_err(|e| KeysError::CertificateBuild(e.to_string()))?;
    Certificate::from_der(&der)
}

/// A subject with only a CN, as Bitnami's. Built through RFC 4514 text, so the CN is
/// escaped first.
fn subject_name(common_name: &str) -> Result<Name, KeysError> {
    if common_name.trim().is_empty() {
        return Err(KeysError::CertificateOptions(
            "common name is empty".to_owned(),
        ));
    }
    // X.520 upper bound for CommonName.
    if common_name.chars().count() > 64 {
        return Err(KeysError::CertificateOptions(
            "common name is longer than 64 characters".to_owned(),
        ));
    }
    if common_name.chars().any(char::is_control) {
        return Err(KeysError::CertificateOptions(
            "common name contains control characters".to_owned(),
        ));
    }
    Name::from_str(&format!("CN={}", escape_rfc4514(common_name)))
        .map_err(|e| KeysError::CertificateOptions(format!("common name: {e}")))
}

fn escape_rfc4514(value: &str) -> String {
    let last = value.chars().count().saturating_sub(1);
    let mut out = String::with_capacity(value.len() + 4);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A positive 128-bit serial, like Bitnami's `rand.Int(2^128)`. The top bit is cleared so
/// the DER integer needs no sign padding, and the value is never zero.
fn random_serial() -> Result<SerialNumber, KeysError> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::new(&bytes).map_err(|e| KeysError::CertificateBuild(e.to_string()))
}

fn x509_time(t: OffsetDateTime) -> Result<Time, KeysError> {
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| {
        KeysError::CertificateOptions("dates before 1970 are not supported".to_owned())
    })?;
    let dt = DateTime::from_unix_duration(StdDuration::from_secs(secs))
        .map_err(|e| KeysError::CertificateOptions(format!("date out of range: {e}")))?;
    // UTCTime up to 2049, GeneralizedTime after, as RFC 5280 requires.
    Ok(Time::from(dt))
}

/// The extensions of a sealing certificate: a self-issued CA (as Bitnami's, `IsCA: true`)
/// whose key may sign and encipher.
struct SealingKeyProfile {
    subject: Name,
}

impl BuilderProfile for SealingKeyProfile {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let mut extensions = Vec::new();
        let basic = BasicConstraints {
            ca: true,
            path_len_constraint: None,
        };
        extensions.push(basic.to_extension(tbs.subject(), &extensions)?);
        let usage = KeyUsage(
            KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment | KeyUsages::KeyCertSign,
        );
        extensions.push(usage.to_extension(tbs.subject(), &extensions)?);
        let ski = SubjectKeyIdentifier::try_from(spk)?;
        extensions.push(ski.to_extension(tbs.subject(), &extensions)?);
        Ok(extensions)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::test_data;
    use time::macros::datetime;

    #[test]
    fn round_trip_2048_with_defaults() {
        let key = test_data::key_a();
        let now = datetime!(2026-03-01 12:00:00 UTC);
        let cert = self_signed_certificate(&key, &CertificateOptions::new(now)).unwrap();
        assert_eq!(cert.common_name(), Some(DEFAULT_COMMON_NAME));
        assert_eq!(cert.bits(), 2048);
        assert_eq!(cert.fingerprint(), key.fingerprint());
        assert!(cert.matches(&key));
        assert_eq!(cert.not_before(), now);
        assert_eq!(cert.not_after() - cert.not_before(), Duration::days(3650));
        // Positive, non-zero, at most 16 bytes of DER integer.
        assert!(!cert.serial_hex().is_empty() && cert.serial_hex().len() <= 32);
        cert.check_valid_at(now).unwrap();
        cert.check_valid_at(datetime!(2036-02-20 0:00 UTC)).unwrap();
        assert!(cert.check_valid_at(datetime!(2036-03-01 0:00 UTC)).is_err());
    }

    #[test]
    fn round_trip_4096_reports_bits() {
        let key = test_data::key_4096();
        let cert = self_signed_certificate(
            &key,
            &CertificateOptions::new(datetime!(2026-01-01 0:00 UTC)),
        )
        .unwrap();
        assert_eq!(cert.bits(), 4096);
        assert_eq!(cert.public_key().size_bytes(), 512);
    }

    #[test]
    fn serials_differ() {
        let key = test_data::key_a();
        let opts = CertificateOptions::new(datetime!(2026-01-01 0:00 UTC));
        let a = self_signed_certificate(&key, &opts).unwrap();
        let b = self_signed_certificate(&key, &opts).unwrap();
        assert_ne!(a.serial_hex(), b.serial_hex());
        assert_eq!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn custom_cn_validity_and_far_dates() {
        let key = test_data::key_a();
        let opts = CertificateOptions {
            common_name: "team, \"ops\" = #1 ".to_owned(),
            not_before: datetime!(2045-06-01 0:00 UTC),
            validity: Duration::days(3650),
        };
        // Crosses 2050, where RFC 5280 switches from UTCTime to GeneralizedTime.
        let cert = self_signed_certificate(&key, &opts).unwrap();
        assert_eq!(cert.common_name(), Some("team, \"ops\" = #1 "));
        assert_eq!(cert.not_after(), datetime!(2055-05-30 0:00 UTC));
    }

    #[test]
    fn bad_options_are_refused() {
        let key = test_data::key_a();
        let mut opts = CertificateOptions::new(datetime!(2026-01-01 0:00 UTC));
        opts.common_name = " ".to_owned();
        assert!(matches!(
            self_signed_certificate(&key, &opts),
            Err(KeysError::CertificateOptions(_))
        ));
        opts.common_name = "x".repeat(65);
        assert!(self_signed_certificate(&key, &opts).is_err());
        opts.common_name = DEFAULT_COMMON_NAME.to_owned();
        opts.validity = Duration::ZERO;
        assert!(self_signed_certificate(&key, &opts).is_err());
        opts.validity = DEFAULT_CERT_VALIDITY;
        opts.not_before = datetime!(1960-01-01 0:00 UTC);
        assert!(self_signed_certificate(&key, &opts).is_err());
    }
}
