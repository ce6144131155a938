//! `sealed_secrets_controller_condition_info`: one gauge per SealedSecret and condition.
//!
//! Kept as a map keyed by object rather than a label-keyed family, so that forgetting an
//! object removes every series it had without the caller knowing which conditions or
//! which instance label were recorded, and so a changed instance label replaces the old
//! series instead of leaving it behind.

use crate::sync::lock;
use std::collections::BTreeMap;
use std::sync::Mutex;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet};
use prometheus_client::metrics::MetricType;

use super::labels::{ConditionStatus, ConditionType, Text};

pub(crate) const NAME: &str = "sealed_secrets_controller_condition_info";
const HELP: &str =
    "Current SealedSecret condition status. Values are -1 (false), 0 (unknown or absent), 1 (true)";

#[derive(Debug, Default)]
struct ObjectConditions {
    instance: String,
    statuses: [Option<ConditionStatus>; ConditionType::ALL.len()],
}

/// Whether the condition gauges may name SealedSecrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ObjectNames {
    /// Bitnami's default: one series per object and condition.
    #[default]
    Exposed,
    /// `--metrics-omit-secret-labels`: nothing is recorded, so nothing names an object.
    /// (Recording with blank names instead would collapse every object onto one series
    /// whose value is whichever object reconciled last: a number that means nothing.)
    Omitted,
}

/// The condition gauges, keyed by (namespace, name).
#[derive(Debug, Default)]
pub struct ConditionInfo {
    names: ObjectNames,
    objects: Mutex<BTreeMap<(String, String), ObjectConditions>>,
}

/// Bitnami's label names, in Bitnami's order.
#[derive(Debug, EncodeLabelSet)]
struct ConditionLabels {
    namespace: Text,
    name: Text,
    condition: ConditionType,
    ss_app_kubernetes_io_instance: Text,
}

impl ConditionInfo {
    pub(crate) fn new(names: ObjectNames) -> Self {
        Self {
            names,
            objects: Mutex::default(),
        }
    }

    /// Record one condition of a SealedSecret. `instance` is the object's
    /// `app.kubernetes.io/instance` label, or "" without one, as Bitnami labels it. A
    /// different `instance` than before replaces the object's earlier series.
    pub fn set(
        &self,
        namespace: &str,
        name: &str,
        instance: &str,
        condition: ConditionType,
        status: ConditionStatus,
    ) {
        if self.names == ObjectNames::Omitted {
            return;
        }
        let mut objects = lock(&self.objects);
        let entry = objects
            .entry((namespace.to_owned(), name.to_owned()))
            .or_default();
        if entry.instance != instance {
            instance.clone_into(&mut entry.instance);
        }
        entry.statuses[condition.index()] = Some(status);
    }

    pub(crate) fn forget(&self, namespace: &str, name: &str) {
        let mut objects = lock(&self.objects);
        objects.remove(&(namespace.to_owned(), name.to_owned()));
    }
}

impl Collector for ConditionInfo {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        // Copy out under the lock and encode after, so a slow scrape never holds up the
        // reconciles that record conditions.
        let rows: Vec<(ConditionLabels, i64)> = {
            let objects = lock(&self.objects);
            objects
                .iter()
                .flat_map(|((namespace, name), object)| {
                    ConditionType::ALL.into_iter().filter_map(move |condition| {
                        object.statuses[condition.index()].map(|status| {
                            let labels = ConditionLabels {
                                namespace: Text(namespace.clone()),
                                name: Text(name.clone()),
                                condition,
                                ss_app_kubernetes_io_instance: Text(object.instance.clone()),
                            };
                            (labels, status.gauge_value())
                        })
                    })
                })
                .collect()
        };
        // Like every family here (and Go's client): no series, no descriptor.
        if rows.is_empty() {
            return Ok(());
        }
        let mut family = encoder.encode_descriptor(NAME, HELP, None, MetricType::Gauge)?;
        for (labels, value) in &rows {
            family.encode_family(labels)?.encode_gauge(value)?;
        }
        Ok(())
    }
}
