//! The controller's typed errors. Each names the object it concerns and never a value.
//!
//! Reconcile failures fall in two classes (see [`ControllerError::is_permanent`]): permanent
//! ones say something about the SealedSecret or its Secret and will not change by retrying
//! (they stall the object at no cost until something changes), transient ones are about the
//! API server or the process and are retried with backoff.

use crate::events::{REASON_BAD_KEY_SECRET, REASON_UNSEAL_FAILED, REASON_UPDATE_FAILED};
use sealant_api::ApiError;
use sealant_crypto::Scope;

#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// A value did not decrypt: no key opened it, or the key that opened its RSA part
    /// found its data corrupted. Both read the same, on purpose: telling them apart would
    /// tell whoever can write a SealedSecret whether a crafted RSA block decrypted (an
    /// oracle), and the keys tried say the same. Retried when a new key appears.
    #[error(
        "{object}: cannot decrypt {what} ({scope} scope): no key of this controller opens it; \
         it was sealed for another namespace, name or scope, or with another cluster's key, \
         or it is corrupted"
    )]
    Unseal {
        object: String,
        /// `key "name"` or `legacy spec.data`: where the value sits, never what it holds.
        what: String,
        scope: Scope,
    },

    /// The SealedSecret itself is unusable (bad base64, bad template, bad legacy payload).
    /// The text is the API crate's, which names the construct and never a value.
    #[error("{0}")]
    Invalid(ApiError),

    /// The deprecated `spec.data` without `--accept-deprecated-v1-data`.
    #[error(
        "SealedSecret {object} uses the deprecated spec.data; start the controller with \
         --accept-deprecated-v1-data to accept it"
    )]
    LegacyDataRefused { object: String },

    /// The target Secret is immutable and differs from what the SealedSecret makes.
    #[error(
        "Secret {secret} is immutable and differs from its SealedSecret; delete the Secret so \
         the controller can re-create it"
    )]
    Immutable { secret: String },

    /// The target Secret exists and neither this SealedSecret owns it nor does the Secret
    /// itself say it may be taken over.
    #[error(
        "Secret {secret} already exists and is not managed by SealedSecret {sealed}; to let \
         the controller take it over, annotate the Secret itself (not the SealedSecret or its \
         template) {managed}=\"true\" (replace) or {patch}=\"true\" (merge)",
        managed = sealant_api::annotations::MANAGED,
        patch = sealant_api::annotations::PATCH
    )]
    Unmanaged { secret: String, sealed: String },

    /// A Kubernetes API call of a reconcile failed; usually transient.
    #[error("{call} {object}: {source}")]
    Api {
        call: ApiCall,
        object: String,
        #[source]
        source: kube::Error,
    },

    /// A Kubernetes API call of key management failed.
    #[error("{call} {object}: {source}")]
    Keys {
        call: KeyCall,
        object: String,
        #[source]
        source: kube::Error,
    },

    /// The RSA worker pool is gone (the process is shutting down).
    #[error("the RSA worker pool stopped")]
    PoolClosed,

    #[error("key Secret {object}: {reason}")]
    KeySecret { object: String, reason: String },

    #[error("generating a key: {0}")]
    KeyGeneration(#[from] sealant_keys::KeysError),

    #[error("invalid configuration: {0}")]
    Config(String),
}

/// The API calls a reconcile makes, for [`ControllerError::Api`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiCall {
    ReadSecret,
    /// The whole SealedSecret, read when work is due (the cache holds a reduced copy).
    ReadSealedSecret,
    CreateSecret,
    ReplaceSecret,
    PatchSecret,
    WriteStatus,
}

impl std::fmt::Display for ApiCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ReadSecret | Self::ReadSealedSecret => "reading",
            Self::CreateSecret => "creating",
            Self::ReplaceSecret => "replacing",
            Self::PatchSecret => "patching",
            Self::WriteStatus => "updating the status of",
        })
    }
}

/// The API calls key management makes, for [`ControllerError::Keys`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCall {
    ListKeySecrets,
    ReadLegacyKeySecret,
    CreateKeySecret,
}

impl std::fmt::Display for KeyCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ListKeySecrets => "listing",
            Self::ReadLegacyKeySecret => "reading",
            Self::CreateKeySecret => "creating",
        })
    }
}

impl ControllerError {
    /// The process exit code for a bad flag or configuration.
    pub const USAGE_EXIT_CODE: u8 = 1;

    /// The exit code when this error ends the process: [`Self::USAGE_EXIT_CODE`] for a
    /// configuration the operator must fix, 2 for anything else (the API server, keys).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) => Self::USAGE_EXIT_CODE,
            Self::Unseal { .. }
            | Self::Invalid(_)
            | Self::LegacyDataRefused { .. }
            | Self::Immutable { .. }
            | Self::Unmanaged { .. }
            | Self::Api { .. }
            | Self::Keys { .. }
            | Self::PoolClosed
            | Self::KeySecret { .. }
            | Self::KeyGeneration(_) => 2,
        }
    }

    /// The Bitnami Event reason and the status condition reason for this failure.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unseal { .. } | Self::Invalid(_) | Self::LegacyDataRefused { .. } => {
                REASON_UNSEAL_FAILED
            }
            Self::PoolClosed => REASON_UNSEAL_FAILED,
            Self::Immutable { .. } | Self::Unmanaged { .. } | Self::Api { .. } => {
                REASON_UPDATE_FAILED
            }
            Self::Keys { .. } => REASON_UPDATE_FAILED,
            Self::KeySecret { .. } | Self::KeyGeneration(_) | Self::Config(_) => {
                REASON_BAD_KEY_SECRET
            }
        }
    }

    /// The metrics' fixed reason label (Bitnami's values).
    pub fn metric_reason(&self) -> crate::metrics::ErrorReason {
        use crate::metrics::ErrorReason;
        match self {
            Self::Unseal { .. }
            | Self::Invalid(_)
            | Self::LegacyDataRefused { .. }
            | Self::PoolClosed => ErrorReason::Unseal,
            Self::Unmanaged { .. } => ErrorReason::Unmanaged,
            Self::Api {
                call: ApiCall::ReadSecret | ApiCall::ReadSealedSecret,
                ..
            } => ErrorReason::Fetch,
            Self::Api {
                call: ApiCall::WriteStatus,
                ..
            } => ErrorReason::Status,
            Self::Immutable { .. } | Self::Api { .. } | Self::Keys { .. } => ErrorReason::Update,
            Self::KeySecret { .. } | Self::KeyGeneration(_) | Self::Config(_) => {
                ErrorReason::Unseal
            }
        }
    }

    /// True when a new key could make this failure go away.
    pub fn wants_new_key(&self) -> bool {
        match self {
            Self::Unseal { .. } => true,
            // Several failures at once (Bitnami reports them all), one of them a value
            // that did not open.
            Self::Invalid(error) => error.has_open_failure(),
            _ => false,
        }
    }

    /// True when retrying cannot help until the SealedSecret, its Secret or the key set
    /// changes: such an object stalls (no RSA work, no write) until one of them does.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Unseal { .. }
            | Self::Invalid(_)
            | Self::LegacyDataRefused { .. }
            | Self::Immutable { .. }
            | Self::Unmanaged { .. } => true,
            Self::Api { .. }
            | Self::Keys { .. }
            | Self::PoolClosed
            | Self::KeySecret { .. }
            | Self::KeyGeneration(_)
            | Self::Config(_) => false,
        }
    }

    /// True when creating the target Secret found one already there (409 AlreadyExists).
    pub fn is_secret_already_there(&self) -> bool {
        matches!(
            self,
            Self::Api {
                call: ApiCall::CreateSecret,
                source: kube::Error::Api(status),
                ..
            } if status.code == 409
        )
    }

    /// True for a failed read of the target Secret: it says nothing about the object, so no
    /// verdict is published (a transient read error would flap the condition).
    pub fn is_failed_read(&self) -> bool {
        matches!(
            self,
            Self::Api {
                call: ApiCall::ReadSecret | ApiCall::ReadSealedSecret,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_failures_wait_for_a_new_key_when_one_value_did_not_open() {
        let open = || ApiError::Open {
            object: "app/db".into(),
            what: "key \"a\"".into(),
            scope: Scope::Strict,
        };
        let base64 = || ApiError::CiphertextBase64 {
            object: "app/db".into(),
            key: "b".into(),
        };
        let several = |errors| {
            ControllerError::Invalid(ApiError::Several {
                object: "app/db".into(),
                errors,
            })
        };
        assert!(several(vec![base64(), open()]).wants_new_key());
        assert!(!several(vec![base64(), base64()]).wants_new_key());
        assert!(!ControllerError::Invalid(base64()).wants_new_key());
        let shown = several(vec![open(), base64()]).to_string();
        assert!(
            shown.contains("2 failures") && shown.contains("\"a\"") && shown.contains("\"b\""),
            "{shown}"
        );
    }
}
