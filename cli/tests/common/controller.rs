//! What the cluster-connected CLI tests share: the controller's place and flags, and
//! certificates for TEST-ONLY keys.

use sealant_controller::Flags;
use sealant_keys::{Certificate, CertificateOptions, self_signed_certificate};
// Each test binary uses its own share of `common`.
#[allow(unused_imports)]
pub use sealant_test_support::test_keys::{key as test_only_key, path as test_only_key_path};
use sealant_test_support::{cluster::start_fake, test_keys};

pub const CONTROLLER_NS: &str = "kube-system";
/// kubeseal's default controller Service name, under which the fake proxies to the API.
pub const CONTROLLER_SVC: &str = "sealed-secrets-controller";

/// The in-process controller: small test keys, no scheduled renewal, its HTTP API on a
/// free port, no metrics listener.
pub fn controller_flags() -> Flags {
    controller_flags_with(&[])
}

/// [`controller_flags`] plus `extra` (for example `--hybrid-keys`).
pub fn controller_flags_with(extra: &[&str]) -> Flags {
    let mut args = vec![
        "sealant-controller",
        "--controller-namespace=kube-system",
        "--key-size=2048",
        "--key-renew-period=0",
        "--listen-addr=127.0.0.1:0",
        "--listen-metrics-addr=",
    ];
    args.extend_from_slice(extra);
    <Flags as clap::Parser>::try_parse_from(args).unwrap()
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

/// `impl Deref<Target = FakeCluster>` for a test's cluster type holding one as `base`: the
/// fake cluster's parts (`rt`, `fake`, `dir`, `kubeconfig`, `client`) read as its own.
#[allow(unused_macros)]
macro_rules! reads_as_fake_cluster {
    ($cluster:ty) => {
        impl std::ops::Deref for $cluster {
            type Target = $crate::common::controller::FakeCluster;

            fn deref(&self) -> &Self::Target {
                &self.base
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use reads_as_fake_cluster;

pub fn fake_cluster() -> FakeCluster {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (fake, client) = rt.block_on(start_fake());
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, fakekube::kubeconfig(&fake.url())).unwrap();
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

/// The rotation tests' older TEST-ONLY key (its certificate's NotBefore is 2025-01-01).
pub const OLD_KEY_FILE: &str = test_keys::RSA2048_A;
/// The rotation tests' newer TEST-ONLY key (NotBefore 2025-06-01), the one that seals.
pub const NEW_KEY_FILE: &str = test_keys::RSA2048_B;

/// Store the old and new TEST-ONLY keys as the controller's key Secrets
/// `sealed-secrets-key-old` and `sealed-secrets-key-new`; returns their certificates
/// (old, new).
pub async fn store_old_and_new_keys(client: &kube::Client) -> (Certificate, Certificate) {
    let (old_key, new_key) = (test_only_key(OLD_KEY_FILE), test_only_key(NEW_KEY_FILE));
    let old = cert(&old_key, time::macros::datetime!(2025-01-01 0:00 UTC));
    let new = cert(&new_key, time::macros::datetime!(2025-06-01 0:00 UTC));
    store_key_secret(client, "sealed-secrets-key-old", &old_key, &old).await;
    store_key_secret(client, "sealed-secrets-key-new", &new_key, &new).await;
    (old, new)
}

/// Start the real controller in-process against the fake (flags from [`controller_flags`]),
/// its HTTP API on a free port. The fake's service proxy for the controller Service reaches
/// `proxy_to` if given (a stand-in server), else the controller's own API. The API keeps
/// serving until the runtime is dropped.
pub async fn start_controller(
    fake: &fakekube::Running,
    client: kube::Client,
    proxy_to: Option<std::net::SocketAddr>,
) -> sealant_controller::Running {
    start_controller_with(fake, client, proxy_to, controller_flags()).await
}

/// The real controller on `cluster` with `extra` flags, its API behind the fake's services
/// proxy.
pub fn start_on(cluster: &FakeCluster, extra: &[&str]) -> sealant_controller::Running {
    cluster.rt.block_on(start_controller_with(
        &cluster.fake,
        cluster.client.clone(),
        None,
        controller_flags_with(extra),
    ))
}

/// [`start_controller`] with `flags`.
pub async fn start_controller_with(
    fake: &fakekube::Running,
    client: kube::Client,
    proxy_to: Option<std::net::SocketAddr>,
    flags: Flags,
) -> sealant_controller::Running {
    let services = sealant_controller::Services::new(1);
    let servers = sealant_controller::start_servers(&flags, &services)
        .await
        .unwrap();
    let api_addr = proxy_to.unwrap_or_else(|| servers.api_addr.unwrap());
    fake.fake
        .register_service(CONTROLLER_NS, CONTROLLER_SVC, api_addr);
    std::mem::forget(servers); // serves until the runtime is dropped
    sealant_controller::start_with(client, &flags, services)
        .await
        .unwrap()
}
