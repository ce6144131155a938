//! The contract between `sealant` and `sealant-controller` beyond the CRD: the names both
//! sides read and write on Kubernetes objects, the HTTP routes, and the `/v1/keys` reply.
//! Each string is defined here once; the CLI and the controller import it, so they cannot
//! drift apart. (Names shared with Bitnami's objects, such as the scope annotations, live in
//! [`crate::annotations`].)

use serde::{Deserialize, Serialize};

/// Label on the controller's key Secrets (Bitnami's), valued by [`KeyLabel`].
pub const KEY_LABEL: &str = "sealedsecrets.bitnami.com/sealed-secrets-key";

/// Values of [`KEY_LABEL`]. Only `active` keys are loaded, by Sealant and by Bitnami, so a
/// relabelled key is out of use for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLabel {
    /// Loaded: the newest seals, all open.
    Active,
    /// Retired by the controller after no SealedSecret needed it.
    Retired,
}

impl KeyLabel {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }

    /// `KEY_LABEL=active`, the selector that finds loadable key Secrets.
    pub fn active_selector() -> String {
        format!("{KEY_LABEL}={}", Self::Active.as_str())
    }
}

/// On any key Secret: an RFC 3339 time asking the leader for one new key, unless a key made
/// at or after that time exists (so repeating a request does nothing). A write through the
/// API, so RBAC decides who may rotate.
pub const ROTATE_REQUESTED_AT: &str = "sealant.dev/rotate-requested-at";
/// On a key Secret: an RFC 3339 time asking to retire its key.
pub const RETIRE_REQUESTED_AT: &str = "sealant.dev/retire-requested-at";

/// Event reason: a retire request was refused (the key still opens a SealedSecret, or it is
/// the newest). The CLI waits for it or for the relabel.
pub const REASON_KEY_RETIRE_REFUSED: &str = "KeyRetireRefused";
/// Event reason: a key was retired.
pub const REASON_KEY_RETIRED: &str = "KeyRetired";

/// ConfigMap in the controller namespace where the leader publishes the certificates.
pub const CERTIFICATES_CONFIGMAP: &str = "sealant-certificates";
/// Its key holding the newest certificate: the one to seal with.
pub const ACTIVE_CERT_KEY: &str = "cert.pem";
/// Its key holding every loaded certificate, newest first.
pub const ALL_CERTS_KEY: &str = "certificates.pem";

/// The controller's HTTP API (Bitnami's routes, plus `/v1/keys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET`: the newest certificate, PEM.
    CertPem,
    /// `POST` a SealedSecret: does it open?
    Verify,
    /// `POST` a SealedSecret: the same, re-encrypted to the newest key.
    Rotate,
    /// `GET`: the key inventory, a [`KeyInventory`].
    Keys,
}

impl Route {
    pub const ALL: [Self; 4] = [Self::CertPem, Self::Verify, Self::Rotate, Self::Keys];

    pub const fn path(self) -> &'static str {
        match self {
            Self::CertPem => "/v1/cert.pem",
            Self::Verify => "/v1/verify",
            Self::Rotate => "/v1/rotate",
            Self::Keys => "/v1/keys",
        }
    }
}

/// A key's role in `/v1/keys`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyState {
    /// The newest key: seals and opens.
    Active,
    /// An older loaded key: opens only.
    DecryptOnly,
    /// A state a newer controller reports that this build does not know.
    #[serde(other)]
    Unknown,
}

impl KeyState {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::DecryptOnly => "decrypt-only",
            Self::Unknown => "unknown",
        }
    }
}

/// `GET /v1/keys`: public facts only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInventory {
    /// Whether every `usage` is a complete count: only the leader, once its caches have
    /// synced, counts; otherwise `usage` is null.
    #[serde(default)]
    pub usage_counted: bool,
    pub keys: Vec<KeyInfo>,
}

/// One key of a [`KeyInventory`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// SHA-256 of the public key (as the `sealant.dev/key-fingerprint` annotation), hex.
    pub fingerprint: String,
    /// The key Secrets holding this key.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Certificate validity, RFC 3339.
    #[serde(default)]
    pub not_before: Option<String>,
    #[serde(default)]
    pub not_after: Option<String>,
    pub state: KeyState,
    /// How many SealedSecrets this key opens (null when not counted).
    #[serde(default)]
    pub usage: Option<u64>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn inventory_round_trips_and_tolerates_unknown_states() {
        let inventory = KeyInventory {
            usage_counted: true,
            keys: vec![KeyInfo {
                fingerprint: "ab".into(),
                secrets: vec!["sealed-secrets-keyx".into()],
                not_before: Some("2026-01-01T00:00:00Z".into()),
                not_after: None,
                state: KeyState::DecryptOnly,
                usage: Some(3),
            }],
        };
        let text = serde_json::to_string(&inventory).unwrap();
        assert!(text.contains(r#""state":"decrypt-only""#), "{text}");
        assert_eq!(
            serde_json::from_str::<KeyInventory>(&text).unwrap(),
            inventory
        );
        let newer = r#"{"keys":[{"fingerprint":"cd","state":"compromised"}]}"#;
        let parsed: KeyInventory = serde_json::from_str(newer).unwrap();
        assert_eq!(parsed.keys[0].state, KeyState::Unknown);
        assert!(!parsed.usage_counted);
    }

    #[test]
    fn state_names_match_their_serde_names() {
        for state in [KeyState::Active, KeyState::DecryptOnly] {
            assert_eq!(
                serde_json::to_string(&state).unwrap(),
                format!("\"{}\"", state.as_str())
            );
        }
    }
}
