//! Findings and their two renderings. Every finding names a file and a line; messages name
//! objects and data keys only, never values (the scanners never copy a value into one).
//!
//! Opt-outs are entries too, of severity `notice`: `--format json` stays the array it always
//! was (consumers that count `severity == "error"` see no change), and every opt-out is
//! listed where the findings are.
//!
//! Names, keys and file names come from the scanned files: the human rendering escapes
//! every character a terminal acts on, so a name cannot erase or reorder its own finding.

use super::Outcome;
use crate::{error::CliError, requests::ReportFormat};
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
    SealedTemplatePlaintext,
    Unparsable,
    OptOutAnnotation,
    OptOutIgnore,
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
            Rule::SealedTemplatePlaintext => "sealed-template-plaintext",
            Rule::Unparsable => "unparsable",
            Rule::OptOutAnnotation => "opt-out-annotation",
            Rule::OptOutIgnore => "opt-out-ignore",
        }
    }

    /// Unparsable files (Helm templates, non-manifest YAML) are reported but never fail a run:
    /// a scanner that breaks CI on every chart would be switched off. Opt-outs are listed,
    /// never failures (`--strict` turns them into the findings they hide).
    pub fn severity(self) -> Severity {
        match self {
            Rule::Unparsable => Severity::Warning,
            Rule::OptOutAnnotation | Rule::OptOutIgnore => Severity::Notice,
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
    Notice,
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
            let text = serde_json::to_string_pretty(&outcome.findings)
                .map_err(|e| CliError::Internal(format!("cannot serialize the report: {e}")))?;
            let mut text = escape_json_text(&text);
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

/// `path:line: [rule-id] ns/name: message`, escaped for a terminal.
fn human_line(f: &Finding) -> String {
    let label = match f.severity {
        Severity::Error => "",
        Severity::Warning => "warning: ",
        Severity::Notice => "note: ",
    };
    let object = f
        .object
        .as_deref()
        .map(|o| format!(" {o}:"))
        .unwrap_or_default();
    let line = format!(
        "{}:{}: [{}]{object} {label}{}",
        f.file,
        f.line,
        f.rule.id(),
        f.message
    );
    let mut line = escape_for_terminal(&line);
    line.push('\n');
    line
}

/// Characters a terminal acts on instead of showing: C0 controls (newline and tab
/// included: one finding is one line), DEL, C1 controls (8-bit CSI and OSC), and the
/// bidirectional controls that reorder what is shown.
fn acts_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `\r`, `\n`, `\t`, `\xNN` for other ASCII controls, `\u{NNNN}` for the rest.
fn escape_for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if acts_on_terminal(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// serde_json escapes C0 controls itself but writes DEL, C1 and bidirectional controls raw.
/// In JSON text they can only stand inside strings, where `\uNNNN` means the same
/// character: the report keeps its meaning and cannot act on a terminal.
fn escape_json_text(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c != '\n' && acts_on_terminal(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

fn summary(outcome: &Outcome) -> String {
    let count = |severity: Severity| {
        outcome
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let opt_outs = count(Severity::Notice);
    let mut text = format!(
        "sealant check: {} scanned, {}, {}, {}",
        plural(outcome.files, "file"),
        plural(count(Severity::Error), "finding"),
        plural(count(Severity::Warning), "warning"),
        plural(opt_outs, "opt-out")
    );
    if opt_outs > 0 {
        text.push_str(" (listed above; --strict disables them)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_escaped() {
        assert_eq!(
            escape_for_terminal("a\u{1b}[2K\rb\tc\u{7f}\u{9b}\u{202e}d\u{e9}"),
            "a\\x1b[2K\\rb\\tc\\x7f\\u{9b}\\u{202e}d\u{e9}"
        );
        assert_eq!(
            escape_json_text("[\n  \"a\u{7f}\u{2066}\u{e9}\"\n]"),
            "[\n  \"a\\u007f\\u2066\u{e9}\"\n]"
        );
    }
}
