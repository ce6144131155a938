//! `sealant seal` / plain `kubeseal`: Secret manifests in, SealedSecret manifests out.

use crate::{
    cert_source::load_sealing_certificate,
    error::CliError,
    requests::{NamespaceRule, SealRequest},
};
use sealant_api::{PlainSecret, SealOptions, parse_documents, seal_secret, write_documents};

pub fn seal(req: SealRequest) -> Result<(), CliError> {
    let cert = load_sealing_certificate(req.cert.as_deref())?;
    let origin = req.input.display();
    let text = req.input.read_text()?;
    let documents = parse_documents(&text).map_err(|e| CliError::api(&origin, e))?;
    if req.name.is_some() && documents.len() > 1 {
        return Err(CliError::Usage(format!(
            "--name names one Secret, but {origin} holds {} documents",
            documents.len()
        )));
    }
    let mut sealed = Vec::with_capacity(documents.len());
    for document in &documents {
        let secret = document
            .to_plain_secret()
            .map_err(|e| CliError::api(&origin, e))?;
        check_namespace(&secret, req.namespace.as_deref(), req.namespace_rule, &origin)?;
        let options = SealOptions {
            scope: req.scope,
            default_namespace: req.namespace.clone(),
            name: req.name.clone(),
            allow_empty_data: req.allow_empty_data,
        };
        let sealed_secret = seal_secret(&secret, cert.public_key(), &options)
            .map_err(|e| CliError::api(&origin, e))?;
        sealed.push(sealed_secret);
    }
    let rendered = write_documents(&sealed, req.format).map_err(|e| CliError::api(&origin, e))?;
    req.output.write(rendered.as_bytes())
}

/// sealant refuses `-n other` for a Secret that names its own namespace: silently sealing
/// for the manifest's namespace (kubeseal's behaviour) produces a SealedSecret that then
/// fails to decrypt where the user meant to deploy it.
fn check_namespace(
    secret: &PlainSecret,
    flag: Option<&str>,
    rule: NamespaceRule,
    origin: &str,
) -> Result<(), CliError> {
    let (Some(flag), Some(own)) = (flag, secret.namespace()) else {
        return Ok(());
    };
    if rule == NamespaceRule::FillOrRefuseMismatch && flag != own {
        return Err(CliError::Usage(format!(
            "{origin}: Secret {own}/{} is in namespace {own:?} but --namespace is {flag:?}; \
             remove one of them",
            secret.name().unwrap_or("<unnamed>")
        )));
    }
    Ok(())
}
