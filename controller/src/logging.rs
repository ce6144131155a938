//! `tracing` output, as text or JSON lines: with `--log-info-stdout` (the default, as in
//! Bitnami) info and lower on stdout and warnings and errors on stderr, else all on stderr.
//! Only names, fingerprints and reasons
//! are ever logged; values never reach a log call (the plaintext grep test checks this at
//! trace level, including kube's own request logging).

use crate::{ControllerError, config::LogFormat};
use tracing::Level;
use tracing_subscriber::{
    EnvFilter, fmt,
    fmt::writer::{BoxMakeWriter, MakeWriterExt},
};

/// At info: kube-runtime opens an INFO span around every reconcile, and the formatter
/// renders its fields as it opens, whether or not a line is ever logged inside it (2% of a
/// restart's CPU, perf, issue 18). Every line of ours names its object, so the span adds
/// nothing at info; at debug and trace it stays.
const INFO: &str = "info,kube_runtime::controller=warn";

/// Translate Bitnami's level names (`INFO`, `ERROR`) and ours into a filter.
pub fn level_filter(level: &str) -> Result<EnvFilter, ControllerError> {
    let level = level.trim().to_ascii_lowercase();
    match level.as_str() {
        "info" => Ok(EnvFilter::new(INFO)),
        "trace" | "debug" | "warn" | "error" => Ok(EnvFilter::new(level)),
        "warning" => Ok(EnvFilter::new("warn")),
        // Full directives (`info,sealant_controller::reconcile=debug`) for finer control.
        directives if directives.contains('=') || directives.contains(',') => {
            EnvFilter::try_new(directives).map_err(|e| {
                ControllerError::Config(format!("invalid log level {directives:?}: {e}"))
            })
        }
        other => Err(ControllerError::Config(format!(
            "unknown log level {other:?}; use trace, debug, info, warn or error, or \
             tracing directives such as info,sealant_controller=debug"
        ))),
    }
}

/// Where each line goes: Bitnami's split (`info_to_stdout`), or everything on stderr.
fn writer(info_to_stdout: bool) -> BoxMakeWriter {
    if info_to_stdout {
        // `with_max_level(WARN)` keeps WARN and ERROR, the less verbose levels.
        BoxMakeWriter::new(
            std::io::stderr
                .with_max_level(Level::WARN)
                .or_else(std::io::stdout),
        )
    } else {
        BoxMakeWriter::new(std::io::stderr)
    }
}

/// Install the global subscriber.
pub fn init(level: &str, format: LogFormat, info_to_stdout: bool) -> Result<(), ControllerError> {
    let filter = level_filter(level)?;
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(writer(info_to_stdout));
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    result.map_err(|e| ControllerError::Config(format!("installing the logger: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tracing_subscriber::{Registry, layer::SubscriberExt};

    /// Whether a span kube-runtime's way, and an info line of ours, pass `level`.
    fn passes(level: &str) -> (bool, bool) {
        let subscriber = Registry::default().with(level_filter(level).unwrap());
        tracing::subscriber::with_default(subscriber, || {
            let span =
                tracing::info_span!(target: "kube_runtime::controller", "reconciling object");
            let ours = tracing::enabled!(target: "sealant_controller::reconcile", Level::INFO);
            (!span.is_disabled(), ours)
        })
    }

    #[test]
    fn info_leaves_off_the_per_reconcile_span_but_not_our_lines() {
        assert_eq!(passes("info"), (false, true));
        assert_eq!(passes("INFO"), (false, true));
        assert_eq!(passes("debug"), (true, true));
        assert_eq!(passes("info,kube_runtime=info"), (true, true));
    }
}
