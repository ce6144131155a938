//! The one way sealant replaces a file: a temporary file in the destination's directory (so
//! the rename is atomic and never crosses file systems), given the replaced file's owner and
//! mode before any byte is written, then renamed over the destination.
//!
//! A replacement never silently diverges from what the user sees at the path:
//! - a **symlink** is written through: the file it names is replaced and the link stays (for
//!   plaintext it is refused instead, see [`Access::OwnerOnly`]);
//! - a **hard-linked** file is refused: a rename would split the names, the others keeping
//!   the old content, and writing in place would not be atomic;
//! - a **read-only** file (no owner write bit) is refused, as `cp` and editors refuse it;
//! - the replaced file's **owner, group and mode** are kept; a replacement that cannot be given
//!   the owner (not root, someone else's file) is refused rather than silently taken over;
//! - a file **read for a rewrite** is replaced only if it is still what was read (see
//!   [`super::stamp`]), checked right before the rename.
//!
//! What is left is the instant between that last check and the rename: advisory file locks
//! would not close it either (other tools do not take them), so it is stated, not hidden.

use super::{refusal::Refusal, stamp::Stamp};
use crate::error::CliError;
use std::{
    fs::{self, Metadata},
    io::{self, Write},
    path::{Path, PathBuf},
};

/// Who may read the file once written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// Public content (sealed manifests, certificates): a replaced file keeps its mode; a new
    /// one is owner-only, as tempfile creates it.
    KeepExisting,
    /// Plaintext: owner-only (0600) whether the file is new or replaced, and refused at a
    /// symlink. Following the link would put plaintext wherever it points (another user's
    /// directory, a synced folder); replacing the link would write beside the file the user
    /// meant. Either surprises, so the user decides.
    OwnerOnly,
}

/// What becomes of the finished bytes when the file changed since it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Drop them: running the command again redoes the work (`reencrypt`).
    Discard,
    /// Keep them beside the file, under a name the error gives, because they hold work the
    /// user cannot simply redo (an edit session, a Secret piped in). Only ever sealed
    /// content: plaintext is always discarded.
    KeepAside,
}

/// The file a write to `path` lands in, and what is there now.
struct Destination {
    real: PathBuf,
    existing: Option<Metadata>,
}

fn refused(path: &Path, reason: Refusal) -> CliError {
    CliError::RewriteRefused {
        path: path.to_path_buf(),
        reason,
    }
}

impl Destination {
    /// Where a write of `path` goes: the path itself, or for public content the file its
    /// symlink names. With a stamp, exactly the file that was read.
    fn resolve(path: &Path, access: Access, stamp: Option<&Stamp>) -> Result<Self, CliError> {
        let write_err = |source| CliError::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(stamp) = stamp {
            return match fs::symlink_metadata(stamp.real()) {
                Ok(meta) => Ok(Self {
                    real: stamp.real().to_path_buf(),
                    existing: Some(meta),
                }),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    Err(refused(path, Refusal::Changed { kept: None }))
                }
                Err(e) => Err(write_err(e)),
            };
        }
        let meta = match fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Self {
                    real: path.to_path_buf(),
                    existing: None,
                });
            }
            Err(e) => return Err(write_err(e)),
        };
        if !meta.file_type().is_symlink() {
            return Ok(Self {
                real: path.to_path_buf(),
                existing: Some(meta),
            });
        }
        if access == Access::OwnerOnly {
            return Err(CliError::SymlinkDestination {
                path: path.to_path_buf(),
            });
        }
        match fs::canonicalize(path) {
            Ok(real) => {
                let existing = fs::symlink_metadata(&real).map_err(write_err)?;
                Ok(Self {
                    real,
                    existing: Some(existing),
                })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let target = fs::read_link(path).unwrap_or_default();
                Err(refused(path, Refusal::DanglingLink { target }))
            }
            Err(e) => Err(write_err(e)),
        }
    }
}

/// Why an existing file must not be replaced, judged from its metadata alone.
pub(super) fn refusal(meta: &Metadata) -> Option<Refusal> {
    if !meta.is_file() {
        return Some(Refusal::NotAFile);
    }
    unix_refusal(meta)
}

#[cfg(unix)]
fn unix_refusal(meta: &Metadata) -> Option<Refusal> {
    use std::os::unix::fs::MetadataExt;
    if meta.nlink() > 1 {
        return Some(Refusal::HardLinked {
            links: meta.nlink(),
        });
    }
    // The owner's bit, not access(2): root may write anything, yet a file its owner made
    // read-only is meant to stay as it is.
    if meta.mode() & 0o200 == 0 {
        return Some(Refusal::ReadOnly {
            mode: meta.mode() & 0o7777,
        });
    }
    None
}

#[cfg(not(unix))]
fn unix_refusal(meta: &Metadata) -> Option<Refusal> {
    meta.permissions()
        .readonly()
        .then_some(Refusal::ReadOnly { mode: 0o444 })
}

/// Replace `path` with `bytes`; with `expected`, only if the file is still what was read.
pub(super) fn replace_file(
    path: &Path,
    bytes: &[u8],
    access: Access,
    expected: Option<(&Stamp, OnConflict)>,
) -> Result<(), CliError> {
    let write_err = |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dest = Destination::resolve(path, access, expected.map(|(stamp, _)| stamp))?;
    if let Some(reason) = dest.existing.as_ref().and_then(refusal) {
        return Err(refused(path, reason));
    }
    let dir = match dest.real.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".sealant-")
        .tempfile_in(dir)
        .map_err(write_err)?;
    if let Some(existing) = &dest.existing {
        keep_owner(tmp.as_file(), existing).map_err(|reason| refused(path, reason))?;
    }
    match (access, &dest.existing) {
        (Access::KeepExisting, Some(existing)) => tmp
            .as_file()
            .set_permissions(existing.permissions())
            .map_err(write_err)?,
        (Access::KeepExisting, None) => {}
        (Access::OwnerOnly, _) => restrict_to_owner(tmp.as_file()).map_err(write_err)?,
    }
    tmp.write_all(bytes).map_err(write_err)?;
    tmp.as_file().sync_all().map_err(write_err)?;
    if let Some((stamp, on_conflict)) = expected
        && !stamp.unchanged().map_err(write_err)?
    {
        let kept = match (on_conflict, access) {
            (OnConflict::KeepAside, Access::KeepExisting) => {
                Some(keep_aside(tmp, &dest.real).map_err(write_err)?)
            }
            // Dropping the temporary file removes it.
            _ => None,
        };
        return Err(refused(path, Refusal::Changed { kept }));
    }
    tmp.persist(&dest.real).map_err(|e| write_err(e.error))?;
    Ok(())
}

/// Move the finished temporary file to a fresh name beside `real` (`db.yaml.x7Gq2a.rejected`:
/// not `*.yaml`, so neither kubectl nor sealant pick it up as a manifest).
fn keep_aside(tmp: tempfile::NamedTempFile, real: &Path) -> io::Result<PathBuf> {
    let dir = real.parent().unwrap_or(Path::new("."));
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (_, aside) = tempfile::Builder::new()
        .prefix(&format!("{name}."))
        .suffix(".rejected")
        .tempfile_in(dir)?
        .keep()
        .map_err(|e| e.error)?;
    tmp.persist(&aside).map_err(|e| e.error)?;
    Ok(aside)
}

/// Give the replacement the replaced file's owner and group (root rewriting a user's
/// checkout must not leave root-owned files behind). Nothing to do when they are already
/// ours; refused when they are not and cannot be made so.
#[cfg(unix)]
fn keep_owner(tmp: &fs::File, existing: &Metadata) -> Result<(), Refusal> {
    use std::os::unix::fs::MetadataExt;
    let (uid, gid) = (existing.uid(), existing.gid());
    let mine = tmp
        .metadata()
        .map_err(|source| Refusal::Owner { uid, gid, source })?;
    if (mine.uid(), mine.gid()) == (uid, gid) {
        return Ok(());
    }
    std::os::unix::fs::fchown(tmp, Some(uid), Some(gid)).map_err(|source| Refusal::Owner {
        uid,
        gid,
        source,
    })
}

#[cfg(not(unix))]
fn keep_owner(_tmp: &fs::File, _existing: &Metadata) -> Result<(), Refusal> {
    Ok(())
}

/// tempfile creates 0600 files already; say so explicitly rather than rely on it.
#[cfg(unix)]
fn restrict_to_owner(file: &fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_to_owner(_file: &fs::File) -> io::Result<()> {
    Ok(())
}
