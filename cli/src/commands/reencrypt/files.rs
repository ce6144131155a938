//! Which files `reencrypt` looks at: named files as given, directories recursively
//! (`*.yaml`, `*.yml`, `*.json`; hidden entries and symlinked directories skipped), sorted.
//! A symlinked file stands for the file it names (the rewrite goes through the link), so a
//! link and its target, or two links to one file, are one entry: the file's own path if it
//! is listed, else the first link.

use crate::error::CliError;
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

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
    Ok(one_entry_per_file(files))
}

fn one_entry_per_file(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let is_link = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    let mut seen: HashMap<PathBuf, usize> = HashMap::new();
    let mut out: Vec<PathBuf> = Vec::with_capacity(files.len());
    for path in files {
        let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        match seen.get(&real) {
            None => {
                seen.insert(real, out.len());
                out.push(path);
            }
            Some(&at) => {
                if is_link(&out[at]) && !is_link(&path) {
                    out[at] = path;
                }
            }
        }
    }
    out
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
