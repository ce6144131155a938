//! `sealant keys generate --type x-wing|rsa`: offline escrow key pairs.

use crate::common::{keys_generate, stderr};
use std::os::unix::fs::PermissionsExt;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn x_wing_pair_is_private_key_0600_and_public_key_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("escrow");
    let out = keys_generate(&["--type", "x-wing"], &out_dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let key = out_dir.join("key.pem");
    let public = out_dir.join("public.pem");
    assert_eq!(mode(&key), 0o600);
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(key_text.starts_with("-----BEGIN SEALANT XWING PRIVATE KEY-----"));
    let public_text = std::fs::read_to_string(&public).unwrap();
    assert!(public_text.starts_with("-----BEGIN SEALANT XWING PUBLIC KEY-----"));
    // The key id is printed (stderr), the private key never is.
    let err = stderr(&out);
    assert!(err.contains("key id"), "{err}");
    assert!(!err.contains("PRIVATE KEY-----"), "{err}");
    let key_id = sealant_crypto::XWingPublicKey::from_pem(&public_text)
        .unwrap()
        .key_id()
        .to_hex();
    assert!(err.contains(&key_id), "{err}");

    // Hostile: a second run, or a pre-existing public key file alone, refuses (exit 1) and
    // leaves both files as they were.
    let again = keys_generate(&["--type", "x-wing"], &out_dir);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), key_text);
    std::fs::remove_file(&key).unwrap();
    let only_public = keys_generate(&["--type", "x-wing"], &out_dir);
    assert_eq!(only_public.status.code(), Some(1));
    assert!(
        !key.exists(),
        "no private key written beside a stale public key"
    );
    assert_eq!(std::fs::read_to_string(&public).unwrap(), public_text);
}

#[test]
fn x_wing_refuses_rsa_only_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = keys_generate(
        &["--type", "x-wing", "--bits", "2048"],
        &dir.path().join("k"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!dir.path().join("k").exists());
}

#[test]
fn rsa_type_is_the_existing_pair() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("k");
    let out = keys_generate(&["--type", "rsa", "--bits", "2048"], &out_dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&out_dir.join("key.pem")), 0o600);
    assert!(
        std::fs::read_to_string(out_dir.join("cert.pem"))
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
}
