//! Reading a file that must hold exactly one document: the SealedSecret `edit` and
//! `merge-into` rewrite in place, and the Secret `merge-into` takes.

use super::{Stamp, detect_format, read_for_rewrite};
use crate::error::CliError;
use sealant_api::{ApiError, Document, OutputFormat, SealedSecret, exactly_one, parse_documents};
use std::path::Path;

/// The only document of `text`; `purpose` completes "… needs a file with exactly one …".
fn only_document(text: &str, origin: &str, purpose: &str) -> Result<Document, CliError> {
    parse_documents(text)
        .and_then(exactly_one)
        .map_err(|e| match e {
            ApiError::DocumentCount { found } => {
                CliError::Usage(format!("{origin}: {purpose}, found {found} documents"))
            }
            other => CliError::api(origin, other),
        })
}

/// The one Secret of `text` (`merge-into`'s input), as a plain Secret.
pub fn only_secret(text: &str, origin: &str) -> Result<sealant_api::PlainSecret, CliError> {
    only_document(text, origin, "--merge-into takes exactly one Secret")?
        .to_plain_secret()
        .map_err(|e| CliError::api(origin, e))
}

/// Write `sealed` over the file it was read from (`stamp`), in its own format: only over the
/// file as it was read; a change made meanwhile is kept and this result saved beside it.
pub fn rewrite_sealed(
    stamp: &Stamp,
    sealed: &SealedSecret,
    format: OutputFormat,
    file: &str,
) -> Result<(), CliError> {
    let rendered = sealant_api::write_documents(std::slice::from_ref(sealed), format)
        .map_err(|e| CliError::api(file, e))?;
    super::rewrite(stamp, rendered.as_bytes(), super::OnConflict::KeepAside)
}

/// The one SealedSecret in `file`, the file's format, and the stamp of what was read, for a
/// command that rewrites `file` in place. `command` names that command in the error.
pub fn load_sealed_target(
    file: &Path,
    command: &str,
) -> Result<(SealedSecret, OutputFormat, Stamp), CliError> {
    let name = file.display().to_string();
    let (text, stamp) = read_for_rewrite(file)?;
    let purpose = format!("{command} needs a file with exactly one SealedSecret");
    let sealed = only_document(&text, &name, &purpose)?
        .to_sealed_secret()
        .map_err(|e| CliError::api(&name, e))?;
    Ok((sealed, detect_format(&text), stamp))
}
