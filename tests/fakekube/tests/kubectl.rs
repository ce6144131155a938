#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_get_secrets() {
    if !common::kubectl_available() {
        eprintln!("kubectl not installed; skipping");
        return;
    }
    let fk = fakekube::FakeKube::start(0).await.unwrap();
    let dir = std::env::temp_dir().join(format!("fakekube-kc-{}", fk.addr.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let kc = dir.join("config");
    std::fs::write(&kc, fakekube::kubeconfig(&fk.url())).unwrap();
    // kubectl create sends protobuf for built-in kinds, which the fake does not decode; seed via JSON.
    let client = kube::Client::try_from(kube::Config::new(fk.url().parse().unwrap())).unwrap();
    let api: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(client, "default");
    let mut s = k8s_openapi::api::core::v1::Secret::default();
    s.metadata.name = Some("s1".into());
    api.create(&Default::default(), &s).await.unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("kubectl")
            .env("HOME", &dir)
            .args([
                "--kubeconfig",
                kc.to_str().unwrap(),
                "--cache-dir",
                dir.join("cache").to_str().unwrap(),
            ])
            .args(["get", "secrets", "-A"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("s1"), "{stdout}");
}

mod common;

/// Everyday kubectl commands against the fake (JSON bodies; see README for what needs
/// `--validate=false` or fails on protobuf).
#[tokio::test(flavor = "multi_thread")]
async fn kubectl_everyday_commands() {
    if !common::kubectl_available() {
        eprintln!("kubectl not installed; skipping");
        return;
    }
    let fk = fakekube::FakeKube::start(0).await.unwrap();
    let dir = std::env::temp_dir().join(format!("fakekube-everyday-{}", fk.addr.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\nstringData:\n  a: b\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let api_resources = ok(common::kubectl(&fk, &["api-resources", "-o", "name"]).await);
    for r in [
        "secrets",
        "configmaps",
        "leases.coordination.k8s.io",
        "events.events.k8s.io",
        "sealedsecrets.bitnami.com",
    ] {
        assert!(
            api_resources.lines().any(|l| l == r),
            "{r} missing from {api_resources}"
        );
    }
    ok(common::kubectl(&fk, &["create", "--validate=false", "-f", f]).await);
    ok(common::kubectl(&fk, &["label", "secret", "s", "-n", "ns", "l=1"]).await);
    ok(common::kubectl(&fk, &["annotate", "secret", "s", "-n", "ns", "a=2"]).await);
    ok(common::kubectl(
        &fk,
        &[
            "patch",
            "secret",
            "s",
            "-n",
            "ns",
            "--type=merge",
            "-p",
            r#"{"metadata":{"labels":{"m":"3"}}}"#,
        ],
    )
    .await);
    ok(common::kubectl(
        &fk,
        &[
            "patch",
            "secret",
            "s",
            "-n",
            "ns",
            "-p",
            r#"{"metadata":{"labels":{"s":"4"}}}"#,
        ],
    )
    .await);
    ok(common::kubectl(&fk, &["apply", "--validate=false", "-f", f]).await);
    let data = ok(common::kubectl(
        &fk,
        &[
            "get",
            "secret",
            "s",
            "-n",
            "ns",
            "-o",
            "jsonpath={.data.a} {.metadata.labels}",
        ],
    )
    .await);
    assert_eq!(data, r#"Yg== {"l":"1","m":"3","s":"4"}"#);
    assert_eq!(
        ok(common::kubectl(&fk, &["get", "cm", "-A", "-o", "name"]).await),
        ""
    );
    let missing = common::kubectl(&fk, &["get", "secret", "nope", "-n", "ns"]).await;
    assert!(String::from_utf8_lossy(&missing.stderr).contains(r#"secrets "nope" not found"#));
    ok(common::kubectl(&fk, &["delete", "-f", f]).await);
    assert_eq!(fk.fake.count("secrets"), 0);
}
