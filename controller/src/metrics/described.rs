//! Registering a metric with its help text exactly as given.
//!
//! `Registry::register` appends a full stop to every help text, which would turn
//! Bitnami's "Build information." into "Build information.." and add one to the texts
//! that have none. Registering each metric as a collector that writes its own descriptor
//! keeps Bitnami's texts byte for byte.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::registry::{Metric, Registry, Unit};

#[derive(Debug)]
struct Described {
    name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    metric: Box<dyn Metric>,
}

impl Collector for Described {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        // As the registry does (and Go's client): a family without series is left out.
        if self.metric.is_empty() {
            return Ok(());
        }
        let metric_encoder = encoder.encode_descriptor(
            self.name,
            self.help,
            self.unit.as_ref(),
            self.metric.metric_type(),
        )?;
        self.metric.encode(metric_encoder)
    }
}

/// Register `metric` under `name` (without the `_total` counter suffix or the unit
/// suffix, which the encoder appends) with `help` verbatim.
pub(crate) fn register(
    registry: &mut Registry,
    name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    metric: impl Metric,
) {
    registry.register_collector(Box::new(Described {
        name,
        help,
        unit,
        metric: Box::new(metric),
    }));
}
