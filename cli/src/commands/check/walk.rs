//! Which working-tree files to scan: manifests under the given paths, minus ignore globs.
//! Skipped files are still walked to, so that each is recorded (and listed as an opt-out).

use super::{
    config::Config,
    paths::{absolute, display},
    source::{Candidate, Origin},
};
use crate::error::CliError;
use std::path::{Path, PathBuf};

/// Build output and vendored trees are large and never hold the user's manifests.
const SKIPPED_DIRS: [&str; 3] = [".git", "target", "node_modules"];
const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];
/// Kustomize also reads a kustomization from a file of this name, without an extension.
const EXTENSIONLESS_KUSTOMIZATION: &str = "Kustomization";

pub fn is_manifest_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        || path
            .file_name()
            .is_some_and(|n| n == EXTENSIONLESS_KUSTOMIZATION)
}

/// Files named explicitly are scanned whatever their extension (pre-commit passes file
/// lists); directories are walked for manifest extensions. A missing path is an error.
pub fn candidates(paths: &[PathBuf], config: &Config) -> Result<Vec<Candidate>, CliError> {
    let cwd = std::env::current_dir().map_err(|source| CliError::Read {
        path: ".".into(),
        source,
    })?;
    let default = [PathBuf::from(".")];
    let roots = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    for root in roots {
        let meta = std::fs::metadata(root).map_err(|source| CliError::Read {
            path: display(root),
            source,
        })?;
        if meta.is_dir() {
            walk_dir(root, &cwd, config, None, &mut out)?;
        } else {
            push(root, &cwd, config, None, &mut out);
        }
    }
    Ok(out)
}

/// `ignored_by`: the glob that skipped a directory above `path`.
fn push(
    path: &Path,
    cwd: &Path,
    config: &Config,
    ignored_by: Option<&str>,
    out: &mut Vec<Candidate>,
) {
    let shown = display(path);
    if let Some(glob) = ignored_by.or_else(|| config.glob_for(&absolute(cwd, path))) {
        config.record(shown, glob);
        return;
    }
    out.push(Candidate {
        display: shown,
        origin: Origin::Disk(path.to_path_buf()),
    });
}

fn walk_dir(
    dir: &Path,
    cwd: &Path,
    config: &Config,
    ignored_by: Option<&str>,
    out: &mut Vec<Candidate>,
) -> Result<(), CliError> {
    let read_error = |source| CliError::Read {
        path: display(dir),
        source,
    };
    let listed = std::fs::read_dir(dir).and_then(|d| d.collect::<Result<Vec<_>, _>>());
    let mut entries = match (listed, ignored_by) {
        (Ok(entries), _) => entries,
        // Skipped anyway: listed as one opt-out rather than failing the run.
        (Err(_), Some(glob)) => {
            config.record(display(dir), glob);
            return Ok(());
        }
        (Err(e), None) => return Err(read_error(e)),
    };
    // Sorted so the scan order (and error reporting) is reproducible.
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        // file_type() does not follow symlinks: a linked directory is not walked (no
        // loops), a linked file is scanned if its target is a regular file.
        let file_type = entry.file_type().map_err(read_error)?;
        if file_type.is_dir() {
            let skipped = entry
                .file_name()
                .to_str()
                .is_some_and(|n| SKIPPED_DIRS.contains(&n));
            if !skipped {
                let ignored_by = ignored_by.or_else(|| config.glob_for(&absolute(cwd, &path)));
                walk_dir(&path, cwd, config, ignored_by, out)?;
            }
        } else if is_manifest_name(&path) && (file_type.is_file() || path.is_file()) {
            push(&path, cwd, config, ignored_by, out);
        }
    }
    Ok(())
}
