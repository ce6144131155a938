//! Files a staged file points at (a kustomization's secretGenerator `envs` and `files`),
//! read from the index like every staged file: what the commit will hold, by object id.

use super::{Kind, blob::StagedBlob, index, unexpected};
use crate::{commands::check::paths::absolute, error::CliError};
use std::{
    path::{Component, Path, PathBuf},
    process::Command,
    sync::Arc,
};

impl StagedBlob {
    /// This file's absolute path in the working tree (what ignore globs match).
    pub fn absolute_path(&self) -> PathBuf {
        absolute(&self.store.top, &self.path)
    }

    /// The file `rel` names relative to this one's directory: its repository-relative path
    /// and its blob. `None` when the index holds no regular file there (not added yet, a
    /// symlink, a submodule) or `rel` leaves the repository; an unmerged or unknown entry
    /// fails closed, as every staged file does.
    pub fn relative(&self, rel: &Path) -> Result<Option<(PathBuf, StagedBlob)>, CliError> {
        let dir = self.path.parent().unwrap_or(Path::new(""));
        if rel.is_absolute() || escapes(dir, rel) {
            return Ok(None);
        }
        // `..` resolved lexically; it cannot climb above the top (checked above).
        let joined = absolute(Path::new("/"), &dir.join(rel));
        let Some(inside) = joined
            .strip_prefix("/")
            .ok()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
        else {
            return Ok(None);
        };
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.store.top)
            .args(["--literal-pathspecs", "ls-files", "--stage", "-z", "--"])
            .arg(&inside)
            .output()
            .map_err(|source| CliError::Read {
                path: "git".into(),
                source,
            })?;
        if !out.status.success() {
            return Err(CliError::Usage(format!(
                "--staged: git ls-files failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let entries = index::parse_stage(&out.stdout).map_err(unexpected("ls-files"))?;
        let wanted = path_bytes(&inside);
        let versions: Vec<_> = entries.iter().filter(|e| e.path == wanted).collect();
        let shown = crate::commands::check::paths::shown_path(&inside);
        match versions.as_slice() {
            [] => Ok(None),
            [entry] if entry.stage == 0 => match entry.kind {
                Kind::File => Ok(Some((
                    inside.clone(),
                    StagedBlob {
                        oid: entry.oid.clone(),
                        store: Arc::clone(&self.store),
                        path: inside,
                    },
                ))),
                Kind::Symlink | Kind::Submodule => Ok(None),
                Kind::Other(_) => Err(CliError::Usage(format!(
                    "{shown}: {} in the index; sealant cannot tell what the commit will hold",
                    super::kind_name(entry.kind)
                ))),
            },
            _ => Err(CliError::Usage(format!(
                "{shown}: unmerged; resolve the conflict first"
            ))),
        }
    }
}

/// Whether `..` in `rel` climbs above the top of the repository from `dir`.
fn escapes(dir: &Path, rel: &Path) -> bool {
    let mut depth = dir
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    for component in rel.components() {
        match component {
            Component::ParentDir if depth == 0 => return true,
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    false
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().as_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_stay_inside_the_repository() {
        assert!(!escapes(Path::new("app"), Path::new("../shared/db.env")));
        assert!(escapes(Path::new("app"), Path::new("../../x.env")));
        assert!(escapes(Path::new(""), Path::new("../x.env")));
        assert!(!escapes(Path::new("a/b"), Path::new("./c/../../d.env")));
    }
}
