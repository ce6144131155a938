//! `--recipient cluster:x-wing`: the cluster's hybrid key, fetched from the certificates
//! ConfigMap or the controller's `/v1/xwing.pub`, against the real controller (in-process) on
//! the fake API server. The object it seals is then unsealed by that controller.

use crate::common::controller::{CONTROLLER_NS, FakeCluster, fake_cluster, start_on};
use crate::common::{path_str, stderr};
use crate::support::CANARY;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;
use sealant_api::{SealedSecret, envelope_v2};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn sealant(kubeconfig: &std::path::Path, home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sealant"))
        .args(args)
        .args(["--kubeconfig", path_str(kubeconfig)])
        .env_remove("KUBECONFIG")
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The fake cluster with the real controller (`extra` flags), and `sealant seal --recipient
/// cluster:x-wing` of [`SECRET`] run against it (`-w output` when given).
fn start(extra: &[&str]) -> (FakeCluster, sealant_controller::Running) {
    let cluster = fake_cluster();
    let running = start_on(&cluster, extra);
    (cluster, running)
}

fn seal_for_cluster_xwing(cluster: &FakeCluster, output: Option<&std::path::Path>) -> Output {
    let input = cluster.dir.path().join("secret.yaml");
    std::fs::write(&input, SECRET).unwrap();
    let mut args = vec![
        "seal",
        "--no-rules",
        "--recipient",
        "cluster:x-wing",
        "-f",
        path_str(&input),
    ];
    if let Some(output) = output {
        args.extend(["-w", path_str(output)]);
    }
    sealant(&cluster.kubeconfig, cluster.dir.path(), &args)
}

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: app\nstringData:\n  password: canary-7f3a9c-plaintext\n";

#[test]
fn cluster_xwing_seals_for_the_controllers_hybrid_key_and_the_controller_opens_it() {
    let (cluster, _running) = start(&["--hybrid-keys"]);
    let published =
        cluster
            .rt
            .block_on(cluster.fake.fake.wait_until(Duration::from_secs(60), |f| {
                f.object("configmaps", CONTROLLER_NS, "sealant-certificates")
                    .is_some_and(|c| c["data"]["xwing.pub"].is_string())
            }));
    assert!(published, "the controller publishes its hybrid key");
    let configmaps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), CONTROLLER_NS);
    let pem = cluster
        .rt
        .block_on(configmaps.get("sealant-certificates"))
        .unwrap()
        .data
        .unwrap()["xwing.pub"]
        .clone();
    let hybrid = sealant_crypto::XWingPublicKey::from_pem(&pem).unwrap();

    let output = cluster.dir.path().join("sealed.yaml");
    let out = seal_for_cluster_xwing(&cluster, Some(&output));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains(CANARY));
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(!text.contains(CANARY));
    let sealed: SealedSecret = serde_saphyr::from_str(&text).unwrap();
    let recipients = envelope_v2::recipients(&sealed);
    assert_eq!(recipients.len(), 1);
    assert_eq!(
        recipients[0].key_id,
        hybrid.key_id(),
        "sealed for the published key"
    );

    // The controller that published the key opens the object.
    let api: Api<SealedSecret> = Api::namespaced(cluster.client.clone(), "app");
    cluster
        .rt
        .block_on(api.create(&Default::default(), &sealed))
        .unwrap();
    let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), "app");
    let opened = cluster
        .rt
        .block_on(cluster.fake.fake.wait_until(Duration::from_secs(60), |f| {
            f.object("secrets", "app", "db").is_some()
        }));
    assert!(opened, "the controller unseals the object");
    let secret = cluster.rt.block_on(secrets.get("db")).unwrap();
    assert_eq!(
        secret.data.unwrap()["password"].0,
        CANARY.as_bytes(),
        "the value the controller wrote"
    );
}

#[test]
fn cluster_xwing_without_hybrid_keys_fails_clearly() {
    let (cluster, _running) = start(&[]);
    let out = seal_for_cluster_xwing(&cluster, None);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("xwing.pub"), "{said}");
    assert!(!said.contains(CANARY) && out.stdout.is_empty());
}
