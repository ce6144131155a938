//! Known-answer tests against an independent implementation, Python `cryptography`
//! (OpenSSL), in both directions: we open what it sealed (`kat/vectors.json`, made by
//! `kat/generate.py`), and it opens what we sealed (`kat/open.py`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{RSA2048, RSA2048_B, RSA4096, kat_dir, load_key};
use sealant_crypto::{
    Backend, PrivateKey, Scope, decode_base64, encode_base64, open, open_with, seal_with,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::{collections::BTreeSet, process::Command};

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
    expect: String,
    sealed: String,
    #[serde(default)]
    why: Option<String>,
    #[serde(default)]
    plaintext_kind: Option<String>,
    #[serde(default)]
    plaintext: Option<String>,
    #[serde(default)]
    plaintext_sha256: Option<String>,
    #[serde(default)]
    plaintext_len: Option<usize>,
}

impl Vector {
    fn describe(&self) -> String {
        format!(
            "{} {} {}/{} {}",
            self.key,
            self.scope,
            self.namespace,
            self.name,
            self.why
                .as_deref()
                .or(self.plaintext_kind.as_deref())
                .unwrap_or("?")
        )
    }

    fn check_plaintext(&self, got: &[u8]) {
        if let Some(b64) = &self.plaintext {
            let want = decode_base64(b64).unwrap();
            assert!(
                got == want.as_slice(),
                "{}: wrong plaintext",
                self.describe()
            );
        } else {
            let (hash, len) = (
                self.plaintext_sha256.as_deref().unwrap(),
                self.plaintext_len.unwrap(),
            );
            assert_eq!(got.len(), len, "{}", self.describe());
            assert_eq!(
                hex::encode(Sha256::digest(got)),
                hash,
                "{}",
                self.describe()
            );
        }
    }
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(kat_dir().join("vectors.json")).unwrap();
    serde_json::from_str::<Vectors>(&text).unwrap().vectors
}

fn keys() -> Vec<(&'static str, PrivateKey)> {
    [RSA2048, RSA4096, RSA2048_B]
        .into_iter()
        .map(|f| (f, load_key(f)))
        .collect()
}

#[test]
fn vector_file_covers_every_scope_plaintext_and_failure() {
    let all = vectors();
    let opens: BTreeSet<(String, String, String)> = all
        .iter()
        .filter(|v| v.expect == "open")
        .map(|v| {
            (
                v.key.clone(),
                v.scope.clone(),
                v.plaintext_kind.clone().unwrap_or_default(),
            )
        })
        .collect();
    for scope in Scope::ALL {
        for kind in ["empty", "ascii", "binary-with-nuls", "large-64k"] {
            let key = RSA2048.to_owned();
            assert!(
                opens.contains(&(key, scope.to_string(), kind.to_owned())),
                "missing {scope} {kind} vector"
            );
        }
    }
    let fails: BTreeSet<&str> = all.iter().filter_map(|v| v.why.as_deref()).collect();
    for why in [
        "wrong-name",
        "wrong-namespace",
        "wrong-scope-strict-as-cluster-wide",
        "wrong-key-same-size",
        "tampered-gcm-ciphertext",
        "tampered-gcm-tag",
        "tampered-rsa-block",
        "truncated-tag",
        "truncated-inside-rsa-block",
    ] {
        assert!(fails.contains(why), "missing failing vector {why}");
    }
}

#[test]
fn python_sealed_vectors_open_with_every_backend() {
    let keys = keys();
    let all = vectors();
    let (mut opened, mut refused) = (0, 0);
    for v in &all {
        let key = &keys.iter().find(|(f, _)| *f == v.key).unwrap().1;
        let scope: Scope = v.scope.parse().unwrap();
        let label = scope.label(&v.namespace, &v.name).unwrap();
        // Failing vectors include "empty", which is also not base64 of anything useful.
        let sealed = decode_base64(&v.sealed).unwrap();
        for backend in Backend::available() {
            let result = open_with(backend, key, &label, &sealed);
            match v.expect.as_str() {
                "open" => {
                    let got =
                        result.unwrap_or_else(|e| panic!("{} on {backend:?}: {e}", v.describe()));
                    v.check_plaintext(got.as_bytes());
                    opened += 1;
                }
                "fail" => {
                    let err = match result {
                        Ok(_) => panic!("{} opened on {backend:?}", v.describe()),
                        Err(e) => e.to_string(),
                    };
                    // Errors never echo label bytes or namespace/name.
                    assert!(!err.contains("prod"), "error leaks the label: {err}");
                    refused += 1;
                }
                other => panic!("unknown expectation {other:?}"),
            }
        }
        // The default entry point agrees with the explicit backends.
        assert_eq!(open(key, &label, &sealed).is_ok(), v.expect == "open");
    }
    let backends = Backend::available().len();
    let must_open = all.iter().filter(|v| v.expect == "open").count();
    assert!(
        must_open >= 20 && all.len() - must_open >= 20,
        "vector file is incomplete"
    );
    assert_eq!(opened, must_open * backends);
    assert_eq!(refused, (all.len() - must_open) * backends);
}

#[test]
fn sealed_values_start_with_the_bitnami_length_prefix() {
    // L=256 → "AQ", L=512 → "Ag" (design §1).
    for (file, prefix) in [(RSA2048, "AQ"), (RSA4096, "Ag")] {
        let key = load_key(file);
        let label = Scope::Strict.label("prod", "db").unwrap();
        for backend in Backend::available() {
            let sealed = seal_with(backend, key.public_key(), &label, b"x").unwrap();
            assert!(
                encode_base64(&sealed).starts_with(prefix),
                "{file} {backend:?}"
            );
        }
        for v in vectors()
            .iter()
            .filter(|v| v.key == file && v.expect == "open")
        {
            assert!(v.sealed.starts_with(prefix), "{}", v.describe());
        }
    }
}

// ---- The other direction: Python opens what we sealed. ----

/// Fails loudly (never skips) when python3 or its `cryptography` package is missing:
/// `.ci/run` installs it with pip.
fn require_python_cryptography() {
    let probe = Command::new("python3")
        .args(["-c", "import cryptography; print(cryptography.__version__)"])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "the cross-implementation check needs Python's `cryptography` package \
             (pip install cryptography); importing it failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "the cross-implementation check needs python3 with the `cryptography` \
             package; running python3 failed: {e}"
        ),
    }
}

#[derive(Deserialize)]
struct PyResult {
    ok: bool,
    #[serde(default)]
    plaintext: Option<String>,
}

/// Open `(label, sealed)` items with `kat/open.py` under `key_file`, in one process.
fn python_open(key_file: &str, items: &[(Vec<u8>, Vec<u8>)]) -> Vec<Option<Vec<u8>>> {
    let request = serde_json::json!({
        "key": kat_dir().join(key_file),
        "items": items.iter().map(|(label, sealed)| serde_json::json!({
            "label_hex": hex::encode(label),
            "sealed": encode_base64(sealed),
        })).collect::<Vec<_>>(),
    });
    let stdout = sealant_test_support::python::run_script(
        &kat_dir().join("open.py"),
        &[],
        request.to_string().as_bytes(),
    );
    let results: Vec<PyResult> = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(results.len(), items.len());
    results
        .into_iter()
        .map(|r| {
            r.ok.then(|| decode_base64(r.plaintext.as_deref().unwrap()).unwrap())
        })
        .collect()
}

#[test]
fn rust_sealed_values_open_in_python() {
    require_python_cryptography();
    let large: Vec<u8> = (0..64 * 1024u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let plaintexts: [&[u8]; 4] = [b"", b"sealed-by-rust", b"\x00bin\x00ary\x00\xff", &large];
    for file in [RSA2048, RSA4096] {
        let key = load_key(file);
        // Positive items, then the same values under a wrong label, which must be refused.
        let mut items = Vec::new();
        let mut expected = Vec::new();
        for backend in Backend::available() {
            for scope in Scope::ALL {
                let label = scope.label("prod", "db").unwrap();
                for plaintext in plaintexts {
                    let sealed = seal_with(backend, key.public_key(), &label, plaintext).unwrap();
                    items.push((label.as_bytes().to_vec(), sealed));
                    expected.push((format!("{backend:?} {scope}"), Some(plaintext.to_vec())));
                }
            }
        }
        let positives = items.len();
        for i in 0..positives {
            let (label, sealed) = items[i].clone();
            // cluster-wide (empty label) → "x"; otherwise drop the last byte of the label.
            let wrong = if label.is_empty() {
                b"x".to_vec()
            } else {
                label[..label.len() - 1].to_vec()
            };
            items.push((wrong, sealed));
            expected.push((format!("{} under a wrong label", expected[i].0), None));
        }
        let results = python_open(file, &items);
        for ((what, want), got) in expected.iter().zip(&results) {
            assert!(
                got == want,
                "{file} {what}: python {}",
                if got.is_some() {
                    "opened it"
                } else {
                    "refused it"
                }
            );
        }
    }

    // A value for one 2048-bit key does not open under another 2048-bit key in Python.
    let label = Scope::Strict.label("prod", "db").unwrap();
    let sealed = seal_with(
        Backend::RustCrypto,
        load_key(RSA2048).public_key(),
        &label,
        b"secret",
    )
    .unwrap();
    let results = python_open(RSA2048_B, &[(label.as_bytes().to_vec(), sealed)]);
    assert_eq!(results, vec![None]);
}
