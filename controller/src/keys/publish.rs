//! Publishes the certificates in a ConfigMap anyone may read, so the CLI can fetch them
//! without the services/proxy permission kubeseal's fetch needs (its most reported failure),
//! and keeps it that way.
//!
//! The ConfigMap is an integrity target: a user who may update ConfigMaps in the controller
//! namespace could put their own certificate in `cert.pem`, and everyone sealing from it
//! would seal for them. So the leader watches it and restores it on any change it did not
//! make (including deletion, and `immutable: true`, which it undoes by deleting and
//! recreating), with a Warning Event on the ConfigMap and a count in
//! `sealant_certificate_configmap_repairs_total`.
//!
//! With `--hybrid-keys`, the newest hybrid (X-Wing) public key sits beside `cert.pem` as
//! `xwing.pub`, under the same integrity watch: a swapped hybrid key would be sealed for just
//! as surely as a swapped certificate.

use super::{KeyStore, pacing::RepairPacing};
use crate::{
    EventSink,
    metrics::{ConfigMapChange, Metrics},
};
use futures::StreamExt;
use k8s_openapi::{api::core::v1::ConfigMap, apimachinery::pkg::apis::meta::v1::ObjectMeta};
use kube::{
    Api, Resource,
    api::{DeleteParams, PostParams, Preconditions},
    runtime::{WatchStreamExt, watcher},
};
use sealant_api::contract::{
    ACTIVE_CERT_KEY, ACTIVE_HYBRID_KEY, ALL_CERTS_KEY, CERTIFICATES_CONFIGMAP,
};
use std::{collections::BTreeMap, time::Duration};
use tokio::time::Instant;

/// The Warning Event's reason when the ConfigMap was restored after someone else's change.
pub const REASON_CERTIFICATES_REPAIRED: &str = "CertificateConfigMapRepaired";

/// How long to wait before trying again after a failed write (a later change of keys or of
/// the ConfigMap tries again at once).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

/// The ConfigMap data for the keys in `store`; with `hybrid` (`--hybrid-keys`), the newest
/// hybrid public key too.
pub fn certificate_data(store: &KeyStore, hybrid: bool) -> BTreeMap<String, String> {
    let ring = store.ring();
    let pems: Vec<String> = ring
        .iter()
        .filter_map(|e| e.certificate().map(|c| c.to_pem()))
        .collect();
    let mut data = BTreeMap::new();
    if let Some(newest) = pems.first() {
        data.insert(ACTIVE_CERT_KEY.to_owned(), newest.clone());
        data.insert(ALL_CERTS_KEY.to_owned(), pems.concat());
    }
    if hybrid && let Some(newest) = ring.newest_hybrid() {
        data.insert(
            ACTIVE_HYBRID_KEY.to_owned(),
            newest.key().public_key().to_pem(),
        );
    }
    data
}

/// Keep the ConfigMap equal to the key set: write when the keys change (a restart with the
/// same keys writes nothing) and restore it whenever someone else changes it. Runs until
/// the leadership term ends (the task is aborted) or the key store goes away.
pub async fn publish_certificates(
    configmaps: Api<ConfigMap>,
    store: KeyStore,
    events: EventSink,
    metrics: Metrics,
    hybrid: bool,
) {
    let mut changes = store.subscribe_changes();
    let config =
        watcher::Config::default().fields(&format!("metadata.name={CERTIFICATES_CONFIGMAP}"));
    let mut observed = std::pin::pin!(watcher(configmaps.clone(), config).default_backoff());
    let mut publisher = Publisher {
        configmaps,
        store,
        events,
        metrics,
        hybrid,
        ours: None,
        pacing: RepairPacing::default(),
    };
    let mut pending = true;
    let mut failed = false;
    loop {
        if pending {
            match publisher.sync().await {
                Ok(()) => (pending, failed) = (false, false),
                Err(error) => {
                    tracing::warn!(%error, configmap = CERTIFICATES_CONFIGMAP, "publishing certificates failed");
                    failed = true;
                }
            }
        }
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                pending = true;
            }
            event = observed.next() => match event {
                None => return,
                Some(Ok(event)) => pending |= publisher.worth_a_look(&event),
                Some(Err(error)) => {
                    tracing::warn!(%error, configmap = CERTIFICATES_CONFIGMAP, "watching the certificate ConfigMap failed; retrying");
                }
            },
            () = tokio::time::sleep(RETRY_AFTER_FAILURE), if failed => {}
        }
    }
}

struct Publisher {
    configmaps: Api<ConfigMap>,
    store: KeyStore,
    events: EventSink,
    metrics: Metrics,
    /// `--hybrid-keys`: publish the hybrid public key too.
    hybrid: bool,
    /// The data this term last wrote or found in place; `None` until then. A ConfigMap that
    /// holds neither this nor the current key set was changed by someone else.
    ours: Option<BTreeMap<String, String>>,
    pacing: RepairPacing,
}

impl Publisher {
    /// Whether a watch event may show a ConfigMap that needs writing. Our own writes come
    /// back as events holding exactly what we publish, so they never cause another write.
    fn worth_a_look(&self, event: &watcher::Event<ConfigMap>) -> bool {
        match event {
            watcher::Event::Init => false,
            watcher::Event::InitApply(cm) | watcher::Event::Apply(cm) => {
                !holds_exactly(cm, &certificate_data(&self.store, self.hybrid))
            }
            // Deleted, or a relist that may have found it gone while the watch was down.
            watcher::Event::Delete(_) | watcher::Event::InitDone => true,
        }
    }

    /// Read the ConfigMap and, unless it holds exactly the current certificates, write them.
    async fn sync(&mut self) -> Result<(), kube::Error> {
        loop {
            let desired = certificate_data(&self.store, self.hybrid);
            if desired.is_empty() {
                return Ok(());
            }
            let current = self.configmaps.get_opt(CERTIFICATES_CONFIGMAP).await?;
            if current
                .as_ref()
                .is_some_and(|cm| holds_exactly(cm, &desired))
            {
                self.ours = Some(desired);
                return Ok(());
            }
            // Differs from what we publish now; if it also differs from what we last wrote,
            // the keys did not cause it: someone else changed it. (At the start of a term
            // there is nothing to compare with, and a difference is taken as keys that
            // changed while nobody led.)
            let tampered = self.ours.as_ref().and_then(|ours| match &current {
                None => Some(ConfigMapChange::Deleted),
                Some(cm) if !holds_exactly(cm, ours) => Some(ConfigMapChange::Modified),
                Some(_) => None,
            });
            if tampered.is_some() {
                let wait = self.pacing.delay(Instant::now());
                if !wait.is_zero() {
                    tracing::warn!(configmap = CERTIFICATES_CONFIGMAP, wait = ?wait, "the certificate ConfigMap keeps being changed; pacing repairs");
                    tokio::time::sleep(wait).await;
                    // It may have changed again meanwhile: read it afresh.
                    continue;
                }
            }
            let written = self.write(current, desired.clone()).await?;
            self.ours = Some(desired);
            match tampered {
                None => {
                    tracing::info!(configmap = CERTIFICATES_CONFIGMAP, "certificates published")
                }
                Some(change) => self.report_repair(change, &written).await,
            }
            return Ok(());
        }
    }

    /// Make the ConfigMap hold `data`, replacing exactly the version read (a concurrent
    /// writer gets a 409, and the next event or retry reads it again).
    async fn write(
        &mut self,
        current: Option<ConfigMap>,
        data: BTreeMap<String, String>,
    ) -> Result<ConfigMap, kube::Error> {
        let mut desired = published_configmap(data);
        let post = PostParams::default();
        match current {
            None => self.configmaps.create(&post, &desired).await,
            Some(cm) if cm.immutable == Some(true) => {
                // An immutable ConfigMap cannot be updated, only deleted and made again.
                let only_this_version = DeleteParams {
                    preconditions: Some(Preconditions {
                        uid: cm.metadata.uid,
                        resource_version: cm.metadata.resource_version,
                    }),
                    ..DeleteParams::default()
                };
                self.configmaps
                    .delete(CERTIFICATES_CONFIGMAP, &only_this_version)
                    .await?;
                // Gone by our own hand: if the create fails, making it again on the retry
                // is a publication, not a second repair.
                self.ours = None;
                self.configmaps.create(&post, &desired).await
            }
            Some(cm) => {
                desired.metadata.resource_version = cm.metadata.resource_version;
                self.configmaps
                    .replace(CERTIFICATES_CONFIGMAP, &post, &desired)
                    .await
            }
        }
    }

    async fn report_repair(&mut self, change: ConfigMapChange, restored: &ConfigMap) {
        self.pacing.record(Instant::now());
        self.metrics.certificate_configmap_repaired(change);
        let namespace = restored.metadata.namespace.as_deref().unwrap_or_default();
        let what = match change {
            ConfigMapChange::Modified => {
                "did not hold the certificates of the loaded keys (changed, extended or made \
                 immutable by someone else); restored them"
            }
            ConfigMapChange::Deleted => "was deleted by someone else; recreated it",
        };
        tracing::warn!(configmap = %format!("{namespace}/{CERTIFICATES_CONFIGMAP}"), change = change.as_str(), "certificate ConfigMap repaired");
        self.events
            .warning(
                &restored.object_ref(&()),
                REASON_CERTIFICATES_REPAIRED,
                format!(
                    "ConfigMap {namespace}/{CERTIFICATES_CONFIGMAP} {what}. Anyone who sealed \
                     with a certificate read from it meanwhile should check its fingerprint \
                     (sealant check)."
                ),
            )
            .await;
    }
}

/// The ConfigMap exactly as we publish it.
fn published_configmap(data: BTreeMap<String, String>) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(CERTIFICATES_CONFIGMAP.to_owned()),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/managed-by".to_owned(),
                "sealant-controller".to_owned(),
            )])),
            ..ObjectMeta::default()
        },
        data: Some(data),
        ..ConfigMap::default()
    }
}

/// Whether `cm` carries exactly `data` and nothing else a reader could take for a
/// certificate, and can still be updated. Labels and annotations are left to others.
fn holds_exactly(cm: &ConfigMap, data: &BTreeMap<String, String>) -> bool {
    cm.data.as_ref() == Some(data)
        && cm.binary_data.as_ref().is_none_or(BTreeMap::is_empty)
        && cm.immutable != Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(active: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (ACTIVE_CERT_KEY.to_owned(), active.to_owned()),
            (ALL_CERTS_KEY.to_owned(), active.to_owned()),
        ])
    }

    #[test]
    fn only_exactly_our_data_in_an_updatable_configmap_counts_as_ours() {
        let ours = data("A");
        assert!(holds_exactly(&published_configmap(ours.clone()), &ours));

        let mut relabelled = published_configmap(ours.clone());
        relabelled.metadata.labels = None;
        assert!(
            holds_exactly(&relabelled, &ours),
            "metadata is not ours to police"
        );

        assert!(!holds_exactly(&published_configmap(data("B")), &ours));
        let mut extra = ours.clone();
        extra.insert("cert-new.pem".to_owned(), "B".to_owned());
        assert!(!holds_exactly(&published_configmap(extra), &ours));
        let mut binary = published_configmap(ours.clone());
        binary.binary_data = Some(BTreeMap::from([(
            ACTIVE_CERT_KEY.to_owned(),
            k8s_openapi::ByteString(b"B".to_vec()),
        )]));
        assert!(!holds_exactly(&binary, &ours));
        let mut frozen = published_configmap(ours.clone());
        frozen.immutable = Some(true);
        assert!(!holds_exactly(&frozen, &ours), "we could not update it");
        let mut emptied = published_configmap(ours.clone());
        emptied.data = None;
        assert!(!holds_exactly(&emptied, &ours));
    }
}
