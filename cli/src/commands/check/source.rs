//! One file to scan and where its bytes come from: the working tree or the git index.

use crate::error::CliError;
use std::{
    path::{Component, Path, PathBuf},
    process::Command,
};
use zeroize::Zeroizing;

#[derive(Debug)]
pub enum Origin {
    Disk(PathBuf),
    /// A path relative to the repository top, read as `git show :path`.
    Index {
        top: PathBuf,
        path: String,
    },
}

#[derive(Debug)]
pub struct Candidate {
    /// The path as shown in the report.
    pub display: String,
    pub origin: Origin,
}

impl Candidate {
    /// The file's bytes, zeroized on drop: scanned files are often plaintext Secrets.
    pub fn load(&self) -> Result<Zeroizing<Vec<u8>>, CliError> {
        match &self.origin {
            Origin::Disk(path) => {
                std::fs::read(path)
                    .map(Zeroizing::new)
                    .map_err(|source| CliError::Read {
                        path: self.display.clone(),
                        source,
                    })
            }
            Origin::Index { top, path } => {
                let out = Command::new("git")
                    .arg("-C")
                    .arg(top)
                    .arg("show")
                    .arg(format!(":{path}"))
                    .output()
                    .map_err(|source| CliError::Read {
                        path: self.display.clone(),
                        source,
                    })?;
                if !out.status.success() {
                    // git's stderr names the path only; it never prints blob contents.
                    return Err(CliError::Usage(format!(
                        "git show :{path} failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    )));
                }
                Ok(Zeroizing::new(out.stdout))
            }
        }
    }
}

/// `base.join(path)` with `.` and `..` resolved lexically (no file system access, so paths
/// that do not exist yet, like staged renames, still compare).
pub fn absolute(base: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in base.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// How a walked path is shown: as the user spelled it, without a leading `./`.
pub fn display(path: &Path) -> String {
    let text = path.to_string_lossy();
    text.strip_prefix("./").unwrap_or(&text).to_owned()
}
