//! Retiring a key: an RBAC-governed request (an annotation on its key Secret) that the
//! controller carries out only when no SealedSecret still needs the key. A retired key's
//! label changes from `active`, so neither Sealant nor Bitnami loads it again.
//!
//! "Needs" covers both envelopes: a generated Secret records the key that opened its values
//! (v1, and the key that unwrapped a v2 header), and a v2 SealedSecret names its recipients
//! in its header stanzas. A key a stanza names is needed even when another key opened the
//! object today, so hybrid keys (X-Wing) and RSA keys retire under the same rule.

use super::{KeyStore, hybrid_key_from_secret, is_hybrid_key_secret, key_entry_from_secret};
use crate::{EventSink, reconcile::KEY_FINGERPRINT};
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{ListParams, PartialObjectMeta, Patch, PatchParams},
};
use sealant_api::{
    SealedSecret,
    contract::{
        HYBRID_KEY_LABEL, KEY_LABEL, KeyLabel, REASON_KEY_RETIRE_REFUSED, REASON_KEY_RETIRED,
        RETIRE_REQUESTED_AT,
    },
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
        let hybrid = is_hybrid_key_secret(secret);
        let fingerprint = if hybrid {
            match hybrid_key_from_secret(secret) {
                Ok(h) => h.key.key_id(),
                Err(_) => return,
            }
        } else {
            match key_entry_from_secret(secret) {
                Ok(entry) => entry.fingerprint(),
                Err(_) => return,
            }
        };
        let refuse = |why: String| async move {
            tracing::warn!(secret = %secret.name_any(), fingerprint = %fingerprint.short(), %why, "retire refused");
            events
                .warning(&secret.object_ref(&()), REASON_KEY_RETIRE_REFUSED, why)
                .await;
        };
        let newest = if hybrid {
            store.newest_hybrid().map(|(id, _)| id)
        } else {
            store.ring().newest().map(|e| e.fingerprint())
        };
        if newest == Some(fingerprint) {
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
            Ok(_) => {
                self.retire(store, events, secret, fingerprint, hybrid)
                    .await
            }
        }
    }

    fn apis<K>(&self) -> Vec<Api<K>>
    where
        K: kube::Resource<Scope = kube::core::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        match &self.namespaces {
            None => vec![Api::all(self.client.clone())],
            Some(list) => list
                .iter()
                .map(|ns| Api::namespaced(self.client.clone(), ns))
                .collect(),
        }
    }

    /// namespace/name of every object that needs `fingerprint`: generated Secrets whose
    /// values it opened, and v2 SealedSecrets whose header stanzas name it. Read from the
    /// API rather than from memory, so the answer is complete even right after a start.
    async fn users_of(&self, fingerprint: &Fingerprint) -> Result<Vec<String>, kube::Error> {
        let mut users = self.opened_by(fingerprint).await?;
        for named in self.named_by_v2_stanzas(fingerprint).await? {
            if !users.contains(&named) {
                users.push(named);
            }
        }
        Ok(users)
    }

    /// Generated Secrets (metadata only) recording `fingerprint` as the key that opened them.
    async fn opened_by(&self, fingerprint: &Fingerprint) -> Result<Vec<String>, kube::Error> {
        let wanted = fingerprint.to_hex();
        let apis: Vec<Api<PartialObjectMeta<Secret>>> = self.apis();
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

    /// SealedSecrets with a v2 header stanza naming `fingerprint` (an RSA fingerprint or an
    /// X-Wing key id: stanzas name both the same way). A header that does not parse names
    /// nobody.
    async fn named_by_v2_stanzas(
        &self,
        fingerprint: &Fingerprint,
    ) -> Result<Vec<String>, kube::Error> {
        let apis: Vec<Api<SealedSecret>> = self.apis();
        let mut users = Vec::new();
        for api in apis {
            for ss in api.list(&ListParams::default()).await?.items {
                let named = sealant_api::envelope_v2::recipients(&ss)
                    .iter()
                    .any(|r| r.key_id == *fingerprint);
                if named {
                    users.push(format!(
                        "{}/{}",
                        ss.namespace().unwrap_or_default(),
                        ss.name_any()
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
        hybrid: bool,
    ) {
        let name = secret.name_any();
        // The label the Secret is loaded by: a hybrid key Secret never gains Bitnami's.
        let label = if hybrid { HYBRID_KEY_LABEL } else { KEY_LABEL };
        let patch = serde_json::json!({
            "metadata": { "labels": { label: KeyLabel::Retired.as_str() } }
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
