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

/// Label on the controller's hybrid (X-Wing) key Secrets, valued by [`KeyLabel`] like
/// [`KEY_LABEL`]. A label of its own, not [`KEY_LABEL`]: Bitnami's controller loads every
/// Secret carrying that label as an RSA key and would fail on these.
pub const HYBRID_KEY_LABEL: &str = "sealant.dev/hybrid-key";

/// `HYBRID_KEY_LABEL=active`, the selector that finds loadable hybrid key Secrets.
pub fn hybrid_active_selector() -> String {
    format!("{HYBRID_KEY_LABEL}={}", KeyLabel::Active.as_str())
}

/// The `type` of a hybrid key Secret (not `kubernetes.io/tls`: it holds no certificate).
pub const HYBRID_KEY_SECRET_TYPE: &str = "sealant.dev/x-wing-key";
/// Data key of a hybrid key Secret holding the private key: PEM `SEALANT XWING PRIVATE KEY`
/// around the 32-byte seed.
pub const HYBRID_PRIVATE_KEY: &str = "xwing.key";
/// Data key of a hybrid key Secret holding the public key: PEM `SEALANT XWING PUBLIC KEY`.
/// Informational; the controller derives the public key from the seed and refuses a Secret
/// where the two differ.
pub const HYBRID_PUBLIC_KEY: &str = "xwing.pub";
/// On a hybrid key Secret: when the key was made, RFC 3339. X-Wing keys have no
/// certificate, so this is their NotBefore: it orders them (newest seals) and drives renewal.
pub const KEY_CREATED_AT: &str = "sealant.dev/key-created-at";

/// ConfigMap in the controller namespace where the leader publishes the certificates.
pub const CERTIFICATES_CONFIGMAP: &str = "sealant-certificates";
/// Its key holding the newest certificate: the one to seal with.
pub const ACTIVE_CERT_KEY: &str = "cert.pem";
/// Its key holding every loaded certificate, newest first.
pub const ALL_CERTS_KEY: &str = "certificates.pem";
/// Its key holding the newest hybrid (X-Wing) public key, PEM; absent when the controller
/// holds no hybrid key (`--hybrid-keys` off).
pub const ACTIVE_HYBRID_KEY: &str = "xwing.pub";

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
    /// `GET`: the newest hybrid (X-Wing) public key, PEM; 404 when the controller holds none.
    HybridPublicKey,
    /// `POST` a [`RecipientsRequest`]: the envelope v2 SealedSecret re-wrapped for exactly
    /// those recipients (`reencrypt --update-recipients` online).
    Recipients,
}

impl Route {
    pub const ALL: [Self; 6] = [
        Self::CertPem,
        Self::Verify,
        Self::Rotate,
        Self::Keys,
        Self::HybridPublicKey,
        Self::Recipients,
    ];

    pub const fn path(self) -> &'static str {
        match self {
            Self::CertPem => "/v1/cert.pem",
            Self::Verify => "/v1/verify",
            Self::Rotate => "/v1/rotate",
            Self::Keys => "/v1/keys",
            Self::HybridPublicKey => "/v1/xwing.pub",
            Self::Recipients => "/v1/recipients",
        }
    }
}

/// The body of `POST /v1/recipients`. The controller wraps a v2 object's data key only for
/// keys it already trusts: its own, and those its administrator listed with
/// `--allowed-recipients`. The request names them by key id, so their public keys come from
/// the controller's side, never from the request or the object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecipientsRequest {
    /// The SealedSecret, as the file holds it.
    pub sealed_secret: serde_json::Value,
    /// Key ids (SHA-256 fingerprints, 64 hex digits), as the v2 stanzas name their keys.
    pub recipients: Vec<String>,
}

/// How the controller's 403 from `/v1/recipients` starts: `<this>: <hex id>, <hex id>; …`.
/// The CLI tells it by this from the API server's own 403 (RBAC on the services proxy).
pub const RECIPIENTS_NOT_ALLOWED: &str = "recipients not allowed here";

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

/// A key's algorithm in `/v1/keys`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyType {
    /// An RSA key with its certificate (envelope v1 and v2 `rsa-oaep-sha256` stanzas).
    /// The default: controllers before envelope v2 held nothing else and sent no type.
    #[default]
    Rsa,
    /// A hybrid X-Wing key (ML-KEM-768 + X25519), envelope v2 only.
    XWing,
    /// A type a newer controller reports that this build does not know.
    #[serde(other)]
    Unknown,
}

impl KeyType {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rsa => "rsa",
            Self::XWing => "x-wing",
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
    /// SHA-256 of the public key (as the `sealant.dev/key-fingerprint` annotation), hex. For
    /// an X-Wing key, its key id (SHA-256 of the encapsulation key), as v2 stanzas name it.
    pub fingerprint: String,
    /// The key's algorithm.
    #[serde(default, rename = "type")]
    pub key_type: KeyType,
    /// The key Secrets holding this key.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Certificate validity, RFC 3339. For an X-Wing key, `not_before` is when it was made
    /// and `not_after` is null.
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
                key_type: KeyType::XWing,
                secrets: vec!["sealed-secrets-keyx".into()],
                not_before: Some("2026-01-01T00:00:00Z".into()),
                not_after: None,
                state: KeyState::DecryptOnly,
                usage: Some(3),
            }],
        };
        let text = serde_json::to_string(&inventory).unwrap();
        assert!(text.contains(r#""state":"decrypt-only""#), "{text}");
        assert!(text.contains(r#""type":"x-wing""#), "{text}");
        assert_eq!(
            serde_json::from_str::<KeyInventory>(&text).unwrap(),
            inventory
        );
        let newer = r#"{"keys":[{"fingerprint":"cd","state":"compromised","type":"slh-dsa"}]}"#;
        let parsed: KeyInventory = serde_json::from_str(newer).unwrap();
        assert_eq!(parsed.keys[0].state, KeyState::Unknown);
        assert_eq!(parsed.keys[0].key_type, KeyType::Unknown);
        let older = r#"{"keys":[{"fingerprint":"cd","state":"active"}]}"#;
        let parsed: KeyInventory = serde_json::from_str(older).unwrap();
        assert_eq!(parsed.keys[0].key_type, KeyType::Rsa, "no type: an RSA key");
        assert!(!parsed.usage_counted);
    }

    #[test]
    fn type_names_match_their_serde_names() {
        for key_type in [KeyType::Rsa, KeyType::XWing] {
            assert_eq!(
                serde_json::to_string(&key_type).unwrap(),
                format!("\"{}\"", key_type.as_str())
            );
        }
    }

    #[test]
    fn hybrid_keys_never_carry_the_bitnami_label() {
        assert_ne!(HYBRID_KEY_LABEL, KEY_LABEL);
        assert!(!hybrid_active_selector().contains(KEY_LABEL));
        assert_ne!(ACTIVE_HYBRID_KEY, ACTIVE_CERT_KEY);
        assert_ne!(ACTIVE_HYBRID_KEY, ALL_CERTS_KEY);
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
