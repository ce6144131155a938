//! The real binary end to end: probes, the certificate through the API server's services
//! proxy (the path kubeseal's --fetch-cert uses), /v1/verify, and metrics that moved.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use sealant_crypto::Scope;
use std::{
    process::{Command, Stdio},
    time::Duration,
};

fn get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.get(url).call().unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_serves_probes_certificate_verify_and_metrics() {
    let h = Harness::with_key('a').await;
    let dir = tempfile::tempdir().unwrap();
    let (api_port, metrics_port) = (free_port(), free_port());
    let mut child = h.spawn_binary(
        dir.path(),
        &[
            "--controller-namespace=kube-system",
            "--key-renew-period=0",
            &format!("--listen-addr=127.0.0.1:{api_port}"),
            &format!("--listen-metrics-addr=127.0.0.1:{metrics_port}"),
        ],
        &dir.path().join("stderr.log"),
    );
    let api = format!("http://127.0.0.1:{api_port}");

    // Wait for readiness (keys loaded, caches synced), bounded.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let (status, body) = match agent.get(&format!("{api}/readyz")).call() {
            Ok(mut r) => (
                r.status().as_u16(),
                r.body_mut().read_to_string().unwrap_or_default(),
            ),
            // Not listening yet.
            Err(e) => (0, e.to_string()),
        };
        if status == 200 {
            break;
        }
        let log = || std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default();
        assert!(
            std::time::Instant::now() < deadline,
            "never ready ({status} {body}):\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(get(&format!("{api}/healthz")).0, 200);

    // The certificate through the API server's services proxy, as kubeseal fetches it.
    h.fake.fake.register_service(
        "kube-system",
        "sealed-secrets-controller",
        format!("127.0.0.1:{api_port}").parse().unwrap(),
    );
    let proxied = h
        .client
        .request_text(
            http::Request::get("/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/cert.pem")
                .body(Vec::new())
                .unwrap(),
        )
        .await
        .unwrap();
    let cert = sealant_keys::parse_certificates(proxied.as_bytes())
        .unwrap()
        .remove(0);
    assert_eq!(cert.fingerprint(), test_key('a').fingerprint());

    // /v1/verify: a good object passes, a renamed one does not.
    let good = seal(&test_key('a'), "app", "db", Scope::Strict, &[("v", "1")]);
    let mut renamed = seal(&test_key('a'), "app", "db", Scope::Strict, &[("v", "1")]);
    renamed.metadata.name = Some("other".to_owned());
    let verify = |ss: &sealant_api::SealedSecret| {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        agent
            .post(&format!("{api}/v1/verify"))
            .content_type("application/json")
            .send(serde_json::to_vec(ss).unwrap())
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(verify(&good), 200);
    assert_eq!(verify(&renamed), 409);

    // A reconcile moves Bitnami's counter.
    h.create_sealed(&good).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, text) = get(&format!("http://127.0.0.1:{metrics_port}/metrics"));
        if text.contains("sealed_secrets_controller_unseal_requests_total 1") {
            assert!(text.contains("sealant_keys{state=\"active\"} 1"), "{text}");
            let verify_calls = text
                .lines()
                .filter(|l| l.starts_with("sealed_secrets_controller_http_requests_total"))
                .filter(|l| l.contains("path=\"/v1/verify\""))
                .count();
            assert_eq!(verify_calls, 2, "a 200 and a 409 series:\n{text}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "metrics never moved:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The documented exit codes: 0 for --help, 1 for a flag or configuration the operator must
/// fix (before any connection is tried), 2 when the API server cannot be reached.
#[test]
fn exit_codes_tell_configuration_from_runtime_failures() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sealant-controller"))
            .args(args)
            .env_remove("KUBECONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    };
    assert_eq!(run(&["--help"]).status.code(), Some(0));
    let unknown = run(&["--no-such-flag"]);
    assert_eq!(unknown.status.code(), Some(1));
    let bad_level = run(&["--log-level=loud"]);
    assert_eq!(bad_level.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad_level.stderr).contains("unknown log level"),
        "{}",
        String::from_utf8_lossy(&bad_level.stderr)
    );
    // A kubeconfig naming a server nothing listens on: the first API call fails.
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: \
             http://127.0.0.1:{}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    \
             user: u\ncurrent-context: c\nusers:\n- name: u\n  user: {{}}\n",
            free_port()
        ),
    )
    .unwrap();
    let unreachable = run(&[
        &format!("--kubeconfig={}", kubeconfig.display()),
        "--listen-addr=",
        "--listen-metrics-addr=",
    ]);
    assert_eq!(
        unreachable.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&unreachable.stderr)
    );
}
