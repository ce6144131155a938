//! `sealant merge-into FILE` on an envelope v2 object: the new values get one header of their
//! own, for exactly the recipients the object already has (every stanza's key id). The public
//! keys come from `--recipient` or the file's creation rule; when they are not the object's
//! recipients, nothing is written and the difference is named by key id and file.

use super::recipients::{ResolvedRecipient, describe_id, resolve_all};
use super::rules;
use crate::{
    error::CliError,
    io::{load_sealed_target, only_secret, rewrite_sealed},
    requests::MergeRequest,
};
use sealant_api::{SealTo, envelope_v2, merge_into_to};
use sealant_crypto::v2::{Recipient, RecipientId};

pub fn merge_into(req: MergeRequest) -> Result<(), CliError> {
    let target_name = req.target.display().to_string();
    let (probe, _, _) = load_sealed_target(&req.target, "--merge-into")?;
    let recipients_before = object_recipients(&probe, &target_name)?;
    let (specs, source) = if req.recipients.is_empty() {
        let rule = rules::rule_for_input(Some(&req.target), None)?.ok_or_else(|| {
            CliError::Usage(format!(
                "{target_name} is envelope v2, sealed for {}; name their public keys with \
                 --recipient (or a .sealant.yaml creation rule)",
                recipients_before
                    .iter()
                    .map(|id| describe_id(id, None))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        (rule.recipients, rule.name)
    } else {
        (req.recipients.clone(), "--recipient".to_owned())
    };
    let recipients = resolve_all(&specs, &req.cert)?;
    refuse_other_recipients(&recipients_before, &recipients, &target_name, &source)?;

    let origin = req.input.display();
    let secret = only_secret(&req.input.read_text()?, &origin)?;
    // Read again after the Secret (which may have waited on a person): only this counts.
    let (mut sealed, format, stamp) = load_sealed_target(&req.target, "--merge-into")?;
    if object_recipients(&sealed, &target_name)? != recipients_before {
        return Err(CliError::Usage(format!(
            "{target_name} changed while the Secret was read; run merge-into again"
        )));
    }
    let to: Vec<Recipient<'_>> = recipients
        .iter()
        .map(ResolvedRecipient::as_recipient)
        .collect();
    let changed = merge_into_to(&mut sealed, &secret, SealTo::V2(&to))
        .map_err(|e| CliError::api(&target_name, e))?;
    if changed.is_empty() && !req.allow_empty_data {
        return Err(CliError::Usage(format!(
            "{origin}: Secret has no data to merge; use --allow-empty-data to accept that"
        )));
    }
    rewrite_sealed(&stamp, &sealed, format, &target_name)
}

/// The key ids every header of the object is wrapped for, sorted; every header must parse
/// and all must agree (else there is no one recipient set to keep).
pub(crate) fn object_recipients(
    sealed: &sealant_api::SealedSecret,
    target: &str,
) -> Result<Vec<RecipientId>, CliError> {
    let mut sets = Vec::new();
    for (key, header) in envelope_v2::headers(sealed) {
        let header = header.map_err(|e| {
            CliError::Usage(format!("{target}: v2 header {key:?} is malformed: {e}"))
        })?;
        let mut ids = header.recipients();
        ids.sort_by_key(|id| id.key_id);
        sets.push(ids);
    }
    sets.dedup();
    match sets.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CliError::Usage(format!(
            "{target}: envelope v2 values but no header; the object cannot be opened"
        ))),
        _ => Err(CliError::Usage(format!(
            "{target}: its headers are sealed for different recipients; run `sealant reencrypt \
             --update-recipients` first"
        ))),
    }
}

pub(crate) fn refuse_other_recipients(
    object: &[RecipientId],
    given: &[ResolvedRecipient],
    target: &str,
    source: &str,
) -> Result<(), CliError> {
    let missing: Vec<String> = object
        .iter()
        .filter(|id| !given.iter().any(|r| r.id() == **id))
        .map(|id| describe_id(id, None))
        .collect();
    let extra: Vec<String> = given
        .iter()
        .filter(|r| !object.contains(&r.id()))
        .map(ResolvedRecipient::describe)
        .collect();
    if missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "the object is also sealed for {}",
            missing.join(", ")
        ));
    }
    if !extra.is_empty() {
        parts.push(format!("the object is not sealed for {}", extra.join(", ")));
    }
    Err(CliError::Usage(format!(
        "{target}: the recipients from {source} are not the object's ({}); merge-into keeps an \
         object's recipients, so nothing was written (change them with `sealant reencrypt \
         --update-recipients`)",
        parts.join("; ")
    )))
}
