//! Start-up: read every key Secret, and create the first key when there is none.

use super::{
    KeyStore, LEGACY_KEY_SECRET_NAME, Retirer, build_key_secret,
    hybrid_secret::{
        HYBRID_KEY_SECRET_PREFIX, build_hybrid_key_secret, hybrid_key_from_secret,
        is_hybrid_key_secret,
    },
    key_entry_from_secret, wipe_secret_data,
};
use crate::{ControllerError, EventSink, error::KeyCall, events::REASON_BAD_KEY_SECRET};
use k8s_openapi::api::core::v1::Secret;
use kube::{
    Api, Resource, ResourceExt,
    api::{ListParams, PostParams},
};
use sealant_api::contract::{KEY_LABEL, KeyLabel, ROTATE_REQUESTED_AT, hybrid_active_selector};
use sealant_crypto::{Fingerprint, XWingPrivateKey};
use sealant_keys::{CertificateOptions, KeyEntry, generate_private_key, self_signed_certificate};
use std::{collections::BTreeMap, time::Duration};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// Read every active key Secret (RSA and hybrid), plus the legacy `sealed-secrets-key`, into
/// `store`. Hybrid key Secrets are loaded whether or not `--hybrid-keys` is on: turning the
/// flag off stops making and publishing them, never opening what was sealed for them.
/// A malformed one is skipped with a warning Event. With a `retirer` (a leader starting its
/// term), retire requests made while nobody led are acted on too. Returns how many keys
/// were loaded.
pub async fn load_keys(
    secrets: &Api<Secret>,
    store: &KeyStore,
    events: &EventSink,
    retirer: Option<&Retirer>,
) -> Result<usize, ControllerError> {
    let kube_err = |call, source| ControllerError::Keys {
        call,
        object: "key Secrets".to_owned(),
        source,
    };
    let mut found = secrets
        .list(&ListParams::default().labels(&KeyLabel::active_selector()))
        .await
        .map_err(|e| kube_err(KeyCall::ListKeySecrets, e))?
        .items;
    found.extend(
        secrets
            .list(&ListParams::default().labels(&hybrid_active_selector()))
            .await
            .map_err(|e| kube_err(KeyCall::ListKeySecrets, e))?
            .items,
    );
    if let Some(legacy) = secrets
        .get_opt(LEGACY_KEY_SECRET_NAME)
        .await
        .map_err(|e| kube_err(KeyCall::ReadLegacyKeySecret, e))?
    {
        found.push(legacy);
    }
    for secret in &mut found {
        apply_key_secret(store, events, secret).await;
        if let Some(retirer) = retirer {
            retirer.consider(store, events, secret).await;
        }
        wipe_secret_data(secret);
    }
    Ok(store.ring().len())
}

/// Add the key a Secret (RSA or hybrid) holds to the store, or report why it cannot be used.
pub(crate) async fn apply_key_secret(store: &KeyStore, events: &EventSink, secret: &Secret) {
    if is_hybrid_key_secret(secret) {
        apply_hybrid_key_secret(store, events, secret).await;
    } else {
        apply_rsa_key_secret(store, events, secret).await;
    }
}

async fn apply_hybrid_key_secret(store: &KeyStore, events: &EventSink, secret: &Secret) {
    let name = secret.name_any();
    record_rotation_request(store, events, secret).await;
    match hybrid_key_from_secret(secret) {
        Ok(hybrid) => {
            let key_id = hybrid.key.key_id();
            if store.apply_hybrid(&name, hybrid) {
                tracing::info!(secret = %name, fingerprint = %key_id.short(), "hybrid key loaded");
            }
        }
        Err(error) => skip_bad_key_secret(store, events, secret, error).await,
    }
}

async fn apply_rsa_key_secret(store: &KeyStore, events: &EventSink, secret: &Secret) {
    let name = secret.name_any();
    record_rotation_request(store, events, secret).await;
    match key_entry_from_secret(secret) {
        Ok(entry) => {
            let fingerprint = entry.fingerprint();
            if store.apply(&name, entry) {
                tracing::info!(secret = %name, fingerprint = %fingerprint.short(), "key loaded");
            }
        }
        Err(error) => skip_bad_key_secret(store, events, secret, error).await,
    }
}

async fn skip_bad_key_secret(
    store: &KeyStore,
    events: &EventSink,
    secret: &Secret,
    error: ControllerError,
) {
    let name = secret.name_any();
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

/// Note the `sealant.dev/rotate-requested-at` annotation of a key Secret, if any.
async fn record_rotation_request(store: &KeyStore, events: &EventSink, secret: &Secret) {
    let name = secret.name_any();
    let Some(value) = secret.annotations().get(ROTATE_REQUESTED_AT) else {
        store.set_rotation_request(&name, None);
        return;
    };
    match OffsetDateTime::parse(value.trim(), &Rfc3339) {
        Ok(requested) => store.set_rotation_request(&name, Some(requested)),
        Err(_) => {
            store.set_rotation_request(&name, None);
            events
                .warning(
                    &secret.object_ref(&()),
                    REASON_BAD_KEY_SECRET,
                    format!(
                        "{ROTATE_REQUESTED_AT} must be an RFC 3339 time; the request is ignored"
                    ),
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
    /// `--privatekey-labels` / `--privatekey-annotations`, added to new key Secrets.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `--hybrid-keys`: also keep an X-Wing key pair.
    pub hybrid: bool,
}

/// Make sure there is a key to seal with: when the store holds no RSA key, generate one and
/// store it as a Bitnami key Secret; with `--hybrid-keys`, likewise for the hybrid key.
/// Generation runs off the async runtime (seconds for 4096 bits).
pub async fn ensure_active_key(
    secrets: &Api<Secret>,
    namespace: &str,
    store: &KeyStore,
    settings: &KeyGenerationSettings,
) -> Result<(), ControllerError> {
    if store.ring().newest().is_none() {
        create_key(secrets, namespace, store, settings).await?;
    }
    if settings.hybrid && store.newest_hybrid().is_none() {
        create_hybrid_key(secrets, namespace, store, settings).await?;
    }
    Ok(())
}

/// Generate an X-Wing key pair, store it as a new hybrid key Secret, and add it to the ring.
pub async fn create_hybrid_key(
    secrets: &Api<Secret>,
    namespace: &str,
    store: &KeyStore,
    settings: &KeyGenerationSettings,
) -> Result<Fingerprint, ControllerError> {
    let key = tokio::task::spawn_blocking(XWingPrivateKey::generate)
        .await
        .map_err(|_| ControllerError::PoolClosed)?
        .map_err(|e| ControllerError::KeySecret {
            object: format!("{namespace}/{HYBRID_KEY_SECRET_PREFIX}*"),
            reason: e.to_string(),
        })?;
    // Whole seconds, as certificates keep them: rotation requests compare at that precision.
    let now = OffsetDateTime::now_utc();
    let created_at = now.replace_nanosecond(0).unwrap_or(now);
    let mut secret = build_hybrid_key_secret(namespace, &key, created_at)?;
    let labels = secret.metadata.labels.get_or_insert_with(BTreeMap::new);
    for (k, v) in &settings.labels {
        // Never Bitnami's key label, whatever --privatekey-labels says: Bitnami's controller
        // would load this Secret as an RSA key and fail on it.
        if k != KEY_LABEL {
            labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let annotations = secret
        .metadata
        .annotations
        .get_or_insert_with(BTreeMap::new);
    for (k, v) in &settings.annotations {
        annotations.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let created = secrets.create(&PostParams::default(), &secret).await;
    wipe_secret_data(&mut secret);
    let mut created = created.map_err(|source| ControllerError::Keys {
        call: KeyCall::CreateKeySecret,
        object: format!("key Secret {namespace}/{HYBRID_KEY_SECRET_PREFIX}*"),
        source,
    })?;
    wipe_secret_data(&mut created);
    let name = created.name_any();
    let key_id = key.key_id();
    tracing::info!(secret = %name, fingerprint = %key_id.short(), "generated a new hybrid key");
    store.apply_hybrid(&name, super::hybrid_secret::HybridKey { key, created_at });
    Ok(key_id)
}

/// Generate a key, store it as a new key Secret, and add it to the ring. Generation runs
/// off the async runtime (seconds for 4096 bits).
pub async fn create_key(
    secrets: &Api<Secret>,
    namespace: &str,
    store: &KeyStore,
    settings: &KeyGenerationSettings,
) -> Result<Fingerprint, ControllerError> {
    let generation = settings.clone();
    let (key, certificate) = tokio::task::spawn_blocking(move || {
        let key = generate_private_key(generation.bits)?;
        let mut options = CertificateOptions::new(OffsetDateTime::now_utc());
        options.common_name = generation.common_name;
        options.validity = time::Duration::try_from(generation.validity)
            .map_err(|e| sealant_keys::KeysError::CertificateOptions(e.to_string()))?;
        let certificate = self_signed_certificate(&key, &options)?;
        Ok::<_, sealant_keys::KeysError>((key, certificate))
    })
    .await
    .map_err(|_| ControllerError::PoolClosed)??;

    let mut secret = build_key_secret(namespace, &settings.prefix, &key, &certificate)?;
    let labels = secret.metadata.labels.get_or_insert_with(BTreeMap::new);
    for (k, v) in &settings.labels {
        labels.entry(k.clone()).or_insert_with(|| v.clone());
    }
    if !settings.annotations.is_empty() {
        secret.metadata.annotations = Some(settings.annotations.clone());
    }
    let created = secrets.create(&PostParams::default(), &secret).await;
    wipe_secret_data(&mut secret);
    let mut created = created.map_err(|source| ControllerError::Keys {
        call: KeyCall::CreateKeySecret,
        object: format!("key Secret {namespace}/{}*", settings.prefix),
        source,
    })?;
    // The API server echoes the key back.
    wipe_secret_data(&mut created);
    let name = created.name_any();
    let fingerprint = key.fingerprint();
    tracing::info!(
        secret = %name,
        fingerprint = %fingerprint.short(),
        bits = settings.bits,
        "generated a new key"
    );
    store.apply(&name, KeyEntry::new(key, Some(certificate))?);
    Ok(fingerprint)
}
