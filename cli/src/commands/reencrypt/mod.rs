//! `sealant reencrypt PATH...`: rewrite SealedSecret files in place so every value is sealed
//! under the newest key, online through the controller's `/v1/rotate` or offline with
//! private key files and the new certificate. Files stay byte-identical apart from the
//! re-encrypted values (and a refreshed sealed-for hint): the rewrite is textual (see
//! `rewrite.rs`), so comments, other documents and formatting are untouched by construction.

mod diff;
mod files;
mod kubeseal;
mod offline;
mod online;
mod progress;
mod rewrite;
mod rotator;

pub use kubeseal::kubeseal_reencrypt;

use super::unseal::load_ring;
use crate::{
    cert_source::read_certificate_bytes,
    cluster::ClusterArgs,
    error::CliError,
    io::{Input, write_atomically, write_stdout},
};
use progress::{Progress, Summary};
use rotator::{Outcome, Rotator};
use sealant_api::parse_documents;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct ReencryptArgs {
    /// SealedSecret files, or directories searched recursively for *.yaml, *.yml, *.json.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// List what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Offline: private key file(s) that open the current values (PEM or a key Secret
    /// backup); needs --cert. No cluster is contacted.
    #[arg(
        long = "private-key",
        value_name = "FILE",
        value_delimiter = ',',
        requires = "cert"
    )]
    pub private_keys: Vec<PathBuf>,
    /// Offline: the new key's certificate (PEM); needs --private-key.
    #[arg(long, value_name = "FILE", requires = "private_keys")]
    pub cert: Option<PathBuf>,
    /// Online: namespace for SealedSecrets that have none (default: the context's).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

pub fn run(args: ReencryptArgs) -> Result<(), CliError> {
    let files = files::collect(&args.paths)?;
    let mut rotator: Box<dyn Rotator> = match &args.cert {
        Some(cert) => {
            let ring = load_ring(&args.private_keys)?;
            let origin = cert.display().to_string();
            let pem = read_certificate_bytes(&origin)?;
            let cert =
                sealant_keys::load_sealing_certificate(&pem, time::OffsetDateTime::now_utc())
                    .map_err(|e| CliError::keys(format!("certificate {origin}"), e))?;
            Box::new(offline::Offline::new(ring, cert))
        }
        None => Box::new(online::Online::connect(
            args.cluster,
            args.namespace.as_deref(),
        )?),
    };
    let progress = Progress::new(files.len());
    let mut summary = Summary::default();
    let mut failures = Vec::new();
    for file in &files {
        let name = file.display().to_string();
        let result = process(file, rotator.as_mut(), args.dry_run);
        progress.advance(&name);
        let report = match result {
            Ok(report) => report,
            Err(fatal) => {
                progress.finish(&summary, args.dry_run);
                return Err(fatal);
            }
        };
        for failure in &report.failures {
            progress.note(&format!("FAILED: {failure}"));
        }
        if report.values > 0 && args.dry_run {
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
    progress.finish(&summary, args.dry_run);
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
}

/// Rotate every SealedSecret in `file` and rewrite it textually. `Err` only for what stops
/// the whole run (controller unreachable, a failed write).
fn process(file: &Path, rotator: &mut dyn Rotator, dry_run: bool) -> Result<FileReport, CliError> {
    let name = file.display().to_string();
    let mut report = FileReport::default();
    let text = match Input::File(file.to_path_buf()).read_text() {
        Ok(text) => text,
        Err(e) => {
            report.failures.push(e.to_string());
            return Ok(report);
        }
    };
    let documents = match parse_documents(&text) {
        Ok(documents) => documents,
        // In a directory tree, other YAML (Helm templates, values) is not ours to judge.
        Err(e) if text.contains("SealedSecret") => {
            report.failures.push(format!("{name}: {e}"));
            return Ok(report);
        }
        Err(_) => return Ok(report),
    };
    let mut replacements = Vec::new();
    let mut values = 0;
    for document in documents.iter().filter(|d| d.is_sealed_secret()) {
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
                    values += found.iter().filter(|r| r.value).count();
                    report.objects.push(label);
                    replacements.extend(found);
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
            report.failures.push(format!(
                "{name}: cannot be preserved exactly ({why}); not written"
            ));
            report.objects.clear();
            return Ok(report);
        }
    };
    report.values = values;
    if !dry_run {
        write_atomically(file, rewritten.as_bytes())?;
    }
    Ok(report)
}
