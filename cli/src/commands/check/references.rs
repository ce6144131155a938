//! Files that manifests point at (kustomize `secretGenerator` `envs` and `files`): found
//! relative to the file that names them, in the same place it was read from (working tree
//! or git index). A reference to a file that does not exist is not a finding: CI often
//! writes such files just before `kustomize build`.

use super::{
    config::Config,
    scan::kustomize::{Reference, check_referenced},
    source::{Candidate, Origin, absolute, display},
};
use crate::error::CliError;
use std::{
    collections::BTreeSet,
    path::{Component, Path, PathBuf},
    process::Command,
};
use zeroize::Zeroizing;

/// Findings for every file referenced from `candidates[i]` by `references[i]`, each file
/// read once per generator key, minus ignore globs.
pub fn check_all(
    found: Vec<(&Candidate, Vec<Reference>)>,
    config: &Config,
    strict: bool,
) -> Result<Vec<super::report::Finding>, CliError> {
    let cwd = std::env::current_dir().map_err(|source| CliError::Read {
        path: ".".into(),
        source,
    })?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (from, references) in found {
        for reference in references {
            let Some(target) = resolve(from, &reference.path, &cwd) else {
                continue;
            };
            if !seen.insert((target.display.clone(), reference.key.clone())) {
                continue;
            }
            if let Some(glob) = config.glob_for(&target.abs) {
                config.record(target.display, glob);
                continue;
            }
            if let Some(bytes) = target.load()? {
                check_referenced(&reference, &target.display, &bytes, strict, &mut out);
            }
        }
    }
    Ok(out)
}

/// A referenced file: where to read it and how to show it.
struct Target {
    display: String,
    /// Absolute path, for the ignore globs.
    abs: PathBuf,
    origin: Origin,
}

fn resolve(from: &Candidate, rel: &str, cwd: &Path) -> Option<Target> {
    match &from.origin {
        Origin::Disk(path) => {
            let joined = normalize(&path.parent()?.join(rel))?;
            Some(Target {
                display: display(&joined),
                abs: absolute(cwd, &joined),
                origin: Origin::Disk(joined),
            })
        }
        Origin::Index { top, path } => {
            // Inside the repository only: nothing else is in the index.
            let joined = normalize(&Path::new(path).parent()?.join(rel))?;
            if joined.is_absolute() || joined.starts_with("..") {
                return None;
            }
            let shown = joined.to_str()?.to_owned();
            Some(Target {
                display: shown.clone(),
                abs: absolute(top, &joined),
                origin: Origin::Index {
                    top: top.clone(),
                    path: shown,
                },
            })
        }
    }
}

/// `.` and `..` resolved lexically; `..` past the start of a relative path is kept.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                if matches!(last, Some(Component::Normal(_))) {
                    out.pop();
                } else if !matches!(last, Some(Component::RootDir)) {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

impl Target {
    /// The file's bytes; `None` when it does not exist or is no regular file.
    fn load(&self) -> Result<Option<Zeroizing<Vec<u8>>>, CliError> {
        let read_error = |source| CliError::Read {
            path: self.display.clone(),
            source,
        };
        match &self.origin {
            Origin::Disk(path) => match std::fs::metadata(path) {
                Ok(meta) if meta.is_file() => std::fs::read(path)
                    .map(|b| Some(Zeroizing::new(b)))
                    .map_err(read_error),
                Ok(_) => Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(read_error(e)),
            },
            Origin::Index { top, path } => {
                // The blob id from the index entry, then the blob by id: a path is never
                // parsed as a revision (`0:x.env` is a file name here).
                let listing = git(
                    top,
                    &["ls-files", "-s", "-z", "--"],
                    &format!(":(literal){path}"),
                )
                .map_err(read_error)?;
                let Some(blob) = blob_id(&listing) else {
                    return Ok(None);
                };
                let out = Command::new("git")
                    .arg("-C")
                    .arg(top)
                    .args(["cat-file", "blob", &blob])
                    .output()
                    .map_err(read_error)?;
                if !out.status.success() {
                    return Err(CliError::Usage(format!(
                        "git cat-file blob for {} failed: {}",
                        self.display,
                        String::from_utf8_lossy(&out.stderr).trim()
                    )));
                }
                Ok(Some(Zeroizing::new(out.stdout)))
            }
        }
    }
}

fn git(top: &Path, args: &[&str], last: &str) -> std::io::Result<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(args)
        .arg(last)
        .output()?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(std::io::Error::other(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ))
    }
}

/// `<mode> <blob> <stage>\t<path>\0` of a regular file (mode 100644/100755) at stage 0.
fn blob_id(listing: &[u8]) -> Option<String> {
    let entry = listing.split(|b| *b == 0).next()?;
    let (meta, _) = std::str::from_utf8(entry).ok()?.split_once('\t')?;
    let mut fields = meta.split(' ');
    let (mode, blob, stage) = (fields.next()?, fields.next()?, fields.next()?);
    (mode.starts_with("100") && stage == "0").then(|| blob.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_lexically() {
        let n = |p: &str| normalize(Path::new(p)).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(n("a/b/../c.env").as_deref(), Some("a/c.env"));
        assert_eq!(n("./a/./b").as_deref(), Some("a/b"));
        assert_eq!(n("a/../../x").as_deref(), Some("../x"));
        assert_eq!(n("/a/../../x").as_deref(), Some("/x"));
        assert_eq!(n("a/.."), None);
    }

    #[test]
    fn index_listing() {
        assert_eq!(
            blob_id(b"100644 0123abcd 0\tdir/x.env\0").as_deref(),
            Some("0123abcd")
        );
        assert_eq!(blob_id(b"120000 0123abcd 0\tlink\0"), None);
        assert_eq!(blob_id(b""), None);
    }
}
