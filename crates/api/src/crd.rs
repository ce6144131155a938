//! The `bitnami.com/v1alpha1` SealedSecret custom resource, field for field as Bitnami's Go
//! types (`pkg/apis/sealedsecrets/v1alpha1/types.go`), so that objects round-trip through
//! either implementation and the generated CRD accepts what Bitnami's accepts.
//!
//! Serialization leaves out what Go's `omitempty` leaves out, and also the `creationTimestamp:
//! null` noise Go emits for zero `metav1.Time` values.

use crate::{ApiError, annotations::scope_from_annotations};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use sealant_crypto::{Label, Scope};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// The condition type Bitnami sets (and Argo CD's built-in health check reads).
pub const CONDITION_SYNCED: &str = "Synced";
/// The kstatus/Flux readiness condition we add next to `Synced`.
pub const CONDITION_READY: &str = "Ready";

/// Specification of a SealedSecret: per-key ciphertexts plus the shape of the Secret to make.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "bitnami.com",
    version = "v1alpha1",
    kind = "SealedSecret",
    plural = "sealedsecrets",
    singular = "sealedsecret",
    namespaced,
    status = "SealedSecretStatus",
    derive = "PartialEq",
    doc = "SealedSecret is the K8s representation of a \"sealed Secret\" - a regular k8s Secret that has been sealed (encrypted) using the controller's key.",
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.conditions[0].message"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[0].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct SealedSecretSpec {
    /// Template defines the structure of the Secret that will be created from this sealed secret.
    #[serde(default, skip_serializing_if = "SecretTemplateSpec::is_empty")]
    pub template: SecretTemplateSpec,

    /// Data is deprecated and will be removed eventually. Use per-value EncryptedData instead.
    ///
    /// Base64 of one sealed value holding the whole Secret as JSON (Go `[]byte`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "legacy_data_schema")]
    pub data: Option<String>,

    /// One sealed, base64-encoded value per Secret data key.
    // Always written (Go has no omitempty here); `null` reads as empty, as Bitnami's
    // lenient UnmarshalJSON does.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(schema_with = "encrypted_data_schema")]
    pub encrypted_data: BTreeMap<String, String>,
}

/// The structure the generated Secret should have.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretTemplateSpec {
    /// Standard object's metadata.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_empty_meta"
    )]
    #[schemars(schema_with = "template_metadata_schema")]
    pub metadata: ObjectMeta,

    /// Used to facilitate programmatic handling of secret data.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,

    /// Immutable, if set to true, ensures that data stored in the Secret cannot be updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,

    /// Keys that should be templated using decrypted data.
    // A `null` value drops that key from the Secret, a decrypted one included: a key only
    // needed as a template input (Bitnami v0.40, #1871). `null` is kept on a rewrite. (A
    // plain comment: the CRD's description stays Bitnami's.)
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    #[schemars(schema_with = "template_data_schema")]
    pub data: BTreeMap<String, Option<String>>,
}

impl SecretTemplateSpec {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Most recently observed status of the SealedSecret.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SealedSecretStatus {
    /// ObservedGeneration reflects the generation most recently observed by the controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Represents the latest available observations of a sealed secret's current state.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub conditions: Vec<SealedSecretCondition>,
}

/// The state of a sealed secret at a certain point.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SealedSecretCondition {
    /// Type of condition: `Synced` (Bitnami) or `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// "True", "False" or "Unknown".
    pub status: String,
    /// The last time this condition was updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<Time>,
    /// Last time the condition transitioned from one status to another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    /// The reason for the condition's last transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A human readable message indicating details about the transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl SealedSecret {
    /// The key fingerprint the sealer recorded in the sealed-for hint (the key to try
    /// first), when the hint is present and readable. A hint is only ever a hint: a wrong
    /// or forged one costs a failed attempt, never a wrong result.
    pub fn sealed_for_fingerprint(&self) -> Option<sealant_crypto::Fingerprint> {
        self.metadata
            .annotations
            .as_ref()
            .and_then(crate::SealedFor::from_annotations)
            .and_then(Result::ok)
            .map(|hint| hint.fingerprint)
    }

    /// The scope from the **top-level** annotations: the only scope that may ever be used to
    /// decrypt or re-encrypt. The template's annotations are user-controlled output metadata;
    /// trusting them is what made CVE-2026-22728 possible.
    pub fn scope(&self) -> Scope {
        self.metadata
            .annotations
            .as_ref()
            .map(scope_from_annotations)
            .unwrap_or_default()
    }

    pub fn namespace_str(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or("")
    }

    pub fn name_str(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or("")
    }

    /// The OAEP label every value of this object was sealed with: top-level namespace, name
    /// and scope annotations only.
    pub fn label(&self) -> Result<Label, ApiError> {
        let scope = self.scope();
        scope
            .label(self.namespace_str(), self.name_str())
            .map_err(|source| ApiError::Label {
                object: describe_meta(&self.metadata),
                scope,
                source,
            })
    }

    /// `SealedSecret namespace/name`, for messages.
    pub fn describe(&self) -> String {
        format!("SealedSecret {}", describe_meta(&self.metadata))
    }
}

/// The CustomResourceDefinition, as YAML in kubeseal's style (`---`, sorted keys), for the
/// checked-in `crd.yaml` and the drift check in CI.
pub fn crd_yaml() -> Result<String, ApiError> {
    use kube::CustomResourceExt;
    crate::write_document(&SealedSecret::crd(), crate::OutputFormat::Yaml)
}

/// `namespace/name`, `name`, or `<unnamed>`, for messages.
pub fn describe_meta(meta: &ObjectMeta) -> String {
    describe_names(meta.namespace.as_deref(), meta.name.as_deref())
}

pub(crate) fn describe_names(namespace: Option<&str>, name: Option<&str>) -> String {
    let name = name.filter(|n| !n.is_empty());
    match (namespace.filter(|n| !n.is_empty()), name) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        (Some(ns), None) => format!("{ns}/<unnamed>"),
        (None, Some(n)) => n.to_owned(),
        (None, None) => "<unnamed>".to_owned(),
    }
}

fn is_empty_meta(meta: &ObjectMeta) -> bool {
    *meta == ObjectMeta::default()
}

/// Go's `encoding/json` turns `null` into a zero value; serde would reject it.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

// The schemas below copy Bitnami's CRD (helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml)
// so that objects valid for one controller are valid for the other.

fn encrypted_data_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": { "type": "string" },
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

fn legacy_data_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "Data is deprecated and will be removed eventually. Use per-value EncryptedData instead.",
        "type": "string",
        "format": "byte",
    })
}

fn template_data_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "Keys that should be templated using decrypted data.",
        "type": "object",
        "nullable": true,
        // Bitnami v0.40 (#1871): a null value drops the key from the Secret.
        "additionalProperties": { "type": "string", "nullable": true },
    })
}

fn template_metadata_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "Standard object's metadata.",
        "type": "object",
        "nullable": true,
        "x-kubernetes-preserve-unknown-fields": true,
        "properties": {
            "annotations": { "type": "object", "additionalProperties": { "type": "string" } },
            "finalizers": { "type": "array", "items": { "type": "string" } },
            "labels": { "type": "object", "additionalProperties": { "type": "string" } },
            "name": { "type": "string" },
            "namespace": { "type": "string" },
        },
    })
}
