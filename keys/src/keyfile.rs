//! Reading private keys from the files people actually have: PEM key files (PKCS#1 or
//! PKCS#8, optionally with certificates), and the key Secrets as
//! `kubectl get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml|json` writes
//! them (one Secret, several YAML documents, a JSON stream, or a `v1.List`).

use crate::{
    Certificate, KeysError, certificate::certificate_in, manifest, parse_certificates, pem,
};
use sealant_crypto::{CryptoError, PrivateKey};

/// A private key read from a file, with its certificate when the file had a matching one.
#[derive(Debug)]
pub struct KeyMaterial {
    pub key: PrivateKey,
    pub certificate: Option<Certificate>,
    /// Where it came from, for messages: "PEM block 2", "Secret kube-system/sealed-secrets-keyx7f2k".
    pub source: String,
}

/// Every private key in `bytes`. Fails with [`KeysError::NoPrivateKey`] when there is none,
/// and on the first malformed key (naming its source), rather than silently using fewer keys.
pub fn read_private_keys(bytes: &[u8]) -> Result<Vec<KeyMaterial>, KeysError> {
    let text = std::str::from_utf8(bytes).map_err(|_| KeysError::NoPrivateKey)?;
    let keys = if pem::looks_like_pem(text) {
        keys_from_pem(text)?
    } else {
        manifest::tls_secrets(text)?
            .into_iter()
            .map(|s| key_material_from_tls(&s.tls_key, s.tls_crt.as_deref(), s.source))
            .collect::<Result<Vec<_>, _>>()?
    };
    if keys.is_empty() {
        return Err(KeysError::NoPrivateKey);
    }
    Ok(keys)
}

/// The key of one `kubernetes.io/tls` Secret, from its decoded `tls.key` and `tls.crt`
/// (both PEM). Used directly by the controller, which already has the Secret's bytes.
pub fn key_material_from_tls(
    tls_key_pem: &[u8],
    tls_crt_pem: Option<&[u8]>,
    source: String,
) -> Result<KeyMaterial, KeysError> {
    let text = std::str::from_utf8(tls_key_pem).map_err(|_| KeysError::InvalidPrivateKey {
        source_name: source.clone(),
        reason: "tls.key is not PEM text".to_owned(),
    })?;
    let mut key = None;
    for block in pem::parse_blocks(text).map_err(|e| in_source(&source, e))? {
        if let Some(k) = private_key_from_block(&block, &source)? {
            key = Some(k);
            break;
        }
    }
    let key = key.ok_or_else(|| KeysError::InvalidPrivateKey {
        source_name: source.clone(),
        reason: "tls.key holds no PEM private key".to_owned(),
    })?;
    let certificate = match tls_crt_pem {
        None => None,
        Some(crt) if crt.iter().all(u8::is_ascii_whitespace) => None,
        Some(crt) => {
            let certs = parse_certificates(crt).map_err(|e| in_source(&source, e))?;
            // A tls.crt for another key would make us publish a certificate we cannot
            // decrypt for; refuse the Secret instead.
            let cert = certs.into_iter().find(|c| c.matches(&key)).ok_or_else(|| {
                KeysError::CertificateMismatch {
                    source_name: source.clone(),
                }
            })?;
            Some(cert)
        }
    };
    Ok(KeyMaterial {
        key,
        certificate,
        source,
    })
}

fn keys_from_pem(text: &str) -> Result<Vec<KeyMaterial>, KeysError> {
    let blocks = pem::parse_blocks(text)?;
    let mut keys = Vec::new();
    let mut certs = Vec::new();
    for block in &blocks {
        if let Some(cert) = certificate_in(block)? {
            certs.push(cert);
        } else if let Some(key) = private_key_from_block(block, &block.source_name())? {
            keys.push(KeyMaterial {
                key,
                certificate: None,
                source: block.source_name(),
            });
        }
    }
    // Pair by fingerprint, not position: files are concatenated in any order. Certificates
    // without a key (e.g. a CA chain) are ignored.
    for cert in certs {
        if let Some(slot) = keys
            .iter_mut()
            .find(|m| m.certificate.is_none() && cert.matches(&m.key))
        {
            slot.certificate = Some(cert);
        }
    }
    Ok(keys)
}

/// The RSA key in a PEM block, `None` for blocks that hold no private key.
fn private_key_from_block(
    block: &pem::PemBlock,
    source: &str,
) -> Result<Option<PrivateKey>, KeysError> {
    let invalid = |reason: String| KeysError::InvalidPrivateKey {
        source_name: source.to_owned(),
        reason,
    };
    let encrypted = || KeysError::EncryptedKey {
        source_name: source.to_owned(),
    };
    let parsed = match block.label.as_str() {
        "RSA PRIVATE KEY" if block.legacy_encrypted => return Err(encrypted()),
        "RSA PRIVATE KEY" => PrivateKey::from_pkcs1_der(&block.der),
        "PRIVATE KEY" => PrivateKey::from_pkcs8_der(&block.der),
        "ENCRYPTED PRIVATE KEY" => return Err(encrypted()),
        other if other.ends_with("PRIVATE KEY") => {
            return Err(invalid(format!(
                "{other} is not supported; Sealed Secrets keys are RSA"
            )));
        }
        _ => return Ok(None),
    };
    match parsed {
        Ok(key) => Ok(Some(key)),
        Err(CryptoError::InvalidKey(reason)) => Err(invalid(reason)),
        Err(other) => Err(in_source(source, other.into())),
    }
}

/// Prefix an error with its source where the variant does not already carry one.
fn in_source(source: &str, err: KeysError) -> KeysError {
    match err {
        KeysError::Pem(reason) => KeysError::Pem(format!("{source}: {reason}")),
        KeysError::Crypto(e) => KeysError::InvalidPrivateKey {
            source_name: source.to_owned(),
            reason: e.to_string(),
        },
        KeysError::NoCertificate | KeysError::PrivateKeyNotCertificate => {
            KeysError::CertificateParse {
                source_name: source.to_owned(),
                reason: format!("tls.crt: {err}"),
            }
        }
        other => other,
    }
}

// TEST-ONLY: every PEM block in these tests is built from the repository's TEST-ONLY keys
// (keys/tests/data) or is a fake body such as `AAAA`; none is real key material.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::test_data::{self, RSA_A_FINGERPRINT};
    use base64::{Engine, engine::general_purpose::STANDARD};

    fn b64(bytes: &[u8]) -> String {
        STANDARD.encode(bytes)
    }

    fn secret_yaml(name: &str, key_pem: &[u8], crt_pem: &[u8]) -> String {
        format!(
            "apiVersion: v1\n\
             data:\n  tls.crt: {}\n  tls.key: {}\n\
             kind: Secret\n\
             metadata:\n  creationTimestamp: \"2026-01-01T00:00:00Z\"\n  generateName: sealed-secrets-key\n  \
             labels:\n    sealedsecrets.bitnami.com/sealed-secrets-key: active\n  name: {name}\n  \
             namespace: kube-system\n  resourceVersion: \"123\"\n  uid: 1b4e28ba-2fa1-11d2-883f-0016d3cca427\n\
             type: kubernetes.io/tls\n",
            b64(crt_pem),
            b64(key_pem)
        )
    }

    fn indent(text: &str, by: usize) -> String {
        let pad = " ".repeat(by);
        text.lines().map(|l| format!("{pad}{l}\n")).collect()
    }

    #[test]
    fn pkcs1_and_pkcs8_give_the_same_key() {
        let p1 = read_private_keys(test_data::RSA_A_PKCS1).unwrap();
        let p8 = read_private_keys(test_data::RSA_A_PKCS8).unwrap();
        assert_eq!(p1.len(), 1);
        assert_eq!(p8.len(), 1);
        assert_eq!(p1[0].key.fingerprint().to_hex(), RSA_A_FINGERPRINT);
        assert_eq!(p8[0].key.fingerprint().to_hex(), RSA_A_FINGERPRINT);
        assert_eq!(p1[0].source, "PEM block 1");
        assert!(p1[0].certificate.is_none());
    }

    #[test]
    fn multi_block_pem_pairs_certificates_by_fingerprint() {
        // cert of a, key b, key a (cert before its key, on purpose), an unrelated block.
        let text = [
            test_data::RSA_A_CRT,
            test_data::RSA_B_PKCS8,
            b"-----BEGIN DH PARAMETERS-----\nAAAA\n-----END DH PARAMETERS-----\n",
            test_data::RSA_A_PKCS1,
        ]
        .concat();
        let keys = read_private_keys(&text).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].source, "PEM block 2");
        assert!(keys[0].certificate.is_none());
        assert_eq!(keys[1].source, "PEM block 4");
        let cert = keys[1].certificate.as_ref().unwrap();
        assert_eq!(cert.fingerprint(), keys[1].key.fingerprint());
    }

    #[test]
    fn tls_secret_yaml() {
        let yaml = secret_yaml(
            "sealed-secrets-keyx7f2k",
            test_data::RSA_A_PKCS1,
            test_data::RSA_A_CRT,
        );
        let keys = read_private_keys(yaml.as_bytes()).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].source, "Secret kube-system/sealed-secrets-keyx7f2k");
        assert_eq!(keys[0].key.fingerprint().to_hex(), RSA_A_FINGERPRINT);
        assert!(keys[0].certificate.is_some());
    }

    #[test]
    fn tls_secret_json_and_json_stream() {
        let one = |name: &str, key: &[u8]| {
            serde_json::json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "namespace": "kube-system", "labels": {"a": "b"}},
                "type": "kubernetes.io/tls",
                "data": {"tls.key": b64(key), "tls.crt": ""}
            })
            .to_string()
        };
        let json = one("k1", test_data::RSA_A_PKCS8);
        let keys = read_private_keys(json.as_bytes()).unwrap();
        assert_eq!(keys.len(), 1);
        assert!(keys[0].certificate.is_none());
        let stream = format!("{}\n{}", json, one("k2", test_data::RSA_B_PKCS8));
        let keys = read_private_keys(stream.as_bytes()).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].source, "Secret kube-system/k2");
    }

    #[test]
    fn multi_document_yaml_skips_other_objects() {
        let yaml = format!(
            "---\n{}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 1\n  \
             template: {{}}\n---\n{}",
            secret_yaml("k1", test_data::RSA_A_PKCS1, test_data::RSA_A_CRT),
            secret_yaml("k2", test_data::RSA_C_PKCS1, b""),
        );
        let keys = read_private_keys(yaml.as_bytes()).unwrap();
        let sources: Vec<_> = keys.iter().map(|k| k.source.as_str()).collect();
        assert_eq!(sources, ["Secret kube-system/k1", "Secret kube-system/k2"]);
    }

    #[test]
    fn v1_list_as_kubectl_writes_it() {
        let items = [
            secret_yaml(
                "sealed-secrets-keyaaaaa",
                test_data::RSA_A_PKCS1,
                test_data::RSA_A_CRT,
            ),
            secret_yaml("sealed-secrets-keybbbbb", test_data::RSA_B_PKCS8, b""),
        ];
        let mut yaml = String::from("apiVersion: v1\nitems:\n");
        for item in &items {
            let body = indent(item, 2);
            yaml.push_str("- ");
            yaml.push_str(body.trim_start());
        }
        yaml.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        let keys = read_private_keys(yaml.as_bytes()).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].source, "Secret kube-system/sealed-secrets-keybbbbb");
    }

    #[test]
    fn string_data_and_legacy_name() {
        let yaml = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sealed-secrets-key\n  namespace: kube-system\n\
             type: kubernetes.io/tls\nstringData:\n  tls.key: |\n{}",
            indent(std::str::from_utf8(test_data::RSA_A_PKCS1).unwrap(), 4)
        );
        let keys = read_private_keys(yaml.as_bytes()).unwrap();
        assert_eq!(keys[0].source, "Secret kube-system/sealed-secrets-key");
    }

    #[test]
    fn mismatched_certificate_is_refused() {
        let yaml = secret_yaml("k", test_data::RSA_B_PKCS8, test_data::RSA_A_CRT);
        let err = read_private_keys(yaml.as_bytes()).unwrap_err();
        assert!(
            matches!(err, KeysError::CertificateMismatch { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("Secret kube-system/k"));
    }

    #[test]
    fn no_key_found() {
        for input in [
            &b""[..],
            b"hello: world\n",
            b"just text",
            b"- a\n- b\n",
            b"---\n---\nkind: List\nitems:\n- 1\n- [x]\n",
            test_data::RSA_A_CRT,
            b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: opaque\ndata:\n  password: aHVudGVyMg==\n",
            b"{\"kind\":\"List\",\"items\":[]}",
            &[0xff, 0xfe, 0x00],
        ] {
            let err = read_private_keys(input).unwrap_err();
            assert!(matches!(err, KeysError::NoPrivateKey), "{err}");
            assert!(err.to_string().contains("no private key found"));
        }
    }

    #[test]
    fn encrypted_keys_are_unsupported() {
        for input in [
            test_data::RSA_ENCRYPTED_PKCS1,
            test_data::RSA_A_ENCRYPTED_PKCS8,
        ] {
            let err = read_private_keys(input).unwrap_err();
            assert!(matches!(err, KeysError::EncryptedKey { .. }), "{err}");
            assert!(
                err.to_string()
                    .contains("encrypted private keys are not supported")
            );
        }
    }

    #[test]
    fn malformed_inputs_never_echo_key_material() {
        let key_b64 = b64(test_data::RSA_A_PKCS1);
        let broken = [
            // Bad base64 in tls.key.
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: k\ndata:\n  tls.key: \"{}!!\"\n",
                &key_b64[..40]
            ),
            // Unterminated JSON after a key value.
            format!(
                "{{\"kind\":\"Secret\",\"data\":{{\"tls.key\":\"{}\"",
                &key_b64[..200]
            ),
            // Truncated PKCS#1 body.
            test_data::pem_block("RSA PRIVATE KEY", &key_b64[..64]),
            // Invalid YAML.
            format!("kind: Secret\ndata: [\n  tls.key: {}\n", &key_b64[..200]),
        ];
        for input in &broken {
            let err = read_private_keys(input.as_bytes()).unwrap_err();
            let msg = err.to_string();
            assert!(!msg.contains(&key_b64[..24]), "{msg}");
            assert!(!msg.contains("MII"), "{msg}");
        }
    }

    #[test]
    fn non_rsa_pem_key_is_refused() {
        let text = test_data::pem_block("EC PRIVATE KEY", "AAAA");
        let err = read_private_keys(text.as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("EC PRIVATE KEY is not supported"),
            "{err}"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let keys = read_private_keys(test_data::RSA_A_PKCS1).unwrap();
        let shown = format!("{keys:?}");
        assert!(shown.contains("redacted"), "{shown}");
        let pem_body = std::str::from_utf8(test_data::RSA_A_PKCS1)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap();
        assert!(!shown.contains(&pem_body[..20]));
        // No big decimal or hex numbers (modulus, primes) either.
        assert!(
            !shown
                .chars()
                .collect::<Vec<_>>()
                .windows(40)
                .any(|w| w.iter().all(char::is_ascii_hexdigit))
        );
    }
}
