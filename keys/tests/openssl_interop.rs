//! Cross-checks our certificates with OpenSSL, an independent X.509 implementation.
//! Skipped (with a note) when the `openssl` binary is not on PATH.

use sealant_keys::{CertificateOptions, KeysError, read_private_keys, self_signed_certificate};
use std::{path::Path, process::Command};

// TEST-ONLY key (see tests/data/README.md).
const KEY_A: &[u8] = include_bytes!("data/test-only-rsa2048-a.pkcs1.pem");

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn openssl(args: &[&str]) -> Option<std::process::Output> {
    Command::new("openssl").args(args).output().ok()
}

fn write_cert(dir: &Path) -> Result<(String, String), KeysError> {
    let key = read_private_keys(KEY_A)?.remove(0).key;
    let cert = self_signed_certificate(
        &key,
        &CertificateOptions::new(time::OffsetDateTime::now_utc()),
    )?;
    let path = dir.join("cert.pem");
    std::fs::write(&path, cert.to_pem()).map_err(|e| KeysError::Pem(e.to_string()))?;
    Ok((
        path.to_string_lossy().into_owned(),
        cert.fingerprint().to_hex(),
    ))
}

#[test]
fn openssl_accepts_and_verifies_our_certificate() -> TestResult {
    if openssl(&["version"]).is_none() {
        eprintln!("openssl not found; skipping");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let (cert, fingerprint) = write_cert(dir.path())?;

    let verify = openssl(&["verify", "-CAfile", &cert, &cert]).ok_or("openssl verify")?;
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success() && out.contains(": OK"),
        "{out}{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    let text = openssl(&["x509", "-in", &cert, "-noout", "-text"]).ok_or("openssl x509")?;
    let text = String::from_utf8_lossy(&text.stdout);
    for expected in [
        "Version: 3 (0x2)",
        "Signature Algorithm: sha256WithRSAEncryption",
        "Issuer: CN = sealed-secret",
        "Subject: CN = sealed-secret",
        "Public-Key: (2048 bit)",
        "CA:TRUE",
        "Digital Signature, Key Encipherment, Certificate Sign",
        "X509v3 Subject Key Identifier",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }

    // Our fingerprint is SHA-256 over the DER SubjectPublicKeyInfo, as openssl computes it.
    let spki = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl x509 -in '{cert}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -r"
        ))
        .output()?;
    let digest = String::from_utf8_lossy(&spki.stdout);
    assert!(
        digest.starts_with(&fingerprint),
        "{digest} vs {fingerprint}"
    );
    Ok(())
}
