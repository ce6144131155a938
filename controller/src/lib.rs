//! The Sealant controller: turns `bitnami.com/v1alpha1` SealedSecrets into Secrets, with
//! Bitnami's keys, annotations, Events and flags, and without its costs: an unchanged object
//! costs no RSA work and no write, the hinted key is tried first, status is written for
//! GitOps tools, failures retry without end, and Secrets are watched metadata-only.
//!
//! * [`start`]: load keys and start reconciling; [`Running`] is the handle.
//! * [`reconcile`]: one reconcile, decided by [`reconcile::sealed_digest`].
//! * [`keys`]: key Secrets, the live [`KeyStore`], key generation.

mod backoff;
mod config;
mod context;
mod error;
mod event_budget;
mod events;
mod go_flags;
pub mod http;
mod key_table;
pub mod keys;
mod kube_throttle;
pub mod leader;
pub mod logging;
pub mod metrics;
pub mod reconcile;
mod rsa_pool;
mod run;
mod serve;
mod servers;
mod settings;
pub mod signals;
mod stats;
mod sync;

pub use config::{Flags, LogFormat};
pub use context::{Context, ReconcileSettings};
pub use error::{ApiCall, ControllerError, KeyCall};
pub use event_budget::{NORMAL_BURST, NORMAL_PER_SEC};
pub use events::{EventSink, REASON_UNSEAL_FAILED, REASON_UNSEALED, REASON_UPDATE_FAILED};
pub use keys::KeyStore;
pub use rsa_pool::RsaPool;
pub use run::{Running, Services, start, start_with};
pub use serve::serve_until_shutdown;
pub use servers::{Servers, parse_listen_addr, start_servers};
pub use settings::controller_namespace;
pub use stats::{Outcome, Stats, StatsSnapshot};

/// Install the process-wide TLS provider kube's rustls client needs. More than one provider
/// is compiled into the dependency tree, so rustls cannot pick one by itself.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A kube client from `--kubeconfig`, else the usual inference (in-cluster, then
/// `$KUBECONFIG`/`~/.kube/config`), its requests limited by `--kubeclient-qps` and
/// `--kubeclient-burst`.
pub async fn client_from_flags(flags: &Flags) -> Result<kube::Client, ControllerError> {
    let config = match &flags.kubeconfig {
        Some(path) => {
            let kubeconfig = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| ControllerError::Config(format!("reading {}: {e}", path.display())))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
                .await
                .map_err(|e| ControllerError::Config(format!("using {}: {e}", path.display())))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| ControllerError::Config(format!("finding the cluster: {e}")))?,
    };
    let limit =
        kube_throttle::KubeRateLimit::from_flags(flags.kubeclient_qps, flags.kubeclient_burst);
    // kube's retry (429, 503, 504) moves outside the throttle, so the throttle sees every
    // 429 (and pauses the client on its Retry-After) and every retry waits its turn.
    let mut config = config;
    config.default_retry = false;
    let builder = kube::client::ClientBuilder::try_from(config)
        .map_err(|e| ControllerError::Config(format!("kube client: {e}")))?;
    Ok(builder
        .with_layer(&kube_throttle::KubeThrottleLayer { limit })
        .with_layer(&tower::buffer::BufferLayer::<
            ::http::Request<kube::client::Body>,
        >::new(1024))
        .with_layer(&tower::retry::RetryLayer::new(
            kube::client::retry::RetryPolicy::server_retry(),
        ))
        .build())
}
