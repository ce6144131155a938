//! Bad input gets a clear error, exit code 1, no panic, and no partial output file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::path::{Path, PathBuf};

struct Case {
    name: &'static str,
    args: Vec<String>,
    stdin: Vec<u8>,
    /// A fragment the error must contain (it names the object, key, file or flag).
    expect: &'static str,
}

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  password: hunter2-plain\n";

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn put(&self, name: &str, contents: &[u8]) -> String {
        let p = self.path(name);
        std::fs::write(&p, contents).unwrap();
        p.to_str().unwrap().to_owned()
    }
}

fn openssl(args: &[&str], cwd: &Path) {
    let status = std::process::Command::new("openssl")
        .args(args)
        .current_dir(cwd)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl is required by the test suite");
    assert!(status.success(), "openssl {args:?}");
}

fn sealed_with_value(value: &str) -> String {
    format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n  namespace: prod\nspec:\n  encryptedData:\n    password: {value}\n"
    )
}

fn cases(files: &Files) -> Vec<Case> {
    let cert = path_str(&keypair().cert).to_owned();
    let key = path_str(&keypair().key).to_owned();
    let other_key = path_str(&other_keypair().key).to_owned();
    let seal = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["seal", "--cert", &cert]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let unseal = |k: &str| -> Vec<String> {
        ["unseal", "--private-key", k]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };

    // Certificates that must be refused.
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ec.key",
            "-out",
            "ec.pem",
            "-days",
            "30",
            "-subj",
            "/CN=ec",
        ],
        files.dir.path(),
    );
    let ec_cert = files.path("ec.pem").to_str().unwrap().to_owned();
    let expired_cert = files.put("expired.pem", expired_certificate_pem().as_bytes());
    let key_as_cert = key.clone();
    let garbage = files.put("garbage.pem", b"this is not a certificate\n");
    let empty_data = "apiVersion: v1\nkind: Secret\nmetadata: {name: e, namespace: n}\n";
    let not_sealed = files.put(
        "configmap.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    );
    // A valid sealed file for wrong-key and truncation cases.
    let sealed_ok = {
        let args = seal(&[]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args, Some(SECRET.as_bytes()));
        assert!(out.status.success());
        stdout(&out)
    };

    let one_sealed = files.put("one-sealed.yaml", sealed_ok.as_bytes());
    let two_sealed = files.put(
        "two-sealed.yaml",
        format!("{sealed_ok}---\n{sealed_ok}").as_bytes(),
    );
    let c = |name, args: Vec<String>, stdin: &[u8], expect| Case {
        name,
        args,
        stdin: stdin.to_vec(),
        expect,
    };
    vec![
        c("invalid yaml", seal(&[]), b"apiVersion: v1\nkind: [Secret\n", "YAML"),
        c("invalid json", seal(&[]), b"{\"apiVersion\": \"v1\",", "JSON"),
        c("non-secret kind", seal(&[]), b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\ndata: {a: b}\n", "ConfigMap"),
        c("missing kind", seal(&[]), b"apiVersion: v1\nmetadata: {name: c}\n", "kind"),
        c("missing name", seal(&[]), b"apiVersion: v1\nkind: Secret\nmetadata: {namespace: n}\nstringData: {a: b}\n", "name"),
        c("namespace mismatch", seal(&["-n", "staging"]), SECRET.as_bytes(), "staging"),
        c("no namespace for strict", seal(&[]), b"apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {a: b}\n", "namespace"),
        c("bad base64 in data", seal(&[]), b"apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: n}\ndata: {pw: '***not-base64***'}\n", "pw"),
        c("empty input", seal(&[]), b"", "empty"),
        c("whitespace input", seal(&[]), b"  \n\n", "empty"),
        c("binary input", seal(&[]), b"\x7fELF\x00\x01\x02", "binary"),
        c("invalid utf-8", seal(&[]), b"kind: \xff\xfe", "UTF-8"),
        c("empty data refused", seal(&[]), empty_data.as_bytes(), "allow-empty-data"),
        c("unknown scope", seal(&["--scope", "galaxy-wide"]), SECRET.as_bytes(), "galaxy-wide"),
        c("--name with many documents", seal(&["--name", "x"]), format!("{SECRET}---\n{SECRET}").as_bytes(), "--name"),
        c("missing cert file", ["seal", "--cert", "/nonexistent/cert.pem"].iter().map(|s| s.to_string()).collect(), SECRET.as_bytes(), "/nonexistent/cert.pem"),
        c("cert file holds a private key", ["seal", "--cert", &key_as_cert].iter().map(|s| s.to_string()).collect(), SECRET.as_bytes(), "private key"),
        c("non-RSA certificate", ["seal", "--cert", &ec_cert].iter().map(|s| s.to_string()).collect(), SECRET.as_bytes(), "RSA"),
        c("expired certificate", ["seal", "--cert", &expired_cert].iter().map(|s| s.to_string()).collect(), SECRET.as_bytes(), "expired"),
        c("garbage certificate", ["seal", "--cert", &garbage].iter().map(|s| s.to_string()).collect(), SECRET.as_bytes(), "certificate"),
        c("plain http to a remote host", ["seal", "--cert", "http://192.0.2.1/v1/cert.pem"].iter().map(|s| s.to_string()).collect(), SECRET.as_bytes(), "https"),
        // Without --cert, seal asks the cluster (tests/cluster.rs); a malformed pin is bad input.
        c("malformed fingerprint pin", ["seal", "--cert", &garbage, "--cert-fingerprint", "abc"].iter().map(|s| s.to_string()).collect(), SECRET.as_bytes(), "--cert-fingerprint"),
        c("raw strict without name", seal(&["--raw", "-n", "ns"]), b"v", "--name"),
        c("raw without namespace", seal(&["--raw", "--name", "n"]), b"v", "--namespace"),
        c("truncated envelope", unseal(&key), sealed_with_value("AAAA").as_bytes(), "password"),
        c("bad base64 in encryptedData", unseal(&key), sealed_with_value("'%%%'").as_bytes(), "password"),
        c("wrong private key", unseal(&other_key), sealed_ok.as_bytes(), "prod/db"),
        c("key file with no key", unseal(&cert), sealed_ok.as_bytes(), "key"),
        c("missing key file", unseal("/nonexistent/key.pem"), sealed_ok.as_bytes(), "/nonexistent/key.pem"),
        c("garbage key file", unseal(&garbage), sealed_ok.as_bytes(), "garbage.pem"),
        c("unseal a plain Secret", unseal(&key), SECRET.as_bytes(), "Secret"),
        c("merge into missing file", ["merge-into", "/nonexistent/s.yaml", "--cert", &cert].iter().map(|s| s.to_string()).collect(), SECRET.as_bytes(), "/nonexistent/s.yaml"),
        c("merge into a file of two SealedSecrets", ["merge-into", &two_sealed, "--cert", &cert].iter().map(|s| s.to_string()).collect(), SECRET.as_bytes(), "exactly one SealedSecret, found 2"),
        c("merge two Secrets", ["merge-into", &one_sealed, "--cert", &cert].iter().map(|s| s.to_string()).collect(), format!("{SECRET}---\n{SECRET}").as_bytes(), "exactly one Secret, found 2"),
        c("edit a file of two SealedSecrets", ["edit", &two_sealed, "--cert", &cert].iter().map(|s| s.to_string()).collect(), b"", "exactly one SealedSecret, found 2"),
        c("merge into a ConfigMap", ["merge-into", &not_sealed, "--cert", &cert].iter().map(|s| s.to_string()).collect(), SECRET.as_bytes(), "ConfigMap"),
        c("unknown subcommand", vec!["frobnicate".into()], b"", "frobnicate"),
    ]
}

/// An RSA certificate whose validity ended long ago, built by openssl-independent code
/// so the expiry check is exercised on a well-formed certificate.
fn expired_certificate_pem() -> String {
    use sealant_keys::{CertificateOptions, generate_private_key, self_signed_certificate};
    let key = generate_private_key(2048).unwrap();
    let options = CertificateOptions {
        common_name: "expired".into(),
        not_before: time::OffsetDateTime::now_utc() - time::Duration::days(800),
        validity: time::Duration::days(365),
    };
    self_signed_certificate(&key, &options).unwrap().to_pem()
}

#[test]
fn every_bad_input_fails_cleanly() {
    let files = Files {
        dir: tempfile::tempdir().unwrap(),
    };
    let all = cases(&files);
    assert!(all.len() >= 25, "the suite must keep at least 25 cases");
    let mut failures = Vec::new();
    for (i, case) in all.iter().enumerate() {
        let out_file = files.path(&format!("out-{i}.yaml"));
        let mut args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let takes_output = matches!(args.first(), Some(&"seal") | Some(&"unseal"));
        if takes_output {
            args.extend(["-w", path_str(&out_file)]);
        }
        let out = run(&args, Some(&case.stdin));
        let err = stderr(&out);
        let problems = [
            (out.status.code() != Some(1)).then(|| format!("exit {:?}", out.status.code())),
            err.contains("panicked").then(|| "panicked".to_owned()),
            (!err.contains(case.expect)).then(|| format!("stderr lacks {:?}", case.expect)),
            (err.contains("hunter2-plain") || stdout(&out).contains("hunter2-plain"))
                .then(|| "leaked the value".to_owned()),
            out_file.exists().then(|| "left an output file".to_owned()),
            (takes_output && !out.stdout.is_empty()).then(|| "wrote to stdout".to_owned()),
        ];
        let problems: Vec<_> = problems.into_iter().flatten().collect();
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {} — stderr: {}",
                case.name,
                problems.join(", "),
                err.trim()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
