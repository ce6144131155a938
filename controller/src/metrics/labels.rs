//! Label values. Every value that is not an object name comes from a fixed enum, so a label
//! can never carry error text (which may name keys or values) and a series count stays
//! bounded whatever the controller is fed.

use sealant_api::contract::Route;
use std::fmt::Write as _;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};

/// Why an unseal failed: the `reason` label of `sealed_secrets_controller_unseal_errors_total`.
/// The values are Bitnami's, so its alerts and dashboards keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorReason {
    /// No key opened the sealed values, or the result was not a valid Secret.
    Unseal,
    /// The target Secret exists and is not ours to overwrite.
    Unmanaged,
    /// Creating or updating the target Secret failed.
    Update,
    /// Writing the SealedSecret's status failed.
    Status,
    /// The SealedSecret could not be read (Bitnami records this with an empty namespace).
    Fetch,
}

impl ErrorReason {
    pub const ALL: [Self; 5] = [
        Self::Unseal,
        Self::Unmanaged,
        Self::Update,
        Self::Status,
        Self::Fetch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unseal => "unseal",
            Self::Unmanaged => "unmanaged",
            Self::Update => "update",
            Self::Status => "status",
            Self::Fetch => "fetch",
        }
    }
}

/// How one reconcile ended: the `outcome` label of `sealant_reconciles_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReconcileOutcome {
    /// The Secret already matched the sealed input: no RSA work and no write.
    Unchanged,
    /// The Secret was created or updated.
    Written,
    /// The reconcile failed and will be retried.
    Failed,
    /// The object failed permanently before and nothing it depends on changed: skipped,
    /// with no RSA work and no write.
    Stalled,
}

impl ReconcileOutcome {
    pub const ALL: [Self; 4] = [Self::Unchanged, Self::Written, Self::Failed, Self::Stalled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unchanged => "unchanged",
            Self::Written => "written",
            Self::Failed => "failed",
            Self::Stalled => "stalled",
        }
    }
}

/// What someone else did to the certificate ConfigMap: the `change` label of
/// `sealant_certificate_configmap_repairs_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigMapChange {
    /// Its certificates were replaced or extended, or it was made immutable.
    Modified,
    /// It was deleted.
    Deleted,
}

impl ConfigMapChange {
    pub const ALL: [Self; 2] = [Self::Modified, Self::Deleted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Modified => "modified",
            Self::Deleted => "deleted",
        }
    }
}

/// Which endpoint served a request: the `path` label of the HTTP metrics. The values are
/// the route paths, as Bitnami labels them, so a request for an unknown path cannot
/// create a series of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpHandler {
    Healthz,
    Readyz,
    Cert,
    Verify,
    Rotate,
    /// `/v1/recipients`.
    Recipients,
    Keys,
    /// `/v1/xwing.pub`.
    HybridPublicKey,
    Metrics,
    /// Anything unrouted (404s and the like).
    Other,
}

impl HttpHandler {
    /// The handler a request path belongs to (unknown paths are `Other`, so a scanner
    /// cannot mint label values).
    pub fn from_path(path: &str) -> Self {
        [
            Self::Healthz,
            Self::Readyz,
            Self::Cert,
            Self::Verify,
            Self::Rotate,
            Self::Recipients,
            Self::Keys,
            Self::HybridPublicKey,
            Self::Metrics,
        ]
        .into_iter()
        .find(|h| h.as_str() == path)
        .unwrap_or(Self::Other)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthz => "/healthz",
            Self::Readyz => "/readyz",
            Self::Cert => Route::CertPem.path(),
            Self::Verify => Route::Verify.path(),
            Self::Rotate => Route::Rotate.path(),
            Self::Recipients => Route::Recipients.path(),
            Self::Keys => Route::Keys.path(),
            Self::HybridPublicKey => Route::HybridPublicKey.path(),
            Self::Metrics => "/metrics",
            Self::Other => "other",
        }
    }
}

/// The `method` label. Bitnami's metrics come from Go's promhttp, which lower-cases the
/// standard methods and folds everything else into "unknown"; we do the same so queries
/// written against Bitnami (`method="post"`) still match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Put,
    Head,
    Post,
    Delete,
    Connect,
    Options,
    Notify,
    Trace,
    Patch,
    Unknown,
}

impl HttpMethod {
    /// Map a request method onto the fixed set; anything else is [`HttpMethod::Unknown`].
    pub fn parse(method: &str) -> Self {
        const KNOWN: [(&str, HttpMethod); 10] = [
            ("GET", HttpMethod::Get),
            ("PUT", HttpMethod::Put),
            ("HEAD", HttpMethod::Head),
            ("POST", HttpMethod::Post),
            ("DELETE", HttpMethod::Delete),
            ("CONNECT", HttpMethod::Connect),
            ("OPTIONS", HttpMethod::Options),
            ("NOTIFY", HttpMethod::Notify),
            ("TRACE", HttpMethod::Trace),
            ("PATCH", HttpMethod::Patch),
        ];
        KNOWN
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(method))
            .map_or(Self::Unknown, |(_, m)| *m)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Put => "put",
            Self::Head => "head",
            Self::Post => "post",
            Self::Delete => "delete",
            Self::Connect => "connect",
            Self::Options => "options",
            Self::Notify => "notify",
            Self::Trace => "trace",
            Self::Patch => "patch",
            Self::Unknown => "unknown",
        }
    }
}

/// A SealedSecret condition type: the `condition` label of
/// `sealed_secrets_controller_condition_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConditionType {
    /// Bitnami's condition, read by Argo CD's built-in health check.
    Synced,
    /// Ours, for kstatus/Flux.
    Ready,
}

impl ConditionType {
    pub const ALL: [Self; 2] = [Self::Synced, Self::Ready];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Synced => "Synced",
            Self::Ready => "Ready",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Self::Synced => 0,
            Self::Ready => 1,
        }
    }
}

/// A condition's status, exposed as Bitnami does: -1 false, 0 unknown, 1 true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

impl ConditionStatus {
    /// The Kubernetes spelling ("True", "False", anything else is unknown).
    pub fn parse(status: &str) -> Self {
        match status {
            "True" => Self::True,
            "False" => Self::False,
            _ => Self::Unknown,
        }
    }

    pub fn gauge_value(self) -> i64 {
        match self {
            Self::True => 1,
            Self::False => -1,
            Self::Unknown => 0,
        }
    }
}

impl From<bool> for ConditionStatus {
    fn from(ok: bool) -> Self {
        if ok { Self::True } else { Self::False }
    }
}

macro_rules! label_value_from_as_str {
    ($($t:ty),*) => {$(
        impl EncodeLabelValue for $t {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
                encoder.write_str(self.as_str())
            }
        }
    )*};
}

label_value_from_as_str!(
    ErrorReason,
    ReconcileOutcome,
    HttpHandler,
    HttpMethod,
    ConditionType,
    ConfigMapChange
);

/// A label value taken from an object (namespace, name, instance label). Kubernetes names
/// cannot hold `"`, `\` or newlines, but escaping here means a bad caller can never
/// corrupt the whole exposition, only its own series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub(crate) struct Text(pub(crate) String);

impl EncodeLabelValue for Text {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        for c in self.0.chars() {
            match c {
                '\\' => encoder.write_str("\\\\")?,
                '"' => encoder.write_str("\\\"")?,
                '\n' => encoder.write_str("\\n")?,
                c => encoder.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct UnsealErrorLabels {
    pub(crate) reason: ErrorReason,
    pub(crate) namespace: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct HttpRequestLabels {
    pub(crate) path: HttpHandler,
    pub(crate) code: u16,
    pub(crate) method: HttpMethod,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct HttpDurationLabels {
    pub(crate) path: HttpHandler,
    pub(crate) method: HttpMethod,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct OutcomeLabels {
    pub(crate) outcome: ReconcileOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct ConfigMapChangeLabels {
    pub(crate) change: ConfigMapChange,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct BuildLabels {
    pub(crate) revision: Text,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_fold_like_promhttp() {
        assert_eq!(HttpMethod::parse("GET").as_str(), "get");
        assert_eq!(HttpMethod::parse("post").as_str(), "post");
        assert_eq!(HttpMethod::parse("BREW").as_str(), "unknown");
        assert_eq!(HttpMethod::parse("").as_str(), "unknown");
    }

    #[test]
    fn condition_status_values_match_bitnami() {
        assert_eq!(ConditionStatus::parse("True").gauge_value(), 1);
        assert_eq!(ConditionStatus::parse("False").gauge_value(), -1);
        assert_eq!(ConditionStatus::parse("Unknown").gauge_value(), 0);
        assert_eq!(ConditionStatus::from(false), ConditionStatus::False);
    }

    #[test]
    fn condition_index_covers_all() {
        for (i, c) in ConditionType::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
        }
    }
}
