//! Key files and certificates (`sealant-keys`): PEM with PKCS#1, PKCS#8 and CERTIFICATE
//! blocks, and key Secrets as YAML or JSON (`kubernetes.io/tls`, Lists).
//!
//! * never panics;
//! * every private key read writes back (PKCS#1 PEM, PKCS#8 DER) to the same key;
//! * a certificate paired with a key belongs to it;
//! * every certificate read writes back to PEM that parses to the same DER;
//! * errors never quote a line of the key's base64 body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealant_crypto::PrivateKey;
use sealant_keys::{parse_certificates, read_private_keys};

fuzz_target!(|data: &[u8]| {
    match read_private_keys(data) {
        Ok(keys) => {
            for material in &keys {
                let key = &material.key;
                let pem = key
                    .to_pkcs1_pem()
                    .unwrap_or_else(|e| panic!("key does not write: {e}"));
                let again = read_private_keys(pem.as_bytes())
                    .unwrap_or_else(|e| panic!("our own PKCS#1 PEM does not read: {e}"));
                assert_eq!(again.len(), 1);
                assert_eq!(
                    again[0].key.fingerprint(),
                    key.fingerprint(),
                    "PKCS#1 round trip"
                );
                let der = key
                    .to_pkcs8_der()
                    .unwrap_or_else(|e| panic!("key does not write: {e}"));
                let from_der = PrivateKey::from_pkcs8_der(&der)
                    .unwrap_or_else(|e| panic!("our own PKCS#8 does not read: {e}"));
                assert_eq!(
                    from_der.fingerprint(),
                    key.fingerprint(),
                    "PKCS#8 round trip"
                );
                if let Some(cert) = &material.certificate {
                    assert!(
                        cert.matches(key),
                        "{}: certificate of another key",
                        material.source
                    );
                }
            }
        }
        Err(e) => no_key_body_in(&format!("{e} {e:?}"), data),
    }

    if let Ok(certs) = parse_certificates(data) {
        for cert in &certs {
            let again = parse_certificates(cert.to_pem().as_bytes())
                .unwrap_or_else(|e| panic!("our own certificate PEM does not parse: {e}"));
            assert_eq!(again.len(), 1);
            assert_eq!(again[0].der(), cert.der(), "certificate PEM round trip");
            assert_eq!(again[0].fingerprint(), cert.fingerprint());
            let _ = (
                cert.bits(),
                cert.common_name(),
                cert.serial_hex(),
                cert.not_after(),
            );
        }
    }
});

/// A line made only of base64 characters, 16 or more long, is a PEM body line: key material.
fn no_key_body_in(message: &str, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.lines().map(str::trim) {
        let body_like = line.len() >= 16
            && line
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
        if body_like {
            assert!(
                !message.contains(line),
                "key error quotes input base64: {message}"
            );
        }
    }
}
