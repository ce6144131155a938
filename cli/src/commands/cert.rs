//! `sealant cert inspect` and kubeseal's `--fetch-cert` with a local `--cert`.

use crate::{
    cluster::certs::CertArgs,
    error::CliError,
    io::{Input, Output, write_stdout},
};
use sealant_keys::{Certificate, parse_certificates};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

pub fn inspect(file: &Input, json: bool) -> Result<(), CliError> {
    let bytes = file.read_bytes()?;
    let certs = parse_certificates(&bytes).map_err(|e| CliError::keys(file.display(), e))?;
    let now = OffsetDateTime::now_utc();
    let rendered = if json {
        let items: Vec<_> = certs.iter().map(|c| describe_json(c, now)).collect();
        let mut text =
            serde_json::to_string_pretty(&items).map_err(|e| CliError::Internal(e.to_string()))?;
        text.push('\n');
        text
    } else {
        certs
            .iter()
            .map(|c| describe_text(c, now))
            .collect::<Vec<_>>()
            .join("\n")
    };
    write_stdout(rendered.as_bytes())
}

/// `sealant cert fetch` / kubeseal `--fetch-cert`: `--cert` copied out, or the cluster's
/// certificate (cache, ConfigMap, service proxy). Only a usable certificate is printed.
pub fn print(args: &CertArgs, output: &Output) -> Result<(), CliError> {
    let fetched = crate::cluster::certs::fetch(args)?;
    output.write(&fetched.pem)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn status(cert: &Certificate, now: OffsetDateTime) -> &'static str {
    if now > cert.not_after() {
        "expired"
    } else if now < cert.not_before() {
        "not yet valid"
    } else {
        "valid"
    }
}

fn describe_text(cert: &Certificate, now: OffsetDateTime) -> String {
    format!(
        "fingerprint: {}\nsubject CN:  {}\nkey:         RSA {} bits\nnot before:  {}\nnot after:   {}\nstatus:      {}\n",
        cert.fingerprint(),
        cert.common_name().unwrap_or_default(),
        cert.public_key().bits(),
        rfc3339(cert.not_before()),
        rfc3339(cert.not_after()),
        status(cert, now),
    )
}

fn describe_json(cert: &Certificate, now: OffsetDateTime) -> serde_json::Value {
    serde_json::json!({
        "fingerprint": cert.fingerprint().to_hex(),
        "subjectCN": cert.common_name(),
        "keyBits": cert.public_key().bits(),
        "notBefore": rfc3339(cert.not_before()),
        "notAfter": rfc3339(cert.not_after()),
        "status": status(cert, now),
    })
}
