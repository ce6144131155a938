//! `sealant seal` / plain `kubeseal`: Secret manifests in, SealedSecret manifests out.

use crate::{
    cluster::{certs::sealing_certificate, context_namespace},
    error::CliError,
    requests::{NamespaceRule, SealRequest},
};
use sealant_api::{SealOptions, parse_documents, seal_secret, write_documents};

pub fn seal(req: SealRequest) -> Result<(), CliError> {
    let cert = sealing_certificate(&req.cert)?;
    let origin = req.input.display();
    let text = req.input.read_text()?;
    let documents = parse_documents(&text).map_err(|e| CliError::api(&origin, e))?;
    if req.name.is_some() && documents.len() > 1 {
        return Err(CliError::Usage(format!(
            "--name names one Secret, but {origin} holds {} documents",
            documents.len()
        )));
    }
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
    for document in &documents {
        let secret = document
            .to_plain_secret()
            .map_err(|e| CliError::api(&origin, e))?;
        refuse_renaming(&req, document.name())?;
        let options = seal_options(&req, default_namespace.clone());
        let sealed_secret = seal_secret(&secret, cert.public_key(), &options)
            .map_err(|e| CliError::api(&origin, e))?;
        sealed.push(sealed_secret);
    }
    let rendered = write_documents(&sealed, req.format).map_err(|e| CliError::api(&origin, e))?;
    req.output.write(rendered.as_bytes())
}

/// sealant treats `--name` as `-n`: it fills a missing name, and a Secret that already has a
/// different one is refused (sealing it under the new name silently renames what the
/// manifest says). kubeseal mode keeps kubeseal's rename.
fn refuse_renaming(req: &SealRequest, own: Option<&str>) -> Result<(), CliError> {
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
fn seal_options(req: &SealRequest, default_namespace: Option<String>) -> SealOptions {
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
