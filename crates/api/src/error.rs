//! The one error type of this crate.
//!
//! Every message names the object (document number, `namespace/name`), the data key and the
//! scope involved, and never a value: plaintext must not reach logs, Kubernetes events or
//! terminal scrollback through an error message.

use crate::TemplateError;
use sealant_crypto::{CryptoError, Scope};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ApiError {
    // ---- manifest input -------------------------------------------------------------
    #[error("no documents found in the input (is it empty, or only comments?)")]
    NoDocuments,
    #[error("the input looks binary ({0}); expected YAML or JSON text")]
    Binary(&'static str),
    /// From [`crate::exactly_one`]: the input holds more than one document.
    #[error("the input holds {found} documents; exactly one is expected")]
    DocumentCount { found: usize },
    #[error("invalid YAML{}: {message}", line_suffix(*.line, *.column))]
    Yaml {
        line: Option<u64>,
        column: Option<u64>,
        message: String,
    },
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{doc}: expected an object with apiVersion and kind, found {found}")]
    NotAnObject { doc: String, found: &'static str },
    #[error("{doc}: expected kind {expected}, found {found}")]
    WrongKind {
        doc: String,
        expected: &'static str,
        found: String,
    },
    #[error("{doc}: expected apiVersion {expected}, found {found}")]
    WrongApiVersion {
        doc: String,
        expected: &'static str,
        found: String,
    },
    #[error("{doc}: field {field}: {reason}")]
    InvalidField {
        doc: String,
        field: String,
        reason: String,
    },
    #[error("{doc}: data key {key:?} is not valid base64")]
    InvalidBase64 { doc: String, key: String },

    // ---- sealing ----------------------------------------------------------------------
    #[error(
        "{object}: the Secret has no data; assuming this is an error and aborting \
         (to seal an empty Secret, use --allow-empty-data)"
    )]
    EmptyData { object: String },
    #[error("{object}: missing metadata.name in the input Secret")]
    MissingName { object: String },
    #[error("{object}: a {scope} SealedSecret needs a namespace (set metadata.namespace or -n)")]
    MissingNamespace { object: String, scope: Scope },
    #[error(
        "namespace mismatch: the input Secret {name:?} is in namespace {secret:?} \
         but namespace {requested:?} was requested"
    )]
    NamespaceMismatch {
        name: String,
        secret: String,
        requested: String,
    },
    #[error("{object}: sealing key {key:?} with {scope} scope failed: {source}")]
    Seal {
        object: String,
        key: String,
        scope: Scope,
        source: CryptoError,
    },
    #[error("{object}: cannot form the {scope} OAEP label: {source}")]
    Label {
        object: String,
        scope: Scope,
        source: CryptoError,
    },

    // ---- unsealing --------------------------------------------------------------------
    #[error("{object}: encryptedData key {key:?} is not valid base64")]
    CiphertextBase64 { object: String, key: String },
    /// One message for every way a value fails to open: "the RSA part failed" and "the
    /// AES-GCM tag failed" read the same, so the message is no decryption oracle. The
    /// opener's own error (which tells them apart) is dropped, not chained.
    #[error(
        "{object}: cannot decrypt {what} ({scope} scope): no key opened it \
         (sealed with another key, for another scope/namespace/name, or corrupted)"
    )]
    Open {
        object: String,
        /// `key "name"` or `legacy spec.data`.
        what: String,
        scope: Scope,
    },
    #[error(
        "{object}: uses both spec.encryptedData and the deprecated spec.data; only one is allowed"
    )]
    LegacyAndEncryptedData { object: String },
    #[error("{object}: the legacy spec.data blob did not decrypt to a Secret: {reason}")]
    LegacyPayload {
        object: String,
        reason: LegacyPayloadError,
    },
    /// `key` is the `spec.template.data` key (not secret); `reason` holds no plaintext.
    /// Boxed: the template error is by far the largest reason, and every `Result` that
    /// carries an `ApiError` would otherwise pay for it.
    #[error("{object}: template for key {key:?}: {reason}")]
    Template {
        object: String,
        key: String,
        reason: Box<TemplateError>,
    },

    /// More than one value or template failed. Like Bitnami, every failure is reported;
    /// unlike Bitnami's (map order), in a fixed order: decrypt failures by key, then
    /// template failures by key. Each names its key, never a value.
    #[error("{object}: {} failures: {}", errors.len(), join_errors(errors))]
    Several {
        object: String,
        errors: Vec<ApiError>,
    },

    // ---- output -----------------------------------------------------------------------
    #[error("cannot serialize {what}: {reason}")]
    Serialize { what: String, reason: String },
}

fn join_errors(errors: &[ApiError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// This error, or each of the failures it gathers.
    pub fn failures(&self) -> Vec<&ApiError> {
        match self {
            Self::Several { errors, .. } => errors.iter().collect(),
            one => vec![one],
        }
    }

    /// A value did not open (and a new key might open it).
    pub fn has_open_failure(&self) -> bool {
        self.failures()
            .iter()
            .any(|e| matches!(e, Self::Open { .. }))
    }
}

fn line_suffix(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

/// Why a `sealant.dev/sealed-for` annotation value did not parse (see [`crate::SealedFor`]).
/// The annotation is not secret, but messages still quote only field names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SealedForError {
    #[error("field {0:?} is not of the form key=value")]
    Malformed(String),
    #[error("field {0:?} appears more than once")]
    Duplicate(String),
    #[error("field {0:?} is missing")]
    Missing(&'static str),
    #[error("fingerprint is not 64 hex digits")]
    InvalidFingerprint,
    #[error("scope is not strict, namespace-wide or cluster-wide")]
    InvalidScope,
    #[error("target is not namespace/name")]
    InvalidTarget,
}

/// Why a decrypted legacy `spec.data` blob is not a Secret. The blob is plaintext, so these
/// are fixed reasons: no parser message, no position, no field or key name read from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LegacyPayloadError {
    #[error("it is not valid JSON")]
    NotJson,
    #[error("it is not a JSON object")]
    NotAnObject,
    #[error("it is not a v1 Secret (kind or apiVersion)")]
    NotASecret,
    /// One of the Secret fields we read, by its fixed name.
    #[error("its {0} field is not valid")]
    InvalidField(&'static str),
}
