//! What the cluster-connected CLI tests share: the controller's place and flags, and
//! certificates for TEST-ONLY keys.

use sealant_controller::Flags;
use sealant_keys::{Certificate, CertificateOptions, self_signed_certificate};

pub const CONTROLLER_NS: &str = "kube-system";
/// kubeseal's default controller Service name, under which the fake proxies to the API.
pub const CONTROLLER_SVC: &str = "sealed-secrets-controller";

/// The in-process controller: small test keys, no scheduled renewal, its HTTP API on a
/// free port, no metrics listener.
pub fn controller_flags() -> Flags {
    <Flags as clap::Parser>::try_parse_from([
        "sealant-controller",
        "--controller-namespace=kube-system",
        "--key-size=2048",
        "--key-renew-period=0",
        "--listen-addr=127.0.0.1:0",
        "--listen-metrics-addr=",
    ])
    .unwrap()
}

/// A self-signed certificate for `key`, valid from `not_before`.
pub fn cert(key: &sealant_crypto::PrivateKey, not_before: time::OffsetDateTime) -> Certificate {
    self_signed_certificate(key, &CertificateOptions::new(not_before)).unwrap()
}

/// A multi-threaded runtime of its own (the tests block on child processes), the fake API
/// server running on it, a kubeconfig file pointing at it, and a client.
pub struct FakeCluster {
    pub rt: tokio::runtime::Runtime,
    pub fake: fakekube::Running,
    pub dir: tempfile::TempDir,
    pub kubeconfig: std::path::PathBuf,
    pub client: kube::Client,
}

pub fn fake_cluster() -> FakeCluster {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fake = rt.block_on(fakekube::FakeKube::start(0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, fakekube::kubeconfig(&fake.url())).unwrap();
    let client = rt.block_on(async {
        kube::Client::try_from(kube::Config::new(fake.url().parse().unwrap())).unwrap()
    });
    FakeCluster {
        rt,
        fake,
        dir,
        kubeconfig,
        client,
    }
}

/// Store `key` as the controller's key Secret `name` (a fixed name, so tests can find it).
pub async fn store_key_secret(
    client: &kube::Client,
    name: &str,
    key: &sealant_crypto::PrivateKey,
    cert: &Certificate,
) {
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(client.clone(), CONTROLLER_NS);
    let mut secret =
        sealant_controller::keys::build_key_secret(CONTROLLER_NS, name, key, cert).unwrap();
    secret.metadata.generate_name = None;
    secret.metadata.name = Some(name.into());
    secrets.create(&Default::default(), &secret).await.unwrap();
}
