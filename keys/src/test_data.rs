//! TEST-ONLY keys and certificates from tests/data (see its README). Never use outside tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sealant_crypto::PrivateKey;

pub const RSA_A_PKCS1: &[u8] = include_bytes!("../tests/data/test-only-rsa2048-a.pkcs1.pem");
pub const RSA_A_PKCS8: &[u8] = include_bytes!("../tests/data/test-only-rsa2048-a.pkcs8.pem");
pub const RSA_A_CRT: &[u8] = include_bytes!("../tests/data/test-only-rsa2048-a.crt.pem");
pub const RSA_A_ENCRYPTED_PKCS8: &[u8] =
    include_bytes!("../tests/data/test-only-rsa2048-a.encrypted.pkcs8.pem");
pub const RSA_B_PKCS8: &[u8] = include_bytes!("../tests/data/test-only-rsa2048-b.pkcs8.pem");
pub const RSA_C_PKCS1: &[u8] = include_bytes!("../tests/data/test-only-rsa2048-c.pkcs1.pem");
pub const RSA_ENCRYPTED_PKCS1: &[u8] =
    include_bytes!("../tests/data/test-only-rsa2048-encrypted.pkcs1.pem");
pub const RSA_4096_PKCS1: &[u8] = include_bytes!("../tests/data/test-only-rsa4096.pkcs1.pem");
pub const EC_CRT: &[u8] = include_bytes!("../tests/data/test-only-ec-p256.crt.pem");

/// A PEM block of `label` around `body`: for tests of malformed or refused blocks, which
/// hold no key material (the real keys above come from files named test-only).
pub fn pem_block(label: &str, body: &str) -> String {
    format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
}

/// Key a's fingerprint as computed by openssl (known answer).
pub const RSA_A_FINGERPRINT: &str =
    "f2697a610d9be4d989307e3e476a729c5907845897bb3e00cb29d68c2c2df526";

/// The DER of the single PEM block in `pem`.
pub fn der_of(pem: &[u8]) -> Vec<u8> {
    let blocks = crate::pem::parse_blocks(std::str::from_utf8(pem).unwrap()).unwrap();
    blocks[0].der.to_vec()
}

fn only_key(pem: &[u8]) -> PrivateKey {
    let mut keys = crate::read_private_keys(pem).unwrap();
    assert_eq!(keys.len(), 1);
    keys.remove(0).key
}

pub fn key_a() -> PrivateKey {
    only_key(RSA_A_PKCS1)
}

pub fn key_b() -> PrivateKey {
    only_key(RSA_B_PKCS8)
}

pub fn key_c() -> PrivateKey {
    only_key(RSA_C_PKCS1)
}

pub fn key_4096() -> PrivateKey {
    only_key(RSA_4096_PKCS1)
}
