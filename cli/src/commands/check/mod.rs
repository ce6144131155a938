//! `sealant check`: offline scanner for plaintext Secrets and broken SealedSecrets, for CI
//! and pre-commit. Reads files (or the git index with `--staged`), never a cluster.
//!
//! Exit contract: 0 clean (warnings allowed), 1 findings (report on stdout), 2 the scan itself
//! failed (unreadable path, bad config or certificate, git error), so CI can tell "dirty"
//! from "broken".

mod certs;
mod config;
mod decode;
mod locate;
mod paths;
mod references;
mod report;
mod scan;
mod source;
mod split;
mod staged;
mod walk;

use crate::{error::CliError, requests::CheckRequest};
use report::{Finding, Severity};
use std::sync::Mutex;

pub fn run(request: CheckRequest) -> Result<(), CliError> {
    let outcome = scan_all(&request).map_err(|e| CliError::ScanFailed(Box::new(e)))?;
    let errors = outcome
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    report::print(&outcome, request.format)?;
    if errors > 0 {
        Err(CliError::Findings { count: errors })
    } else {
        Ok(())
    }
}

/// Everything one run found.
pub(crate) struct Outcome {
    pub files: usize,
    pub findings: Vec<Finding>,
}

fn scan_all(request: &CheckRequest) -> Result<Outcome, CliError> {
    let known = certs::load(&request.certs, request.cert_dir.as_deref())?;
    let strict = |config: config::Config| {
        if request.strict {
            config.without_ignores()
        } else {
            config
        }
    };
    let (candidates, config) = if request.staged {
        let repo = staged::Repo::discover()?;
        let config = strict(repo.config(request.config.as_deref())?);
        (repo.staged_candidates(&request.paths, &config)?, config)
    } else {
        let config = strict(config::Config::load(request.config.as_deref(), None)?);
        (walk::candidates(&request.paths, &config)?, config)
    };

    let files = candidates.len();
    let scans = scan_parallel(&candidates, &known, request.strict)?;
    let mut findings = Vec::new();
    let mut referencing = Vec::new();
    for (candidate, scan) in candidates.iter().zip(scans) {
        findings.extend(scan.findings);
        if !scan.references.is_empty() {
            referencing.push((candidate, scan.references));
        }
    }
    findings.extend(references::check_all(referencing, &config, request.strict)?);
    findings.extend(config.skipped().into_iter().map(ignored_note));
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.rule, &a.object, &a.keys)
            .cmp(&(&b.file, b.line, b.rule, &b.object, &b.keys))
    });
    // Two kustomizations naming one env file, or one path reached twice: report it once.
    findings.dedup_by(|a, b| {
        (&a.file, a.line, a.rule, &a.object, &a.keys)
            == (&b.file, b.line, b.rule, &b.object, &b.keys)
    });
    Ok(Outcome { files, findings })
}

/// The opt-out of a path skipped by an ignore glob, listed like a finding.
fn ignored_note(ignored: config::Ignored) -> Finding {
    let rule = report::Rule::OptOutIgnore;
    Finding {
        file: ignored.display,
        line: 1,
        rule,
        severity: rule.severity(),
        object: None,
        keys: Vec::new(),
        message: format!(
            "not scanned: matches ignore glob {:?} of the check config (--strict scans it)",
            ignored.glob
        ),
    }
}

/// Files are independent, so scan them on every core. Results come back in `candidates`
/// order, whatever the scheduling.
fn scan_parallel(
    candidates: &[source::Candidate],
    known: &certs::KnownCerts,
    strict: bool,
) -> Result<Vec<scan::FileScan>, CliError> {
    let workers = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .min(candidates.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    type Scanned = (usize, Result<scan::FileScan, CliError>);
    let results: Mutex<Vec<Scanned>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut local = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(candidate) = candidates.get(i) else {
                        break;
                    };
                    local.push((
                        i,
                        candidate
                            .load()
                            .map(|bytes| scan::file(candidate, &bytes, known, strict)),
                    ));
                }
                if let Ok(mut all) = results.lock() {
                    all.extend(local);
                }
            });
        }
    });
    let mut results = results
        .into_inner()
        .map_err(|_| CliError::Internal("a scan worker panicked".into()))?;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}
