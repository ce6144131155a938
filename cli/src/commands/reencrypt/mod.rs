//! `sealant reencrypt PATH...`: rewrite SealedSecret files in place so every value is sealed
//! under the newest key, online through the controller's `/v1/rotate` or offline with
//! private key files and the new certificate. Files stay byte-identical apart from the
//! re-encrypted values (and a refreshed sealed-for hint): the rewrite is textual (see
//! `rewrite.rs`), so comments, other documents and formatting are untouched by construction,
//! and its result is parsed again and must hold every new ciphertext where the object reads
//! it and nothing else changed (see `verify.rs`); otherwise the file is refused. A file is
//! replaced only if it is still what was read, through a symlink to the file it names (see
//! `crate::io`).

mod diff;
mod files;
mod kubeseal;
mod offline;
mod online;
mod progress;
mod rewrite;
pub(crate) mod rotator;
mod verify;

pub use kubeseal::kubeseal_reencrypt;

use crate::key_sources::load_ring;
use crate::{
    error::CliError,
    io::{OnConflict, check_replaceable, read_for_rewrite, rewrite, write_stdout},
    key_sources::read_certificate_bytes,
    requests::ReencryptRequest,
};
use progress::{Progress, Summary};
use rotator::{Outcome, Rotator};
use sealant_api::parse_documents;
use std::path::{Path, PathBuf};

pub fn run(request: ReencryptRequest) -> Result<(), CliError> {
    let files = files::collect(&request.paths)?;
    if !request.private_keys.is_empty() && request.cert.is_none() && !request.update_recipients {
        return Err(CliError::Usage(
            "--private-key needs --cert (the new key) or --update-recipients".into(),
        ));
    }
    let mut rotator: Box<dyn Rotator> = match &request.cert {
        _ if request.update_recipients => {
            let cert_args = crate::cluster::certs::CertArgs {
                cluster: request.cluster.clone(),
                ..Default::default()
            };
            if request.private_keys.is_empty() {
                // No private key here: the controller re-wraps (`/v1/recipients`).
                Box::new(
                    online::Online::connect(request.cluster, request.namespace.as_deref())?
                        .update_recipients(cert_args),
                )
            } else {
                let ring = load_ring(&request.private_keys)?;
                Box::new(crate::v2::update_recipients::UpdateRecipients::new(
                    ring, cert_args,
                ))
            }
        }
        Some(cert) => {
            let ring = load_ring(&request.private_keys)?;
            let origin = cert.display().to_string();
            let pem = read_certificate_bytes(&origin)?;
            let cert =
                sealant_keys::load_sealing_certificate(&pem, time::OffsetDateTime::now_utc())
                    .map_err(|e| CliError::keys(format!("certificate {origin}"), e))?;
            Box::new(offline::Offline::new(ring, cert))
        }
        None => Box::new(online::Online::connect(
            request.cluster,
            request.namespace.as_deref(),
        )?),
    };
    let progress = Progress::new(files.len());
    let mut summary = Summary::default();
    let mut failures = Vec::new();
    for file in &files {
        let name = file.display().to_string();
        let result = process(file, rotator.as_mut(), request.dry_run);
        progress.advance(&name);
        let report = match result {
            Ok(report) => report,
            Err(fatal) => {
                progress.finish(&summary, request.dry_run);
                return Err(fatal);
            }
        };
        for failure in &report.failures {
            progress.note(&format!("FAILED: {failure}"));
        }
        if let Some(real) = report.through_link.as_ref().filter(|_| report.values > 0) {
            let verb = if request.dry_run {
                "would rewrite"
            } else {
                "rewrote"
            };
            progress.note(&format!(
                "{name} is a symlink: {verb} the file it names, {}",
                real.display()
            ));
        }
        if report.values > 0 && request.dry_run {
            write_stdout(
                format!(
                    "would rewrite {name}: {} value(s) in {}\n",
                    report.values,
                    report.objects.join(", ")
                )
                .as_bytes(),
            )?;
        }
        summary.values += report.values;
        if !report.failures.is_empty() {
            summary.failed += 1;
            failures.extend(report.failures);
        } else if report.values > 0 {
            summary.rewritten += 1;
        } else {
            summary.unchanged += 1;
        }
    }
    progress.finish(&summary, request.dry_run);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::ReencryptFailed { failures })
    }
}

/// What happened to one file.
#[derive(Default)]
struct FileReport {
    /// Values re-encrypted (written, or with `--dry-run` that would be).
    values: usize,
    /// `ns/name` of the objects that changed.
    objects: Vec<String>,
    /// Per-object or per-file problems, each naming the file.
    failures: Vec<String>,
    /// The file written when FILE is a symlink (the link stays, its target is rewritten).
    through_link: Option<PathBuf>,
}

impl FileReport {
    /// The whole file is refused: nothing in it counts as re-encrypted.
    fn refuse(mut self, failure: String) -> Self {
        self.failures.push(failure);
        self.objects.clear();
        self.values = 0;
        self.through_link = None;
        self
    }
}

/// Rotate every SealedSecret in `file` and rewrite it textually. `Err` only for what stops
/// the whole run (controller unreachable, a failed write).
fn process(file: &Path, rotator: &mut dyn Rotator, dry_run: bool) -> Result<FileReport, CliError> {
    let name = file.display().to_string();
    let mut report = FileReport::default();
    let (text, stamp) = match read_for_rewrite(file) {
        Ok(read) => read,
        Err(e) => return Ok(report.refuse(e.to_string())),
    };
    if let Err(why) = rotator.start_file(file) {
        return Ok(report.refuse(why));
    }
    let documents = match parse_documents(&text) {
        Ok(documents) => documents,
        // In a directory tree, other YAML (Helm templates, values) is not ours to judge.
        Err(e) if text.contains("SealedSecret") => {
            return Ok(report.refuse(format!("{name}: {e}")));
        }
        Err(_) => return Ok(report),
    };
    // Per changed document: its position and its replacements, in `replacements` order.
    let mut replacements = Vec::new();
    let mut spans = Vec::new();
    for (position, document) in documents.iter().enumerate() {
        if !document.is_sealed_secret() {
            continue;
        }
        let sealed = match document.to_sealed_secret() {
            Ok(sealed) => sealed,
            Err(e) => {
                report
                    .failures
                    .push(format!("{name}: {}: {e}", document.describe()));
                continue;
            }
        };
        let namespace = match sealed.namespace_str() {
            "" => rotator.default_namespace().unwrap_or_default().to_owned(),
            ns => ns.to_owned(),
        };
        let label = format!("{namespace}/{}", sealed.name_str());
        match rotator.rotate(document.as_value(), &sealed)? {
            Outcome::Refused(reason) => report.failures.push(format!("{name}: {label}: {reason}")),
            Outcome::Rotated(new) => match diff::replacements(&label, &sealed, &new) {
                Ok(found) if found.is_empty() => {}
                Ok(found) => {
                    report.values += found.iter().filter(|r| r.field.is_value()).count();
                    report.objects.push(label);
                    let start = replacements.len();
                    replacements.extend(found);
                    spans.push((position, start..replacements.len()));
                }
                Err(reason) => report.failures.push(format!("{name}: {label}: {reason}")),
            },
        }
    }
    if replacements.is_empty() {
        return Ok(report);
    }
    let rewritten = match rewrite::apply(&text, &replacements) {
        Ok(rewritten) => zeroize::Zeroizing::new(rewritten),
        Err(why) => {
            return Ok(report.refuse(format!(
                "{name}: cannot be preserved exactly ({why}); not written"
            )));
        }
    };
    let changed: Vec<_> = spans
        .into_iter()
        .map(|(position, range)| verify::Changed {
            position,
            replacements: &replacements[range],
        })
        .collect();
    if let Err(why) = verify::check(&documents, &rewritten, &changed) {
        return Ok(report.refuse(format!("{name}: {why}; not written")));
    }
    let written = if dry_run {
        check_replaceable(&stamp)
    } else {
        rewrite(&stamp, rewritten.as_bytes(), OnConflict::Discard)
    };
    match written {
        Ok(()) => {
            report.through_link = stamp.through_link().map(Path::to_path_buf);
            Ok(report)
        }
        // Refused for what the file is (hard link, read-only, changed meanwhile): this
        // file fails, the others go on.
        Err(refused @ CliError::RewriteRefused { .. }) => Ok(report.refuse(refused.to_string())),
        Err(fatal) => Err(fatal),
    }
}
