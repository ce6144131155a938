//! Lease-based leader election (kube-lease-manager). Only the leader reconciles, makes,
//! renews and retires keys and publishes certificates; every replica serves the HTTP API
//! from its own watch on the key Secrets.
//!
//! Two contenders for a free Lease both apply themselves as holder with server-side apply
//! under different field managers; the API server refuses the second apply as a conflict,
//! so at most one wins. A leader that stops cleanly releases the Lease, and a standby takes
//! over when the Lease's term runs out (at most `--leader-elect-lease-duration` after the
//! leader's last renewal, plus up to a second of jitter when the old leader crashed).

use crate::ControllerError;
use kube::Client;
use kube_lease_manager::{LeaseManagerBuilder, LeaseManagerError};
use std::time::Duration;
use tokio::{sync::watch, task::JoinHandle};

/// How long a clean stop waits for the Lease to be released before giving up on it (the
/// standby then waits for the term to run out instead).
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the Lease lives and how long a term lasts.
#[derive(Debug, Clone)]
pub struct ElectionSettings {
    pub namespace: String,
    pub lease_name: String,
    /// This replica's holder identity; unique per process.
    pub identity: String,
    /// Seconds a term lasts without renewal.
    pub duration: u64,
    /// Seconds before the term ends at which the leader renews it.
    pub grace: u64,
}

/// Whether this replica leads, as it changes. Dropping it does not release the Lease; call
/// [`Leadership::release`] (clean stop) or [`Leadership::abandon`] (crash-like).
pub struct Leadership {
    leading: watch::Receiver<bool>,
    /// Keeps a single-replica channel open; `None` under election.
    _always: Option<watch::Sender<bool>>,
    election: Option<Election>,
}

struct Election {
    stop: watch::Sender<bool>,
    forwarder: JoinHandle<()>,
}

impl Leadership {
    /// No election (`--leader-elect=false`): this replica always leads.
    pub fn always() -> Self {
        let (tx, rx) = watch::channel(true);
        Self {
            leading: rx,
            _always: Some(tx),
            election: None,
        }
    }

    /// Start contending for the Lease. Without permission to use Leases (403), for example
    /// under Bitnami's RBAC, this replica runs alone and says so: a team swapping images
    /// keeps a working single replica.
    pub async fn elect(
        client: Client,
        settings: &ElectionSettings,
    ) -> Result<Self, ControllerError> {
        let built = LeaseManagerBuilder::new(client, &settings.lease_name)
            .with_namespace(&settings.namespace)
            .with_identity(&settings.identity)
            .with_duration(settings.duration)
            .with_grace(settings.grace)
            .build()
            .await;
        let manager = match built {
            Ok(manager) => manager,
            Err(LeaseManagerError::KubeError(kube::Error::Api(status))) if status.code == 403 => {
                tracing::warn!(
                    lease = %format!("{}/{}", settings.namespace, settings.lease_name),
                    "no permission to use Leases (grant get/create/patch on coordination.k8s.io \
                     leases, or pass --leader-elect=false); running as the only replica"
                );
                return Ok(Self::always());
            }
            Err(error) => {
                return Err(ControllerError::Config(format!(
                    "leader election on Lease {}/{}: {error}",
                    settings.namespace, settings.lease_name
                )));
            }
        };
        let (lease_rx, manager_task) = manager.watch().await;
        let (tx, rx) = watch::channel(false);
        let (stop, stopped) = watch::channel(false);
        let identity = settings.identity.clone();
        let forwarder = tokio::spawn(forward(lease_rx, manager_task, tx, stopped, identity));
        Ok(Self {
            leading: rx,
            _always: None,
            election: Some(Election { stop, forwarder }),
        })
    }

    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.leading.clone()
    }

    pub fn is_leader(&self) -> bool {
        *self.leading.borrow()
    }

    /// Give the Lease up so a standby can take over at once.
    pub async fn release(self) {
        if let Some(election) = self.election {
            let _ = election.stop.send(true);
            let _ = election.forwarder.await;
        }
    }

    /// Stop contending without releasing the Lease, as a crashed process would.
    pub fn abandon(self) {
        if let Some(election) = self.election {
            election.forwarder.abort();
        }
    }
}

/// Copy the manager's verdicts into our channel until asked to stop; then drop the
/// manager's receiver, which makes it release the Lease, and wait for that.
async fn forward(
    mut lease: watch::Receiver<bool>,
    manager: JoinHandle<Result<kube_lease_manager::LeaseManager, LeaseManagerError>>,
    leading: watch::Sender<bool>,
    mut stop: watch::Receiver<bool>,
    identity: String,
) {
    // Aborting this task drops `manager` without awaiting it; abort the manager too then.
    let abort_manager = manager.abort_handle();
    let _guard = AbortOnDrop(abort_manager);
    loop {
        tokio::select! {
            changed = lease.changed() => {
                if changed.is_err() {
                    tracing::error!("leader election stopped; this replica no longer leads");
                    leading.send_replace(false);
                    return;
                }
                let now = *lease.borrow_and_update();
                tracing::info!(%identity, leading = now, "leadership changed");
                leading.send_replace(now);
            }
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    leading.send_replace(false);
    drop(lease);
    match tokio::time::timeout(RELEASE_TIMEOUT, manager).await {
        Ok(Ok(Ok(_))) => tracing::info!(%identity, "leader Lease released"),
        Ok(Ok(Err(error))) => {
            tracing::warn!(%identity, %error, "releasing the leader Lease failed")
        }
        Ok(Err(_)) | Err(_) => tracing::warn!(%identity, "releasing the leader Lease timed out"),
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A holder identity unique to this process: the pod (host) name, for people reading the
/// Lease, plus a random suffix, so a restarted pod never mistakes its predecessor's term
/// for its own.
pub fn default_identity() -> String {
    let host = std::env::var("POD_NAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "sealant-controller".to_owned());
    let mut bytes = [0u8; 4];
    rand_bytes(&mut bytes);
    format!("{host}_{}", hex::encode(bytes))
}

fn rand_bytes(out: &mut [u8]) {
    use std::hash::{BuildHasher, RandomState};
    // Uniqueness, not secrecy: std's per-process random hasher keys are enough.
    let n = RandomState::new().hash_one(std::process::id());
    for (b, x) in out.iter_mut().zip(n.to_le_bytes()) {
        *b = x;
    }
}
