//! Shared fixtures of the fuzz targets: TEST-ONLY keys committed under `keys/tests/data`
//! (see its README). Never use these keys outside tests and fuzzing.

use sealant_crypto::PrivateKey;
use std::sync::OnceLock;

/// TEST-ONLY RSA-2048 key "a", PKCS#1 PEM.
pub const TEST_KEY_A_PEM: &[u8] =
    include_bytes!("../../keys/tests/data/test-only-rsa2048-a.pkcs1.pem");
/// TEST-ONLY RSA-2048 key "b", PKCS#8 PEM.
pub const TEST_KEY_B_PEM: &[u8] =
    include_bytes!("../../keys/tests/data/test-only-rsa2048-b.pkcs8.pem");

/// Parse a committed TEST-ONLY key. A fixture that does not parse is a broken checkout, not a
/// finding, so it aborts the run with a clear message.
pub fn test_key(pem: &[u8]) -> PrivateKey {
    match sealant_keys::read_private_keys(pem) {
        Ok(mut keys) if keys.len() == 1 => keys.remove(0).key,
        other => panic!("TEST-ONLY fixture key does not parse: {other:?}"),
    }
}

/// Key "a", parsed once per process.
pub fn key_a() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| test_key(TEST_KEY_A_PEM))
}

/// Plaintext marker the targets plant in secret values and then look for in every error.
pub const CANARY: &str = "CANARY-7f3e9b1d";

/// One change to sealed bytes, chosen by the fuzzer. Whatever it changes must then fail to
/// open: the envelope's integrity check covers every byte.
#[derive(arbitrary::Arbitrary, Debug)]
pub enum Tamper {
    None,
    Flip { at: u16, mask: u8 },
    Truncate { to: u16 },
    Extend { bytes: Vec<u8> },
}

impl Tamper {
    /// Apply the change to `sealed`; whether it changed anything. A flip always flips at
    /// least one bit and a truncation always drops at least one byte, so only `None` and an
    /// empty extension leave the bytes as they were.
    pub fn apply(&self, sealed: &mut Vec<u8>) -> bool {
        if sealed.is_empty() {
            return false;
        }
        match self {
            Tamper::None => false,
            Tamper::Flip { at, mask } => {
                let at = usize::from(*at) % sealed.len();
                sealed[at] ^= mask | 1;
                true
            }
            Tamper::Truncate { to } => {
                sealed.truncate(usize::from(*to) % sealed.len());
                true
            }
            Tamper::Extend { bytes } => {
                sealed.extend_from_slice(bytes);
                !bytes.is_empty()
            }
        }
    }
}
