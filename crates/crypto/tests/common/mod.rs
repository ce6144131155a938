//! Shared helpers for the integration tests: the TEST-ONLY keys in `kat/`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use pkcs1::der::SecretDocument;
use sealant_crypto::PrivateKey;
use std::path::PathBuf;

/// First TEST-ONLY 2048-bit key (made by Python `cryptography`, see `kat/README.md`).
pub const RSA2048: &str = "test-only-rsa2048.pem";
/// Second TEST-ONLY 2048-bit key: a wrong key of the same size.
pub const RSA2048_B: &str = "test-only-rsa2048-b.pem";
/// TEST-ONLY 4096-bit key (Bitnami's default size).
pub const RSA4096: &str = "test-only-rsa4096.pem";

pub fn kat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("kat")
}

/// PKCS#1 PEM → DER → [`PrivateKey::from_pkcs1_der`], the path `tls.key` takes.
pub fn load_key(file: &str) -> PrivateKey {
    let pem = std::fs::read_to_string(kat_dir().join(file))
        .unwrap_or_else(|e| panic!("reading {file}: {e}"));
    let (label, der) = SecretDocument::from_pem(&pem).unwrap();
    assert_eq!(label, "RSA PRIVATE KEY", "{file} must be PKCS#1 PEM");
    PrivateKey::from_pkcs1_der(der.as_bytes()).unwrap()
}
