//! `sealant seal` in envelope v2: every document sealed under one header for all recipients
//! (one data key per object, wrapped once per recipient), written as one stream.

use super::recipients::ResolvedRecipient;
use crate::{
    commands::seal::{
        copy_metadata,
        inputs::{input_documents, refuse_renaming, seal_options},
    },
    error::CliError,
    requests::SealRequest,
};
use sealant_api::{SealTo, seal_secret_to, write_documents};
use sealant_crypto::v2::Recipient;

pub fn seal(
    req: SealRequest,
    recipients: &[ResolvedRecipient],
    chosen_by: &str,
) -> Result<(), CliError> {
    let (origin, documents) = input_documents(&req)?;
    let to: Vec<Recipient<'_>> = recipients
        .iter()
        .map(ResolvedRecipient::as_recipient)
        .collect();
    let mut sealed = Vec::with_capacity(documents.len());
    for document in &documents {
        let secret = document
            .to_plain_secret()
            .map_err(|e| CliError::api(&origin, e))?;
        refuse_renaming(&req, document.name())?;
        let options = seal_options(&req, None);
        let mut sealed_secret = seal_secret_to(&secret, SealTo::V2(&to), &options)
            .map_err(|e| CliError::api(&origin, e))?;
        if req.copy_metadata {
            copy_metadata::copy_metadata(&mut sealed_secret);
        }
        sealed.push(sealed_secret);
    }
    let rendered = write_documents(&sealed, req.format).map_err(|e| CliError::api(&origin, e))?;
    eprintln!(
        "sealed {} object(s) in envelope v2 for {} recipient(s) ({chosen_by})",
        sealed.len(),
        recipients.len()
    );
    req.output.write(rendered.as_bytes())
}
