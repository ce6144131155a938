//! `--namespace-selector` (Bitnami #568, #335): one scope per namespace whose labels match,
//! started when a namespace gains the labels and stopped when it loses them (or is deleted),
//! from a watch on Namespaces with the selector (the API server turns "stopped matching"
//! into a deletion on such a watch).
//!
//! A namespace that leaves the selection is left as it is: its generated Secrets stay, its
//! SealedSecrets are no longer unsealed, as with a namespace Bitnami does not watch. What
//! this process remembered about its objects (memos, per-object metrics) is forgotten.

use super::scope::run_scope;
use crate::{Context, settings::ScopeSettings};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api, Client, ResourceExt,
    runtime::{WatchStreamExt, watcher},
};
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};
use tokio::{
    sync::{mpsc, watch},
    task::JoinHandle,
};

/// A running per-namespace scope.
struct Scope {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// What the follower needs besides the selector.
pub(super) struct Follow {
    pub client: Client,
    pub selector: String,
    /// Namespaces the term already watches through the flags' list: never a second scope.
    pub listed: BTreeSet<String>,
    pub settings: ScopeSettings,
    pub ctx: Arc<Context>,
}

/// Follow the selected namespaces until the term stops (`stopped`), then stop every scope
/// and wait for it. `synced` is told once the first list of namespaces has arrived and
/// every scope it started has listed its SealedSecrets.
pub(super) async fn follow_namespaces(
    follow: Follow,
    mut stopped: watch::Receiver<bool>,
    synced: mpsc::Sender<()>,
) {
    let api: Api<Namespace> = Api::all(follow.client.clone());
    let config = watcher::Config::default().labels(&follow.selector);
    let mut events = watcher(api, config).default_backoff().boxed();
    let (scope_synced_tx, mut scope_synced) = mpsc::unbounded_channel::<String>();
    let mut scopes: BTreeMap<String, Scope> = BTreeMap::new();
    // Names seen since the current (re)list began; `None` outside a relist.
    let mut relisting: Option<BTreeSet<String>> = None;
    // Until the first list is done and synced: the scopes still to sync.
    let mut first_sync = Some(synced);
    let mut awaiting: Option<BTreeSet<String>> = None;
    loop {
        tokio::select! {
            // The watch guard must not live across an await (it is not Send).
            () = async { let _ = stopped.wait_for(|stop| *stop).await; } => break,
            Some(name) = scope_synced.recv() => {
                if let Some(waiting) = awaiting.as_mut() {
                    waiting.remove(&name);
                }
            }
            event = events.next() => match event {
                None => break,
                Some(Err(error)) => {
                    tracing::warn!(%error, selector = %follow.selector, "watching namespaces failed; retrying");
                }
                Some(Ok(watcher::Event::Init)) => relisting = Some(BTreeSet::new()),
                Some(Ok(watcher::Event::InitApply(ns) | watcher::Event::Apply(ns))) => {
                    let name = ns.name_any();
                    if let Some(seen) = relisting.as_mut() {
                        seen.insert(name.clone());
                    }
                    start(&follow, &mut scopes, &name, &scope_synced_tx);
                }
                Some(Ok(watcher::Event::Delete(ns))) => {
                    let name = ns.name_any();
                    stop(&follow.ctx, &mut scopes, &name).await;
                    if let Some(waiting) = awaiting.as_mut() {
                        waiting.remove(&name);
                    }
                }
                Some(Ok(watcher::Event::InitDone)) => {
                    // A relist after a lost watch: what it did not list has left.
                    let seen = relisting.take().unwrap_or_default();
                    let gone: Vec<String> =
                        scopes.keys().filter(|n| !seen.contains(*n)).cloned().collect();
                    for name in gone {
                        stop(&follow.ctx, &mut scopes, &name).await;
                    }
                    if first_sync.is_some() && awaiting.is_none() {
                        awaiting = Some(scopes.keys().cloned().collect());
                    }
                }
            },
        }
        if awaiting.as_ref().is_some_and(BTreeSet::is_empty)
            && let Some(tx) = first_sync.take()
        {
            let _ = tx.try_send(());
        }
    }
    let names: Vec<String> = scopes.keys().cloned().collect();
    for name in names {
        stop(&follow.ctx, &mut scopes, &name).await;
    }
}

/// Start the scope of `name` unless it runs or the flags already list it.
fn start(
    follow: &Follow,
    scopes: &mut BTreeMap<String, Scope>,
    name: &str,
    synced: &mpsc::UnboundedSender<String>,
) {
    if scopes.contains_key(name) || follow.listed.contains(name) {
        return;
    }
    tracing::info!(namespace = %name, selector = %follow.selector, "namespace selected: watching it");
    let (stop, stopped) = watch::channel(false);
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let forward = synced.clone();
    let named = name.to_owned();
    tokio::spawn(async move {
        if rx.recv().await.is_some() {
            let _ = forward.send(named);
        }
    });
    let task = tokio::spawn(run_scope(
        follow.client.clone(),
        Some(name.to_owned()),
        follow.settings.clone(),
        follow.ctx.clone(),
        stopped,
        tx,
    ));
    scopes.insert(name.to_owned(), Scope { stop, task });
}

/// Stop the scope of `name`, letting running reconciles finish, and forget its objects.
async fn stop(ctx: &Context, scopes: &mut BTreeMap<String, Scope>, name: &str) {
    let Some(scope) = scopes.remove(name) else {
        return;
    };
    tracing::info!(namespace = %name, "namespace no longer selected: its SealedSecrets are left alone");
    let _ = scope.stop.send(true);
    let _ = scope.task.await;
    ctx.forget_namespace(name);
}
