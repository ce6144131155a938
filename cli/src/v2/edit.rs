//! `sealant edit` on an envelope v2 object: values shown with the private key of any one
//! recipient; changed and added values sealed under one new header for exactly the object's
//! recipients (their public keys from the file's creation rule, which must name exactly
//! them); removed keys drop their values, and a header no value names any more is dropped.

use super::merge::{object_recipients, refuse_other_recipients};
use super::recipients::{ResolvedRecipient, describe_id, resolve_all};
use super::rules;
use crate::{cluster::certs::CertArgs, error::CliError};
use sealant_api::{PlainSecret, SealTo, SealedSecret, SecretBytes, merge_into_to};
use sealant_crypto::v2::{Recipient, is_header_key, value_header_id};
use sealant_keys::{KeyRing, RingOpener};
use std::{collections::BTreeMap, path::Path};

/// The object's recipients as public keys, checked before the editor opens (so no edit is
/// lost to a rule that no longer matches the object).
pub fn recipients(
    sealed: &SealedSecret,
    file: &Path,
    cert_args: &CertArgs,
) -> Result<Vec<ResolvedRecipient>, CliError> {
    let name = file.display().to_string();
    let object = object_recipients(sealed, &name)?;
    let rule = rules::rule_for_input(Some(file), None)?.ok_or_else(|| {
        CliError::Usage(format!(
            "{name} is envelope v2, sealed for {}; edit reseals for them, and finds their \
             public keys through a .sealant.yaml creation rule, of which there is none",
            object
                .iter()
                .map(|id| describe_id(id, None))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let resolved = resolve_all(&rule.recipients, cert_args)?;
    refuse_other_recipients(&object, &resolved, &name, &rule.name)?;
    Ok(resolved)
}

/// Every value, opened with the ring (one key operation per header).
pub fn decrypt(
    sealed: &SealedSecret,
    ring: &KeyRing,
    file: &Path,
) -> Result<BTreeMap<String, SecretBytes>, CliError> {
    let mut opener = RingOpener::new(ring, sealed.sealed_for_fingerprint());
    sealant_api::decrypt_values(sealed, &mut opener)
        .map_err(|e| CliError::api(file.display().to_string(), e))
}

/// Reseal `reseal` under a new header for `recipients`, drop `removed`, then drop headers
/// that no value names.
pub fn apply(
    sealed: &mut SealedSecret,
    reseal: BTreeMap<String, SecretBytes>,
    removed: &[String],
    recipients: &[ResolvedRecipient],
    file: &Path,
) -> Result<(), CliError> {
    let to: Vec<Recipient<'_>> = recipients
        .iter()
        .map(ResolvedRecipient::as_recipient)
        .collect();
    let changes = PlainSecret {
        data: reseal,
        ..PlainSecret::default()
    };
    merge_into_to(sealed, &changes, SealTo::V2(&to))
        .map_err(|e| CliError::api(file.display().to_string(), e))?;
    for key in removed {
        sealed.spec.encrypted_data.remove(key);
    }
    let named: Vec<String> = sealed
        .spec
        .encrypted_data
        .iter()
        .filter(|(k, _)| !is_header_key(k))
        .filter_map(|(_, v)| value_header_id(v).ok())
        .map(|id| id.key_name())
        .collect();
    sealed
        .spec
        .encrypted_data
        .retain(|k, _| !is_header_key(k) || named.contains(k));
    Ok(())
}
