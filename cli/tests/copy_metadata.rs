//! #1625: `--copy-metadata` puts the input Secret's labels and annotations on the
//! SealedSecret's own metadata, minus bookkeeping that would be wrong there. Without the flag
//! the output is what sealant wrote before the flag existed: the expected files in
//! tests/data/copy-metadata were produced by the binary before this change (ciphertexts
//! masked), for both `sealant seal` and kubeseal mode.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::controller::test_only_key_path;
use common::files::masked;
use common::*;
use serde_json::{Value, json};
use std::path::PathBuf;

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/copy-metadata")
        .join(file)
}

/// The TEST-ONLY certificate the expected files were sealed with (its fingerprint is in them).
fn cert() -> String {
    path_str(&test_only_key_path("test-only-rsa2048-a.crt.pem")).to_owned()
}

fn sealant_seal(extra: &[&str]) -> String {
    let cert = cert();
    let secret = data("secret.yaml");
    let mut args = vec!["seal", "--cert", &cert, "-f", path_str(&secret)];
    args.extend_from_slice(extra);
    let out = run(&args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

fn kubeseal_seal(extra: &[&str]) -> String {
    let cert = cert();
    let secret = data("secret.yaml");
    let mut args = vec!["--cert", cert.as_str(), "-f", path_str(&secret)];
    args.extend_from_slice(extra);
    let out = kubeseal(&args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn without_the_flag_the_output_is_unchanged() {
    for (actual, expected) in [
        (sealant_seal(&["-o", "yaml"]), "sealant-default.yaml"),
        (sealant_seal(&["-o", "json"]), "sealant-default.json"),
        (kubeseal_seal(&[]), "kubeseal-default.json"),
        (kubeseal_seal(&["-o", "yaml"]), "kubeseal-default.yaml"),
    ] {
        let expected_text = std::fs::read_to_string(data(expected)).unwrap();
        assert_eq!(masked(&actual), expected_text, "{expected}");
    }
}

/// What the flag adds to the SealedSecret's own metadata, given the test Secret.
fn assert_copied(doc: &Value, record_sealed_for: bool) {
    let meta = &doc["metadata"];
    assert_eq!(
        meta["labels"],
        json!({"app.kubernetes.io/name": "shop", "team": "payments"}),
        "labels copied, the key-Secret label left behind"
    );
    let annotations = meta["annotations"].as_object().unwrap();
    let mut names: Vec<&str> = annotations.keys().map(String::as_str).collect();
    names.sort_unstable();
    let mut expected = vec![
        "argocd.argoproj.io/sync-wave",
        "helm.sh/hook",
        "sealedsecrets.bitnami.com/namespace-wide",
    ];
    if record_sealed_for {
        expected.push("sealant.dev/sealed-for");
    }
    expected.sort_unstable();
    assert_eq!(names, expected);
    assert_eq!(annotations["argocd.argoproj.io/sync-wave"], "-1");
    // The template is exactly what it is without the flag.
    let text = doc.to_string();
    assert!(!text.contains("leak") && !text.contains("hunter2"));
}

#[test]
fn with_the_flag_the_sealed_secret_carries_them() {
    let plain = documents(&sealant_seal(&["-o", "json"])).remove(0);
    let copied = documents(&sealant_seal(&["-o", "json", "--copy-metadata"])).remove(0);
    assert_copied(&copied, true);
    assert_eq!(copied["spec"]["template"], plain["spec"]["template"]);
    assert_eq!(copied["metadata"]["name"], "db");
    assert_eq!(copied["metadata"]["namespace"], "prod");
    // The ciphertexts still open with the key (the scope is unchanged: namespace-wide).
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "s.json", &copied.to_string());
    let key = test_only_key_path("test-only-rsa2048-a.pkcs1.pem");
    let out = run(
        &[
            "unseal",
            "--private-key",
            path_str(&key),
            "-f",
            path_str(&file),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // kubeseal mode takes it as a sealant extension (and kubeseal's own output, without the
    // sealed-for hint).
    let kubeseal_plain = documents(&kubeseal_seal(&[])).remove(0);
    let kubeseal_copied = documents(&kubeseal_seal(&["--copy-metadata"])).remove(0);
    assert_copied(&kubeseal_copied, false);
    assert_eq!(
        kubeseal_copied["spec"]["template"],
        kubeseal_plain["spec"]["template"]
    );
}
