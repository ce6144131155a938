//! A v2 object under Bitnami's controller: its first step on every value is Go's
//! `base64.StdEncoding.DecodeString`, and an error there fails the object cleanly (an unseal
//! error in status and Events; no crash, nothing half-applied). This runs that step with Go's
//! own standard library on what Sealant writes: every v2 string must fail it, and every v1
//! value must pass it (so the check can tell them apart).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sealant_api::{PlainSecret, SealOptions, SealTo, seal_secret_to};
use sealant_crypto::{Plaintext, XWingPrivateKey, v2::Recipient};
use sealant_keys::{DEFAULT_KEY_BITS, generate_private_key};
use sealant_test_support::go_program::{GoImports, GoProgram};
use std::path::PathBuf;

#[test]
fn bitnamis_first_step_fails_on_every_v2_string_and_passes_v1_values() {
    let main_go = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bitnami_reader/main.go");
    let Some(go) = GoProgram::build(&main_go, GoImports::StandardLibrary) else {
        return;
    };
    let rsa = generate_private_key(DEFAULT_KEY_BITS.min(2048)).unwrap();
    let xwing = XWingPrivateKey::generate().unwrap();
    let mut secret = PlainSecret::default();
    secret.metadata.name = Some("db".into());
    secret.metadata.namespace = Some("prod".into());
    for (k, v) in [("password", "hunter2"), ("user", "admin")] {
        secret
            .data
            .insert(k.into(), Plaintext::copy_from_slice(v.as_bytes()));
    }
    let recipients = [
        Recipient::Rsa(rsa.public_key()),
        Recipient::XWing(xwing.public_key()),
    ];
    let v2 = seal_secret_to(&secret, SealTo::V2(&recipients), &SealOptions::default()).unwrap();
    let v1 = seal_secret_to(
        &secret,
        SealTo::V1(rsa.public_key()),
        &SealOptions::default(),
    )
    .unwrap();

    for (object, expect) in [(&v2, "fails"), (&v1, "decodes")] {
        let input = serde_json::to_vec(&object.spec.encrypted_data).unwrap();
        let output = String::from_utf8(go.run(input)).unwrap();
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), object.spec.encrypted_data.len(), "{output}");
        for line in lines {
            assert!(line.ends_with(&format!("\t{expect}")), "{line}");
        }
    }
}
