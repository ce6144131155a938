//! Wiring: keys first, then leader election; each leadership term runs one kube-runtime
//! `Controller` per watched scope (all namespaces, or each listed namespace — one store per
//! watch, so one namespace's relist never wipes another's objects) plus key renewal and
//! certificate publication.

use crate::{
    Context, ControllerError, EventSink, Flags, KeyStore, ReconcileSettings, RsaPool,
    keys::{
        RenewalTrigger, Retirer, ensure_active_key, load_keys, publish_certificates, renew_keys,
        watch_key_secrets,
    },
    reconcile::{SEALED_DIGEST, error_policy, reconcile},
};
use crate::{
    http::Readiness,
    leader::Leadership,
    metrics::{KeySnapshot, Metrics, ObjectNames},
};
use futures::{FutureExt, Stream, StreamExt, stream};
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, PartialObjectMeta},
    runtime::{
        Controller, WatchStreamExt,
        controller::Config as ControllerConfig,
        reflector::{self, ObjectRef},
        watcher,
    },
};
use sealant_api::SealedSecret;
use std::sync::{Arc, OnceLock};
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

/// The namespace holding the key Secrets.
pub fn controller_namespace(flags: &Flags) -> String {
    flags
        .controller_namespace
        .clone()
        .or_else(|| std::env::var("POD_NAMESPACE").ok())
        .or_else(|| {
            std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
                .ok()
                .map(|s| s.trim().to_owned())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "kube-system".to_owned())
}

/// What the controller shares with its HTTP servers, made before the controller starts so
/// the servers answer (probes, not-ready) from the first second.
#[derive(Clone)]
pub struct Services {
    pub metrics: Metrics,
    pub readiness: Readiness,
    pub keys: KeyStore,
    pub pool: RsaPool,
    /// Filled by [`start_with`]: the reconcile context, for the usage inventory.
    pub context: Arc<OnceLock<Arc<Context>>>,
    /// Filled by [`start_with`]: whether this replica leads.
    pub leading: Arc<OnceLock<watch::Receiver<bool>>>,
}

impl Services {
    /// What `flags` ask for (`--rsa-workers`, `--metrics-omit-secret-labels`).
    pub fn from_flags(flags: &Flags) -> Self {
        let names = if flags.metrics_omit_secret_labels {
            ObjectNames::Omitted
        } else {
            ObjectNames::Exposed
        };
        Self::with(flags.rsa_worker_count(), names)
    }

    /// `rsa_workers` workers, metrics with object names (Bitnami's default).
    pub fn new(rsa_workers: usize) -> Self {
        Self::with(rsa_workers, ObjectNames::Exposed)
    }

    fn with(rsa_workers: usize, names: ObjectNames) -> Self {
        Self {
            metrics: Metrics::with_object_names(env!("CARGO_PKG_VERSION"), names),
            readiness: Readiness::new(),
            keys: KeyStore::new(),
            pool: RsaPool::new(rsa_workers),
            context: Arc::default(),
            leading: Arc::default(),
        }
    }

    /// Key usage for `/v1/keys`, counted only where complete (the leader, once synced).
    pub fn usage_source(&self) -> crate::http::UsageSource {
        let context = self.context.clone();
        Arc::new(move || context.get()?.complete_key_usage())
    }

    /// The key figures the metrics compute at scrape time.
    pub fn key_snapshot(&self) -> KeySnapshot {
        // Only a complete count: a standby's zeros would read as "safe to retire".
        let usage = self.context.get().and_then(|c| c.complete_key_usage());
        let ring = self.keys.ring();
        KeySnapshot {
            leader: self.leading.get().is_some_and(|l| *l.borrow()),
            active_not_before: ring.newest().and_then(|e| e.not_before()),
            key_count: ring.len(),
            usage: ring
                .iter()
                .filter_map(|e| {
                    let fp = e.fingerprint();
                    let used = usage.as_ref()?.get(&fp).copied().unwrap_or(0);
                    Some((fp.short(), used))
                })
                .collect(),
            rsa_operations: ring.rsa_operations(),
        }
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
    let namespace = controller_namespace(flags);
    let election = flags
        .leader_elect
        .then(|| flags.election(&namespace))
        .transpose()?;
    let key_secrets: Api<Secret> = Api::namespaced(client.clone(), &namespace);
    let keys = services.keys.clone();
    let events = EventSink::new(client.clone());

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
        namespaces: flags.watched_namespaces(&namespace),
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
        ReconcileSettings {
            update_status: flags.update_status,
            accept_deprecated_v1_data: flags.accept_deprecated_v1_data,
            old_gc_behavior: flags.old_gc_behavior,
            retry_base: flags.retry_base,
            retry_max: flags.retry_max,
            render_limits: flags.render_limits(),
        },
        services.metrics.clone(),
    ));
    let _ = services.context.set(context.clone());
    let renewal_trigger = RenewalTrigger::default();
    let (stop, stopped) = watch::channel(false);
    let term = TermDeps {
        client,
        flags: flags.clone(),
        namespace: namespace.clone(),
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

/// What a leadership term needs.
struct TermDeps {
    client: Client,
    flags: Flags,
    namespace: String,
    key_secrets: Api<Secret>,
    retirer: Retirer,
    context: Arc<Context>,
    readiness: Readiness,
    renewal_trigger: RenewalTrigger,
}

/// One leadership term's tasks.
struct Term {
    stop: watch::Sender<bool>,
    controllers: Vec<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
}

impl Term {
    /// Let running reconciles finish, then stop the term's background work.
    async fn end(self, ctx: &Context) {
        ctx.set_inventory_complete(false);
        let _ = self.stop.send(true);
        for task in self.controllers {
            let _ = task.await;
        }
        for task in self.background {
            task.abort();
            let _ = task.await;
        }
    }
}

/// Run a term each time this replica becomes leader, until `stop`.
async fn lead(deps: TermDeps, mut leading: watch::Receiver<bool>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            biased;
            _ = until(&mut stop, true) => return,
            became = until(&mut leading, true) => if !became { return },
        }
        tracing::info!("leading: starting reconciles and key management");
        let term = tokio::select! {
            biased;
            _ = until(&mut stop, true) => return,
            _ = until(&mut leading, false) => continue,
            term = begin_term(&deps) => term,
        };
        tokio::select! {
            _ = until(&mut stop, true) => {
                term.end(&deps.context).await;
                return;
            }
            _ = until(&mut leading, false) => {
                tracing::warn!("no longer leading: stopping reconciles and key management");
                term.end(&deps.context).await;
            }
        }
    }
}

/// Wait until `flag` is `want`; false when its sender is gone.
async fn until(flag: &mut watch::Receiver<bool>, want: bool) -> bool {
    flag.wait_for(|v| *v == want).await.is_ok()
}

/// Start a term: re-read the keys (another leader may have made one a moment ago), make
/// the first key if there is none, then reconcile, renew and publish.
async fn begin_term(deps: &TermDeps) -> Term {
    let ctx = &deps.context;
    ctx.begin_term();
    deps.readiness.set_term_syncing(true);
    let generation = deps.flags.key_generation();
    let mut failures = 0u32;
    loop {
        let ready = async {
            load_keys(
                &deps.key_secrets,
                &ctx.keys,
                &ctx.events,
                Some(&deps.retirer),
            )
            .await?;
            ensure_active_key(&deps.key_secrets, &deps.namespace, &ctx.keys, &generation).await
        };
        match ready.await {
            Ok(()) => break,
            Err(error) => {
                failures = failures.saturating_add(1);
                let delay = deps
                    .flags
                    .retry_base
                    .saturating_mul(2u32.saturating_pow(failures.min(20) - 1))
                    .min(deps.flags.retry_max);
                tracing::error!(%error, retry_in = ?delay, "cannot load or create the keys");
                tokio::time::sleep(delay).await;
            }
        }
    }
    let client = &deps.client;
    let background = vec![
        tokio::spawn(publish_certificates(
            Api::namespaced(client.clone(), &deps.namespace),
            ctx.keys.clone(),
            ctx.events.clone(),
            ctx.metrics.clone(),
        )),
        tokio::spawn(renew_keys(
            deps.key_secrets.clone(),
            deps.namespace.clone(),
            ctx.keys.clone(),
            deps.flags.rotation_policy(),
            generation,
            deps.renewal_trigger.clone(),
        )),
    ];
    let (stop, stopped) = watch::channel(false);
    let scopes: Vec<Option<String>> = match deps.flags.watched_namespaces(&deps.namespace) {
        None => vec![None],
        Some(list) => list.into_iter().map(Some).collect(),
    };
    let (synced_tx, synced_rx) = tokio::sync::mpsc::channel::<()>(scopes.len().max(1));
    let mut background = background;
    background.push(tokio::spawn(report_synced(
        synced_rx,
        scopes.len(),
        deps.readiness.clone(),
        ctx.clone(),
    )));
    let controllers = scopes
        .into_iter()
        .map(|scope| {
            tokio::spawn(run_scope(
                client.clone(),
                scope,
                deps.flags.clone(),
                ctx.clone(),
                stopped.clone(),
                synced_tx.clone(),
            ))
        })
        .collect();
    Term {
        stop,
        controllers,
        background,
    }
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

fn api_for<K>(client: &Client, scope: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>,
{
    match scope {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// One kube-runtime Controller for one scope.
async fn run_scope(
    client: Client,
    scope: Option<String>,
    flags: Flags,
    ctx: Arc<Context>,
    mut stopped: watch::Receiver<bool>,
    synced: tokio::sync::mpsc::Sender<()>,
) {
    let mut ss_config = watcher::Config::default();
    if !flags.label_selector.is_empty() {
        ss_config = ss_config.labels(&flags.label_selector);
    }
    let (reader, writer) = reflector::store::<SealedSecret>();
    ctx.add_store(reader.clone());
    let gc_ctx = ctx.clone();
    let sealed = reflector::reflector(
        writer,
        watcher(
            api_for::<SealedSecret>(&client, scope.as_deref()),
            ss_config,
        )
        .default_backoff()
        .inspect({
            // Seen here rather than through `Store::wait_until_ready`: that future shares one
            // waker slot with kube's own runner, so a second waiter is never woken.
            let mut first_list = Some(synced);
            move |event| match event {
                Ok(watcher::Event::Delete(ss)) => on_sealed_secret_deleted(&gc_ctx, ss),
                Ok(watcher::Event::InitDone) => {
                    if let Some(tx) = first_list.take() {
                        let _ = tx.try_send(());
                    }
                }
                _ => {}
            }
        }),
    )
    .touched_objects();

    // Metadata only: no Secret value is ever held in a cache. The target Secret shares its
    // SealedSecret's namespace and name, so the mapping also covers Secrets written
    // without an ownerReference.
    let secret_changes = watcher(
        api_for::<PartialObjectMeta<Secret>>(&client, scope.as_deref()),
        watcher::Config::default(),
    )
    .default_backoff()
    .touched_objects();

    let mut stop_seen = stopped.clone();
    let shutdown = async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    // kube-runtime holds its runner until the store's first list completes; a graceful
    // shutdown requested before then would wait for a list whose watch it has just cut.
    // With the store not ready no reconcile can be running, so dropping is safe.
    let ready = reader.clone();
    let stop_before_ready = async move {
        let _ = stop_seen.wait_for(|stop| *stop).await;
        if ready.wait_until_ready().now_or_never().is_none() {
            return;
        }
        futures::future::pending::<()>().await;
    };
    let controller = Controller::for_stream(sealed, reader)
        .with_config(ControllerConfig::default().concurrency(flags.concurrency))
        .watches_stream(secret_changes, |secret| {
            Some(ObjectRef::<SealedSecret>::new(&secret.name_any()).within(&secret.namespace()?))
        })
        .reconcile_on(retry_on_new_key(ctx.clone(), scope.clone()))
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|_| futures::future::ready(()));
    tokio::select! {
        () = controller => {}
        () = stop_before_ready => {}
    }
}

/// Objects that failed to decrypt, each time a new key arrives.
fn retry_on_new_key(
    ctx: Arc<Context>,
    scope: Option<String>,
) -> impl Stream<Item = ObjectRef<SealedSecret>> + Send + 'static {
    let new_keys = ctx.keys.subscribe_new_keys();
    stream::unfold(new_keys, |mut rx| async move {
        rx.changed().await.ok()?;
        Some(((), rx))
    })
    .flat_map(move |()| stream::iter(ctx.take_waiting_for_key(scope.as_deref())))
}

/// Forget per-object state, and with `--old-gc-behavior` delete the generated Secret
/// ourselves (for Secrets without an ownerReference, which garbage collection never sees).
fn on_sealed_secret_deleted(ctx: &Arc<Context>, ss: &SealedSecret) {
    ctx.forget(&ObjectRef::from_obj(ss));
    if !ctx.settings.old_gc_behavior {
        return;
    }
    let ctx = ctx.clone();
    let (namespace, name) = (ss.namespace_str().to_owned(), ss.name_str().to_owned());
    let uid = ss.metadata.uid.clone();
    tokio::spawn(async move {
        let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
        let Ok(Some(existing)) = secrets.get_metadata_opt(&name).await else {
            return;
        };
        let ours = existing
            .owner_references()
            .iter()
            .any(|r| Some(&r.uid) == uid.as_ref())
            || existing.annotations().contains_key(SEALED_DIGEST);
        if ours && let Err(error) = secrets.delete(&name, &DeleteParams::default()).await {
            tracing::warn!(object = %format!("{namespace}/{name}"), %error, "deleting the Secret failed");
        }
    });
}

/// Mark the caches synced once every scope's first list has arrived.
async fn report_synced(
    mut synced: tokio::sync::mpsc::Receiver<()>,
    scopes: usize,
    readiness: Readiness,
    ctx: Arc<Context>,
) {
    for _ in 0..scopes {
        if synced.recv().await.is_none() {
            return;
        }
    }
    readiness.set_term_syncing(false);
    ctx.set_inventory_complete(true);
}
