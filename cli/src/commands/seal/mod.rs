//! `sealant seal` / plain `kubeseal`: Secret manifests in, SealedSecret manifests out; with
//! several `--cert`, once per certificate (`outputs.rs`).

pub(crate) mod copy_metadata;
pub(crate) mod inputs;
mod outputs;

use inputs::{input_documents, refuse_renaming, seal_options};
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
use sealant_api::{Document, seal_secret, write_documents};
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
