//! Leadership terms: each time this replica becomes leader it re-reads the keys, makes the
//! first one if there is none, and starts reconciling, renewing and publishing; losing the
//! lead (or a shutdown) lets running reconciles finish and stops the rest.

use super::namespaces::{Follow, follow_namespaces};
use super::scope::run_scope;
use crate::{
    Context,
    http::Readiness,
    keys::{
        RenewalTrigger, Retirer, ensure_active_key, load_keys, publish_certificates, renew_keys,
    },
    settings::TermSettings,
};
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client};
use std::sync::Arc;
use tokio::{sync::watch, task::JoinHandle};

/// What a leadership term needs.
pub(super) struct TermDeps {
    pub client: Client,
    pub settings: TermSettings,
    pub key_secrets: Api<Secret>,
    pub retirer: Retirer,
    pub context: Arc<Context>,
    pub readiness: Readiness,
    pub renewal_trigger: RenewalTrigger,
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
pub(super) async fn lead(
    deps: TermDeps,
    mut leading: watch::Receiver<bool>,
    mut stop: watch::Receiver<bool>,
) {
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
    let settings = &deps.settings;
    let generation = &settings.key_generation;
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
            ensure_active_key(
                &deps.key_secrets,
                &settings.namespace,
                &ctx.keys,
                generation,
            )
            .await
        };
        match ready.await {
            Ok(()) => break,
            Err(error) => {
                failures = failures.saturating_add(1);
                let delay = settings.retry.delay(failures);
                tracing::error!(%error, retry_in = ?delay, "cannot load or create the keys");
                tokio::time::sleep(delay).await;
            }
        }
    }
    let client = &deps.client;
    let background = vec![
        tokio::spawn(publish_certificates(
            Api::namespaced(client.clone(), &settings.namespace),
            ctx.keys.clone(),
            ctx.events.clone(),
            ctx.metrics.clone(),
            generation.hybrid,
        )),
        tokio::spawn(renew_keys(
            deps.key_secrets.clone(),
            settings.namespace.clone(),
            ctx.keys.clone(),
            settings.rotation,
            generation.clone(),
            deps.renewal_trigger.clone(),
        )),
    ];
    let (stop, stopped) = watch::channel(false);
    let scopes: Vec<Option<String>> = match &settings.watched {
        None => vec![None],
        Some(list) => list.iter().cloned().map(Some).collect(),
    };
    // The namespace follower counts as one scope: it reports once its first selection synced.
    let followers = usize::from(settings.namespace_selector.is_some());
    let waiting = scopes.len() + followers;
    let (synced_tx, synced_rx) = tokio::sync::mpsc::channel::<()>(waiting.max(1));
    let mut background = background;
    background.push(tokio::spawn(report_synced(
        synced_rx,
        waiting,
        deps.readiness.clone(),
        ctx.clone(),
    )));
    let listed: std::collections::BTreeSet<String> = scopes.iter().flatten().cloned().collect();
    let mut controllers: Vec<JoinHandle<()>> = scopes
        .into_iter()
        .map(|scope| {
            tokio::spawn(run_scope(
                client.clone(),
                scope,
                settings.scope.clone(),
                ctx.clone(),
                stopped.clone(),
                synced_tx.clone(),
            ))
        })
        .collect();
    if let Some(selector) = &settings.namespace_selector {
        let follow = Follow {
            client: client.clone(),
            selector: selector.clone(),
            listed,
            settings: settings.scope.clone(),
            ctx: ctx.clone(),
        };
        controllers.push(tokio::spawn(follow_namespaces(
            follow,
            stopped.clone(),
            synced_tx.clone(),
        )));
    }
    Term {
        stop,
        controllers,
        background,
    }
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
