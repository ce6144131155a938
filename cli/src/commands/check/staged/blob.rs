//! A staged file's bytes, read by object id through one shared `git cat-file --batch`, and
//! through its Git LFS object when the blob is a pointer. Kept apart from the listing in
//! `staged.rs` so that `source.rs` can name a staged file without depending on the listing.

use super::{batch, git, lfs};
use crate::{commands::check::paths::absolute, error::CliError};
use std::{
    path::PathBuf,
    sync::{Arc, Mutex, OnceLock},
};
use zeroize::Zeroizing;

/// One staged file's content, by object id.
pub struct StagedBlob {
    pub(super) oid: String,
    pub(super) store: Arc<Store>,
    /// Relative to the top of the repository: files it references are found from there.
    pub(super) path: PathBuf,
}

impl std::fmt::Debug for StagedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagedBlob")
            .field("oid", &self.oid)
            .finish()
    }
}

impl StagedBlob {
    /// The content the commit will publish: the blob, or for a Git LFS pointer the object
    /// it names (verified). `display` names the file in errors.
    pub fn load(&self, display: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
        let blob = self.store.read(&self.oid, display)?;
        let pointer = match lfs::parse(&blob) {
            lfs::Parsed::NotPointer => return Ok(blob),
            lfs::Parsed::Pointer(pointer) => pointer,
            lfs::Parsed::Extensions => return Err(lfs_error(display, lfs::LfsError::Extensions)),
        };
        let storage = self.store.lfs_storage()?;
        lfs::read_object(&storage, &pointer).map_err(|e| lfs_error(display, e))
    }
}

fn lfs_error(display: &str, e: lfs::LfsError) -> CliError {
    CliError::Usage(format!("{display}: {e}"))
}

/// What every staged blob of one run shares: the cat-file process and the LFS location.
pub(super) struct Store {
    pub(super) top: PathBuf,
    /// Started on first use, so a commit without manifests starts no process.
    cat_file: Mutex<Option<batch::CatFile>>,
    lfs_storage: OnceLock<PathBuf>,
}

impl Store {
    pub(super) fn new(top: PathBuf) -> Self {
        Self {
            top,
            cat_file: Mutex::new(None),
            lfs_storage: OnceLock::new(),
        }
    }

    pub(super) fn read(&self, oid: &str, display: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
        let mut guard = self
            .cat_file
            .lock()
            .map_err(|_| CliError::Internal("a scan worker panicked".into()))?;
        if guard.is_none() {
            let started = batch::CatFile::start(&self.top).map_err(|source| CliError::Read {
                path: "git cat-file".into(),
                source,
            })?;
            *guard = Some(started);
        }
        let cat_file = guard
            .as_mut()
            .ok_or_else(|| CliError::Internal("git cat-file did not start".into()))?;
        cat_file
            .blob(oid)
            .map_err(|e| CliError::Usage(format!("{display}: cannot read the staged blob: {e}")))
    }

    /// `lfs.storage` when set (relative to the git directory, as git-lfs reads it),
    /// otherwise `lfs` in the common git directory (shared by worktrees).
    fn lfs_storage(&self) -> Result<PathBuf, CliError> {
        if let Some(dir) = self.lfs_storage.get() {
            return Ok(dir.clone());
        }
        let common = git::line_path(&git::output(
            Some(&self.top),
            &["rev-parse", "--git-common-dir"],
        )?);
        let common = absolute(&self.top, &common);
        let configured =
            git::optional_output(&self.top, &["config", "--path", "--get", "lfs.storage"])?;
        let storage = match configured {
            Some(value) => absolute(&common, &git::line_path(&value)),
            None => common.join("lfs"),
        };
        Ok(self.lfs_storage.get_or_init(|| storage).clone())
    }
}
