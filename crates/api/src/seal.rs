//! Secret → SealedSecret, following kubeseal's `Seal` and Bitnami's `NewSealedSecret`.

use crate::{
    ApiError, PlainSecret, SealedSecret, SealedSecretSpec, SecretBytes, SecretTemplateSpec,
    annotations::{
        LAST_APPLIED_ANNOTATIONS, is_scope_annotation, scope_from_annotations,
        set_scope_annotations,
    },
    crd::describe_names,
    describe_meta,
    sealed_for::{record_sealed_for, refresh_sealed_for},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sealant_crypto::{Label, Plaintext, PublicKey, Scope, encode_base64, seal, v2::Recipient};
use std::collections::BTreeMap;

/// What the command line adds to a Secret when sealing it.
#[derive(Debug, Clone, Default)]
pub struct SealOptions {
    /// `--scope`. `None` takes the scope from the Secret's annotations. An explicit
    /// `Some(Strict)` removes scope annotations (kubeseal treats `--scope strict` as "not
    /// given" and keeps them, which silently ignores the flag).
    pub scope: Option<Scope>,
    /// `--name`. Replaces `metadata.name`, as kubeseal does.
    pub name: Option<String>,
    /// `-n/--namespace`, only when given explicitly. A Secret that names another namespace is
    /// refused ("namespace mismatch"), as kubeseal does since v0.27.
    pub namespace: Option<String>,
    /// The kubeconfig context namespace (kubectl falls back to `default`). Used only when the
    /// Secret has no namespace and `namespace` is `None`.
    pub default_namespace: Option<String>,
    /// `--allow-empty-data`.
    pub allow_empty_data: bool,
    /// Add the `sealant.dev/sealed-for` hint ([`crate::SealedFor`]) to the top-level
    /// annotations. Off by default so kubeseal-mode output stays byte-identical to kubeseal's.
    pub record_sealed_for: bool,
}

/// Seal every value of `secret` for the target and scope `opts` and its annotations select.
///
/// Namespace rules (kubeseal's): for strict and namespace-wide scope the namespace comes from
/// the Secret, else `opts.namespace`, else `opts.default_namespace`; a cluster-wide Secret
/// keeps whatever namespace it has, possibly none. The name is always required (a nameless
/// SealedSecret cannot be applied).
pub fn seal_secret(
    secret: &PlainSecret,
    key: &PublicKey,
    opts: &SealOptions,
) -> Result<SealedSecret, ApiError> {
    seal_secret_to(secret, SealTo::V1(key), opts)
}

/// Which envelope a seal writes.
#[derive(Clone, Copy, Debug)]
pub enum SealTo<'a> {
    /// Bitnami's format, one RSA key: byte-compatible with kubeseal.
    V1(&'a PublicKey),
    /// Envelope v2 for these recipients: one header, values bound to the template's meaning.
    V2(&'a [Recipient<'a>]),
}

/// [`seal_secret`] in either envelope.
pub fn seal_secret_to(
    secret: &PlainSecret,
    to: SealTo<'_>,
    opts: &SealOptions,
) -> Result<SealedSecret, ApiError> {
    if secret.data.is_empty() && secret.string_data.is_empty() && !opts.allow_empty_data {
        return Err(ApiError::EmptyData {
            object: describe_meta(&secret.metadata),
        });
    }

    let mut meta = secret.metadata.clone();
    if let Some(name) = opts.name.as_ref().filter(|n| !n.is_empty()) {
        meta.name = Some(name.clone());
    }
    let name =
        meta.name
            .clone()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ApiError::MissingName {
                object: describe_meta(&meta),
            })?;

    let mut annotations = meta.annotations.take().unwrap_or_default();
    if let Some(scope) = opts.scope {
        set_scope_annotations(&mut annotations, scope);
    }
    let scope = scope_from_annotations(&annotations);

    if scope != Scope::ClusterWide {
        let own = meta.namespace.clone().filter(|n| !n.is_empty());
        if let (Some(own), Some(flag)) = (&own, &opts.namespace)
            && !flag.is_empty()
            && own != flag
        {
            return Err(ApiError::NamespaceMismatch {
                name,
                secret: own.clone(),
                requested: flag.clone(),
            });
        }
        let ns = own
            .or_else(|| opts.namespace.clone())
            .or_else(|| opts.default_namespace.clone())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ApiError::MissingNamespace {
                object: describe_names(None, Some(&name)),
                scope,
            })?;
        meta.namespace = Some(ns);
    }

    clean_template_metadata(&mut meta);
    for a in LAST_APPLIED_ANNOTATIONS {
        annotations.remove(a);
    }
    meta.annotations = non_empty(annotations);

    let namespace = meta.namespace.clone().unwrap_or_default();
    let object = describe_names(Some(&namespace), Some(&name));
    let label = label_for(scope, &namespace, &name, &object)?;

    // stringData wins over data for the same key, as the API server merges them.
    let mut encrypted_data = BTreeMap::new();
    if let SealTo::V1(key) = to {
        for (k, v) in secret.data.iter().chain(secret.string_data.iter()) {
            encrypted_data.insert(k.clone(), seal_value(key, &label, v, &object, k, scope)?);
        }
    }

    let mut top_annotations = BTreeMap::new();
    set_scope_annotations(&mut top_annotations, scope);

    let mut sealed = SealedSecret {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: meta.namespace.clone(),
            annotations: non_empty(top_annotations),
            ..ObjectMeta::default()
        },
        spec: SealedSecretSpec {
            template: SecretTemplateSpec {
                metadata: meta,
                type_: secret.type_.clone(),
                immutable: secret.immutable,
                data: BTreeMap::new(),
            },
            data: None,
            encrypted_data,
        },
        status: None,
    };
    match to {
        SealTo::V1(key) if opts.record_sealed_for => record_sealed_for(&mut sealed, key),
        SealTo::V1(_) => {}
        // The metadata and template are final now, so the binding is what the object says.
        SealTo::V2(recipients) => {
            let values = plain_values(secret);
            sealed.spec.encrypted_data = crate::envelope_v2::seal_values(
                &sealed,
                recipients,
                values.iter().map(|(k, v)| (k.as_str(), v.as_bytes())),
            )?;
        }
    }
    Ok(sealed)
}

/// `data` then `stringData` (which wins a shared key), as the API server merges them.
fn plain_values(secret: &PlainSecret) -> BTreeMap<String, &Plaintext> {
    secret
        .data
        .iter()
        .chain(secret.string_data.iter())
        .map(|(k, v)| (k.clone(), v))
        .collect()
}

/// Seal `secret`'s keys into `existing` (kubeseal `--merge-into`), replacing keys it already
/// has and adding the others. Namespace, name and scope come from `existing`'s top-level
/// metadata, whatever the Secret says, so the merged object stays decryptable as one.
/// Ciphertexts of keys not in `secret` are left byte-for-byte as they were. The Secret's
/// labels and annotations (minus scope and last-applied ones) are merged into the template,
/// as kubeseal does.
///
/// A sealed-for hint already on `existing` is refreshed (new fingerprint, same target), so it
/// never goes stale; one is not added here, so kubeseal-mode merges of kubeseal files stay
/// byte-compatible. Callers that want it added call [`crate::record_sealed_for`] afterwards.
///
/// Returns the data keys written, sorted. An empty Secret changes nothing; the CLI decides
/// whether that is an error (`--allow-empty-data`).
pub fn merge_into(
    existing: &mut SealedSecret,
    secret: &PlainSecret,
    key: &PublicKey,
) -> Result<Vec<String>, ApiError> {
    merge_into_to(existing, secret, SealTo::V1(key))
}

/// [`merge_into`] in either envelope. With v2 the merged values get one new header of their
/// own (for `recipients`), bound to `existing`'s template as it stands.
pub fn merge_into_to(
    existing: &mut SealedSecret,
    secret: &PlainSecret,
    to: SealTo<'_>,
) -> Result<Vec<String>, ApiError> {
    let object = describe_meta(&existing.metadata);
    if existing.spec.data.as_ref().is_some_and(|d| !d.is_empty()) {
        return Err(ApiError::LegacyAndEncryptedData { object });
    }
    let scope = existing.scope();
    let label = existing.label()?;

    let values = plain_values(secret);
    let changed: Vec<String> = values.keys().cloned().collect();
    let sealed = match to {
        SealTo::V1(key) => {
            let mut sealed = BTreeMap::new();
            for (k, v) in &values {
                sealed.insert(k.clone(), seal_value(key, &label, v, &object, k, scope)?);
            }
            sealed
        }
        SealTo::V2(_) if values.is_empty() => BTreeMap::new(),
        SealTo::V2(recipients) => crate::envelope_v2::seal_values(
            existing,
            recipients,
            values.iter().map(|(k, v)| (k.as_str(), v.as_bytes())),
        )?,
    };
    existing.spec.encrypted_data.extend(sealed);
    if let SealTo::V1(key) = to
        && !changed.is_empty()
    {
        refresh_sealed_for(existing, key);
    }

    let template = &mut existing.spec.template.metadata;
    if let Some(labels) = secret.metadata.labels.as_ref().filter(|l| !l.is_empty()) {
        template
            .labels
            .get_or_insert_with(BTreeMap::new)
            .extend(labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let extra: BTreeMap<String, String> = secret
        .metadata
        .annotations
        .iter()
        .flatten()
        .filter(|(k, _)| !is_scope_annotation(k) && !LAST_APPLIED_ANNOTATIONS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !extra.is_empty() {
        template
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .extend(extra);
    }
    Ok(changed)
}

/// Seal one value and base64 it; the error names object, key and scope only.
fn seal_value(
    key: &PublicKey,
    label: &Label,
    value: &SecretBytes,
    object: &str,
    data_key: &str,
    scope: Scope,
) -> Result<String, ApiError> {
    seal(key, label, value.as_bytes())
        .map(|c| encode_base64(&c))
        .map_err(|source| ApiError::Seal {
            object: object.to_owned(),
            key: data_key.to_owned(),
            scope,
            source,
        })
}

pub(crate) fn label_for(
    scope: Scope,
    namespace: &str,
    name: &str,
    object: &str,
) -> Result<Label, ApiError> {
    scope
        .label(namespace, name)
        .map_err(|source| ApiError::Label {
            object: object.to_owned(),
            scope,
            source,
        })
}

/// Drop what the API server sets (kubeseal strips these before sealing), and ownerReferences
/// (Bitnami #243): the generated Secret is owned by the SealedSecret instead.
fn clean_template_metadata(meta: &mut ObjectMeta) {
    meta.self_link = None;
    meta.uid = None;
    meta.resource_version = None;
    meta.generation = None;
    meta.creation_timestamp = None;
    meta.deletion_timestamp = None;
    meta.deletion_grace_period_seconds = None;
    meta.managed_fields = None;
    meta.owner_references = None;
    // Go's omitempty drops empty maps and lists; do the same so output matches kubeseal.
    if meta.labels.as_ref().is_some_and(BTreeMap::is_empty) {
        meta.labels = None;
    }
    if meta.finalizers.as_ref().is_some_and(Vec::is_empty) {
        meta.finalizers = None;
    }
}

fn non_empty(map: BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!map.is_empty()).then_some(map)
}
