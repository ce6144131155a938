//! Scratch directories left by an edit that was killed (`kill -9`, OOM killer, power cut
//! on a disk-backed temp dir) hold plaintext that nothing else will ever remove. Each edit
//! wipes such directories when it starts.
//!
//! A directory is stale only when all of these hold:
//! - its name is ours: `sealant-edit-<pid>-<random>`;
//! - it is a real directory (not a symlink) owned by our uid;
//! - the process `<pid>` does not exist;
//! - nobody holds the lock its owner takes on it (`Scratch::create`). The lock is released
//!   by the kernel when its holder dies, so it also protects a live edit whose PID means
//!   something else here (another PID namespace sharing `/dev/shm`) or whose PID was reused.

use super::DIR_PREFIX;
use std::{
    ffi::OsStr,
    fs::{self, File, TryLockError},
    path::{Path, PathBuf},
};

/// Wipe the stale scratch directories in `places`; returns how many there were.
#[cfg(unix)]
pub fn sweep(places: &[PathBuf]) -> usize {
    sweep_as(places, rustix::process::getuid().as_raw())
}

#[cfg(not(unix))]
pub fn sweep(_places: &[PathBuf]) -> usize {
    0
}

#[cfg(unix)]
fn sweep_as(places: &[PathBuf], uid: u32) -> usize {
    let mut wiped = 0;
    for place in places {
        let Ok(entries) = fs::read_dir(place) else {
            continue;
        };
        for entry in entries.flatten() {
            let Some(pid) = owner_pid(&entry.file_name()) else {
                continue;
            };
            let path = entry.path();
            if pid != std::process::id() && is_stale(&path, pid, uid) {
                super::wipe_dir(&path);
                wiped += 1;
            }
        }
    }
    wiped
}

#[cfg(unix)]
fn is_stale(path: &Path, pid: u32, uid: u32) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_dir() || meta.uid() != uid || process_exists(pid) {
        return false;
    }
    let Ok(dir) = File::open(path) else {
        return false;
    };
    // The directory opened must be the one inspected, not something renamed into place.
    if !dir
        .metadata()
        .is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
    {
        return false;
    }
    match dir.try_lock() {
        Ok(()) => true,
        Err(TryLockError::WouldBlock) => false,
        // A filesystem without locks: the dead PID has to do.
        Err(TryLockError::Error(_)) => true,
    }
}

/// `<pid>` from `sealant-edit-<pid>-<random>`.
fn owner_pid(name: &OsStr) -> Option<u32> {
    let rest = name.to_str()?.strip_prefix(DIR_PREFIX)?;
    let (pid, random) = rest.split_once('-')?;
    if random.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether a process with this id exists (as `kill -0` tells). In doubt, it does.
#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    use rustix::{io::Errno, process};
    let Some(pid) = i32::try_from(pid).ok().and_then(process::Pid::from_raw) else {
        return true;
    };
    // EPERM: it exists, under another user.
    process::test_kill_process(pid) != Err(Errno::SRCH)
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// The id of a process that has exited.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    fn scratch_in(place: &Path, pid: u32) -> PathBuf {
        let dir = place.join(format!("{DIR_PREFIX}{pid}-AbC123"));
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("secret.yaml"), "password: hunter2\n").unwrap();
        dir
    }

    #[test]
    fn names() {
        assert_eq!(owner_pid(OsStr::new("sealant-edit-42-AbC123")), Some(42));
        for name in [
            "sealant-edit-42-",
            "sealant-edit--AbC",
            "sealant-edit-4x2-AbC",
            "sealant-edit-AbC123",
            "other-42-AbC",
        ] {
            assert_eq!(owner_pid(OsStr::new(name)), None, "{name}");
        }
    }

    #[test]
    fn only_dead_unlocked_directories_of_our_uid_are_wiped() {
        let place = tempfile::tempdir().unwrap();
        let uid = fs::metadata(place.path()).unwrap().uid();
        let dead = dead_pid();

        let stale = scratch_in(place.path(), dead);
        let live = scratch_in(place.path(), std::process::id()); // this process: skipped
        let parent_pid = std::os::unix::process::parent_id();
        let alive = scratch_in(place.path(), parent_pid);
        // A dead PID, but its lock is held (a live edit in another PID namespace).
        let locked = place.path().join(format!("{DIR_PREFIX}{dead}-LoCkEd"));
        fs::create_dir(&locked).unwrap();
        let held = File::open(&locked).unwrap();
        held.try_lock().unwrap();
        // Named like ours but a symlink to a directory elsewhere: never followed.
        let elsewhere = tempfile::tempdir().unwrap();
        fs::write(elsewhere.path().join("keep"), "x").unwrap();
        let link = place.path().join(format!("{DIR_PREFIX}{dead}-LiNkEd"));
        std::os::unix::fs::symlink(elsewhere.path(), &link).unwrap();

        // Someone else's uid: nothing is theirs to lose to us.
        assert_eq!(sweep_as(&[place.path().to_path_buf()], uid + 1), 0);
        assert!(stale.exists());

        assert_eq!(sweep_as(&[place.path().to_path_buf()], uid), 1);
        assert!(!stale.exists());
        assert!(live.exists() && alive.exists() && locked.exists());
        assert!(elsewhere.path().join("keep").exists());
        drop(held);
        assert_eq!(sweep_as(&[place.path().to_path_buf()], uid), 1);
        assert!(!locked.exists());
    }
}
