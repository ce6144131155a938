//! Keeps the key store in step with the key Secrets: a new, changed or deleted key Secret
//! changes the ring at once, on every replica, without a restart.

use super::{KeyStore, LEGACY_KEY_SECRET_NAME, Retirer, apply_key_secret, wipe_secret_data};
use crate::EventSink;
use futures::{StreamExt, stream};
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, ResourceExt,
    runtime::{WatchStreamExt, watcher},
};
use sealant_api::contract::{KeyLabel, hybrid_active_selector};
use std::collections::BTreeSet;

/// Which of the key watches an event came from: a relist of one must only forget the
/// Secrets that watch is responsible for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Labelled,
    Legacy,
    /// Hybrid (X-Wing) key Secrets, under their own label.
    Hybrid,
}

const SOURCES: usize = 3;

/// Run until the watches end (never, in practice: the watcher retries with backoff).
pub async fn watch_key_secrets(
    secrets: Api<Secret>,
    store: KeyStore,
    events: EventSink,
    retirer: Retirer,
) {
    let labelled = watcher(
        secrets.clone(),
        watcher::Config::default().labels(&KeyLabel::active_selector()),
    )
    .default_backoff()
    .map(|e| (Source::Labelled, e));
    let hybrid = watcher(
        secrets.clone(),
        watcher::Config::default().labels(&hybrid_active_selector()),
    )
    .default_backoff()
    .map(|e| (Source::Hybrid, e));
    let legacy = watcher(
        secrets,
        watcher::Config::default().fields(&format!("metadata.name={LEGACY_KEY_SECRET_NAME}")),
    )
    .default_backoff()
    .map(|e| (Source::Legacy, e));

    let mut events_in = std::pin::pin!(stream::select(stream::select(labelled, legacy), hybrid));
    let mut relisting: [Option<BTreeSet<String>>; SOURCES] = Default::default();
    let mut owned: [BTreeSet<String>; SOURCES] = Default::default();
    while let Some((source, event)) = events_in.next().await {
        let slot = source as usize;
        match event {
            Ok(watcher::Event::Init) => relisting[slot] = Some(BTreeSet::new()),
            Ok(watcher::Event::InitApply(mut secret)) => {
                let name = secret.name_any();
                apply_key_secret(&store, &events, &secret).await;
                retirer.consider(&store, &events, &secret).await;
                wipe_secret_data(&mut secret);
                if let Some(seen) = relisting[slot].as_mut() {
                    seen.insert(name.clone());
                }
                owned[slot].insert(name);
            }
            Ok(watcher::Event::InitDone) => {
                // Secrets deleted while the watch was down never produce a Delete event.
                if let Some(seen) = relisting[slot].take() {
                    for gone in owned[slot].difference(&seen).cloned().collect::<Vec<_>>() {
                        forget(&store, &gone);
                        owned[slot].remove(&gone);
                    }
                }
            }
            Ok(watcher::Event::Apply(mut secret)) => {
                let name = secret.name_any();
                apply_key_secret(&store, &events, &secret).await;
                retirer.consider(&store, &events, &secret).await;
                wipe_secret_data(&mut secret);
                owned[slot].insert(name);
            }
            Ok(watcher::Event::Delete(mut secret)) => {
                let name = secret.name_any();
                wipe_secret_data(&mut secret);
                forget(&store, &name);
                owned[slot].remove(&name);
            }
            Err(error) => tracing::warn!(%error, "key Secret watch failed; retrying"),
        }
    }
}

fn forget(store: &KeyStore, secret_name: &str) {
    if let Some(fingerprint) = store.remove_secret(secret_name) {
        tracing::info!(secret = %secret_name, fingerprint = %fingerprint.short(), "key removed");
    }
}
