//! What a file was when sealant read it, so that a rewrite can refuse to replace a file that
//! changed in the meantime (an editor session, a concurrent `merge-into`, a `git checkout`).
//!
//! The stamp is the file's identity (device and inode), size and modification time, plus a
//! SHA-256 of the bytes read: metadata alone misses a same-size rewrite within the
//! filesystem's timestamp granularity, and the hash alone misses nothing but costs a read.

use crate::error::CliError;
use sha2::{Digest, Sha256};
use std::{
    fs::{self, Metadata},
    io::{self, Read},
    path::{Path, PathBuf},
};
use zeroize::Zeroizing;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The path as the user named it (maybe a symlink), for messages.
    named: PathBuf,
    /// The file that holds the bytes: `named` with every symlink resolved. Rewrites replace
    /// this file, so a link stays a link and the file it names gets the new content.
    real: PathBuf,
    identity: (u64, u64),
    size: u64,
    modified: Option<std::time::SystemTime>,
    digest: [u8; 32],
}

impl Stamp {
    pub fn named(&self) -> &Path {
        &self.named
    }

    pub fn real(&self) -> &Path {
        &self.real
    }

    /// The file behind the link, when the named path is a symlink.
    pub fn through_link(&self) -> Option<&Path> {
        (self.named != self.real
            && fs::symlink_metadata(&self.named).is_ok_and(|m| m.file_type().is_symlink()))
        .then_some(self.real.as_path())
    }

    /// Whether the real file still is the one read: same inode, size and modification time,
    /// and the same bytes. A file that is gone has changed.
    pub(super) fn unchanged(&self) -> io::Result<bool> {
        let mut file = match fs::File::open(&self.real) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        if !self.same_metadata(&meta) {
            return Ok(false);
        }
        let mut bytes = Zeroizing::new(Vec::new());
        file.read_to_end(&mut bytes)?;
        Ok(Sha256::digest(bytes.as_slice()).as_slice() == self.digest)
    }

    fn same_metadata(&self, meta: &Metadata) -> bool {
        identity(meta) == self.identity
            && meta.len() == self.size
            && meta.modified().ok() == self.modified
    }
}

/// Read `path` (following symlinks) for a later rewrite: its bytes in a zeroizing buffer
/// (a file may hold plaintext next to its SealedSecrets), and their stamp.
pub fn read_stamped(path: &Path) -> Result<(Zeroizing<Vec<u8>>, Stamp), CliError> {
    let read_err = |source| CliError::Read {
        path: path.display().to_string(),
        source,
    };
    let real = fs::canonicalize(path).map_err(read_err)?;
    let mut file = fs::File::open(&real).map_err(read_err)?;
    // The metadata of the open file, so stamp and bytes describe the same inode.
    let meta = file.metadata().map_err(read_err)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.read_to_end(&mut bytes).map_err(read_err)?;
    let stamp = Stamp {
        named: path.to_path_buf(),
        real,
        identity: identity(&meta),
        size: meta.len(),
        modified: meta.modified().ok(),
        digest: Sha256::digest(bytes.as_slice()).into(),
    };
    Ok((bytes, stamp))
}

#[cfg(unix)]
fn identity(meta: &Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_meta: &Metadata) -> (u64, u64) {
    (0, 0)
}
