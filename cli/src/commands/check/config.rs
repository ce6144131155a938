//! `.sealant.yaml`: path globs that `sealant check` skips.
//!
//! ```yaml
//! ignore:
//!   - "test/fixtures/**"      # `*` stays within one directory; `**` crosses them
//!   - "charts/*/templates/"   # a trailing `/` means everything below
//! ```
//!
//! Globs match paths relative to the directory holding the config file. Unknown keys are
//! an error, so a typo (`ignores:`) cannot silently turn the opt-out off or on.
//!
//! Every path a glob skips is recorded, so the report can list each opt-out; `--strict`
//! turns the globs off altogether.

use super::paths::{absolute, shown_path};
use crate::error::CliError;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

pub const FILE_NAME: &str = ".sealant.yaml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    ignore: Vec<String>,
    /// Creation rules share the file; `v2/rules.rs` reads and checks them.
    #[serde(default)]
    #[allow(dead_code)]
    creation_rules: Option<serde::de::IgnoredAny>,
}

pub struct Config {
    /// Absolute directory the globs are relative to.
    base: PathBuf,
    ignore: GlobSet,
    /// The patterns of `ignore`, by index, to name the one that matched.
    patterns: Vec<String>,
    /// Paths skipped so far. Recorded by [`Config::ignores`] itself, so that every caller
    /// that asks (the working-tree walk, the `--staged` listing) is counted.
    skipped: Mutex<Vec<Ignored>>,
}

/// One path an ignore glob skipped.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ignored {
    /// As shown in the report.
    pub display: String,
    /// The pattern as written in the config file.
    pub glob: String,
}

impl Config {
    /// `explicit` (`--config`) must exist; otherwise `.sealant.yaml` in `default_dir` (the
    /// repository top with `--staged`) or the current directory is used if present.
    pub fn load(explicit: Option<&Path>, default_dir: Option<&Path>) -> Result<Self, CliError> {
        let cwd = std::env::current_dir().map_err(|source| CliError::Read {
            path: ".".into(),
            source,
        })?;
        let path = match explicit {
            Some(p) => absolute(&cwd, p),
            None => absolute(&cwd, default_dir.unwrap_or(Path::new("."))).join(FILE_NAME),
        };
        let base = path.parent().map(Path::to_path_buf).unwrap_or(cwd);
        if explicit.is_none() && !path.is_file() {
            return Ok(Self::with_globs(base, GlobSet::empty(), Vec::new()));
        }
        let shown = path.display().to_string();
        let text = crate::io::Input::File(path.clone())
            .read_bytes()
            .and_then(|b| crate::io::text_from_bytes(b, &shown));
        let file = match text {
            Ok(text) => parse(&text, &shown)?,
            // An empty config file means "no ignores".
            Err(CliError::EmptyInput { .. }) => ConfigFile::default(),
            Err(e) => return Err(e),
        };
        let ignore = build_globs(&file.ignore, &shown)?;
        Ok(Self::with_globs(base, ignore, file.ignore))
    }

    /// A config read from elsewhere than a file (`--staged` reads the index's blob), with
    /// globs relative to `base`; `shown` names it in errors.
    pub fn from_bytes(
        bytes: zeroize::Zeroizing<Vec<u8>>,
        base: PathBuf,
        shown: &str,
    ) -> Result<Self, CliError> {
        let file = match crate::io::text_from_bytes(bytes, shown) {
            Ok(text) => parse(&text, shown)?,
            // An empty config file means "no ignores".
            Err(CliError::EmptyInput { .. }) => ConfigFile::default(),
            Err(e) => return Err(e),
        };
        let ignore = build_globs(&file.ignore, shown)?;
        Ok(Self::with_globs(base, ignore, file.ignore))
    }

    /// No config: nothing is ignored.
    pub fn empty(base: PathBuf) -> Self {
        Self::with_globs(base, GlobSet::empty(), Vec::new())
    }

    fn with_globs(base: PathBuf, ignore: GlobSet, patterns: Vec<String>) -> Self {
        Self {
            base,
            ignore,
            patterns,
            skipped: Mutex::new(Vec::new()),
        }
    }

    /// `--strict`: the file was still read (a broken one is still an error), but its globs
    /// skip nothing.
    pub fn without_ignores(self) -> Self {
        Self::with_globs(self.base, GlobSet::empty(), Vec::new())
    }

    /// True when `abs` (an absolute, lexically normalized path) matches an ignore glob; the
    /// path is then recorded as skipped, shown relative to the config's directory.
    pub fn ignores(&self, abs: &Path) -> bool {
        let Some(glob) = self.glob_for(abs) else {
            return false;
        };
        let display = shown_path(abs.strip_prefix(&self.base).unwrap_or(abs));
        self.record(display, glob);
        true
    }

    /// The pattern that matches `abs`, without recording anything.
    pub fn glob_for(&self, abs: &Path) -> Option<&str> {
        let rel = abs.strip_prefix(&self.base).ok()?;
        let index = *self.ignore.matches(rel).first()?;
        self.patterns.get(index).map(String::as_str)
    }

    /// Records a path skipped because of `glob` (a file below an ignored directory).
    pub fn record(&self, display: String, glob: &str) {
        if let Ok(mut skipped) = self.skipped.lock() {
            skipped.push(Ignored {
                display,
                glob: glob.to_owned(),
            });
        }
    }

    /// Every path skipped so far, sorted, each once.
    pub fn skipped(&self) -> Vec<Ignored> {
        let mut all = self.skipped.lock().map(|s| s.clone()).unwrap_or_default();
        all.sort();
        all.dedup();
        all
    }
}

fn parse(text: &str, shown: &str) -> Result<ConfigFile, CliError> {
    let docs = match sealant_api::parse_documents(text) {
        Ok(docs) => docs,
        Err(sealant_api::ApiError::NoDocuments) => return Ok(ConfigFile::default()),
        Err(e) => return Err(CliError::api(shown, e)),
    };
    let [doc] = docs.as_slice() else {
        return Err(CliError::Usage(format!(
            "{shown}: expected one YAML document"
        )));
    };
    serde_json::from_value(doc.as_value().clone())
        .map_err(|e| CliError::Usage(format!("{shown}: {e}")))
}

fn build_globs(patterns: &[String], shown: &str) -> Result<GlobSet, CliError> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let trimmed = pattern.trim_start_matches("./");
        let full = if trimmed.ends_with('/') {
            format!("{trimmed}**")
        } else {
            trimmed.to_owned()
        };
        let glob = GlobBuilder::new(&full)
            .literal_separator(true)
            .build()
            .map_err(|e| CliError::Usage(format!("{shown}: ignore glob {pattern:?}: {e}")))?;
        set.add(glob);
    }
    set.build()
        .map_err(|e| CliError::Usage(format!("{shown}: ignore globs: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn config(patterns: &[&str]) -> Config {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        let ignore = build_globs(&patterns, "test").unwrap();
        Config::with_globs(PathBuf::from("/repo"), ignore, patterns)
    }

    #[test]
    fn globs_are_relative_and_star_stays_in_one_directory() {
        let c = config(&["fixtures/*.yaml", "charts/", "**/dev-*.yml"]);
        assert!(c.ignores(Path::new("/repo/fixtures/a.yaml")));
        assert!(!c.ignores(Path::new("/repo/fixtures/deep/a.yaml")));
        assert!(c.ignores(Path::new("/repo/charts/x/templates/s.yaml")));
        assert!(c.ignores(Path::new("/repo/a/b/dev-1.yml")));
        assert!(!c.ignores(Path::new("/elsewhere/fixtures/a.yaml")));
        let skipped = c.skipped();
        assert_eq!(skipped.len(), 3);
        assert_eq!(skipped[0].display, "a/b/dev-1.yml");
        assert_eq!(skipped[0].glob, "**/dev-*.yml");
        let strict = c.without_ignores();
        assert!(!strict.ignores(Path::new("/repo/fixtures/a.yaml")));
        assert!(strict.skipped().is_empty());
    }

    #[test]
    fn unknown_keys_and_bad_globs_are_errors() {
        assert!(parse("ignores: [a]\n", "c").is_err());
        assert!(parse("ignore: [a]\n", "c").is_ok());
        assert!(build_globs(&["a[".to_owned()], "c").is_err());
    }
}
