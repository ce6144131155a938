//! Publishes the certificates in a ConfigMap anyone may read, so the CLI can fetch them
//! without the services/proxy permission kubeseal's fetch needs (its most reported failure).

use super::KeyStore;
use k8s_openapi::{api::core::v1::ConfigMap, apimachinery::pkg::apis::meta::v1::ObjectMeta};
use kube::{Api, api::PostParams};
use std::collections::BTreeMap;

/// Name of the ConfigMap in the controller namespace.
pub const CERTIFICATES_CONFIGMAP: &str = "sealant-certificates";
/// The newest certificate: the one to seal with.
pub const ACTIVE_CERT_KEY: &str = "cert.pem";
/// Every loaded certificate, newest first.
pub const ALL_CERTS_KEY: &str = "certificates.pem";

/// The ConfigMap data for the keys in `store`.
pub fn certificate_data(store: &KeyStore) -> BTreeMap<String, String> {
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
    data
}

/// Keep the ConfigMap equal to the key set, writing only when it differs (a restart with
/// the same keys writes nothing). Runs until the process ends.
pub async fn publish_certificates(configmaps: Api<ConfigMap>, store: KeyStore) {
    let mut changes = store.subscribe_changes();
    loop {
        if let Err(error) = publish_once(&configmaps, &store).await {
            tracing::warn!(%error, configmap = CERTIFICATES_CONFIGMAP, "publishing certificates failed");
            // Retry on the next key change, or after a pause.
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(10), changes.changed()).await;
            continue;
        }
        if changes.changed().await.is_err() {
            return;
        }
    }
}

async fn publish_once(configmaps: &Api<ConfigMap>, store: &KeyStore) -> Result<(), kube::Error> {
    let data = certificate_data(store);
    if data.is_empty() {
        return Ok(());
    }
    let existing = configmaps.get_opt(CERTIFICATES_CONFIGMAP).await?;
    if existing.as_ref().and_then(|c| c.data.as_ref()) == Some(&data) {
        return Ok(());
    }
    let mut desired = ConfigMap {
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
    };
    match existing {
        None => configmaps.create(&PostParams::default(), &desired).await?,
        Some(current) => {
            // Replace at the version read: a concurrent writer gets a 409 and a retry.
            desired.metadata.resource_version = current.metadata.resource_version;
            configmaps
                .replace(CERTIFICATES_CONFIGMAP, &PostParams::default(), &desired)
                .await?
        }
    };
    tracing::info!(configmap = CERTIFICATES_CONFIGMAP, "certificates published");
    Ok(())
}
