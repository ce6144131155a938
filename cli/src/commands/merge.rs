//! `sealant merge-into FILE` / `kubeseal --merge-into FILE`: add or replace keys in an
//! existing SealedSecret. Untouched ciphertexts stay byte-identical and the file keeps
//! its format, so the git diff shows only the keys that changed.

use crate::{
    cluster::certs::sealing_certificate,
    error::CliError,
    io::{Input, detect_format, write_atomically},
    requests::MergeRequest,
};
use sealant_api::{merge_into as merge_secret, parse_documents, write_documents};

pub fn merge_into(req: MergeRequest) -> Result<(), CliError> {
    let target_name = req.target.display().to_string();
    let target_text = Input::File(req.target.clone()).read_text()?;
    let format = detect_format(&target_text);
    let documents = parse_documents(&target_text).map_err(|e| CliError::api(&target_name, e))?;
    let [document] = documents.as_slice() else {
        return Err(CliError::Usage(format!(
            "{target_name}: --merge-into needs a file with exactly one SealedSecret, found {} documents",
            documents.len()
        )));
    };
    let mut sealed = document
        .to_sealed_secret()
        .map_err(|e| CliError::api(&target_name, e))?;

    let cert = sealing_certificate(&req.cert)?;
    let origin = req.input.display();
    let secret_text = req.input.read_text()?;
    let secrets = parse_documents(&secret_text).map_err(|e| CliError::api(&origin, e))?;
    let [secret_doc] = secrets.as_slice() else {
        return Err(CliError::Usage(format!(
            "{origin}: --merge-into takes exactly one Secret, found {} documents",
            secrets.len()
        )));
    };
    let secret = secret_doc
        .to_plain_secret()
        .map_err(|e| CliError::api(&origin, e))?;
    let changed = merge_secret(&mut sealed, &secret, cert.public_key())
        .map_err(|e| CliError::api(&target_name, e))?;
    if req.record_sealed_for && !changed.is_empty() {
        sealant_api::record_sealed_for(&mut sealed, cert.public_key());
    }
    if changed.is_empty() && !req.allow_empty_data {
        return Err(CliError::Usage(format!(
            "{origin}: Secret has no data to merge; use --allow-empty-data to accept that"
        )));
    }
    let rendered = write_documents(std::slice::from_ref(&sealed), format)
        .map_err(|e| CliError::api(&target_name, e))?;
    write_atomically(&req.target, rendered.as_bytes())
}
