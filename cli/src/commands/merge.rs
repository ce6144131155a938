//! `sealant merge-into FILE` / `kubeseal --merge-into FILE`: add or replace keys in an
//! existing SealedSecret. Untouched ciphertexts stay byte-identical and the file keeps
//! its format, so the git diff shows only the keys that changed.
//!
//! The Secret (stdin, which may wait on a person or a pipe) is read first and the file last,
//! just before the merge, and the file is replaced only if it is still what was read: two
//! concurrent runs both land, or the later one fails and keeps its result beside the file.

use crate::{
    cluster::certs::sealing_certificate,
    error::CliError,
    io::{load_sealed_target, only_secret, rewrite_sealed},
    requests::MergeRequest,
};
use sealant_api::merge_into as merge_secret;

pub fn merge_into(req: MergeRequest) -> Result<(), CliError> {
    // A broken target is reported before anyone types a Secret; its content is read again
    // below, after the Secret, and only that reading counts.
    let (probe, _, _) = load_sealed_target(&req.target, "--merge-into")?;
    if sealant_api::envelope_v2::is_v2_object(&probe) {
        return crate::v2::merge::merge_into(req);
    }
    if !req.recipients.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: --recipient is for envelope v2 objects; this one is v1 (use --cert)",
            req.target.display()
        )));
    }
    let cert = sealing_certificate(&req.cert)?;
    let origin = req.input.display();
    let secret = only_secret(&req.input.read_text()?, &origin)?;

    let target_name = req.target.display().to_string();
    let (mut sealed, format, stamp) = load_sealed_target(&req.target, "--merge-into")?;
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
    rewrite_sealed(&stamp, &sealed, format, &target_name)
}
