//! The key renewal loop (leader only): a new key when the policy says one is due — on
//! schedule, after `--key-cutoff-time`, on a `sealant.dev/rotate-requested-at` request, or on
//! SIGUSR1 — and otherwise asleep until the next due time or the next key change.
//!
//! With `--hybrid-keys` the hybrid key follows the same policy on its own clock (its newest
//! key's creation time): a request or SIGUSR1 renews both kinds, the schedule each by its age.

use super::{KeyGenerationSettings, KeyStore, create_hybrid_key, create_key};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use sealant_keys::{RotationPolicy, RotationReason};
use std::{sync::Arc, time::Duration};
use time::OffsetDateTime;
use tokio::sync::Notify;

/// Asks the renewal loop for one new key now (SIGUSR1, as in Bitnami).
#[derive(Clone, Default)]
pub struct RenewalTrigger(Arc<Notify>);

impl RenewalTrigger {
    pub fn rotate_now(&self) {
        self.0.notify_one();
    }
}

/// After a failed attempt, wait this long before trying again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Run forever.
pub async fn renew_keys(
    secrets: Api<Secret>,
    namespace: String,
    store: KeyStore,
    policy: RotationPolicy,
    settings: KeyGenerationSettings,
    trigger: RenewalTrigger,
) {
    let mut changes = store.subscribe_changes();
    // Per kind: a manual request not yet carried out.
    let (mut manual_rsa, mut manual_hybrid) = (false, false);
    loop {
        // Before reading the state, not after: a request arriving between the read and the
        // sleep must still wake the sleep (marking later would swallow it, and the request
        // would wait for the next unrelated change).
        changes.mark_unchanged();
        let newest = store.ring().newest().and_then(|e| e.not_before());
        let newest_hybrid = store.newest_hybrid().map(|(_, created)| created);
        let now = OffsetDateTime::now_utc();
        let requested = store.latest_rotation_request();
        let due = |manual: bool, newest| {
            if manual {
                Some(RotationReason::Requested)
            } else {
                policy.due(newest, requested, now)
            }
        };
        if let Some(reason) = due(manual_rsa, newest) {
            match create_key(&secrets, &namespace, &store, &settings).await {
                Ok(fingerprint) => {
                    manual_rsa = false;
                    tracing::info!(fingerprint = %fingerprint.short(), ?reason, "key renewed");
                }
                Err(error) => {
                    tracing::warn!(%error, ?reason, "making a new key failed; retrying");
                    tokio::time::sleep(RETRY_AFTER_FAILURE).await;
                }
            }
            continue;
        }
        if settings.hybrid
            && let Some(reason) = due(manual_hybrid, newest_hybrid)
        {
            match create_hybrid_key(&secrets, &namespace, &store, &settings).await {
                Ok(key_id) => {
                    manual_hybrid = false;
                    tracing::info!(fingerprint = %key_id.short(), ?reason, "hybrid key renewed");
                }
                Err(error) => {
                    tracing::warn!(%error, ?reason, "making a new hybrid key failed; retrying");
                    tokio::time::sleep(RETRY_AFTER_FAILURE).await;
                }
            }
            continue;
        }
        // Sleep until the schedule (or a pending future-dated request) falls due.
        let hybrid_renewal = settings
            .hybrid
            .then(|| policy.next_renewal(newest_hybrid))
            .flatten();
        let wake_at = [policy.next_renewal(newest), hybrid_renewal, requested]
            .into_iter()
            .flatten()
            .filter(|t| *t > now)
            .min();
        let sleep = wake_at.map(|t| {
            let secs = (t - now).as_seconds_f64().max(0.0);
            // A far-off renewal is re-checked daily rather than trusting one huge timer.
            Duration::from_secs_f64(secs.min(86_400.0))
        });
        tokio::select! {
            _ = changes.changed() => {}
            () = trigger.0.notified() => (manual_rsa, manual_hybrid) = (true, settings.hybrid),
            () = async {
                match sleep {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            } => {}
        }
    }
}
