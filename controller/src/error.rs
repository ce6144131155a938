//! The controller's typed errors. Each names the object it concerns and never a value.

use crate::events::{REASON_BAD_KEY_SECRET, REASON_UNSEAL_FAILED, REASON_UPDATE_FAILED};
use sealant_api::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// A value did not decrypt (wrong key, wrong scope, corrupt). Retried, and retried again
    /// when a new key appears.
    #[error("{0}")]
    Unseal(ApiError),

    /// The SealedSecret itself is unusable (bad base64, bad template, legacy data refused).
    #[error("{0}")]
    Invalid(String),

    /// The target Secret exists and may not be written (immutable).
    #[error("{0}")]
    Update(String),

    /// The target Secret exists and this SealedSecret does not own it.
    #[error("{0}")]
    Unmanaged(String),

    /// A Kubernetes API call failed; usually transient.
    #[error("{action} {object}: {source}")]
    Kube {
        action: &'static str,
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

impl ControllerError {
    /// The Bitnami Event reason and the status condition reason for this failure.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unseal(_) | Self::Invalid(_) | Self::PoolClosed => REASON_UNSEAL_FAILED,
            Self::Update(_) | Self::Unmanaged(_) | Self::Kube { .. } => REASON_UPDATE_FAILED,
            Self::KeySecret { .. } | Self::KeyGeneration(_) | Self::Config(_) => {
                REASON_BAD_KEY_SECRET
            }
        }
    }

    /// The metrics' fixed reason label (Bitnami's values).
    pub fn metric_reason(&self) -> crate::metrics::ErrorReason {
        use crate::metrics::ErrorReason;
        match self {
            Self::Unseal(_) | Self::Invalid(_) | Self::PoolClosed => ErrorReason::Unseal,
            Self::Unmanaged(_) => ErrorReason::Unmanaged,
            Self::Kube {
                action: "reading", ..
            } => ErrorReason::Fetch,
            Self::Kube {
                action: "updating the status of",
                ..
            } => ErrorReason::Status,
            Self::Update(_) | Self::Kube { .. } => ErrorReason::Update,
            Self::KeySecret { .. } | Self::KeyGeneration(_) | Self::Config(_) => {
                ErrorReason::Unseal
            }
        }
    }

    /// True when a new key could make this failure go away.
    pub fn wants_new_key(&self) -> bool {
        matches!(self, Self::Unseal(_))
    }
}
