//! The private scratch space that holds plaintext while the editor runs.
//!
//! A fresh directory (mode 0700) holds one file (mode 0600). On every way out (success,
//! error, panic unwinding, and the signal thread in `signals.rs`) every regular file in
//! the directory is overwritten with zeros and removed, then the directory itself: editors
//! leave swap and backup copies (`.secret.yaml.swp`, `secret.yaml~`) next to the file, and
//! those hold plaintext too.
//!
//! The directory is registered in a process-wide slot so that the signal thread can wipe it;
//! whoever takes the slot first does the wiping, so it happens exactly once.
//!
//! `kill -9` leaves no way out, so the directory lives where a crash costs least
//! (`place.rs`: memory rather than disk), carries the owner's PID in its name, and stays
//! locked while its owner lives; the next edit wipes it (`stale.rs`).

mod place;
mod stale;

use crate::error::CliError;
use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard, PoisonError},
};

/// Name of the file the editor sees; the extension gives editors YAML highlighting.
const FILE_NAME: &str = "secret.yaml";

/// Scratch directories are named `sealant-edit-<pid>-<random>`.
const DIR_PREFIX: &str = "sealant-edit-";

/// The directory to wipe if a signal arrives now.
static REGISTERED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// A wipe never gives up because another thread panicked while holding the slot.
fn registry() -> MutexGuard<'static, Option<PathBuf>> {
    REGISTERED.lock().unwrap_or_else(PoisonError::into_inner)
}

pub struct Scratch {
    dir: PathBuf,
    file: PathBuf,
    /// Held open (and locked) while we live: tells `stale.rs` the directory is in use.
    _lock: Option<fs::File>,
}

impl Scratch {
    /// Wipe what killed edits left behind, then create the private directory and write
    /// `contents` to a new 0600 file inside it.
    pub fn create(contents: &[u8]) -> Result<Self, CliError> {
        let wiped = stale::sweep(&place::candidates());
        if wiped > 0 {
            eprintln!(
                "note: wiped {wiped} scratch {} left by `sealant edit` runs that were killed",
                if wiped == 1 {
                    "directory"
                } else {
                    "directories"
                }
            );
        }
        let dir = place::create_private_dir(&format!("{DIR_PREFIX}{}-", std::process::id()))?;
        let scratch = Self {
            file: dir.join(FILE_NAME),
            _lock: lock(&dir),
            dir,
        };
        *registry() = Some(scratch.dir.clone());
        scratch.restrict_dir()?;
        scratch.write_file(contents)?;
        Ok(scratch)
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    #[cfg(unix)]
    fn restrict_dir(&self) -> Result<(), CliError> {
        use std::os::unix::fs::PermissionsExt;
        // tempfile already creates 0700 directories; say so explicitly rather than rely on it.
        fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700)).map_err(|source| {
            CliError::Write {
                path: self.dir.clone(),
                source,
            }
        })
    }

    #[cfg(not(unix))]
    fn restrict_dir(&self) -> Result<(), CliError> {
        Ok(())
    }

    fn write_file(&self, contents: &[u8]) -> Result<(), CliError> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let write_err = |source| CliError::Write {
            path: self.file.clone(),
            source,
        };
        let mut file = options.open(&self.file).map_err(write_err)?;
        file.write_all(contents).map_err(write_err)?;
        file.sync_all().map_err(write_err)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let mut slot = registry();
        if slot.as_deref() == Some(self.dir.as_path()) {
            *slot = None;
            wipe_dir(&self.dir);
        }
        // Otherwise the signal thread took the slot and has wiped (or is about to exit).
    }
}

/// Wipe the registered directory, if any; for the signal thread. Returns whether there
/// was one (then nothing was committed), with the slot still locked so that the main thread
/// cannot start a commit while the process exits.
pub fn wipe_registered() -> (MutexGuard<'static, Option<PathBuf>>, bool) {
    let mut slot = registry();
    let wiped = slot.take().inspect(|dir| wipe_dir(dir)).is_some();
    (slot, wiped)
}

impl Scratch {
    /// Run the commit `f` (the rewrite of the target) holding the slot, then wipe. A signal
    /// either claimed the slot first (then `f` does not run) or waits until `f` and the wipe
    /// are done; it never lands half-way through.
    pub fn commit<T>(
        self,
        f: impl FnOnce() -> Result<T, CliError>,
        file: &Path,
    ) -> Result<T, CliError> {
        let mut slot = registry();
        if slot.as_deref() != Some(self.dir.as_path()) {
            return Err(CliError::Interrupted {
                file: file.to_path_buf(),
            });
        }
        let result = f();
        *slot = None;
        wipe_dir(&self.dir);
        result
    }
}

/// The directory, opened and locked (released by the kernel when we die, however we die).
/// A filesystem without locks leaves only the PID in the name to show the directory is ours.
fn lock(dir: &Path) -> Option<fs::File> {
    let handle = fs::File::open(dir).ok()?;
    handle.try_lock().ok()?;
    Some(handle)
}

/// Best effort by nature: a failure to wipe one file must not stop the others being wiped.
fn wipe_dir(dir: &Path) {
    wipe_tree(dir);
    let _ = fs::remove_dir_all(dir);
}

fn wipe_tree(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // symlink_metadata: never follow a link out of the private directory.
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => wipe_tree(&path),
            Ok(meta) if meta.is_file() => {
                let _ = zero_file(&path, meta.len());
                let _ = fs::remove_file(&path);
            }
            _ => {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// Overwrite in place (same inode), so the plaintext blocks are replaced, not just unlinked.
fn zero_file(path: &Path, len: u64) -> io::Result<()> {
    let mut file = fs::OpenOptions::new().write(true).open(path)?;
    let zeros = [0u8; 8192];
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left.min(zeros.len() as u64)).unwrap_or(zeros.len());
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn drop_wipes_file_and_editor_leftovers() {
        let scratch = Scratch::create(b"password: hunter2\n").unwrap();
        let dir = scratch.dir.clone();
        let file = scratch.file().to_path_buf();
        // A hard link sees the same inode: after the wipe it must hold zeros only.
        let outside = tempfile::tempdir_in(dir.parent().unwrap()).unwrap();
        let link = outside.path().join("link");
        fs::hard_link(&file, &link).unwrap();
        fs::write(dir.join(".secret.yaml.swp"), b"hunter2").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&file), 0o600);
        }
        // Locked while it lives: the sign `stale.rs` reads for "in use".
        let other = fs::File::open(&dir).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(fs::TryLockError::WouldBlock)
        ));
        drop(scratch);
        assert!(!dir.exists());
        let left = fs::read(&link).unwrap();
        assert_eq!(left.len(), b"password: hunter2\n".len());
        assert!(left.iter().all(|b| *b == 0));
    }
}
