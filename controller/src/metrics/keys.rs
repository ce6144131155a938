//! Key metrics, computed at scrape time from a [`KeySnapshot`].
//!
//! These describe state the key store and the reconcile context already hold, so copying
//! it into gauges on every change would only add a second source of truth that can drift.
//! The caller builds a snapshot per scrape instead.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::registry::Unit;
use std::fmt::Write as _;
use time::OffsetDateTime;

use super::labels::Text;

/// What the key metrics show, read from the key store and the reconcile context at scrape
/// time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySnapshot {
    /// NotBefore of the newest certificate (the key that seals); `None` without keys.
    pub active_not_before: Option<OffsetDateTime>,
    /// Keys loaded: the active one plus those kept only to decrypt.
    pub key_count: usize,
    /// Per key (first 16 hex digits of its fingerprint), how many SealedSecrets it opened.
    /// List loaded keys nobody uses with 0, so "safe to retire" reads as 0, not absent; but
    /// empty where the count is not known (a standby), so absent never reads as 0.
    pub usage: Vec<(String, usize)>,
    /// RSA private-key operations since start.
    pub rsa_operations: u64,
    /// This replica leads (reconciles and manages keys).
    pub leader: bool,
}

/// The `state` label of `sealant_keys`.
#[derive(Debug, Clone, Copy)]
enum KeyState {
    Active,
    DecryptOnly,
}

impl EncodeLabelValue for KeyState {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(match self {
            Self::Active => "active",
            Self::DecryptOnly => "decrypt_only",
        })
    }
}

#[derive(Debug, EncodeLabelSet)]
struct StateLabels {
    state: KeyState,
}

#[derive(Debug, EncodeLabelSet)]
struct FingerprintLabels {
    fingerprint: Text,
}

/// One scrape's key metrics. Owns its copy of the snapshot because a collector must be
/// `'static`; it lives only as long as the scrape.
#[derive(Debug)]
pub(crate) struct KeyCollector {
    snapshot: KeySnapshot,
    now: OffsetDateTime,
}

impl KeyCollector {
    pub(crate) fn new(snapshot: KeySnapshot, now: OffsetDateTime) -> Self {
        Self { snapshot, now }
    }
}

impl Collector for KeyCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = &self.snapshot;

        // Both states are always present, so "no decrypt-only keys" reads as 0, not as
        // a missing series.
        let active = usize::from(s.key_count > 0);
        let mut keys = encoder.encode_descriptor(
            "sealant_keys",
            "Loaded sealing keys by state: active (the newest, which seals) or decrypt_only (older keys kept to open existing SealedSecrets)",
            None,
            MetricType::Gauge,
        )?;
        for (state, count) in [
            (KeyState::Active, active),
            (KeyState::DecryptOnly, s.key_count - active),
        ] {
            keys.encode_family(&StateLabels { state })?
                .encode_gauge(&count)?;
        }

        // Absent rather than 0 without keys: an age of 0 would look like a fresh key.
        if let (Some(not_before), true) = (s.active_not_before, s.key_count > 0) {
            let age = (self.now - not_before).as_seconds_f64();
            encoder
                .encode_descriptor(
                    "sealant_active_key_age",
                    "Time since the NotBefore of the active (newest) key's certificate",
                    Some(&Unit::Seconds),
                    MetricType::Gauge,
                )?
                .encode_gauge(&age)?;
        }

        // No series, no descriptor, as for every other family here.
        if !s.usage.is_empty() {
            let mut usage = encoder.encode_descriptor(
                "sealant_key_usage",
                "SealedSecrets whose values each key opened, by key fingerprint (first 16 hex digits)",
                None,
                MetricType::Gauge,
            )?;
            for (fingerprint, count) in &s.usage {
                let labels = FingerprintLabels {
                    fingerprint: Text(fingerprint.clone()),
                };
                usage.encode_family(&labels)?.encode_gauge(count)?;
            }
        }

        encoder
            .encode_descriptor(
                "sealant_leader",
                "1 when this replica is the elected leader (reconciles and manages keys), else 0",
                None,
                MetricType::Gauge,
            )?
            .encode_gauge(&i64::from(s.leader))?;

        let rsa = ConstCounter::new(s.rsa_operations);
        rsa.encode(encoder.encode_descriptor(
            "sealant_rsa_operations",
            "RSA private-key operations performed",
            None,
            rsa.metric_type(),
        )?)
    }
}
