#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_get_secrets() {
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
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
