//! `sealant reencrypt --update-recipients`: each file's v2 headers re-wrapped for the
//! recipients its creation rule names now (an escrow key added, a cluster retired). The data
//! key is unwrapped once per header with a held private key and wrapped again; values are
//! bound to the data key, not to who can unwrap it, so they stay byte for byte.
//!
//! This is the offline form (`--private-key`); without one, `reencrypt` asks the controller's
//! `/v1/recipients` ([`crate::commands::reencrypt`]'s online rotator), with the same rules
//! resolved here ([`rule_recipients`]).

use super::recipients::{ResolvedRecipient, resolve_all};
use super::rules;
use crate::{
    cluster::certs::CertArgs,
    commands::reencrypt::rotator::{Outcome, Rotator},
    error::CliError,
};
use sealant_api::{Rewrap, SealedSecret, envelope_v2::is_v2_object};
use sealant_crypto::v2::Recipient;
use sealant_keys::{KeyRing, RingOpener};
use std::path::Path;

pub struct UpdateRecipients {
    ring: KeyRing,
    cert_args: CertArgs,
    /// The current file's rule, resolved.
    current: Option<(String, Vec<ResolvedRecipient>)>,
}

impl UpdateRecipients {
    pub fn new(ring: KeyRing, cert_args: CertArgs) -> Self {
        Self {
            ring,
            cert_args,
            current: None,
        }
    }
}

/// The creation rule over `file`: its name and its recipients, resolved. `Err` refuses the
/// file (no rules file above it, or a recipient that does not resolve).
pub fn rule_recipients(
    file: &Path,
    cert_args: &CertArgs,
) -> Result<(String, Vec<ResolvedRecipient>), String> {
    let rule = rules::rule_for_input(Some(file), None)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!(
                "{}: no {} with creation rules above it; --update-recipients seals for the \
                 rule's recipients",
                file.display(),
                rules::FILE_NAME
            )
        })?;
    let recipients = resolve_all(&rule.recipients, cert_args).map_err(|e| e.to_string())?;
    Ok((rule.name, recipients))
}

/// Why a v1 object is not re-wrapped: it has no recipients to change.
pub fn not_v2(rule: &str) -> Outcome {
    Outcome::Refused(format!(
        "not an envelope v2 object; reseal it (`sealant edit`, or `sealant seal` from its \
         Secret) to move it to {rule}'s recipients"
    ))
}

impl Rotator for UpdateRecipients {
    fn start_file(&mut self, file: &Path) -> Result<(), String> {
        self.current = None;
        self.current = Some(rule_recipients(file, &self.cert_args)?);
        Ok(())
    }

    fn rotate(
        &mut self,
        _document: &serde_json::Value,
        sealed: &SealedSecret,
    ) -> Result<Outcome, CliError> {
        let Some((rule, recipients)) = &self.current else {
            return Err(CliError::Internal("no creation rule for the file".into()));
        };
        if !is_v2_object(sealed) {
            return Ok(not_v2(rule));
        }
        let Some(rsa) = recipients
            .iter()
            .find_map(ResolvedRecipient::rsa_public_key)
        else {
            // v1 values beside v2 ones would need an RSA key to reseal under.
            if sealed.spec.encrypted_data.iter().any(|(k, v)| {
                !sealant_crypto::v2::is_header_key(k) && !sealant_crypto::v2::is_v2_string(v)
            }) {
                return Ok(Outcome::Refused(format!(
                    "mixes v1 and v2 values and {rule} names no certificate to reseal the v1 \
                     values for"
                )));
            }
            return rewrap(&self.ring, sealed, recipients, None);
        };
        rewrap(&self.ring, sealed, recipients, Some(rsa))
    }

    fn default_namespace(&self) -> Option<&str> {
        None
    }
}

fn rewrap(
    ring: &KeyRing,
    sealed: &SealedSecret,
    recipients: &[ResolvedRecipient],
    rsa: Option<&sealant_crypto::PublicKey>,
) -> Result<Outcome, CliError> {
    let to: Vec<Recipient<'_>> = recipients
        .iter()
        .map(ResolvedRecipient::as_recipient)
        .collect();
    let already: Vec<_> = to.iter().map(|r| r.id().key_id).collect();
    if same_recipients(sealed, &already) {
        return Ok(Outcome::Rotated(Box::new(sealed.clone())));
    }
    let mut opener = RingOpener::new(ring, sealed.sealed_for_fingerprint());
    let Some(rsa) = rsa.or_else(|| ring.newest().map(|e| e.key().public_key())) else {
        return Ok(Outcome::Refused(
            "no RSA key to stand in for v1 values (none here)".into(),
        ));
    };
    match sealant_api::reencrypt_with(sealed, &mut opener, rsa, &Rewrap::Recipients(&to)) {
        Ok(new) => Ok(Outcome::Rotated(Box::new(new))),
        Err(e) => Ok(Outcome::Refused(e.to_string())),
    }
}

/// Every header already wrapped for exactly `wanted`: nothing to do, no key operation.
pub fn same_recipients(sealed: &SealedSecret, wanted: &[sealant_crypto::Fingerprint]) -> bool {
    let headers = sealant_api::envelope_v2::headers(sealed);
    !headers.is_empty()
        && headers.values().all(|h| match h {
            Ok(header) => {
                let mut have: Vec<_> = header.stanzas.iter().map(|s| s.key_id).collect();
                let mut want = wanted.to_vec();
                have.sort();
                want.sort();
                have == want
            }
            Err(_) => false,
        })
}
