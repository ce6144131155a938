//! Running git for `--staged`, and turning the paths it prints (bytes) into paths.

use crate::error::CliError;
use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// `git [-C dir] args…` with stdout captured; a failure names the command and carries
/// git's stderr (git names paths there, never file contents).
pub fn output(dir: Option<&Path>, args: &[&str]) -> Result<Vec<u8>, CliError> {
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

/// Like [`output`], but exit status 1 with no output means "nothing" (`git config --get`
/// of an unset key).
pub fn optional_output(dir: &Path, args: &[&str]) -> Result<Option<Vec<u8>>, CliError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|source| CliError::Read {
            path: "git".into(),
            source,
        })?;
    match out.status.code() {
        Some(0) => Ok(Some(out.stdout)),
        Some(1) if out.stdout.is_empty() => Ok(None),
        _ => Err(CliError::Usage(format!(
            "--staged: git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
    }
}

/// One line git printed about a path (`rev-parse`, `config`), without its line ending.
pub fn line_path(stdout: &[u8]) -> PathBuf {
    let line = stdout.strip_suffix(b"\n").unwrap_or(stdout);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    path_from_bytes(line)
}

/// A path exactly as git stores it: bytes, which on Unix need not be UTF-8.
#[cfg(unix)]
pub fn path_from_bytes(raw: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(raw))
}

/// Elsewhere git's paths are UTF-8 (git for Windows stores them so).
#[cfg(not(unix))]
pub fn path_from_bytes(raw: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(raw).into_owned())
}
