//! Start-up: read every key Secret, and create the first key when there is none.

use super::{
    KEY_ACTIVE, KeyStore, LEGACY_KEY_SECRET_NAME, build_key_secret, key_entry_from_secret,
    wipe_secret_data,
};
use crate::{ControllerError, EventSink, events::REASON_BAD_KEY_SECRET};
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Resource, ResourceExt,
    api::{ListParams, PostParams},
};
use sealant_api::annotations::SEALED_SECRETS_KEY_LABEL;
use sealant_keys::{CertificateOptions, KeyEntry, generate_private_key, self_signed_certificate};
use std::time::Duration;

/// The label selector of active key Secrets.
pub fn active_key_selector() -> String {
    format!("{SEALED_SECRETS_KEY_LABEL}={KEY_ACTIVE}")
}

/// Read every active key Secret, plus the legacy `sealed-secrets-key`, into `store`.
/// A malformed one is skipped with a warning Event. Returns how many keys were loaded.
pub async fn load_keys(
    secrets: &Api<Secret>,
    store: &KeyStore,
    events: &EventSink,
) -> Result<usize, ControllerError> {
    let kube_err = |action, source| ControllerError::Kube {
        action,
        object: "key Secrets".to_owned(),
        source,
    };
    let mut found = secrets
        .list(&ListParams::default().labels(&active_key_selector()))
        .await
        .map_err(|e| kube_err("listing", e))?
        .items;
    if let Some(legacy) = secrets
        .get_opt(LEGACY_KEY_SECRET_NAME)
        .await
        .map_err(|e| kube_err("reading", e))?
    {
        found.push(legacy);
    }
    for secret in &mut found {
        apply_key_secret(store, events, secret).await;
        wipe_secret_data(secret);
    }
    Ok(store.ring().len())
}

/// Add the key a Secret holds to the store, or report why it cannot be used.
pub(crate) async fn apply_key_secret(store: &KeyStore, events: &EventSink, secret: &Secret) {
    let name = secret.name_any();
    match key_entry_from_secret(secret) {
        Ok(entry) => {
            let fingerprint = entry.fingerprint();
            if store.apply(&name, entry) {
                tracing::info!(secret = %name, fingerprint = %fingerprint.short(), "key loaded");
            }
        }
        Err(error) => {
            // A key Secret that stopped being usable must stop contributing its old key.
            store.remove_secret(&name);
            tracing::warn!(secret = %name, %error, "skipping malformed key Secret");
            events
                .warning(
                    &secret.object_ref(&()),
                    REASON_BAD_KEY_SECRET,
                    format!("{error}; this key Secret is skipped"),
                )
                .await;
        }
    }
}

/// What a newly generated key looks like.
#[derive(Debug, Clone)]
pub struct KeyGenerationSettings {
    pub bits: usize,
    pub common_name: String,
    pub validity: Duration,
    pub prefix: String,
}

/// Make sure there is a key to seal with: when the store is empty, generate one and store it
/// as a Bitnami key Secret. Generation runs off the async runtime (seconds for 4096 bits).
pub async fn ensure_active_key(
    secrets: &Api<Secret>,
    namespace: &str,
    store: &KeyStore,
    settings: &KeyGenerationSettings,
) -> Result<(), ControllerError> {
    if !store.ring().is_empty() {
        return Ok(());
    }
    let generation = settings.clone();
    let (key, certificate) = tokio::task::spawn_blocking(move || {
        let key = generate_private_key(generation.bits)?;
        let mut options = CertificateOptions::new(time::OffsetDateTime::now_utc());
        options.common_name = generation.common_name;
        options.validity = time::Duration::try_from(generation.validity)
            .map_err(|e| sealant_keys::KeysError::CertificateOptions(e.to_string()))?;
        let certificate = self_signed_certificate(&key, &options)?;
        Ok::<_, sealant_keys::KeysError>((key, certificate))
    })
    .await
    .map_err(|_| ControllerError::PoolClosed)??;

    let mut secret = build_key_secret(namespace, &settings.prefix, &key, &certificate)?;
    let created = secrets.create(&PostParams::default(), &secret).await;
    wipe_secret_data(&mut secret);
    let mut created = created.map_err(|source| ControllerError::Kube {
        action: "creating",
        object: format!("key Secret {namespace}/{}*", settings.prefix),
        source,
    })?;
    // The API server echoes the key back.
    wipe_secret_data(&mut created);
    let name = created.name_any();
    tracing::info!(
        secret = %name,
        fingerprint = %key.fingerprint().short(),
        bits = settings.bits,
        "generated a new key"
    );
    store.apply(&name, KeyEntry::new(key, Some(certificate))?);
    Ok(())
}
