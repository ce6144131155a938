//! Nothing panics on key or certificate input: arbitrary bytes, and PEM/manifest-shaped
//! noise, give typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use sealant_keys::{parse_certificates, read_private_keys};

fn pem_like() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop_oneof![
        Just(b"-----BEGIN RSA PRIVATE KEY-----\n".to_vec()),
        Just(b"-----END RSA PRIVATE KEY-----\n".to_vec()),
        Just(b"-----BEGIN CERTIFICATE-----\n".to_vec()),
        Just(b"-----END CERTIFICATE-----\n".to_vec()),
        Just(b"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n".to_vec()),
        Just(b"kind: Secret\ndata:\n  tls.key: LS0tLS1CRUdJTg==\n".to_vec()),
        Just(b"kind: List\nitems: [{kind: Secret, data: {tls.key: 1}}]\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..64),
    ];
    proptest::collection::vec(pieces, 0..10).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn key_and_certificate_readers_never_panic(bytes in pem_like()) {
        let _ = read_private_keys(&bytes);
        let _ = parse_certificates(&bytes);
    }
}
