//! #839: `sealant seal --cert A --cert B` writes one SealedSecret per certificate, each exactly
//! what a single `--cert` writes, and `-w` takes a `{cert}`/`{index}` pattern. Real key pairs;
//! every output is opened with the matching private key and refused by the other one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::files::masked;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

const SECRETS: &str = "\
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: prod}
stringData: {password: hunter2}
---
apiVersion: v1
kind: Secret
metadata: {name: cache, namespace: prod}
stringData: {token: t0ken}
";

/// The two test certificates under the file names `prod.pem` and `staging.pem` in `dir`.
fn named_certs(dir: &Path) -> (PathBuf, PathBuf) {
    let prod = dir.join("prod.pem");
    let staging = dir.join("staging.pem");
    std::fs::copy(&keypair().cert, &prod).unwrap();
    std::fs::copy(&other_keypair().cert, &staging).unwrap();
    (prod, staging)
}

/// `sealant unseal` of `file` with `key`: the names and values, or the failure.
fn unseal(file: &Path, key: &Path) -> Result<String, String> {
    let out = run(
        &[
            "unseal",
            "--private-key",
            path_str(key),
            "-f",
            path_str(file),
            "-o",
            "json",
        ],
        None,
    );
    if out.status.success() {
        Ok(stdout(&out))
    } else {
        Err(stderr(&out))
    }
}

/// `sealant seal` of `SECRETS` with one `--cert` per entry of `certs`, then `rest`.
fn seal_for(certs: &[&Path], rest: &[&str]) -> Output {
    let mut args = vec!["seal"];
    for cert in certs {
        args.extend(["--cert", path_str(cert)]);
    }
    args.extend(rest);
    run(&args, Some(SECRETS.as_bytes()))
}

fn seal_single(cert: &Path, format: &str) -> String {
    let out = seal_for(&[cert], &["-o", format]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn one_file_per_certificate_each_as_a_single_cert_seal_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (prod, staging) = named_certs(dir.path());
    let pattern = dir.path().join("sealed-{cert}.yaml");
    let out = seal_for(&[&prod, &staging], &["-w", path_str(&pattern)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let prod_file = dir.path().join("sealed-prod.yaml");
    let staging_file = dir.path().join("sealed-staging.yaml");
    for (file, cert, key, other_key) in [
        (&prod_file, &prod, &keypair().key, &other_keypair().key),
        (
            &staging_file,
            &staging,
            &other_keypair().key,
            &keypair().key,
        ),
    ] {
        let text = std::fs::read_to_string(file).unwrap();
        // v1 format, byte for byte what `seal --cert` of that one certificate writes
        // (ciphertexts are random, so they are masked on both sides).
        assert_eq!(
            masked(&text),
            masked(&seal_single(cert, "yaml")),
            "{}",
            file.display()
        );
        let opened = unseal(file, key).unwrap();
        assert!(
            opened.contains("\"db\"") && opened.contains("\"cache\""),
            "{opened}"
        );
        assert!(
            unseal(file, other_key).is_err(),
            "{} opens with the other key",
            file.display()
        );
    }
    // The files differ where they must: each was sealed for its own certificate.
    assert_ne!(
        std::fs::read_to_string(&prod_file).unwrap(),
        std::fs::read_to_string(&staging_file).unwrap()
    );
}

#[test]
fn index_placeholder_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let (prod, staging) = named_certs(dir.path());
    let out = seal_for(
        &[&prod, &staging],
        &["-w", path_str(&dir.path().join("out-{index}.json"))],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let first = dir.path().join("out-1.json");
    let second = dir.path().join("out-2.json");
    assert!(
        std::fs::read_to_string(&first).unwrap().starts_with('{'),
        "json from .json"
    );
    assert!(unseal(&first, &keypair().key).is_ok());
    assert!(unseal(&second, &other_keypair().key).is_ok());
    assert!(unseal(&second, &keypair().key).is_err());
}

#[test]
fn without_w_the_outputs_follow_each_other_on_stdout_in_cert_order() {
    let dir = tempfile::tempdir().unwrap();
    let (prod, staging) = named_certs(dir.path());
    for format in ["yaml", "json"] {
        let out = seal_for(&[&prod, &staging], &["-o", format]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        let expected = format!(
            "{}{}",
            seal_single(&prod, format),
            seal_single(&staging, format)
        );
        assert_eq!(masked(&text), masked(&expected), "{format}");
        let docs = documents(&text);
        assert_eq!(
            docs.len(),
            4,
            "{format}: two Secrets for each of two certificates"
        );
        // The first two are prod's, the last two staging's.
        for (i, doc) in docs.iter().enumerate() {
            let one = write(
                dir.path(),
                &format!("doc-{format}-{i}.json"),
                &doc.to_string(),
            );
            let (right, wrong) = if i < 2 {
                (&keypair().key, &other_keypair().key)
            } else {
                (&other_keypair().key, &keypair().key)
            };
            assert!(unseal(&one, right).is_ok(), "{format} document {i}");
            assert!(unseal(&one, wrong).is_err(), "{format} document {i}");
        }
    }
}

#[test]
fn ambiguous_outputs_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (prod, staging) = named_certs(dir.path());
    // One file name for two certificates.
    let single = dir.path().join("out.yaml");
    let out = seal_for(&[&prod, &staging], &["-w", path_str(&single)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("{cert}"), "{}", stderr(&out));
    assert!(!single.exists());
    // Two certificates with the same file name, named by {cert}.
    std::fs::create_dir(dir.path().join("other")).unwrap();
    let same_name = dir.path().join("other/prod.pem");
    std::fs::copy(&staging, &same_name).unwrap();
    let pattern = dir.path().join("{cert}.yaml");
    let out = seal_for(&[&prod, &same_name], &["-w", path_str(&pattern)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("both be written"), "{}", stderr(&out));
    assert!(!dir.path().join("prod.yaml").exists());
    // A pattern with no --cert to fill it (the certificate would come from the cluster).
    let out = seal_for(&[], &["-w", path_str(&pattern)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // A bad certificate among several: nothing written for the good one either.
    let bad = write(dir.path(), "bad.pem", "not a certificate");
    let out = seal_for(&[&prod, &bad], &["-w", path_str(&pattern)]);
    assert_ne!(out.status.code(), Some(0));
    assert!(!dir.path().join("prod.yaml").exists());
    // Commands that seal for one certificate say so.
    let out = run(
        &[
            "seal",
            "--raw",
            "--cert",
            path_str(&prod),
            "--cert",
            path_str(&staging),
            "-n",
            "a",
            "--name",
            "b",
        ],
        Some(b"v"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("only `sealant seal`"),
        "{}",
        stderr(&out)
    );
}
