//! `sealant seal --raw` / `kubeseal --raw`: seal one value for a scope, print base64 with
//! no trailing newline (so it can be pasted or templated directly).

use crate::{
    cluster::certs::sealing_certificate, error::CliError, io::Input, requests::RawSealRequest,
};
use sealant_crypto::{Scope, encode_base64, seal};

pub fn seal_raw(req: RawSealRequest) -> Result<(), CliError> {
    let (namespace, name) = raw_target(req.scope, req.namespace, req.name)?;
    let cert = sealing_certificate(&req.cert)?;
    let input = Input::from_arg(req.from_file);
    let value = input.read_bytes()?;
    let label = req
        .scope
        .label(&namespace, &name)
        .map_err(|e| CliError::crypto(describe(req.scope, &namespace, &name), e))?;
    let sealed = seal(cert.public_key(), &label, &value)
        .map_err(|e| CliError::crypto(describe(req.scope, &namespace, &name), e))?;
    req.output.write(encode_base64(&sealed).as_bytes())
}

/// Check that the scope's required names are present, with kubeseal's wording.
pub fn raw_target(
    scope: Scope,
    namespace: Option<String>,
    name: Option<String>,
) -> Result<(String, String), CliError> {
    let namespace = namespace.unwrap_or_default();
    let name = name.unwrap_or_default();
    if scope != Scope::ClusterWide && namespace.is_empty() {
        return Err(CliError::Usage(format!(
            "must provide the --namespace flag with --raw and --scope {scope}"
        )));
    }
    if scope == Scope::Strict && name.is_empty() {
        return Err(CliError::Usage(format!(
            "must provide the --name flag with --raw and --scope {scope}"
        )));
    }
    Ok((namespace, name))
}

pub fn describe(scope: Scope, namespace: &str, name: &str) -> String {
    match scope {
        Scope::Strict => format!("value for {namespace}/{name} (scope strict)"),
        Scope::NamespaceWide => format!("value for namespace {namespace} (scope namespace-wide)"),
        Scope::ClusterWide => "value (scope cluster-wide)".to_owned(),
    }
}
