//! Input and output plumbing shared by every command: where bytes come from, and an
//! output that is written atomically and only after the command has succeeded.
//!
//! Every file sealant writes goes through one writer (`replace.rs`: links, permissions,
//! owners). Files rewritten in place (`reencrypt`, `merge-into`, `edit`) are read with
//! [`read_for_rewrite`] and written with [`rewrite`], which replaces them only if they are
//! still what was read (`stamp.rs`).

pub(crate) mod refusal;
mod replace;
mod stamp;
mod target;

pub use replace::OnConflict;
pub use stamp::Stamp;
pub use target::{load_sealed_target, only_secret, rewrite_sealed};

use crate::error::CliError;
use replace::Access;
use std::{
    io::{self, Read, Write},
    path::{Path, PathBuf},
};
use zeroize::Zeroizing;

/// Where a command reads its document(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    pub fn from_arg(arg: Option<PathBuf>) -> Self {
        match arg {
            Some(p) if p.as_os_str() != "-" => Input::File(p),
            _ => Input::Stdin,
        }
    }

    pub fn display(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_owned(),
            Input::File(p) => p.display().to_string(),
        }
    }

    /// All bytes, held in a zeroizing buffer because inputs are often plaintext Secrets.
    pub fn read_bytes(&self) -> Result<Zeroizing<Vec<u8>>, CliError> {
        let mut buf = Zeroizing::new(Vec::new());
        let result = match self {
            Input::Stdin => io::stdin().lock().read_to_end(&mut buf),
            Input::File(p) => std::fs::File::open(p).and_then(|mut f| f.read_to_end(&mut buf)),
        };
        result.map_err(|source| CliError::Read {
            path: self.display(),
            source,
        })?;
        Ok(buf)
    }

    /// The input as text: refuses binary (NUL bytes or invalid UTF-8) and empty input.
    pub fn read_text(&self) -> Result<Zeroizing<String>, CliError> {
        let bytes = self.read_bytes()?;
        text_from_bytes(bytes, &self.display())
    }
}

pub fn text_from_bytes(
    mut bytes: Zeroizing<Vec<u8>>,
    origin: &str,
) -> Result<Zeroizing<String>, CliError> {
    if bytes.contains(&0) {
        return Err(CliError::Binary {
            path: origin.to_owned(),
        });
    }
    // Move the buffer into a String without copying, so only one zeroizing copy exists.
    let owned = std::mem::take(&mut *bytes);
    let text = String::from_utf8(owned).map_err(|e| {
        // Wipe the rejected buffer before dropping it.
        drop(Zeroizing::new(e.into_bytes()));
        CliError::Binary {
            path: origin.to_owned(),
        }
    })?;
    let text = Zeroizing::new(text);
    if text.trim().is_empty() {
        return Err(CliError::EmptyInput {
            path: origin.to_owned(),
        });
    }
    Ok(text)
}

/// The format of an existing manifest, so rewrites keep it: a file that starts with `{` is
/// JSON, anything else YAML.
pub fn detect_format(text: &str) -> sealant_api::OutputFormat {
    if text.trim_start().starts_with('{') {
        sealant_api::OutputFormat::Json
    } else {
        sealant_api::OutputFormat::Yaml
    }
}

/// Where a command writes its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Stdout,
    File(PathBuf),
}

impl Output {
    pub fn from_arg(arg: Option<PathBuf>) -> Self {
        match arg {
            Some(p) if p.as_os_str() != "-" => Output::File(p),
            _ => Output::Stdout,
        }
    }

    /// Write the finished result. Files are replaced atomically (temp file + rename in the
    /// same directory), so a failure never leaves a partial or truncated file behind.
    pub fn write(&self, bytes: &[u8]) -> Result<(), CliError> {
        match self {
            Output::Stdout => write_stdout(bytes),
            Output::File(path) => write_atomically(path, bytes),
        }
    }

    /// [`Output::write`] for plaintext: a file is owner-only and never written through a
    /// symlink (see [`write_plaintext`]).
    pub fn write_plaintext(&self, bytes: &[u8]) -> Result<(), CliError> {
        match self {
            Output::Stdout => write_stdout(bytes),
            Output::File(path) => write_plaintext(path, bytes),
        }
    }
}

/// A closed pipe (`sealant ... | head`) is the reader's choice, not a failure.
pub fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(CliError::Write {
            path: PathBuf::from("<stdout>"),
            source,
        }),
        Ok(()) => Ok(()),
    }
}

/// Replace `path` with a public file (sealed manifests, certificates, hooks); see
/// [`replace`] for what happens at symlinks, hard links, read-only and others' files.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    replace::replace_file(path, bytes, Access::KeepExisting, None)
}

/// Replace `path` with a file that holds plaintext: mode 0600 even over an existing 0644
/// file, and refused when `path` is a symlink (see [`Access::OwnerOnly`]).
pub fn write_plaintext(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    replace::replace_file(path, bytes, Access::OwnerOnly, None)
}

/// Read a file that will be rewritten in place (`reencrypt`, `merge-into`, `edit`): its
/// text, and the stamp that [`rewrite`] checks. A symlink is followed; the rewrite then
/// replaces the file it names.
pub fn read_for_rewrite(path: &Path) -> Result<(Zeroizing<String>, Stamp), CliError> {
    let (bytes, stamp) = stamp::read_stamped(path)?;
    let text = text_from_bytes(bytes, &path.display().to_string())?;
    Ok((text, stamp))
}

/// Replace the file `stamp` was read from with `bytes` (sealed content), but only if it is
/// still exactly what was read, checked right before the rename. Otherwise nothing is
/// replaced and the error says so ([`refusal::Refusal::Changed`]); `on_conflict` decides whether the
/// bytes are kept beside the file.
pub fn rewrite(stamp: &Stamp, bytes: &[u8], on_conflict: OnConflict) -> Result<(), CliError> {
    replace::replace_file(
        stamp.named(),
        bytes,
        Access::KeepExisting,
        Some((stamp, on_conflict)),
    )
}

/// Whether [`rewrite`] would be refused for what the file is (hard-linked, read-only, not a
/// regular file), without writing: `--dry-run` reports what a real run would.
pub fn check_replaceable(stamp: &Stamp) -> Result<(), CliError> {
    let meta = std::fs::symlink_metadata(stamp.real()).map_err(|source| CliError::Read {
        path: stamp.named().display().to_string(),
        source,
    })?;
    match replace::refusal(&meta) {
        Some(reason) => Err(CliError::RewriteRefused {
            path: stamp.named().to_path_buf(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Write a file only readable by its owner (private keys).
#[cfg(unix)]
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    use std::os::unix::fs::OpenOptionsExt;
    let write_err = |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(write_err)?;
    file.write_all(bytes).map_err(write_err)?;
    file.sync_all().map_err(write_err)
}

#[cfg(not(unix))]
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_atomically(path, bytes)
}

/// Refuse to overwrite either file of a key pair (a dangling symlink counts as existing, and
/// is not followed), then create the output directory.
pub fn prepare_key_pair_dir(
    out_dir: &std::path::Path,
    files: [&std::path::Path; 2],
) -> Result<(), CliError> {
    for path in files {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(CliError::Usage(format!(
                "{} already exists; refusing to overwrite a key pair",
                path.display()
            )));
        }
    }
    std::fs::create_dir_all(out_dir).map_err(|source| CliError::Write {
        path: out_dir.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::{refusal::Refusal, *};

    #[test]
    fn text_refuses_binary_and_empty() {
        let nul = Zeroizing::new(b"a\0b".to_vec());
        assert!(matches!(
            text_from_bytes(nul, "f"),
            Err(CliError::Binary { .. })
        ));
        let bad_utf8 = Zeroizing::new(vec![0xff, 0xfe]);
        assert!(matches!(
            text_from_bytes(bad_utf8, "f"),
            Err(CliError::Binary { .. })
        ));
        let empty = Zeroizing::new(b" \n".to_vec());
        assert!(matches!(
            text_from_bytes(empty, "f"),
            Err(CliError::EmptyInput { .. })
        ));
    }

    /// Same size, same modification time, different bytes: only the hash can tell, and
    /// nothing is replaced; the result is kept beside the file when asked.
    #[test]
    fn a_rewrite_refuses_a_file_changed_since_it_was_read() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, "kind: one\n")?;
        let (_, stamp) = read_for_rewrite(&path)?;
        let modified = std::fs::metadata(&path)?.modified()?;
        std::fs::write(&path, "kind: two\n")?;
        std::fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(modified)?;

        let discarded = rewrite(&stamp, b"kind: mine\n", OnConflict::Discard);
        assert!(matches!(
            discarded,
            Err(CliError::RewriteRefused {
                reason: Refusal::Changed { kept: None },
                ..
            })
        ));
        let kept = match rewrite(&stamp, b"kind: mine\n", OnConflict::KeepAside) {
            Err(CliError::RewriteRefused {
                reason: Refusal::Changed { kept: Some(kept) },
                ..
            }) => kept,
            other => panic!("{other:?}"),
        };
        assert_eq!(std::fs::read_to_string(&path)?, "kind: two\n");
        assert_eq!(std::fs::read_to_string(&kept)?, "kind: mine\n");
        assert_eq!(
            std::fs::read_dir(dir.path())?.count(),
            2,
            "no temporary file left"
        );

        let (_, fresh) = read_for_rewrite(&path)?;
        rewrite(&fresh, b"kind: three\n", OnConflict::Discard)?;
        assert_eq!(std::fs::read_to_string(&path)?, "kind: three\n");
        Ok(())
    }

    #[test]
    fn atomic_write_replaces_whole_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("out.yaml");
        std::fs::write(&path, "old contents that are longer")?;
        write_atomically(&path, b"new")?;
        assert_eq!(std::fs::read_to_string(&path)?, "new");
        Ok(())
    }
}
