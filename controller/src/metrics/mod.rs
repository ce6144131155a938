//! Prometheus metrics, served by [`router`] on the metrics address.
//!
//! Bitnami's names, labels and help texts are kept where Bitnami has the metric, so its
//! dashboards and alerts (`contrib/prometheus-mixin`) keep working:
//!
//! | metric | labels |
//! |---|---|
//! | `sealed_secrets_controller_build_info` (gauge, 1) | `revision` |
//! | `sealed_secrets_controller_unseal_requests_total` | |
//! | `sealed_secrets_controller_unseal_errors_total` | `reason`, `namespace` |
//! | `sealed_secrets_controller_condition_info` (gauge -1/0/1; empty with `--metrics-omit-secret-labels`) | `namespace`, `name`, `condition`, `ss_app_kubernetes_io_instance` |
//! | `sealed_secrets_controller_http_requests_total` | `path`, `code`, `method` |
//! | `sealed_secrets_controller_http_request_duration_seconds` (histogram) | `path`, `method` |
//!
//! Ours, for what Bitnami cannot show:
//!
//! | metric | labels |
//! |---|---|
//! | `sealant_reconciles_total` | `outcome` = unchanged, written, failed, stalled |
//! | `sealant_reconcile_duration_seconds` (histogram) | `outcome` |
//! | `sealant_keys` (gauge, at scrape) | `state` = active, decrypt_only |
//! | `sealant_active_key_age_seconds` (gauge, at scrape; absent without keys) | |
//! | `sealant_key_usage` (gauge, at scrape) | `fingerprint` (first 16 hex digits) |
//! | `sealant_rsa_operations_total` (counter, at scrape) | |
//! | `sealant_certificate_configmap_repairs_total` | `change` = modified, deleted |
//!
//! Every label value except object names comes from a fixed enum, so no error text (which
//! may name keys) reaches a label and the number of series stays bounded.

mod conditions;
mod described;
mod http;
mod keys;
mod labels;

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use time::OffsetDateTime;

use keys::KeyCollector;
use labels::{
    BuildLabels, ConfigMapChangeLabels, HttpDurationLabels, HttpRequestLabels, OutcomeLabels, Text,
    UnsealErrorLabels,
};

pub use conditions::{ConditionInfo, ObjectNames};
pub use http::{CONTENT_TYPE, router};
pub use keys::KeySnapshot;
pub use labels::{
    ConditionStatus, ConditionType, ConfigMapChange, ErrorReason, HttpHandler, HttpMethod,
    ReconcileOutcome,
};

/// Prometheus' default buckets, which Bitnami's request histogram uses.
const HTTP_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Reconcile buckets start lower than HTTP's: an unchanged object costs well under a
/// millisecond, and telling that apart from a reconcile that did RSA work is the point.
const RECONCILE_BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The controller's metrics. Cloning is cheap and every clone records into the same
/// registry, so hand one to each task that records.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    unseal_requests: Counter,
    unseal_errors: Family<UnsealErrorLabels, Counter>,
    conditions: Arc<ConditionInfo>,
    http_requests: Family<HttpRequestLabels, Counter>,
    http_duration: HistogramFamily<HttpDurationLabels>,
    reconciles: Family<OutcomeLabels, Counter>,
    reconcile_duration: HistogramFamily<OutcomeLabels>,
    certificate_repairs: Family<ConfigMapChangeLabels, Counter>,
}

impl Metrics {
    /// Register every metric; `version` is exposed as `build_info`'s `revision` label.
    pub fn new(version: &str) -> Self {
        Self::with_object_names(version, ObjectNames::Exposed)
    }

    /// [`Metrics::new`], choosing whether `condition_info` names SealedSecrets.
    pub fn with_object_names(version: &str, names: ObjectNames) -> Self {
        let mut registry = Registry::default();

        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                revision: Text(version.to_owned()),
            })
            .set(1);
        described::register(
            &mut registry,
            "sealed_secrets_controller_build_info",
            "Build information.",
            None,
            build_info,
        );

        // Names are given without `_total` or `_seconds`: the encoder appends them.
        let unseal_requests = Counter::default();
        described::register(
            &mut registry,
            "sealed_secrets_controller_unseal_requests",
            "Total number of sealed secret unseal requests",
            None,
            unseal_requests.clone(),
        );
        let unseal_errors = Family::default();
        described::register(
            &mut registry,
            "sealed_secrets_controller_unseal_errors",
            "Total number of sealed secret unseal errors by reason",
            None,
            unseal_errors.clone(),
        );

        let conditions = Arc::new(ConditionInfo::new(names));
        registry.register_collector(Box::new(Arc::clone(&conditions)));

        let http_requests = Family::default();
        described::register(
            &mut registry,
            "sealed_secrets_controller_http_requests",
            "A counter for requests to the wrapped handler.",
            None,
            http_requests.clone(),
        );
        let http_duration: HistogramFamily<HttpDurationLabels> =
            Family::new_with_constructor(|| Histogram::new(HTTP_BUCKETS));
        described::register(
            &mut registry,
            "sealed_secrets_controller_http_request_duration",
            "A histogram of latencies for requests.",
            Some(Unit::Seconds),
            http_duration.clone(),
        );

        let reconciles = Family::<OutcomeLabels, Counter>::default();
        // Every outcome starts at 0, so rate() and "skipped as unchanged" ratios work from
        // the first scrape rather than from each outcome's first occurrence.
        for outcome in ReconcileOutcome::ALL {
            drop(reconciles.get_or_create(&OutcomeLabels { outcome }));
        }
        described::register(
            &mut registry,
            "sealant_reconciles",
            "Reconciles by outcome: unchanged (no RSA work, no write), written, failed, stalled \
             (skipped after a permanent failure: no RSA work, no write)",
            None,
            reconciles.clone(),
        );
        let reconcile_duration: HistogramFamily<OutcomeLabels> =
            Family::new_with_constructor(|| Histogram::new(RECONCILE_BUCKETS));
        described::register(
            &mut registry,
            "sealant_reconcile_duration",
            "Time one reconcile took, by outcome",
            Some(Unit::Seconds),
            reconcile_duration.clone(),
        );

        let certificate_repairs = Family::<ConfigMapChangeLabels, Counter>::default();
        // Both changes start at 0, so an alert on increase() fires on the first repair.
        for change in ConfigMapChange::ALL {
            drop(certificate_repairs.get_or_create(&ConfigMapChangeLabels { change }));
        }
        described::register(
            &mut registry,
            "sealant_certificate_configmap_repairs",
            "Times the leader restored the certificate ConfigMap after someone else modified or deleted it",
            None,
            certificate_repairs.clone(),
        );

        Self {
            inner: Arc::new(Inner {
                registry,
                unseal_requests,
                unseal_errors,
                conditions,
                http_requests,
                http_duration,
                reconciles,
                reconcile_duration,
                certificate_repairs,
            }),
        }
    }

    /// A reconcile is about to decrypt a SealedSecret.
    pub fn unseal_request(&self) {
        self.inner.unseal_requests.inc();
    }

    /// An unseal failed. `namespace` is the SealedSecret's (Bitnami passes "" for
    /// [`ErrorReason::Fetch`], where the object could not be read).
    pub fn unseal_error(&self, reason: ErrorReason, namespace: &str) {
        let labels = UnsealErrorLabels {
            reason,
            namespace: Text(namespace.to_owned()),
        };
        self.inner.unseal_errors.get_or_create(&labels).inc();
    }

    /// The per-object condition gauges, `sealed_secrets_controller_condition_info`.
    pub fn conditions(&self) -> &ConditionInfo {
        &self.inner.conditions
    }

    /// The SealedSecret is gone: drop all its condition series.
    pub fn forget_object(&self, namespace: &str, name: &str) {
        self.inner.conditions.forget(namespace, name);
    }

    /// A reconcile ended.
    pub fn reconcile_finished(&self, outcome: ReconcileOutcome, duration: Duration) {
        let labels = OutcomeLabels { outcome };
        self.inner.reconciles.get_or_create(&labels).inc();
        self.inner
            .reconcile_duration
            .get_or_create(&labels)
            .observe(duration.as_secs_f64());
    }

    /// The certificate ConfigMap was restored after someone else's `change`.
    pub fn certificate_configmap_repaired(&self, change: ConfigMapChange) {
        self.inner
            .certificate_repairs
            .get_or_create(&ConfigMapChangeLabels { change })
            .inc();
    }

    /// An HTTP request was answered. `method` is folded onto [`HttpMethod`]'s fixed set.
    pub fn http_request(
        &self,
        handler: HttpHandler,
        method: &str,
        status: u16,
        duration: Duration,
    ) {
        let method = HttpMethod::parse(method);
        self.inner
            .http_requests
            .get_or_create(&HttpRequestLabels {
                path: handler,
                code: status,
                method,
            })
            .inc();
        self.inner
            .http_duration
            .get_or_create(&HttpDurationLabels {
                path: handler,
                method,
            })
            .observe(duration.as_secs_f64());
    }

    /// The exposition in OpenMetrics text format ([`CONTENT_TYPE`]), with the key
    /// metrics taken from `snapshot`.
    pub fn encode(&self, snapshot: &KeySnapshot) -> Result<String, std::fmt::Error> {
        self.encode_at(snapshot, OffsetDateTime::now_utc())
    }

    fn encode_at(
        &self,
        snapshot: &KeySnapshot,
        now: OffsetDateTime,
    ) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        text::encode_registry(&mut out, &self.inner.registry)?;
        // The key metrics go through a registry of their own, built for this scrape,
        // so the shared registry needs no lock or slot to pass the snapshot through.
        let mut scrape = Registry::default();
        scrape.register_collector(Box::new(KeyCollector::new(snapshot.clone(), now)));
        text::encode_registry(&mut out, &scrape)?;
        text::encode_eof(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
