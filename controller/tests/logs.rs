//! Secret hygiene in logs: the real binary runs a reconcile at trace level (kube's own
//! request logging included) and its captured output is searched for the plaintext, its
//! base64 form, and private-key material.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use sealant_crypto::{Scope, encode_base64};
use std::io::Read;

const PLAINTEXT: &str = "PLAINTEXT-SENTINEL-7f3a9c1e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_logs_never_contain_plaintext_or_keys() {
    let h = Harness::with_key('a').await;
    let dir = tempfile::tempdir().unwrap();
    let stderr_path = dir.path().join("stderr.log");

    let mut child = h.spawn_binary(
        dir.path(),
        &[
            "--controller-namespace=kube-system",
            "--log-level=trace",
            "--log-format=json",
            "--listen-addr=127.0.0.1:0",
            "--listen-metrics-addr=127.0.0.1:0",
        ],
        &stderr_path,
    );

    // Template rendering and the legacy path go through the log-visible code too.
    let mut ss = seal(
        &test_key('a'),
        "app",
        "db",
        Scope::Strict,
        &[("password", PLAINTEXT)],
    );
    ss.spec.template.data.insert(
        "dsn".to_owned(),
        Some("x:{{ index . \"password\" }}".to_owned()),
    );
    h.create_sealed(&ss).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let synced = h
            .synced("app", "db")
            .await
            .is_some_and(|(s, _, _)| s == "True");
        if synced {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "controller did not converge"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The Secret really holds the plaintext, so the grep below is meaningful.
    assert_eq!(
        h.secret_data("app", "db").await.unwrap()["password"],
        PLAINTEXT
    );

    child.kill().unwrap();
    child.wait().unwrap();
    let mut logs = String::new();
    std::fs::File::open(&stderr_path)
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(logs.contains("\"level\":\"TRACE\""), "trace level was on");
    assert!(logs.contains("app/db"), "the object is named in the logs");
    for needle in [
        PLAINTEXT.to_owned(),
        encode_base64(PLAINTEXT.as_bytes()),
        format!("x:{PLAINTEXT}"),
        "PRIVATE KEY".to_owned(),
    ] {
        assert!(!logs.contains(&needle), "logs contain {needle:?}");
    }
}
