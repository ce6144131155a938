//! Retiring a key: an RBAC-governed request (an annotation on its key Secret) that the
//! controller carries out only when no SealedSecret still needs the key. A retired key's
//! label changes from `active`, so neither Sealant nor Bitnami loads it again.

use super::{KeyStore, key_entry_from_secret};
use crate::{EventSink, reconcile::KEY_FINGERPRINT};
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{ListParams, PartialObjectMeta, Patch, PatchParams},
};
use sealant_api::contract::{
    KEY_LABEL, KeyLabel, REASON_KEY_RETIRE_REFUSED, REASON_KEY_RETIRED, RETIRE_REQUESTED_AT,
};
use sealant_crypto::Fingerprint;

/// What retirement needs to see: where generated Secrets may live.
#[derive(Clone)]
pub struct Retirer {
    pub client: Client,
    pub key_secrets: Api<Secret>,
    /// `None`: all namespaces.
    pub namespaces: Option<Vec<String>>,
    /// Only the leader retires; a standby leaves requests to it (the new leader looks at
    /// every key Secret when its term starts).
    pub leading: tokio::sync::watch::Receiver<bool>,
}

impl Retirer {
    /// Act on a retire request on `secret`, if it carries one.
    pub async fn consider(&self, store: &KeyStore, events: &EventSink, secret: &Secret) {
        if !secret.annotations().contains_key(RETIRE_REQUESTED_AT) || !*self.leading.borrow() {
            return;
        }
        let Ok(entry) = key_entry_from_secret(secret) else {
            return;
        };
        let fingerprint = entry.fingerprint();
        let refuse = |why: String| async move {
            tracing::warn!(secret = %secret.name_any(), fingerprint = %fingerprint.short(), %why, "retire refused");
            events
                .warning(&secret.object_ref(&()), REASON_KEY_RETIRE_REFUSED, why)
                .await;
        };
        if store.ring().newest().map(|e| e.fingerprint()) == Some(fingerprint) {
            refuse(format!(
                "key {} is the active key; make a new key before retiring it",
                fingerprint.short()
            ))
            .await;
            return;
        }
        match self.users_of(&fingerprint).await {
            Err(error) => {
                refuse(format!(
                    "cannot list Secrets to check the key's use: {error}"
                ))
                .await
            }
            Ok(users) if !users.is_empty() => {
                let sample: Vec<&str> = users.iter().take(5).map(String::as_str).collect();
                refuse(format!(
                    "key {} still opens {} SealedSecret(s) (e.g. {}); re-encrypt them first",
                    fingerprint.short(),
                    users.len(),
                    sample.join(", ")
                ))
                .await;
            }
            Ok(_) => self.retire(store, events, secret, fingerprint).await,
        }
    }

    /// namespace/name of every generated Secret whose values `fingerprint` opened, read from
    /// the API (metadata only) rather than from memory, so the answer is complete even
    /// right after a start.
    async fn users_of(&self, fingerprint: &Fingerprint) -> Result<Vec<String>, kube::Error> {
        let wanted = fingerprint.to_hex();
        let apis: Vec<Api<PartialObjectMeta<Secret>>> = match &self.namespaces {
            None => vec![Api::all(self.client.clone())],
            Some(list) => list
                .iter()
                .map(|ns| Api::namespaced(self.client.clone(), ns))
                .collect(),
        };
        let mut users = Vec::new();
        for api in apis {
            for meta in api.list_metadata(&ListParams::default()).await?.items {
                if meta.annotations().get(KEY_FINGERPRINT) == Some(&wanted) {
                    users.push(format!(
                        "{}/{}",
                        meta.namespace().unwrap_or_default(),
                        meta.name_any()
                    ));
                }
            }
        }
        Ok(users)
    }

    async fn retire(
        &self,
        store: &KeyStore,
        events: &EventSink,
        secret: &Secret,
        fingerprint: Fingerprint,
    ) {
        let name = secret.name_any();
        let patch = serde_json::json!({
            "metadata": { "labels": { KEY_LABEL: KeyLabel::Retired.as_str() } }
        });
        match self
            .key_secrets
            .patch_metadata(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => {
                store.remove_secret(&name);
                tracing::info!(secret = %name, fingerprint = %fingerprint.short(), "key retired");
                events
                    .normal(
                        &secret.object_ref(&()),
                        REASON_KEY_RETIRED,
                        format!("key {} retired; it no longer decrypts", fingerprint.short()),
                    )
                    .await;
            }
            Err(error) => tracing::warn!(secret = %name, %error, "retiring the key failed"),
        }
    }
}
