//! Known-answer tests against vectors made by Python `cryptography` (OpenSSL), in both
//! directions: we open what it sealed, and it opens what we sealed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pkcs1::DecodeRsaPrivateKey;
use sealant_crypto::{Backend, PrivateKey, Scope, decode_base64, encode_base64, open_with, seal};
use serde::Deserialize;
use std::{path::PathBuf, process::Command};

#[derive(Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    key: String,
    scope: String,
    namespace: String,
    name: String,
    plaintext: Option<String>,
    sealed: String,
    expect: String,
    why: Option<String>,
}

fn kat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("kat")
}

fn load_key(file: &str) -> PrivateKey {
    let pem = std::fs::read_to_string(kat_dir().join(file)).unwrap();
    PrivateKey::from_rsa(rsa::PrivateKey::from_pkcs1_pem(&pem).unwrap()).unwrap()
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(kat_dir().join("vectors.json")).unwrap();
    serde_json::from_str::<Vectors>(&text).unwrap().vectors
}

#[test]
fn python_sealed_vectors_open_with_every_backend() {
    let all = vectors();
    assert!(all.len() >= 20, "vector file is incomplete");
    let keys = [
        ("test-only-rsa2048.pem", load_key("test-only-rsa2048.pem")),
        ("test-only-rsa4096.pem", load_key("test-only-rsa4096.pem")),
    ];
    let (mut opened, mut refused) = (0, 0);
    for v in &all {
        let key = &keys.iter().find(|(f, _)| *f == v.key).unwrap().1;
        let scope: Scope = v.scope.parse().unwrap();
        let label = scope.label(&v.namespace, &v.name).unwrap();
        let sealed = decode_base64(&v.sealed).unwrap();
        for backend in Backend::available() {
            let result = open_with(backend, key, &label, &sealed);
            match v.expect.as_str() {
                "open" => {
                    let want = decode_base64(v.plaintext.as_deref().unwrap()).unwrap();
                    let got = result.unwrap_or_else(|e| {
                        panic!("{} {} {:?}: {e}", v.key, v.scope, backend)
                    });
                    assert_eq!(got.as_bytes(), want.as_slice());
                    opened += 1;
                }
                _ => {
                    assert!(result.is_err(), "{:?} must fail on {backend:?}", v.why);
                    refused += 1;
                }
            }
        }
    }
    assert!(opened > 0 && refused > 0);
}

/// The independent implementation must open our output. Requires python3 with the
/// `cryptography` package (`.ci/run` installs it); a missing package fails loudly.
#[test]
fn rust_sealed_values_open_in_python() {
    let key_file = kat_dir().join("test-only-rsa2048.pem");
    let key = load_key("test-only-rsa2048.pem");
    for scope in Scope::ALL {
        let label = scope.label("prod", "db").unwrap();
        let plaintext = format!("sealed-by-rust-{scope}");
        let sealed = seal(key.public_key(), &label, plaintext.as_bytes()).unwrap();
        let out = Command::new("python3")
            .arg(kat_dir().join("open.py"))
            .arg(&key_file)
            .arg(hex::encode(label.as_bytes()))
            .arg(encode_base64(&sealed))
            .output()
            .expect("python3 is required for the cross-implementation check");
        assert!(
            out.status.success(),
            "python could not open the {scope} value (is `cryptography` installed?): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got = decode_base64(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
        assert_eq!(got, plaintext.as_bytes());

        // And it refuses the same value under another name.
        let wrong = Scope::Strict.label("prod", "other").unwrap();
        let refused = Command::new("python3")
            .arg(kat_dir().join("open.py"))
            .arg(&key_file)
            .arg(hex::encode(wrong.as_bytes()))
            .arg(encode_base64(&sealed))
            .status()
            .unwrap();
        assert_eq!(refused.code(), Some(3), "{scope} value opened under another name");
    }
}
