//! Black-box tests of every `sealant` subcommand, through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

fn seal_args<'a>(cert: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["seal", "--cert", cert];
    args.extend_from_slice(extra);
    args
}

fn unseal_text(sealed: &str, extra: &[&str]) -> String {
    let key = path_str(&keypair().key).to_owned();
    let mut args = vec!["unseal", "--private-key", key.as_str()];
    args.extend_from_slice(extra);
    let out = run(&args, Some(sealed.as_bytes()));
    assert!(out.status.success(), "unseal failed: {}", stderr(&out));
    stdout(&out)
}

fn decoded(secret: &serde_json::Value, key: &str) -> String {
    use base64::Engine;
    let b64 = secret["data"][key].as_str().unwrap();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn seal_yaml_then_unseal_round_trips() {
    let cert = path_str(&keypair().cert);
    let out = run(&seal_args(cert, &[]), Some(SECRET_YAML.as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.contains(PASSWORD) && !text.contains(USER),
        "plaintext leaked"
    );
    assert!(!text.contains("last-applied-configuration"));
    assert!(!text.contains("creationTimestamp"));
    assert!(!text.contains("status"));

    let docs = documents(&text);
    assert_eq!(docs.len(), 1);
    let sealed = &docs[0];
    assert_eq!(sealed["apiVersion"], "bitnami.com/v1alpha1");
    assert_eq!(sealed["kind"], "SealedSecret");
    assert_eq!(sealed["metadata"]["name"], "db");
    assert_eq!(sealed["metadata"]["namespace"], "prod");
    assert_eq!(
        sealed["spec"]["template"]["metadata"]["labels"]["app"],
        "shop"
    );
    assert_eq!(sealed["spec"]["template"]["type"], "Opaque");
    let data = sealed["spec"]["encryptedData"].as_object().unwrap();
    assert_eq!(data.len(), 2);
    // A 2048-bit key gives a 256-byte RSA block: prefix 0x0100 → base64 "AQ".
    assert!(data["password"].as_str().unwrap().starts_with("AQ"));

    let plain = documents(&unseal_text(&text, &["-o", "json"]));
    assert_eq!(plain[0]["kind"], "Secret");
    assert_eq!(decoded(&plain[0], "password"), PASSWORD);
    assert_eq!(decoded(&plain[0], "user"), USER);
}

#[test]
fn seal_multi_document_input_and_json_output() {
    let cert = path_str(&keypair().cert);
    let input = "\
# two Secrets in one file
apiVersion: v1
kind: Secret
metadata: {name: a, namespace: ns1}
stringData: {k: one}
---
---
apiVersion: v1
kind: Secret
metadata: {name: b, namespace: ns2}
stringData: {k: two}
";
    let out = run(&seal_args(cert, &["-o", "json"]), Some(input.as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.trim_start().starts_with('{'));
    let docs = documents(&text);
    let names: Vec<_> = docs.iter().map(|d| d["metadata"]["name"].clone()).collect();
    assert_eq!(names, ["a", "b"]);

    let plain = documents(&unseal_text(&text, &[]));
    assert_eq!(decoded(&plain[0], "k"), "one");
    assert_eq!(decoded(&plain[1], "k"), "two");
}

#[test]
fn seal_json_stream_input() {
    let cert = path_str(&keypair().cert);
    let input = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a","namespace":"n"},"stringData":{"x":"1"}}
{"apiVersion":"v1","kind":"Secret","metadata":{"name":"b","namespace":"n"},"stringData":{"x":"2"}}"#;
    let out = run(&seal_args(cert, &[]), Some(input.as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(documents(&stdout(&out)).len(), 2);
}

#[test]
fn scopes_set_annotations_and_bind_labels() {
    let cert = path_str(&keypair().cert);
    for (scope, annotation) in [
        ("namespace-wide", "sealedsecrets.bitnami.com/namespace-wide"),
        ("cluster-wide", "sealedsecrets.bitnami.com/cluster-wide"),
    ] {
        let out = run(
            &seal_args(cert, &["--scope", scope]),
            Some(SECRET_YAML.as_bytes()),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        let doc = &documents(&text)[0];
        assert_eq!(
            doc["metadata"]["annotations"][annotation], "true",
            "{scope}"
        );
        // Rename the object: namespace-wide and cluster-wide values still open.
        let renamed = text.replace("name: db", "name: renamed");
        let plain = documents(&unseal_text(&renamed, &[]));
        assert_eq!(decoded(&plain[0], "password"), PASSWORD, "{scope}");
    }
    // Strict (default): a renamed object no longer opens.
    let out = run(&seal_args(cert, &[]), Some(SECRET_YAML.as_bytes()));
    let renamed = stdout(&out).replace("name: db", "name: renamed");
    let key = path_str(&keypair().key);
    let failed = run(&["unseal", "--private-key", key], Some(renamed.as_bytes()));
    assert_eq!(failed.status.code(), Some(1));
    let err = stderr(&failed);
    assert!(
        err.contains("prod/renamed"),
        "error should name the object: {err}"
    );
    assert!(!err.contains(PASSWORD));
}

#[test]
fn namespace_flag_fills_missing_namespace() {
    let cert = path_str(&keypair().cert);
    let input = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  k: v\n";
    let out = run(&seal_args(cert, &["-n", "team"]), Some(input.as_bytes()));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(documents(&stdout(&out))[0]["metadata"]["namespace"], "team");
}

/// `--name` fills a missing name, as `-n` fills a missing namespace; a Secret that already
/// has a different name is refused, naming both, exactly as a differing `-n` is (exit 1).
#[test]
fn name_flag_fills_a_missing_name_and_refuses_a_different_one() {
    let cert = path_str(&keypair().cert);
    let nameless =
        "apiVersion: v1\nkind: Secret\nmetadata:\n  namespace: team\nstringData:\n  k: v\n";
    let out = run(
        &seal_args(cert, &["--name", "x"]),
        Some(nameless.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(documents(&stdout(&out))[0]["metadata"]["name"], "x");

    let same = run(
        &seal_args(cert, &["--name", "db"]),
        Some(SECRET_YAML.as_bytes()),
    );
    assert!(same.status.success(), "{}", stderr(&same));
    assert_eq!(documents(&stdout(&same))[0]["metadata"]["name"], "db");

    let renamed = run(
        &seal_args(cert, &["--name", "other"]),
        Some(SECRET_YAML.as_bytes()),
    );
    let namespace = run(
        &seal_args(cert, &["-n", "staging"]),
        Some(SECRET_YAML.as_bytes()),
    );
    assert_eq!(namespace.status.code(), Some(1), "{}", stderr(&namespace));
    assert_eq!(
        renamed.status.code(),
        namespace.status.code(),
        "{}",
        stderr(&renamed)
    );
    let err = stderr(&renamed);
    assert!(err.contains("\"db\"") && err.contains("\"other\""), "{err}");
    assert!(stdout(&renamed).is_empty());
}

#[test]
fn output_file_is_written_atomically_with_format_from_extension() {
    let dir = tempfile::tempdir().unwrap();
    let cert = path_str(&keypair().cert);
    let input = write(dir.path(), "secret.yaml", SECRET_YAML);
    let target = dir.path().join("sealed.json");
    let out = run(
        &seal_args(cert, &["-f", path_str(&input), "-w", path_str(&target)]),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.trim_start().starts_with('{'));
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
}

#[test]
fn raw_seal_and_raw_unseal() {
    let sealed = seal_raw("raw-plain-value", "ns", "obj");
    assert!(
        !sealed.ends_with('\n'),
        "raw output must have no trailing newline"
    );
    assert!(!sealed.contains("raw-plain-value"));

    let opened = unseal_raw(&sealed, "ns", "obj");
    assert!(opened.status.success(), "{}", stderr(&opened));
    assert_eq!(stdout(&opened), "raw-plain-value");

    // Wrong name: fails, names the target, shows no value.
    let wrong = unseal_raw(&sealed, "ns", "other");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stderr(&wrong).contains("ns/other"));
}

#[test]
fn raw_reads_stdin_when_no_file() {
    let cert = path_str(&keypair().cert);
    let out = run(
        &["seal", "--cert", cert, "--raw", "--scope", "cluster-wide"],
        Some(b"from-stdin"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("AQ"));
}

#[test]
fn merge_into_keeps_untouched_ciphertexts_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let cert = path_str(&keypair().cert);
    let sealed_path = dir.path().join("sealed.yaml");
    let out = run(
        &seal_args(cert, &["-w", path_str(&sealed_path)]),
        Some(SECRET_YAML.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let before = documents(&std::fs::read_to_string(&sealed_path).unwrap())[0].clone();

    let update = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ignored\nstringData:\n  password: new-password\n  token: added-token\n";
    let out = run(
        &["merge-into", path_str(&sealed_path), "--cert", cert],
        Some(update.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&sealed_path).unwrap();
    assert!(
        !text.trim_start().starts_with('{'),
        "YAML file must stay YAML"
    );
    let after = documents(&text)[0].clone();
    let (b, a) = (
        &before["spec"]["encryptedData"],
        &after["spec"]["encryptedData"],
    );
    assert_eq!(
        a["user"], b["user"],
        "untouched ciphertext must be byte-identical"
    );
    assert_ne!(a["password"], b["password"]);
    assert!(a["token"].is_string());
    assert_eq!(after["metadata"]["name"], "db");

    let plain = documents(&unseal_text(&text, &[]));
    assert_eq!(decoded(&plain[0], "password"), "new-password");
    assert_eq!(decoded(&plain[0], "token"), "added-token");
    assert_eq!(decoded(&plain[0], "user"), USER);
}

#[test]
fn keys_generate_writes_private_key_and_certificate() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("k");
    let out = run(
        &[
            "keys",
            "generate",
            "--out",
            path_str(&out_dir),
            "--cn",
            "my-cluster",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = std::fs::metadata(out_dir.join("key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let key_text = std::fs::read_to_string(out_dir.join("key.pem")).unwrap();
    assert!(key_text.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(!stderr(&out).contains("PRIVATE KEY"));

    let inspect = run(
        &[
            "cert",
            "inspect",
            path_str(&out_dir.join("cert.pem")),
            "-o",
            "json",
        ],
        None,
    );
    assert!(inspect.status.success(), "{}", stderr(&inspect));
    let info: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(info[0]["keyBits"], 4096);
    assert_eq!(info[0]["subjectCN"], "my-cluster");
    assert_eq!(info[0]["status"], "valid");
    assert_eq!(info[0]["fingerprint"].as_str().unwrap().len(), 64);

    // A second run refuses to overwrite the pair.
    let again = run(&["keys", "generate", "--out", path_str(&out_dir)], None);
    assert_eq!(again.status.code(), Some(1));
}

#[test]
fn cert_inspect_text_matches_openssl_fingerprint() {
    let cert = path_str(&keypair().cert);
    let out = run(&["cert", "inspect", cert], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("RSA 2048 bits"), "{text}");
    // Fingerprint = SHA-256 of the SubjectPublicKeyInfo DER, reproducible with openssl.
    let openssl = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl x509 -in {cert} -pubkey -noout | openssl pkey -pubin -outform der | sha256sum"
        ))
        .output()
        .expect("openssl and sha256sum are required");
    let expected = String::from_utf8(openssl.stdout).unwrap();
    let expected = expected.split_whitespace().next().unwrap();
    assert!(text.contains(expected), "{text} vs {expected}");
}

#[test]
fn help_and_version_exit_zero() {
    assert!(run(&["--help"], None).status.success());
    assert!(run(&["--version"], None).status.success());
    assert!(run(&["seal", "--help"], None).status.success());
}

#[test]
fn closed_stdout_pipe_is_success() {
    // `sealant seal ... | head -c1`: the reader leaves early; that is not a failure.
    // 300 Secrets make well over a pipe buffer (64 KiB) of output, forcing EPIPE.
    let dir = tempfile::tempdir().unwrap();
    let many: String = (0..300)
        .map(|i| format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: s{i}, namespace: n}}\nstringData: {{k: v}}\n---\n"))
        .collect();
    let input = write(dir.path(), "many.yaml", &many);
    let cert = path_str(&keypair().cert);
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{BIN}' seal --cert '{cert}' -f '{}' | head -c1 >/dev/null; exit ${{PIPESTATUS[0]}}",
            path_str(&input)
        ))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
