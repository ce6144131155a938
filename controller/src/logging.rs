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

/// Translate Bitnami's level names (`INFO`, `ERROR`) and ours into a filter.
pub fn level_filter(level: &str) -> Result<EnvFilter, ControllerError> {
    let level = level.trim().to_ascii_lowercase();
    match level.as_str() {
        "trace" | "debug" | "info" | "warn" | "error" => Ok(EnvFilter::new(level)),
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
