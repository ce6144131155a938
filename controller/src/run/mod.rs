//! Wiring: keys first, then leader election; each leadership term ([`term`]) runs one
//! kube-runtime `Controller` per watched scope ([`scope`]: all namespaces, or each listed
//! namespace — one store per watch, so one namespace's relist never wipes another's
//! objects; with `--namespace-selector`, [`namespaces`] starts and stops the scopes of the
//! selected namespaces) plus key renewal and certificate publication.

mod namespaces;
mod scope;
mod services;
mod term;

pub use services::Services;

use crate::{
    Context, ControllerError, EventSink, Flags, KeyStore,
    http::Readiness,
    keys::{RenewalTrigger, Retirer, load_keys, watch_key_secrets},
    leader::Leadership,
    settings::Settings,
};
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client};
use std::sync::Arc;
use term::{TermDeps, lead};
use tokio::{sync::watch, task::JoinHandle};

/// A started controller. Dropping it does not stop it; call [`Running::shutdown`].
pub struct Running {
    pub context: Arc<Context>,
    pub controller_namespace: String,
    stop: watch::Sender<bool>,
    leader_loop: JoinHandle<()>,
    key_watch: JoinHandle<()>,
    leadership: Leadership,
    renewal_trigger: RenewalTrigger,
}

impl Running {
    pub fn keys(&self) -> &KeyStore {
        &self.context.keys
    }

    /// Asks for one new key now (SIGUSR1 in the binary); only a leader acts on it.
    pub fn renewal_trigger(&self) -> RenewalTrigger {
        self.renewal_trigger.clone()
    }

    pub fn is_leader(&self) -> bool {
        self.leadership.is_leader()
    }

    /// Changes of leadership, as they happen.
    pub fn leadership(&self) -> watch::Receiver<bool> {
        self.leadership.subscribe()
    }

    /// Stop taking new work, let running reconciles finish, stop the watches and release
    /// the leader Lease so a standby takes over at once.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.leader_loop.await;
        self.leadership.release().await;
        self.key_watch.abort();
        let _ = self.key_watch.await;
        let s = self.context.stats.snapshot();
        // The benchmark reads this line to count the RSA work of a run.
        tracing::info!(
            reconciles = s.reconciles,
            objects = s.objects,
            unchanged = s.unchanged,
            written = s.written,
            failed = s.failed,
            status_writes = s.status_writes,
            rsa_operations = self.context.keys.rsa_operations(),
            "stopped"
        );
    }

    /// Stop at once without releasing anything, as a killed process would (tests and the
    /// failover benchmark): the Lease stays held until its term runs out.
    pub fn abort(self) {
        self.leadership.abandon();
        self.leader_loop.abort();
        self.key_watch.abort();
    }

    /// Wait until the controller has ended (after a shutdown, or never).
    pub async fn wait(self) {
        let _ = self.leader_loop.await;
    }
}

/// Load (or create) the keys and start reconciling.
pub async fn start(client: Client, flags: &Flags) -> Result<Running, ControllerError> {
    start_with(client, flags, Services::from_flags(flags)).await
}

/// [`start`], reporting into `services`. Every replica loads the keys and watches them (for
/// the HTTP API); the elected leader also makes the first key, reconciles, renews,
/// retires and publishes. Readiness flips once keys are loaded and, on the leader, every
/// SealedSecret cache has synced.
pub async fn start_with(
    client: Client,
    flags: &Flags,
    services: Services,
) -> Result<Running, ControllerError> {
    let Settings {
        namespace,
        election,
        reconcile,
        term,
    } = Settings::resolve(flags)?;
    let key_secrets: Api<Secret> = Api::namespaced(client.clone(), &namespace);
    let keys = services.keys.clone();
    let events = EventSink::new(client.clone(), flags.event_budget);

    let loaded = load_keys(&key_secrets, &keys, &events, None).await?;
    tracing::info!(namespace = %namespace, keys = loaded, "keys loaded");
    let leadership = match &election {
        Some(settings) => {
            tracing::info!(identity = %settings.identity, lease = %format!("{}/{}", settings.namespace, settings.lease_name), "contending for leadership");
            Leadership::elect(client.clone(), settings).await?
        }
        None => Leadership::always(),
    };
    let _ = services.leading.set(leadership.subscribe());
    if leadership.is_leader() {
        // Not ready in the moment between the key list and the first term's caches.
        services.readiness.set_term_syncing(true);
    }
    // The key cache is the key list just read; the key watch keeps it current.
    services.readiness.set_caches_synced();
    tokio::spawn(report_keys_loaded(keys.clone(), services.readiness.clone()));
    let retirer = Retirer {
        client: client.clone(),
        key_secrets: key_secrets.clone(),
        // Selected namespaces come and go: a key's users are looked for everywhere.
        namespaces: if term.namespace_selector.is_some() {
            None
        } else {
            term.watched.clone()
        },
        leading: leadership.subscribe(),
    };
    let key_watch = tokio::spawn(watch_key_secrets(
        key_secrets.clone(),
        keys.clone(),
        events.clone(),
        retirer.clone(),
    ));

    let context = Arc::new(Context::new(
        client.clone(),
        keys,
        services.pool.clone(),
        events,
        reconcile,
        services.metrics.clone(),
    ));
    let _ = services.context.set(context.clone());
    let renewal_trigger = RenewalTrigger::default();
    let (stop, stopped) = watch::channel(false);
    let term = TermDeps {
        client,
        settings: term,
        key_secrets,
        retirer,
        context: context.clone(),
        readiness: services.readiness.clone(),
        renewal_trigger: renewal_trigger.clone(),
    };
    let leader_loop = tokio::spawn(lead(term, leadership.subscribe(), stopped));
    Ok(Running {
        context,
        controller_namespace: namespace,
        stop,
        leader_loop,
        key_watch,
        leadership,
        renewal_trigger,
    })
}

/// Keys are loaded once the ring holds one (at once, or when the leader has made it).
async fn report_keys_loaded(keys: KeyStore, readiness: Readiness) {
    let mut changes = keys.subscribe_changes();
    while keys.ring().is_empty() {
        if changes.changed().await.is_err() {
            return;
        }
    }
    readiness.set_keys_loaded();
}
