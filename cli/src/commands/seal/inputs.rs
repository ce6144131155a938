//! What both envelopes' `seal` read from the request the same way: the input documents, the
//! `--name` rule and the namespace rule. A leaf, so `v2::seal` can use it without a cycle
//! back through `commands::seal`.

use crate::{
    error::CliError,
    requests::{NamespaceRule, SealRequest},
};
use sealant_api::{Document, SealOptions, parse_documents};

/// The input's documents and where they came from (for errors); `--name` renames one
/// Secret, so several documents with it are a usage error. Shared by both envelopes.
pub(crate) fn input_documents(req: &SealRequest) -> Result<(String, Vec<Document>), CliError> {
    let origin = req.input.display();
    let text = req.input.read_text()?;
    let documents = parse_documents(&text).map_err(|e| CliError::api(&origin, e))?;
    if req.name.is_some() && documents.len() > 1 {
        return Err(CliError::Usage(format!(
            "--name names one Secret, but {origin} holds {} documents",
            documents.len()
        )));
    }
    Ok((origin, documents))
}

/// sealant treats `--name` as `-n`: it fills a missing name, and a Secret that already has a
/// different one is refused (sealing it under the new name silently renames what the
/// manifest says). kubeseal mode keeps kubeseal's rename.
pub(crate) fn refuse_renaming(req: &SealRequest, own: Option<&str>) -> Result<(), CliError> {
    match (req.namespace_rule, own, req.name.as_deref()) {
        (NamespaceRule::FillOrRefuseMismatch, Some(own), Some(requested))
            if !own.is_empty() && !requested.is_empty() && own != requested =>
        {
            Err(CliError::NameMismatch {
                secret: own.to_owned(),
                requested: requested.to_owned(),
            })
        }
        _ => Ok(()),
    }
}

/// sealant treats `-n` as an explicit namespace, so a Secret naming a different one is
/// refused (sealing for the manifest's namespace would fail where the user deploys).
/// kubeseal only uses `-n` (or the context's namespace) to fill a missing one, silently.
pub(crate) fn seal_options(req: &SealRequest, default_namespace: Option<String>) -> SealOptions {
    let namespace = match req.namespace_rule {
        NamespaceRule::FillOrRefuseMismatch => req.namespace.clone(),
        NamespaceRule::FillOnly => None,
    };
    SealOptions {
        scope: req.scope,
        name: req.name.clone(),
        namespace,
        default_namespace,
        allow_empty_data: req.allow_empty_data,
        record_sealed_for: req.record_sealed_for,
    }
}
