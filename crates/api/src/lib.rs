//! Kubernetes-facing types of Sealant: the `SealedSecret` CRD, plain Secrets, the conversion
//! between them, manifest I/O and the `spec.template.data` template subset.
//!
//! Everything here is synchronous and does no I/O; the CLI and controller wire it up.
//!
//! * [`seal_secret`] / [`merge_into`]: Secret → SealedSecret (kubeseal's rules).
//! * [`unseal`], [`verify`], [`reencrypt`]: SealedSecret → Secret and the template-free
//!   operations behind `/v1/verify` and `/v1/rotate`; decryption goes through an [`Opener`].
//! * [`parse_documents`] / [`write_documents`]: manifests in and out, in kubeseal's shapes.

pub mod annotations;
pub mod contract;
mod crd;
pub mod digest;
mod documents;
pub mod envelope_v2;
mod error;
mod go_bool;
mod go_duration;
mod legacy;
mod output;
mod plain;
mod ring_opener;
mod seal;
mod sealed_for;
mod secret_bytes;
mod template;
mod template_data;
mod unseal;

pub use crd::{
    CONDITION_READY, CONDITION_SYNCED, SealedSecret, SealedSecretCondition, SealedSecretSpec,
    SealedSecretStatus, SecretTemplateSpec, crd_yaml, describe_meta,
};
pub use documents::{
    Document, SEALED_SECRET_API_VERSION, exactly_one, parse_bytes, parse_documents,
};
pub use envelope_v2::Rewrap;
pub use error::{ApiError, LegacyPayloadError, SealedForError};
pub use go_bool::parse_go_bool;
pub use go_duration::{parse_go_duration, parse_kubectl_duration};
pub use output::{OutputFormat, write_document, write_documents};
pub use plain::PlainSecret;
pub use seal::{SealOptions, SealTo, merge_into, merge_into_to, seal_secret, seal_secret_to};
pub use sealed_for::{SEALED_FOR, SealedFor, record_sealed_for, refresh_sealed_for};
pub use secret_bytes::SecretBytes;
pub use template::{
    CallError as TemplateCallError, FuncName as TemplateFunction,
    MAX_EXEC_DEPTH as TEMPLATE_MAX_EXEC_DEPTH, MAX_NESTING as TEMPLATE_MAX_NESTING, RenderCap,
    RenderLimits, TemplateError, TemplateText, check_template, check_template_with_limits,
    render_template, render_template_with_limits,
};
pub use unseal::{
    Opener, decrypt_values, reencrypt, reencrypt_with, unseal, unseal_with_limits, verify,
};

#[cfg(test)]
mod tests;
