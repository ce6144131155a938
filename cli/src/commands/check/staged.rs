//! `--staged`: scan what the git index holds, which is what the commit will contain, not
//! the working tree (a user may have staged a plaintext Secret and edited it since).

use super::{
    config::Config,
    source::{Candidate, Origin, absolute},
    walk::is_manifest_name,
};
use crate::error::CliError;
use std::{
    path::{Path, PathBuf},
    process::Command,
};

pub struct Repo {
    top: PathBuf,
}

impl Repo {
    pub fn discover() -> Result<Self, CliError> {
        let top = git(None, &["rev-parse", "--show-toplevel"])?;
        let top = String::from_utf8(top)
            .map_err(|_| CliError::Usage("git: repository path is not UTF-8".into()))?;
        Ok(Self {
            top: PathBuf::from(top.trim_end_matches(['\n', '\r'])),
        })
    }

    pub fn top(&self) -> &Path {
        &self.top
    }

    /// Added, copied, modified and renamed paths in the index (deleted ones have nothing to
    /// scan), limited to `paths` when given, minus ignore globs.
    pub fn staged_candidates(
        &self,
        paths: &[PathBuf],
        config: &Config,
    ) -> Result<Vec<Candidate>, CliError> {
        let listing = git(
            Some(&self.top),
            &[
                "diff",
                "--cached",
                "--name-only",
                "--diff-filter=ACMR",
                "-z",
            ],
        )?;
        let cwd = std::env::current_dir().map_err(|source| CliError::Read {
            path: ".".into(),
            source,
        })?;
        let filters: Vec<PathBuf> = paths.iter().map(|p| absolute(&cwd, p)).collect();
        let mut out = Vec::new();
        for raw in listing.split(|b| *b == 0).filter(|p| !p.is_empty()) {
            let Ok(path) = std::str::from_utf8(raw) else {
                continue;
            };
            let abs = absolute(&self.top, Path::new(path));
            let selected = if filters.is_empty() {
                is_manifest_name(Path::new(path))
            } else {
                // A staged file named exactly is scanned whatever its extension.
                filters
                    .iter()
                    .any(|f| *f == abs || (abs.starts_with(f) && is_manifest_name(&abs)))
            };
            if selected && !config.ignores(&abs) {
                out.push(Candidate {
                    display: path.to_owned(),
                    origin: Origin::Index {
                        top: self.top.clone(),
                        path: path.to_owned(),
                    },
                });
            }
        }
        Ok(out)
    }
}

fn git(dir: Option<&Path>, args: &[&str]) -> Result<Vec<u8>, CliError> {
    let mut cmd = Command::new("git");
    if let Some(dir) = dir {
        cmd.arg("-C").arg(dir);
    }
    let out = cmd.args(args).output().map_err(|source| CliError::Read {
        path: "git".into(),
        source,
    })?;
    if !out.status.success() {
        return Err(CliError::Usage(format!(
            "--staged: git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}
