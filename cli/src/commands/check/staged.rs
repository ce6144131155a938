//! `--staged`: scan what the git index holds, which is what the commit will contain, not
//! the working tree (a user may have staged a plaintext Secret and edited it since).
//!
//! Every staged change is listed by `git diff --cached --raw -z` (paths as bytes, any
//! name, any change: added, modified, type-changed) and read by object id. Regular files
//! are scanned; symlinks (the blob is a target path) and submodules (a commit of another
//! repository) are not files and are skipped. A Git LFS pointer is scanned through the
//! object it names. `.sealant.yaml` is read from the index too, so an ignore list that is
//! not part of the commit cannot silence the check of it.
//!
//! Fail closed: whatever the commit would carry but cannot be read (a missing blob or LFS
//! object, a conflict, an unknown entry type, a git error) ends the run with exit 2 and the
//! path, so the pre-commit hook refuses the commit instead of passing it unseen. Exit 1
//! means findings, 0 clean (the contract in `check/mod.rs`).

mod batch;
pub(super) mod blob;
mod git;
mod index;
mod lfs;
mod referenced;

use super::{
    config::{Config, FILE_NAME},
    paths::{absolute, shown_bytes},
    source::{Candidate, Origin},
    walk::is_manifest_name,
};
use crate::error::CliError;
use blob::{StagedBlob, Store};
use index::{Change, Kind};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

pub struct Repo {
    top: PathBuf,
    store: Arc<Store>,
}

impl Repo {
    pub fn discover() -> Result<Self, CliError> {
        let top = git::line_path(&git::output(None, &["rev-parse", "--show-toplevel"])?);
        Ok(Self {
            store: Arc::new(Store::new(top.clone())),
            top,
        })
    }

    /// `--config FILE` as given; otherwise `.sealant.yaml` as staged at the top of the
    /// repository (none staged: nothing ignored, whatever the working tree holds).
    pub fn config(&self, explicit: Option<&Path>) -> Result<Config, CliError> {
        if explicit.is_some() {
            return Config::load(explicit, None);
        }
        let listing = git::output(
            Some(&self.top),
            &[
                "--literal-pathspecs",
                "ls-files",
                "--stage",
                "-z",
                "--",
                FILE_NAME,
            ],
        )?;
        let entries = index::parse_stage(&listing).map_err(unexpected("ls-files"))?;
        let shown = format!("{FILE_NAME} (staged)");
        // The pathspec also matches files below a directory of that name: keep the file.
        let versions: Vec<_> = entries
            .iter()
            .filter(|e| e.path == FILE_NAME.as_bytes())
            .collect();
        let entry = match versions.as_slice() {
            [] => return Ok(Config::empty(self.top.clone())),
            [entry] if entry.stage == 0 => entry,
            _ => {
                return Err(CliError::Usage(format!(
                    "{shown}: unmerged; resolve the conflict first"
                )));
            }
        };
        if entry.kind != Kind::File {
            return Err(CliError::Usage(format!(
                "{shown}: is a {} in the index, not a file; stage the config itself",
                kind_name(entry.kind)
            )));
        }
        let bytes = self.store.read(&entry.oid, &shown)?;
        Config::from_bytes(bytes, self.top.clone(), &shown)
    }

    /// Every staged file the commit will hold, limited to `paths` when given, minus ignore
    /// globs. Deleted files have nothing to scan; symlinks and submodules are not files.
    pub fn staged_candidates(
        &self,
        paths: &[PathBuf],
        config: &Config,
    ) -> Result<Vec<Candidate>, CliError> {
        let listing = git::output(
            Some(&self.top),
            &[
                // Paths relative to the top and one path per change, whatever the user's
                // config says.
                "-c",
                "diff.relative=false",
                "diff",
                "--cached",
                "--raw",
                "-z",
                "--no-renames",
                "--no-abbrev",
                "--no-ext-diff",
            ],
        )?;
        let changes = index::parse_raw(&listing).map_err(unexpected("diff --cached --raw"))?;
        let cwd = std::env::current_dir().map_err(|source| CliError::Read {
            path: ".".into(),
            source,
        })?;
        let filters: Vec<PathBuf> = paths.iter().map(|p| absolute(&cwd, p)).collect();
        let mut out = Vec::new();
        for change in changes {
            let raw = change.path();
            let rel = git::path_from_bytes(raw);
            let abs = absolute(&self.top, &rel);
            let selected = if filters.is_empty() {
                is_manifest_name(&rel)
            } else {
                // A staged file named exactly is scanned whatever its extension.
                filters
                    .iter()
                    .any(|f| *f == abs || (abs.starts_with(f) && is_manifest_name(&abs)))
            };
            if !selected || config.ignores(&abs) {
                continue;
            }
            let display = shown_bytes(raw);
            match change {
                Change::Deleted { .. } => {}
                Change::Unmerged { .. } => {
                    return Err(CliError::Usage(format!(
                        "{display}: unmerged; resolve the conflict first"
                    )));
                }
                Change::Staged {
                    kind: Kind::Symlink | Kind::Submodule,
                    ..
                } => {}
                Change::Staged {
                    kind: kind @ Kind::Other(_),
                    ..
                } => {
                    return Err(CliError::Usage(format!(
                        "{display}: {} in the index; sealant cannot tell what the commit \
                         will hold",
                        kind_name(kind)
                    )));
                }
                Change::Staged {
                    kind: Kind::File,
                    oid,
                    ..
                } => out.push(Candidate {
                    display,
                    origin: Origin::Index(StagedBlob {
                        oid,
                        store: Arc::clone(&self.store),
                        path: rel,
                    }),
                }),
            }
        }
        Ok(out)
    }
}

fn kind_name(kind: Kind) -> String {
    match kind {
        Kind::File => "file".into(),
        Kind::Symlink => "symlink".into(),
        Kind::Submodule => "submodule".into(),
        Kind::Other(mode) => format!("entry of unknown mode {mode:o}"),
    }
}

fn unexpected(command: &'static str) -> impl Fn(String) -> CliError {
    move |reason| CliError::Usage(format!("--staged: git {command} printed {reason}"))
}
