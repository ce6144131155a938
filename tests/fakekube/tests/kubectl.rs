#![allow(clippy::unwrap_used, clippy::expect_used)]

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_get_secrets() {
    if !common::kubectl_available() {
        eprintln!("kubectl not installed; skipping");
        return;
    }
    // kubectl create sends protobuf for built-in kinds, which the fake does not decode; seed via JSON.
    let (fk, client) = common::setup().await;
    let api: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(client, "default");
    let mut s = k8s_openapi::api::core::v1::Secret::default();
    s.metadata.name = Some("s1".into());
    api.create(&Default::default(), &s).await.unwrap();
    let stdout = common::kubectl_ok(&fk, &["get", "secrets", "-A"]).await;
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
    let file = common::manifest(
        &fk,
        "s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\nstringData:\n  a: b\n",
    );
    let f = file.to_str().unwrap();
    let api_resources = common::kubectl_ok(&fk, &["api-resources", "-o", "name"]).await;
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
    common::kubectl_ok(&fk, &["create", "--validate=false", "-f", f]).await;
    common::kubectl_ok(&fk, &["label", "secret", "s", "-n", "ns", "l=1"]).await;
    common::kubectl_ok(&fk, &["annotate", "secret", "s", "-n", "ns", "a=2"]).await;
    // A merge patch, then kubectl's default for built-in kinds (strategic merge).
    for (patch_type, patch) in [
        (Some("--type=merge"), r#"{"metadata":{"labels":{"m":"3"}}}"#),
        (None, r#"{"metadata":{"labels":{"s":"4"}}}"#),
    ] {
        let mut args = vec!["patch", "secret", "s", "-n", "ns"];
        args.extend(patch_type);
        args.extend(["-p", patch]);
        common::kubectl_ok(&fk, &args).await;
    }
    common::kubectl_ok(&fk, &["apply", "--validate=false", "-f", f]).await;
    let data = common::kubectl_ok(
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
    .await;
    assert_eq!(data, r#"Yg== {"l":"1","m":"3","s":"4"}"#);
    assert_eq!(
        common::kubectl_ok(&fk, &["get", "cm", "-A", "-o", "name"]).await,
        ""
    );
    let missing = common::kubectl(&fk, &["get", "secret", "nope", "-n", "ns"]).await;
    assert!(String::from_utf8_lossy(&missing.stderr).contains(r#"secrets "nope" not found"#));
    common::kubectl_ok(&fk, &["delete", "-f", f]).await;
    assert_eq!(fk.fake.count("secrets"), 0);
}
