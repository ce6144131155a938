//! Where the scratch directory goes: somewhere private, and preferably not on a disk.
//!
//! 1. `$XDG_RUNTIME_DIR`, when it is what the XDG spec promises: an absolute path to a
//!    directory owned by us that nobody else may enter (systemd makes it a per-user tmpfs).
//! 2. `/dev/shm`: memory-backed on Linux, so a `kill -9` leaves nothing on a disk and a
//!    reboot clears it. World-writable and sticky like `/tmp`; the directory inside is 0700.
//! 3. The temporary directory (`$TMPDIR`, else `/tmp`), as before.
//!
//! Memory-backed pages can still be swapped out; see docs/cli.md.

use crate::error::CliError;
use std::{
    fs,
    path::{Path, PathBuf},
};

const SHARED_MEMORY: &str = "/dev/shm";

/// The usable places, best first, without duplicates.
pub fn candidates() -> Vec<PathBuf> {
    let mut places = Vec::new();
    places.extend(runtime_dir());
    if Path::new(SHARED_MEMORY).is_dir() {
        places.push(PathBuf::from(SHARED_MEMORY));
    }
    places.push(std::env::temp_dir());
    places.dedup();
    places
}

/// A fresh 0700 directory named `prefix` + random characters in the best place that takes
/// it. An existing name is never reused (the directory is created, not found).
pub fn create_private_dir(prefix: &str) -> Result<PathBuf, CliError> {
    let mut last_error = None;
    for place in candidates() {
        match tempfile::Builder::new().prefix(prefix).tempdir_in(&place) {
            // Ownership moves to the caller, which wipes before removing.
            Ok(dir) => return Ok(dir.keep()),
            Err(source) => last_error = Some((place, source)),
        }
    }
    let (path, source) = last_error.unwrap_or_else(|| {
        (
            std::env::temp_dir(),
            std::io::Error::other("no place for a scratch directory"),
        )
    });
    Err(CliError::Write { path, source })
}

#[cfg(unix)]
fn runtime_dir() -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let dir = PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR")?);
    if !dir.is_absolute() {
        return None;
    }
    let meta = fs::metadata(&dir).ok()?;
    let private = meta.is_dir()
        && meta.uid() == rustix::process::getuid().as_raw()
        && meta.mode() & 0o077 == 0;
    private.then_some(dir)
}

#[cfg(not(unix))]
fn runtime_dir() -> Option<PathBuf> {
    None
}
