//! `.sealant.yaml` creation rules (as sops has them): which recipients a file is sealed for.
//!
//! ```yaml
//! creation_rules:
//!   - path: "clusters/prod/**"          # glob, relative to this file's directory
//!     recipients: [certs/prod-a.pem, certs/prod-b.pem, escrow/public.pem]
//!     format: v2
//!   - recipients: [cluster]             # no path: every other file
//! ```
//!
//! - The file is found by walking up from the input file's directory (the working directory
//!   for stdin) to the filesystem root; the nearest one counts, as with sops.
//! - Paths are **globs** (the same dialect as `ignore:` of `sealant check`): `*` stays within
//!   one directory, `**` crosses them, a trailing `/` means everything below. Globs, not
//!   regexes: a rule reads like the paths it names, and no pattern can cost more than linear
//!   time. The input file's path relative to the rules file's directory is matched; stdin
//!   matches the `-w` output file, else only rules without `path`.
//! - The first matching rule wins. Recipient paths are relative to the rules file.
//! - `format` is `v1` (default: one certificate, kubeseal's format) or `v2`.
//!
//! The file is repository content, so it is treated as hostile: its size, its number of rules
//! and of recipients are bounded, unknown fields are refused, and every error names the file
//! and the rule (`creation_rules[2]`).

use super::recipients::spec_relative_to;
use crate::error::CliError;
use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;
use std::{
    io::Read,
    path::{Path, PathBuf},
};

pub const FILE_NAME: &str = ".sealant.yaml";
/// Rules files are small; a larger one is refused before parsing.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;
pub const MAX_RULES: usize = 256;
pub const MAX_GLOB_LEN: usize = 1024;

/// Which envelope a seal writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EnvelopeFormat {
    /// Bitnami's format: one RSA certificate, byte-compatible with kubeseal.
    #[default]
    V1,
    /// Envelope v2: any number of recipients (RSA certificates, X-Wing keys).
    V2,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesDocument {
    /// Each rule is read on its own, so an error names its index.
    #[serde(default)]
    creation_rules: Vec<serde_json::Value>,
    /// `sealant check`'s opt-outs share the file; they are read there.
    #[serde(default)]
    #[allow(dead_code)]
    ignore: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    path: Option<String>,
    recipients: Vec<String>,
    #[serde(default)]
    format: EnvelopeFormat,
}

/// A parsed rules file.
#[derive(Debug)]
pub struct RulesFile {
    /// As shown in messages.
    pub path: PathBuf,
    /// The directory globs and recipient paths are relative to.
    pub dir: PathBuf,
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct Rule {
    glob: Option<GlobMatcher>,
    recipients: Vec<String>,
    format: EnvelopeFormat,
}

/// The rule that matched a file, ready to resolve.
#[derive(Debug, Clone)]
pub struct MatchedRule {
    /// `.sealant.yaml creation_rules[1]`: what messages name the rule by.
    pub name: String,
    /// Recipient specs, relative paths joined to the rules file's directory.
    pub recipients: Vec<String>,
    pub format: EnvelopeFormat,
}

impl RulesFile {
    /// Read and check `path` (every rule, not only the one that will match).
    pub fn load(path: &Path) -> Result<Self, CliError> {
        let shown = path.display().to_string();
        let text = read_bounded(path, &shown)?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(Self {
            rules: parse(&text, &shown)?,
            path: path.to_path_buf(),
            dir,
        })
    }

    /// The first rule whose glob matches `file` (absolute, below [`RulesFile::dir`]), or for
    /// `None` (stdin without `-w`) the first rule without a glob.
    pub fn rule_for(&self, file: Option<&Path>) -> Option<MatchedRule> {
        let relative = file.and_then(|f| f.strip_prefix(&self.dir).ok());
        self.rules
            .iter()
            .enumerate()
            .find(|(_, rule)| match (&rule.glob, relative) {
                (None, _) => true,
                (Some(glob), Some(rel)) => glob.is_match(rel),
                (Some(_), None) => false,
            })
            .map(|(index, rule)| MatchedRule {
                name: format!("{} creation_rules[{index}]", self.path.display()),
                recipients: rule
                    .recipients
                    .iter()
                    .map(|r| spec_relative_to(r, &self.dir))
                    .collect(),
                format: rule.format,
            })
    }

    pub fn has_rules(&self) -> bool {
        !self.rules.is_empty()
    }
}

/// The nearest `.sealant.yaml` at or above `start` (an absolute directory), loaded.
pub fn find(start: &Path) -> Result<Option<RulesFile>, CliError> {
    for dir in start.ancestors() {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return RulesFile::load(&candidate).map(Some);
        }
    }
    Ok(None)
}

/// The rule for `file` (or stdin, matching `stdin_name` if any) from the nearest rules file:
/// `Ok(None)` when there is no rules file or it has no `creation_rules`; an error naming the
/// rules file when it has rules but none matches (sealing with a default the repository did
/// not choose would be worse than stopping).
pub fn rule_for_input(
    file: Option<&Path>,
    stdin_name: Option<&Path>,
) -> Result<Option<MatchedRule>, CliError> {
    let cwd = std::env::current_dir().map_err(|source| CliError::Read {
        path: ".".into(),
        source,
    })?;
    let named = file.or(stdin_name).map(|f| absolute_file(&cwd, f));
    let start = match &named {
        Some(f) if file.is_some() => f.parent().map(Path::to_path_buf).unwrap_or(cwd.clone()),
        _ => cwd.clone(),
    };
    let Some(rules) = find(&start)? else {
        return Ok(None);
    };
    if !rules.has_rules() {
        return Ok(None);
    }
    match rules.rule_for(named.as_deref()) {
        Some(rule) => Ok(Some(rule)),
        None => Err(CliError::Usage(format!(
            "{}: no creation rule matches {}; add a rule for it, or name recipients with \
             --recipient or --cert",
            rules.path.display(),
            named
                .as_deref()
                .map_or_else(|| "stdin".to_owned(), |f| f.display().to_string())
        ))),
    }
}

/// `file` made absolute, its directory resolved through symlinks (so that the walk up and the
/// glob see the real tree), its own name kept.
pub fn absolute_file(cwd: &Path, file: &Path) -> PathBuf {
    let joined = cwd.join(file);
    let (Some(parent), Some(name)) = (joined.parent(), joined.file_name()) else {
        return joined;
    };
    match std::fs::canonicalize(parent) {
        Ok(dir) => dir.join(name),
        Err(_) => joined,
    }
}

fn read_bounded(path: &Path, shown: &str) -> Result<String, CliError> {
    let read_err = |source| CliError::Read {
        path: shown.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(read_err)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(CliError::Usage(format!(
            "{shown}: larger than {MAX_FILE_BYTES} bytes; a rules file is small, refusing to read it"
        )));
    }
    String::from_utf8(bytes).map_err(|_| CliError::Binary {
        path: shown.to_owned(),
    })
}

fn parse(text: &str, shown: &str) -> Result<Vec<Rule>, CliError> {
    let docs = match sealant_api::parse_documents(text) {
        Ok(docs) => docs,
        Err(sealant_api::ApiError::NoDocuments) => return Ok(Vec::new()),
        Err(e) => return Err(CliError::api(shown, e)),
    };
    let [doc] = docs.as_slice() else {
        return Err(CliError::Usage(format!(
            "{shown}: expected one YAML document"
        )));
    };
    let document: RulesDocument = serde_json::from_value(doc.as_value().clone())
        .map_err(|e| CliError::Usage(format!("{shown}: {}", field_error(&e))))?;
    if document.creation_rules.len() > MAX_RULES {
        return Err(CliError::Usage(format!(
            "{shown}: {} creation rules; at most {MAX_RULES}",
            document.creation_rules.len()
        )));
    }
    document
        .creation_rules
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            let name = format!("{shown} creation_rules[{index}]");
            let raw: RawRule = serde_json::from_value(value)
                .map_err(|e| CliError::Usage(format!("{name}: {}", field_error(&e))))?;
            check_rule(raw, &name)
        })
        .collect()
}

/// serde names the offending field (`unknown field `recipent``): the file's own words, and
/// a rules file holds no secrets.
fn field_error(e: &serde_json::Error) -> String {
    e.to_string()
}

fn check_rule(raw: RawRule, name: &str) -> Result<Rule, CliError> {
    let max = sealant_crypto::v2::format::MAX_STANZAS;
    if raw.recipients.is_empty() || raw.recipients.len() > max {
        return Err(CliError::Usage(format!(
            "{name}: {} recipients; a rule names 1 to {max}",
            raw.recipients.len()
        )));
    }
    if let Some(empty) = raw.recipients.iter().position(|r| r.trim().is_empty()) {
        return Err(CliError::Usage(format!(
            "{name}: recipients[{empty}] is empty"
        )));
    }
    if raw.format == EnvelopeFormat::V1 && raw.recipients.len() != 1 {
        return Err(CliError::Usage(format!(
            "{name}: format v1 seals for exactly one certificate, but the rule names {}; add \
             `format: v2`",
            raw.recipients.len()
        )));
    }
    let glob = raw
        .path
        .as_deref()
        .map(|p| build_glob(p, name))
        .transpose()?;
    Ok(Rule {
        glob,
        recipients: raw.recipients,
        format: raw.format,
    })
}

fn build_glob(pattern: &str, name: &str) -> Result<GlobMatcher, CliError> {
    if pattern.len() > MAX_GLOB_LEN {
        return Err(CliError::Usage(format!(
            "{name}: path is {} bytes long; at most {MAX_GLOB_LEN}",
            pattern.len()
        )));
    }
    let trimmed = pattern.trim_start_matches("./");
    let full = if trimmed.ends_with('/') {
        format!("{trimmed}**")
    } else {
        trimmed.to_owned()
    };
    GlobBuilder::new(&full)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| CliError::Usage(format!("{name}: path {pattern:?}: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Result<RulesFile, CliError> {
        Ok(RulesFile {
            rules: parse(text, "/repo/.sealant.yaml")?,
            path: PathBuf::from("/repo/.sealant.yaml"),
            dir: PathBuf::from("/repo"),
        })
    }

    #[test]
    fn first_matching_rule_wins_and_paths_are_relative_to_the_file() {
        let r = rules(
            "creation_rules:\n\
             - path: 'prod/**'\n  recipients: [certs/a.pem, escrow/public.pem]\n  format: v2\n\
             - path: 'prod/special.yaml'\n  recipients: [certs/b.pem]\n\
             - recipients: [cluster]\n",
        )
        .unwrap();
        let m = r
            .rule_for(Some(Path::new("/repo/prod/special.yaml")))
            .unwrap();
        assert_eq!(m.name, "/repo/.sealant.yaml creation_rules[0]");
        assert_eq!(
            m.recipients,
            ["/repo/certs/a.pem", "/repo/escrow/public.pem"]
        );
        assert_eq!(m.format, EnvelopeFormat::V2);
        let m = r.rule_for(Some(Path::new("/repo/dev/x.yaml"))).unwrap();
        assert_eq!(m.recipients, ["cluster"]);
        assert_eq!(m.format, EnvelopeFormat::V1);
        // stdin without a name: only the catch-all.
        assert_eq!(r.rule_for(None).unwrap().recipients, ["cluster"]);
    }

    #[test]
    fn star_stays_in_one_directory() {
        let r = rules("creation_rules:\n- path: 'prod/*.yaml'\n  recipients: [a.pem]\n").unwrap();
        assert!(r.rule_for(Some(Path::new("/repo/prod/a.yaml"))).is_some());
        assert!(
            r.rule_for(Some(Path::new("/repo/prod/deep/a.yaml")))
                .is_none()
        );
        assert!(
            r.rule_for(Some(Path::new("/elsewhere/prod/a.yaml")))
                .is_none()
        );
    }

    #[test]
    fn hostile_rules_are_refused_naming_the_file_and_rule() {
        let cases = [
            (
                "creation_rules:\n- path: a\n  recipients: [x]\n  recipient: [y]\n",
                "recipient",
            ),
            ("creation_rule: []\n", "creation_rule"),
            (
                "creation_rules:\n- recipients: [a, b]\n",
                "creation_rules[0]",
            ),
            (
                "creation_rules:\n- recipients: [a]\n- recipients: []\n",
                "creation_rules[1]",
            ),
            ("creation_rules:\n- recipients: [a]\n  format: v3\n", "v3"),
            (
                "creation_rules:\n- path: 'a['\n  recipients: [a]\n",
                "creation_rules[0]",
            ),
            ("creation_rules:\n- recipients: ['  ']\n", "recipients[0]"),
            ("---\na: 1\n---\nb: 2\n", "one YAML document"),
        ];
        for (text, expected) in cases {
            let err = rules(text).expect_err(text).to_string();
            assert!(err.contains("/repo/.sealant.yaml"), "{err}");
            assert!(err.contains(expected), "{text}: {err}");
        }
        let many = format!(
            "creation_rules:\n{}",
            "- recipients: [a]\n".repeat(MAX_RULES + 1)
        );
        assert!(rules(&many).unwrap_err().to_string().contains("at most"));
        let long = format!(
            "creation_rules:\n- path: '{}'\n  recipients: [a]\n",
            "a".repeat(MAX_GLOB_LEN + 1)
        );
        assert!(rules(&long).unwrap_err().to_string().contains("at most"));
    }

    #[test]
    fn check_ignores_share_the_file() {
        assert!(rules("ignore: [a]\ncreation_rules:\n- recipients: [a]\n").is_ok());
    }
}
