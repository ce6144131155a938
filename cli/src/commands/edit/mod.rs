//! `sealant edit FILE`: decrypt → edit in `$VISUAL`/`$EDITOR` → reseal only what changed.
//!
//! Plaintext comes from `--private-key` files, or with `--from-cluster` from the live Secret
//! (see `live.rs`); without either, existing values show as placeholders that mean "keep". Changed and added keys are sealed with the file's own
//! (top-level) scope; unchanged ciphertexts stay byte-identical, so the git diff shows exactly
//! the keys that changed. The plaintext buffer lives in a private scratch directory that is
//! zeroed and removed on every way out (see `scratch.rs` and `signals.rs`).

mod buffer;
mod editor;
mod live;
mod scratch;
mod signals;

use crate::key_sources::load_ring;
use crate::{
    cluster::certs::sealing_certificate,
    error::CliError,
    io::{Input, Stamp, load_sealed_target, rewrite_sealed},
    requests::EditRequest,
};
use buffer::{Originals, Plan};
use sealant_api::{OutputFormat, PlainSecret, SealedSecret, SecretBytes};
use sealant_crypto::{Fingerprint, PublicKey, decode_base64};
use sealant_keys::{Certificate, KeyRing, RingOpener};
use std::{collections::BTreeMap, path::Path};

pub fn run(request: EditRequest) -> Result<(), CliError> {
    let file = request.file.as_path();
    let (mut sealed, format, stamp) = load_target(file)?;
    let ring = match request.private_keys.as_slice() {
        [] => None,
        paths => Some(load_ring(paths)?),
    };
    if request.from_cluster && ring.is_some() {
        return Err(CliError::Usage(
            "--from-cluster and --private-key are two sources of the same values; pass one".into(),
        ));
    }
    if sealant_api::envelope_v2::is_v2_object(&sealed) {
        return run_v2(request, sealed, format, stamp, ring);
    }
    // Checked before the editor opens, so no edit is lost to a missing certificate.
    let cert = if !request.cert.cert.is_empty() || request.from_cluster {
        Some(sealing_certificate(&request.cert)?)
    } else if ring.is_none() {
        return Err(CliError::Usage(format!(
            "{}: edit needs --private-key or --from-cluster (to show and reseal values) or \
             --cert (to seal new values while existing ones stay hidden)",
            file.display()
        )));
    } else {
        None
    };
    let (originals, opened_by) = match &ring {
        Some(ring) => decrypt_all(&sealed, ring, file)?,
        None if request.from_cluster => (
            live::live_values(&sealed, &request.cert.cluster, file)?,
            None,
        ),
        None => (
            Originals::Sealed(sealed.spec.encrypted_data.keys().cloned().collect()),
            None,
        ),
    };
    let sealing_key = sealing_key(cert.as_ref(), ring.as_ref(), opened_by)?;

    let view = sealed.clone();
    let summary = edit(file, &view, &originals, |plan| {
        let summary = describe(&plan);
        apply(&mut sealed, plan, sealing_key, file)?;
        // Only over the file as it was read: a change made while the editor was open is
        // kept, and this (sealed) result is saved beside it instead.
        rewrite_sealed(&stamp, &sealed, format, &file.display().to_string())?;
        Ok(summary)
    })?;
    report(file, summary);
    Ok(())
}

/// The editing session proper: scratch file, editor, read back, then `commit` the plan
/// (`None` when nothing changed). The scratch directory is wiped before this returns,
/// whichever way it returns, and signals are handled throughout.
fn edit<T>(
    file: &Path,
    sealed: &SealedSecret,
    originals: &Originals,
    commit: impl FnOnce(Plan) -> Result<T, CliError>,
) -> Result<Option<T>, CliError> {
    let aborted = |reason: String| CliError::EditAborted {
        file: file.to_path_buf(),
        reason,
    };
    let text = buffer::render(sealed, originals).map_err(&aborted)?;
    // Handlers first, so no signal can leave the file behind once it exists.
    let _signals = signals::SignalGuard::install(file)?;
    let scratch = scratch::Scratch::create(text.as_bytes())?;
    drop(text);
    match editor::run(scratch.file())? {
        Ok(()) => {}
        Err(editor::EditorFailure::Status(code)) => {
            return Err(aborted(format!("the editor exited with status {code}")));
        }
        Err(editor::EditorFailure::Signal) => {
            return Err(CliError::Interrupted {
                file: file.to_path_buf(),
            });
        }
    }
    let edited = Input::File(scratch.file().to_path_buf())
        .read_text()
        .map_err(|e| match e {
            CliError::EmptyInput { .. } => aborted("the edited text is empty".into()),
            other => other,
        })?;
    let values = buffer::parse_values(&edited, sealed).map_err(&aborted)?;
    drop(edited);
    let plan = buffer::plan(originals, values).map_err(&aborted)?;
    if plan.is_empty() {
        return Ok(None);
    }
    if plan.reseal.is_empty() && plan.removed.len() == sealed.spec.encrypted_data.len() {
        return Err(aborted(
            "the edit removes every key (delete the file if that is what you want)".into(),
        ));
    }
    scratch.commit(|| commit(plan), file).map(Some)
}

/// The one SealedSecret in `file`, the file's format, and the stamp of what was read.
fn load_target(file: &Path) -> Result<(SealedSecret, OutputFormat, Stamp), CliError> {
    let name = file.display().to_string();
    let (sealed, format, stamp) = load_sealed_target(file, "edit")?;
    if sealed.spec.data.as_deref().is_some_and(|d| !d.is_empty()) {
        return Err(CliError::Usage(format!(
            "{name}: {} uses the legacy spec.data blob, which edit does not rewrite; \
             seal the Secret again to get per-key encryptedData",
            sealed.describe()
        )));
    }
    Ok((sealed, format, stamp))
}

/// Every value, opened with the top-level label; also which key opened them.
fn decrypt_all(
    sealed: &SealedSecret,
    ring: &KeyRing,
    file: &Path,
) -> Result<(Originals, Option<Fingerprint>), CliError> {
    let object = format!("{}: {}", file.display(), sealed.describe());
    let label = sealed.label().map_err(|e| CliError::api(&object, e))?;
    let scope = sealed.scope();
    let mut values = BTreeMap::new();
    let mut opener = RingOpener::new(ring, sealed.sealed_for_fingerprint());
    for (key, value) in &sealed.spec.encrypted_data {
        let context = format!("{object} key {key:?} ({scope} scope)");
        let raw = decode_base64(value).map_err(|e| CliError::crypto(&context, e))?;
        let opened = opener
            .open(&label, &raw)
            .map_err(|e| CliError::keys(&context, e))?;
        values.insert(key.clone(), SecretBytes::from(opened));
    }
    Ok((Originals::Plain(values), opener.last_opened()))
}

/// `--cert` if given; else the public half of the private key that opened the file (or the
/// newest one, for a file with no values yet).
fn sealing_key<'a>(
    cert: Option<&'a Certificate>,
    ring: Option<&'a KeyRing>,
    opened_by: Option<Fingerprint>,
) -> Result<&'a PublicKey, CliError> {
    if let Some(cert) = cert {
        return Ok(cert.public_key());
    }
    ring.and_then(|r| opened_by.and_then(|fp| r.find(&fp)).or_else(|| r.newest()))
        .map(|entry| entry.key().public_key())
        .ok_or_else(|| CliError::Usage("no key to seal with: pass --cert".into()))
}

/// Seal the changed keys with the file's own scope and drop the removed ones. Keys not in
/// the plan keep their ciphertext strings untouched.
fn apply(
    sealed: &mut SealedSecret,
    plan: Plan,
    key: &PublicKey,
    file: &Path,
) -> Result<(), CliError> {
    let changes = PlainSecret {
        data: plan.reseal,
        ..PlainSecret::default()
    };
    sealant_api::merge_into(sealed, &changes, key)
        .map_err(|e| CliError::api(file.display().to_string(), e))?;
    for removed in &plan.removed {
        sealed.spec.encrypted_data.remove(removed);
    }
    Ok(())
}

/// An envelope v2 object (`crate::v2::edit`): needs a recipient's private key; reseals for
/// the object's own recipients.
fn run_v2(
    request: EditRequest,
    mut sealed: SealedSecret,
    format: OutputFormat,
    stamp: Stamp,
    ring: Option<KeyRing>,
) -> Result<(), CliError> {
    let file = request.file.as_path();
    let Some(ring) = ring else {
        return Err(CliError::Usage(format!(
            "{}: an envelope v2 object is edited with the private key of one of its              recipients (--private-key, RSA or X-Wing)",
            file.display()
        )));
    };
    let recipients = crate::v2::edit::recipients(&sealed, file, &request.cert)?;
    let originals = Originals::Plain(crate::v2::edit::decrypt(&sealed, &ring, file)?);
    let view = sealed.clone();
    let summary = edit(file, &view, &originals, |plan| {
        let summary = describe(&plan);
        crate::v2::edit::apply(&mut sealed, plan.reseal, &plan.removed, &recipients, file)?;
        rewrite_sealed(&stamp, &sealed, format, &file.display().to_string())?;
        Ok(summary)
    })?;
    report(file, summary);
    Ok(())
}

/// `resealed a, b; removed c; 2 unchanged`: key names only.
/// Tell the user what the edit did to `file` (v1 and v2 alike).
fn report(file: &Path, summary: Option<String>) {
    match summary {
        Some(summary) => eprintln!("{}: {summary}", file.display()),
        None => eprintln!("no changes; {} left as it was", file.display()),
    }
}

fn describe(plan: &Plan) -> String {
    let list = |keys: Vec<&String>| {
        keys.iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !plan.reseal.is_empty() {
        parts.push(format!("resealed {}", list(plan.reseal.keys().collect())));
    }
    if !plan.removed.is_empty() {
        parts.push(format!("removed {}", list(plan.removed.iter().collect())));
    }
    parts.push(format!("{} unchanged", plan.unchanged));
    parts.join("; ")
}
