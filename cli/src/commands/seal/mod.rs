//! `sealant seal` / plain `kubeseal`: Secret manifests in, SealedSecret manifests out; with
//! several `--cert`, once per certificate (`outputs.rs`).

pub(crate) mod copy_metadata;
mod outputs;

pub use outputs::MULTI_CERT_HELP;

use crate::{
    cluster::{
        certs::{each_certificate, sealing_certificate},
        context_namespace,
    },
    error::CliError,
    io::{Output, write_atomically},
    requests::{NamespaceRule, SealRequest},
};
use sealant_api::{Document, SealOptions, parse_documents, seal_secret, write_documents};
use sealant_keys::Certificate;

pub fn seal(mut req: SealRequest) -> Result<(), CliError> {
    // Envelope v2 (flags or `.sealant.yaml`) goes its own way; a v1 rule sets `req.cert`.
    if let crate::v2::SealPlan::V2 {
        recipients,
        chosen_by,
    } = crate::v2::seal_plan::plan(&mut req)?
    {
        return crate::v2::seal::seal(req, &recipients, &chosen_by);
    }
    // Usage first, then certificates: a missing one is reported before the input is read.
    let destinations = if !req.output_is_pattern {
        None
    } else if req.cert.cert.is_empty() {
        outputs::refuse_pattern_without_cert(&req.output)?;
        None
    } else {
        outputs::per_certificate(&req.output, &req.cert.cert)?
    };
    let certificates = if req.cert.cert.len() > 1 {
        each_certificate(&req.cert)?
    } else {
        vec![sealing_certificate(&req.cert)?]
    };
    let (origin, documents) = input_documents(&req)?;
    // Every output is made before any is written: a failure writes nothing.
    let rendered = certificates
        .iter()
        .map(|cert| seal_all(&req, &documents, cert, &origin))
        .collect::<Result<Vec<String>, CliError>>()?;
    match destinations {
        Some(paths) if paths.len() > 1 => {
            for (path, text) in paths.iter().zip(&rendered) {
                write_atomically(path, text.as_bytes())?;
            }
            Ok(())
        }
        Some(mut paths) => Output::File(paths.remove(0)).write(rendered.concat().as_bytes()),
        None => req.output.write(rendered.concat().as_bytes()),
    }
}

/// Every document of the input sealed for `cert`, rendered: exactly what a single `--cert`
/// writes.
fn seal_all(
    req: &SealRequest,
    documents: &[Document],
    cert: &Certificate,
    origin: &str,
) -> Result<String, CliError> {
    // kubeseal fills a missing namespace from -n, else from the kubeconfig context.
    let default_namespace = match req.namespace_rule {
        NamespaceRule::FillOrRefuseMismatch => None,
        NamespaceRule::FillOnly => Some(
            req.namespace
                .clone()
                .unwrap_or_else(|| context_namespace(&req.cert.cluster)),
        ),
    };
    let mut sealed = Vec::with_capacity(documents.len());
    for document in documents {
        let secret = document
            .to_plain_secret()
            .map_err(|e| CliError::api(origin, e))?;
        refuse_renaming(req, document.name())?;
        let options = seal_options(req, default_namespace.clone());
        let mut sealed_secret = seal_secret(&secret, cert.public_key(), &options)
            .map_err(|e| CliError::api(origin, e))?;
        if req.copy_metadata {
            copy_metadata::copy_metadata(&mut sealed_secret);
        }
        sealed.push(sealed_secret);
    }
    write_documents(&sealed, req.format).map_err(|e| CliError::api(origin, e))
}

/// sealant treats `--name` as `-n`: it fills a missing name, and a Secret that already has a
/// different one is refused (sealing it under the new name silently renames what the
/// manifest says). kubeseal mode keeps kubeseal's rename.
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
