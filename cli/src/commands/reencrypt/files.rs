//! Which files `reencrypt` looks at: named files as given, directories recursively
//! (`*.yaml`, `*.yml`, `*.json`; hidden entries and symlinked directories skipped), sorted.

use crate::error::CliError;
use std::path::{Path, PathBuf};

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| CliError::Read {
            path: path.display().to_string(),
            source,
        })?;
        if meta.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), CliError> {
    let read_err = |source| CliError::Read {
        path: dir.display().to_string(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(read_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_err)?;
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, files)?;
        } else if wanted(&path) && std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            files.push(path);
        }
    }
    Ok(())
}

fn wanted(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_directories_for_manifests_only() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(root.join(".git")).unwrap_or_else(|e| panic!("{e}"));
        for name in [
            "a/x.yaml",
            "a/b/y.json",
            "a/b/z.yml",
            "a/readme.md",
            ".git/c.yaml",
        ] {
            std::fs::write(root.join(name), "x").unwrap_or_else(|e| panic!("{e}"));
        }
        let found = collect(&[root.to_path_buf()]).unwrap_or_else(|e| panic!("{e}"));
        let rel: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(root).unwrap_or(p).to_path_buf())
            .collect();
        assert_eq!(
            rel,
            vec![
                PathBuf::from("a/b/y.json"),
                PathBuf::from("a/b/z.yml"),
                PathBuf::from("a/x.yaml")
            ]
        );
    }
}
