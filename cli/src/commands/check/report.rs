//! Findings and their two renderings. Every finding names a file and a line; messages name
//! objects and data keys only, never values (the scanners never copy a value into one).

use super::{Outcome, ReportFormat};
use crate::error::CliError;
use serde::Serialize;

/// Stable rule ids, for humans grepping CI logs and for `--format json` consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "&'static str")]
pub enum Rule {
    PlaintextSecret,
    SealedInvalid,
    SealedMissingTarget,
    SealedEmptyValue,
    SealedBase64,
    SealedEnvelope,
    SealedKeySize,
    SealedScopeMismatch,
    SealedTemplate,
    SealedForInvalid,
    SealedForMismatch,
    SealedForUnknownKey,
    Unparsable,
}

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::PlaintextSecret => "plaintext-secret",
            Rule::SealedInvalid => "sealed-invalid",
            Rule::SealedMissingTarget => "sealed-missing-target",
            Rule::SealedEmptyValue => "sealed-empty-value",
            Rule::SealedBase64 => "sealed-base64",
            Rule::SealedEnvelope => "sealed-envelope",
            Rule::SealedKeySize => "sealed-key-size",
            Rule::SealedScopeMismatch => "sealed-scope-mismatch",
            Rule::SealedTemplate => "sealed-template",
            Rule::SealedForInvalid => "sealed-for-invalid",
            Rule::SealedForMismatch => "sealed-for-mismatch",
            Rule::SealedForUnknownKey => "sealed-for-unknown-key",
            Rule::Unparsable => "unparsable",
        }
    }

    /// Unparsable files (Helm templates, non-manifest YAML) are reported but never fail a run:
    /// a scanner that breaks CI on every chart would be switched off.
    pub fn severity(self) -> Severity {
        match self {
            Rule::Unparsable => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl From<Rule> for &'static str {
    fn from(rule: Rule) -> Self {
        rule.id()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub file: String,
    pub line: u64,
    pub rule: Rule,
    pub severity: Severity,
    /// `namespace/name` (or `name`, `<unnamed>`); `None` for file-level findings.
    pub object: Option<String>,
    /// Data key names involved; never values.
    pub keys: Vec<String>,
    pub message: String,
}

pub fn print(outcome: &Outcome, format: ReportFormat) -> Result<(), CliError> {
    match format {
        ReportFormat::Json => {
            let mut text = serde_json::to_string_pretty(&outcome.findings)
                .map_err(|e| CliError::Internal(format!("cannot serialize the report: {e}")))?;
            text.push('\n');
            crate::io::write_stdout(text.as_bytes())
        }
        ReportFormat::Human => {
            let text: String = outcome.findings.iter().map(human_line).collect();
            crate::io::write_stdout(text.as_bytes())?;
            eprintln!("{}", summary(outcome));
            Ok(())
        }
    }
}

/// `path:line: [rule-id] ns/name: message`
fn human_line(f: &Finding) -> String {
    let warning = if f.severity == Severity::Warning {
        "warning: "
    } else {
        ""
    };
    let object = f
        .object
        .as_deref()
        .map(|o| format!(" {o}:"))
        .unwrap_or_default();
    format!(
        "{}:{}: [{}]{object} {warning}{}\n",
        f.file,
        f.line,
        f.rule.id(),
        f.message
    )
}

fn summary(outcome: &Outcome) -> String {
    let errors = outcome
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = outcome.findings.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "sealant check: {} scanned, {}, {}",
        plural(outcome.files, "file"),
        plural(errors, "finding"),
        plural(warnings, "warning")
    )
}
