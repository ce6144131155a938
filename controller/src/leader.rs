//! Lease-based leader election (kube-lease-manager). Only the leader reconciles, makes,
//! renews and retires keys and publishes certificates; every replica serves the HTTP API
//! from its own watch on the key Secrets.
//!
//! Two contenders for a free Lease both apply themselves as holder with server-side apply
//! under different field managers; the API server refuses the second apply as a conflict,
//! so at most one wins. A leader that stops cleanly releases the Lease, and a standby takes
//! over when the Lease's term runs out (at most `--leader-elect-lease-duration` after the
//! leader's last renewal, plus up to a second of jitter when the old leader crashed; at
//! once when the leader released it).

use crate::ControllerError;
use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use kube::{
    Api, Client,
    runtime::{WatchStreamExt, watcher},
};
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder, LeaseManagerError};
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
        let manager = match build_manager(&client, settings).await {
            Ok(manager) => manager,
            Err(LeaseManagerError::KubeError(kube::Error::Api(status))) if status.code == 403 => {
                tracing::warn!(
                    lease = %format!("{}/{}", settings.namespace, settings.lease_name),
                    "no permission to use Leases (grant get/create/patch/watch on \
                     coordination.k8s.io leases, or pass --leader-elect=false); running as the \
                     only replica"
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
        let (tx, rx) = watch::channel(false);
        let (stop, stopped) = watch::channel(false);
        let forwarder = tokio::spawn(contend(client, settings.clone(), manager, tx, stopped));
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

async fn build_manager(
    client: &Client,
    settings: &ElectionSettings,
) -> Result<LeaseManager, LeaseManagerError> {
    LeaseManagerBuilder::new(client.clone(), &settings.lease_name)
        .with_namespace(&settings.namespace)
        .with_identity(&settings.identity)
        .with_duration(settings.duration)
        .with_grace(settings.grace)
        .build()
        .await
}

/// Why one manager's run ended.
enum Ended {
    Stop,
    /// The Lease was released while we stood by: contend again at once.
    Released,
    /// The manager gave up (its channel closed).
    Failed,
}

/// Copy the manager's verdicts into `leading` until asked to stop; then drop the manager's
/// receiver, which makes it release the Lease, and wait for that.
///
/// kube-lease-manager's standby sleeps until the end of the term it last saw, even when
/// the leader releases early. A rolling update would then leave the cluster without a
/// leader for up to a whole term, so a standby also watches the Lease and, when it sees
/// it released, starts a fresh manager, which takes the free Lease at once.
async fn contend(
    client: Client,
    settings: ElectionSettings,
    first: LeaseManager,
    leading: watch::Sender<bool>,
    mut stop: watch::Receiver<bool>,
) {
    let identity = settings.identity.clone();
    let releases = lease_releases(&client, &settings);
    let mut releases = std::pin::pin!(releases);
    let mut manager = Some(first);
    loop {
        let current = match manager.take() {
            Some(m) => m,
            None => match build_manager(&client, &settings).await {
                Ok(m) => m,
                Err(error) => {
                    tracing::warn!(%error, "restarting leader election failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        _ = stop.wait_for(|s| *s) => return,
                    }
                }
            },
        };
        let (mut lease, task) = current.watch().await;
        // Aborting this task drops `task` without awaiting it; abort the manager too then.
        let _guard = AbortOnDrop(task.abort_handle());
        let ended = loop {
            tokio::select! {
                changed = lease.changed() => {
                    if changed.is_err() {
                        break Ended::Failed;
                    }
                    let now = *lease.borrow_and_update();
                    tracing::info!(%identity, leading = now, "leadership changed");
                    leading.send_replace(now);
                }
                Some(()) = releases.next() => {
                    if !*leading.borrow() {
                        break Ended::Released;
                    }
                }
                _ = stop.wait_for(|s| *s) => break Ended::Stop,
            }
        };
        match ended {
            Ended::Stop => {
                leading.send_replace(false);
                drop(lease);
                match tokio::time::timeout(RELEASE_TIMEOUT, task).await {
                    Ok(Ok(Ok(_))) => tracing::info!(%identity, "leader Lease released"),
                    Ok(Ok(Err(error))) => {
                        tracing::warn!(%identity, %error, "releasing the leader Lease failed")
                    }
                    Ok(Err(_)) | Err(_) => {
                        tracing::warn!(%identity, "releasing the leader Lease timed out")
                    }
                }
                return;
            }
            Ended::Released => {
                // Not the holder, so there is nothing to release: just replace the manager.
                tracing::debug!(%identity, "the Lease was released; contending at once");
                task.abort();
            }
            Ended::Failed => {
                tracing::error!(%identity, "leader election failed; contending again");
                leading.send_replace(false);
                task.abort();
            }
        }
    }
}

/// One item each time the Lease is seen without a holder.
fn lease_releases(
    client: &Client,
    settings: &ElectionSettings,
) -> impl futures::Stream<Item = ()> + Send + 'static {
    let leases: Api<Lease> = Api::namespaced(client.clone(), &settings.namespace);
    let config =
        watcher::Config::default().fields(&format!("metadata.name={}", settings.lease_name));
    watcher(leases, config)
        .default_backoff()
        .applied_objects()
        .filter_map(|lease| async move {
            let free = lease
                .ok()?
                .spec
                .is_none_or(|spec| spec.holder_identity.is_none());
            free.then_some(())
        })
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
