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

use super::source::absolute;
use crate::error::CliError;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = ".sealant.yaml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    ignore: Vec<String>,
}

pub struct Config {
    /// Absolute directory the globs are relative to.
    base: PathBuf,
    ignore: GlobSet,
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
            return Ok(Self {
                base,
                ignore: GlobSet::empty(),
            });
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
        Ok(Self {
            base,
            ignore: build_globs(&file.ignore, &shown)?,
        })
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
        Ok(Self {
            base,
            ignore: build_globs(&file.ignore, shown)?,
        })
    }

    /// No config: nothing is ignored.
    pub fn empty(base: PathBuf) -> Self {
        Self {
            base,
            ignore: GlobSet::empty(),
        }
    }

    /// True when `abs` (an absolute, lexically normalized path) matches an ignore glob.
    pub fn ignores(&self, abs: &Path) -> bool {
        match abs.strip_prefix(&self.base) {
            Ok(rel) => self.ignore.is_match(rel),
            Err(_) => false,
        }
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
        Config {
            base: PathBuf::from("/repo"),
            ignore: build_globs(&patterns, "test").unwrap(),
        }
    }

    #[test]
    fn globs_are_relative_and_star_stays_in_one_directory() {
        let c = config(&["fixtures/*.yaml", "charts/", "**/dev-*.yml"]);
        assert!(c.ignores(Path::new("/repo/fixtures/a.yaml")));
        assert!(!c.ignores(Path::new("/repo/fixtures/deep/a.yaml")));
        assert!(c.ignores(Path::new("/repo/charts/x/templates/s.yaml")));
        assert!(c.ignores(Path::new("/repo/a/b/dev-1.yml")));
        assert!(!c.ignores(Path::new("/elsewhere/fixtures/a.yaml")));
    }

    #[test]
    fn unknown_keys_and_bad_globs_are_errors() {
        assert!(parse("ignores: [a]\n", "c").is_err());
        assert!(parse("ignore: [a]\n", "c").is_ok());
        assert!(build_globs(&["a[".to_owned()], "c").is_err());
    }
}
