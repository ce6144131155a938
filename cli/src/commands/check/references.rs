//! Files that manifests point at (kustomize `secretGenerator` `envs` and `files`): found
//! relative to the file that names them, in the same place it was read from (working tree
//! or git index). A reference to a file that does not exist is not a finding: CI often
//! writes such files just before `kustomize build`.

use super::{
    config::Config,
    paths::{absolute, display, shown_path},
    scan::kustomize::{Reference, check_referenced},
    source::{Candidate, Origin},
};
use crate::error::CliError;
use std::{
    collections::BTreeSet,
    path::{Component, Path, PathBuf},
};
use zeroize::Zeroizing;

/// Findings for every file referenced by the candidates paired with `Reference`s, each
/// file read once per generator key, minus ignore globs.
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
            let Some(target) = resolve(from, &reference.path, &cwd)? else {
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

fn resolve(from: &Candidate, rel: &str, cwd: &Path) -> Result<Option<Target>, CliError> {
    match &from.origin {
        Origin::Disk(path) => {
            let Some(joined) = path.parent().and_then(|dir| normalize(&dir.join(rel))) else {
                return Ok(None);
            };
            Ok(Some(Target {
                display: display(&joined),
                abs: absolute(cwd, &joined),
                origin: Origin::Disk(joined),
            }))
        }
        // Inside the repository only: nothing else is in the index.
        Origin::Index(blob) => Ok(blob.relative(Path::new(rel))?.map(|(inside, blob)| Target {
            display: shown_path(&inside),
            abs: blob.absolute_path(),
            origin: Origin::Index(blob),
        })),
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
        match &self.origin {
            Origin::Disk(path) => {
                let read_error = |source| CliError::Read {
                    path: self.display.clone(),
                    source,
                };
                match std::fs::metadata(path) {
                    Ok(meta) if meta.is_file() => std::fs::read(path)
                        .map(|b| Some(Zeroizing::new(b)))
                        .map_err(read_error),
                    Ok(_) => Ok(None),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(read_error(e)),
                }
            }
            // Git LFS pointers are followed and verified, as for every staged file.
            Origin::Index(blob) => blob.load(&self.display).map(Some),
        }
    }
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
}
