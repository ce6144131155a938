//! The repository's TEST-ONLY RSA keys (`keys/tests/data`), by file name, for the tests and
//! benchmarks of every crate. Never use them for anything else: they are public.

use std::path::PathBuf;

/// 2048 bits, PKCS#1; the controller tests' key `a` and the CLI rotation tests' old key.
pub const RSA2048_A: &str = "test-only-rsa2048-a.pkcs1.pem";
/// 2048 bits, PKCS#8; the controller tests' key `b` and the CLI rotation tests' new key.
pub const RSA2048_B: &str = "test-only-rsa2048-b.pkcs8.pem";
/// 2048 bits, PKCS#1; the controller tests' key `c`.
pub const RSA2048_C: &str = "test-only-rsa2048-c.pkcs1.pem";
/// 4096 bits, PKCS#1: what production keys cost, for the benchmarks.
pub const RSA4096: &str = "test-only-rsa4096.pkcs1.pem";

/// The absolute path of the TEST-ONLY file `file`, wherever the test runs from.
pub fn path(file: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../keys/tests/data"
    ))
    .join(file)
}

/// The first private key in the TEST-ONLY key file `file`.
#[cfg(feature = "keys")]
pub fn key(file: &str) -> sealant_crypto::PrivateKey {
    let pem = std::fs::read(path(file)).expect("the TEST-ONLY key files are in the repository");
    sealant_keys::read_private_keys(&pem)
        .expect("a TEST-ONLY key file holds a private key")
        .remove(0)
        .key
}
