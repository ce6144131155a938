use std::{io, path::PathBuf};
use thiserror::Error;

/// Documented exit codes: 0 ok, 1 user or input error, 2 unexpected failure.
pub const EXIT_OK: u8 = 0;
pub const EXIT_USER: u8 = 1;
pub const EXIT_UNEXPECTED: u8 = 2;
/// The cluster or the controller could not be used: no kubeconfig, unreachable API server
/// or controller, RBAC refusals, no certificate from any source.
pub const EXIT_CLUSTER: u8 = 3;

/// Every way a CLI command fails. Messages name files, objects, data keys and scopes;
/// none of the wrapped errors carries a secret value.
#[derive(Debug, Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error(
        "refusing to write plaintext to {}: it is a symlink; name the file it points to, or \
         remove the link",
        .path.display()
    )]
    SymlinkDestination { path: PathBuf },
    /// An in-place write that would have diverged from what the user sees at the path
    /// (hard link, read-only, someone else's file, changed since read): nothing replaced.
    #[error("refusing to replace {}: {reason}", .path.display())]
    RewriteRefused {
        path: PathBuf,
        reason: crate::io::refusal::Refusal,
    },
    /// `sealant seal --name` for a Secret that already has another name (as `-n` and a
    /// namespace): sealing under either name would surprise where the other is expected.
    #[error(
        "name mismatch: the input Secret is named {secret:?} but --name {requested:?} was \
         given; drop --name, or rename the Secret in its manifest"
    )]
    NameMismatch { secret: String, requested: String },
    #[error("{path}: input is not UTF-8 text (is it a binary file?)")]
    Binary { path: String },
    #[error("{path}: input is empty")]
    EmptyInput { path: String },
    #[error("cannot fetch certificate from {url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("{context}: {source}")]
    Api {
        context: String,
        source: sealant_api::ApiError,
    },
    #[error("{context}: {source}")]
    Keys {
        context: String,
        source: sealant_keys::KeysError,
    },
    #[error("{context}: {source}")]
    Crypto {
        context: String,
        source: sealant_crypto::CryptoError,
    },
    #[error("internal error: {0}")]
    Internal(String),
    /// `sealant check` found problems (exit 1); the report itself went to stdout.
    #[error("{count} finding(s)")]
    Findings { count: usize },
    /// `sealant check` could not scan (exit 2, so CI tells "dirty" from "broken").
    #[error("{0}")]
    ScanFailed(Box<CliError>),
    /// `sealant edit` stopped before rewriting anything (editor failed, bad edited text).
    #[error("{reason}; {} left unchanged", .file.display())]
    EditAborted { file: PathBuf, reason: String },
    /// The cluster connection could not be configured or used.
    #[error("cluster: {reason}")]
    Cluster { reason: String },
    /// No cluster source gave a certificate (or hybrid key): every source tried, with its
    /// error, and fixes.
    #[error(
        "cannot get the {what} of controller {controller} from {server}; tried:\n{}\nto fix: {}",
        .tried.iter().map(|t| format!("  - {t}")).collect::<Vec<_>>().join("\n"),
        .hints.join("; ")
    )]
    CertificateUnavailable {
        /// `sealing certificate`, or `hybrid key (xwing.pub)`.
        what: &'static str,
        server: String,
        controller: String,
        tried: Vec<String>,
        hints: Vec<String>,
    },
    /// `--cert-fingerprint` does not match: nothing is sealed.
    #[error(
        "certificate from {source_name} has fingerprint {actual}, not the pinned {expected}; refusing to seal"
    )]
    FingerprintMismatch {
        source_name: String,
        expected: String,
        actual: String,
    },
    /// The controller's API could not be reached or answered unexpectedly.
    #[error("controller {controller}: {reason}")]
    Controller { controller: String, reason: String },
    /// `sealant validate`: objects the controller cannot decrypt (or files not validated).
    #[error("{} object(s) failed validation: {}", .failures.len(), .failures.join("; "))]
    ValidationFailed { failures: Vec<String> },
    /// `sealant reencrypt` / kubeseal `--re-encrypt`: objects or files not re-encrypted (each
    /// names the file and `namespace/name`); the others were.
    #[error("{} re-encryption failure(s): {}", .failures.len(), .failures.join("; "))]
    ReencryptFailed { failures: Vec<String> },
    /// kubeseal `--validate` on a 409, in kubeseal's words (scripts match on them).
    #[error("unable to decrypt sealed secret")]
    NotDecryptable,
    /// kubeseal `--validate` when the controller could not answer, in kubeseal's words.
    #[error("cannot validate sealed secret: {reason}")]
    CannotValidate { reason: String },
    /// `sealant keys retire`: refused, locally from `/v1/keys` or by the controller (exit 1).
    #[error("cannot retire key {fingerprint} (Secret {secret}): {reason}")]
    KeyRetireRefused {
        fingerprint: String,
        secret: String,
        reason: String,
    },
    /// kubeseal `--re-encrypt` on a 409: kubeseal's words first (scripts match on them),
    /// then the object.
    #[error("unable to rotate secret: {object}")]
    NotRotatable { object: String },
    /// kubeseal `--re-encrypt` when the controller could not answer, in kubeseal's words.
    #[error("cannot re-encrypt secret: {reason}")]
    CannotReencrypt { reason: String },
    /// `sealant edit` was interrupted by a signal (exit 130, as shells report SIGINT).
    #[error("interrupted; {} left unchanged", .file.display())]
    Interrupted { file: PathBuf },
}

/// Exit code after an interrupting signal (128 + SIGINT), whichever signal it was.
pub const EXIT_INTERRUPTED: u8 = 130;

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Write { .. } | CliError::Internal(_) | CliError::ScanFailed(_) => {
                EXIT_UNEXPECTED
            }
            CliError::Interrupted { .. } => EXIT_INTERRUPTED,
            CliError::Cluster { .. }
            | CliError::CertificateUnavailable { .. }
            | CliError::Controller { .. }
            | CliError::CannotValidate { .. }
            | CliError::CannotReencrypt { .. } => EXIT_CLUSTER,
            // Listed, not `_`: a new variant must choose its exit code.
            CliError::Api { .. }
            | CliError::Binary { .. }
            | CliError::Crypto { .. }
            | CliError::EditAborted { .. }
            | CliError::EmptyInput { .. }
            | CliError::Fetch { .. }
            | CliError::Findings { .. }
            | CliError::FingerprintMismatch { .. }
            | CliError::KeyRetireRefused { .. }
            | CliError::Keys { .. }
            | CliError::NameMismatch { .. }
            | CliError::NotDecryptable
            | CliError::NotRotatable { .. }
            | CliError::Read { .. }
            | CliError::ReencryptFailed { .. }
            | CliError::RewriteRefused { .. }
            | CliError::SymlinkDestination { .. }
            | CliError::Usage { .. }
            | CliError::ValidationFailed { .. } => EXIT_USER,
        }
    }

    pub fn api(context: impl Into<String>, source: sealant_api::ApiError) -> Self {
        CliError::Api {
            context: context.into(),
            source,
        }
    }

    pub fn keys(context: impl Into<String>, source: sealant_keys::KeysError) -> Self {
        CliError::Keys {
            context: context.into(),
            source,
        }
    }

    pub fn crypto(context: impl Into<String>, source: sealant_crypto::CryptoError) -> Self {
        CliError::Crypto {
            context: context.into(),
            source,
        }
    }
}
