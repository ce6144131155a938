//! Input and output plumbing shared by every command: where bytes come from, and an
//! output that is written atomically and only after the command has succeeded.

use crate::error::CliError;
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

/// Who may read a file once written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Public content (sealed manifests, certificates): a replaced file keeps its mode (e.g.
    /// 0644 manifests in git); a new one is owner-only, as tempfile creates it.
    KeepExisting,
    /// Plaintext: owner-only (0600) whether the file is new or replaced, and never through a
    /// symlink at the destination.
    OwnerOnly,
}

/// Replace `path` with a public file (sealed manifests, certificates, hooks).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    replace_file(path, bytes, Access::KeepExisting)
}

/// Replace `path` with a file that holds plaintext: mode 0600 even over an existing 0644
/// file, and refused when `path` is a symlink. Following the link would put plaintext
/// wherever it points (another user's directory, a synced folder); replacing the link with a
/// regular file would silently write beside the file the user meant. Either surprises, so
/// the user decides.
pub fn write_plaintext(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    replace_file(path, bytes, Access::OwnerOnly)
}

/// The one writer: a temporary file in the destination's directory (so the rename is atomic
/// and never crosses file systems), its mode set before any byte is written, then renamed
/// over the destination. A rename replaces a symlink itself, so no write ever follows one.
fn replace_file(path: &Path, bytes: &[u8], access: Access) -> Result<(), CliError> {
    let write_err = |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    if access == Access::OwnerOnly && is_symlink(path).map_err(write_err)? {
        return Err(CliError::SymlinkDestination {
            path: path.to_path_buf(),
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".sealant-")
        .tempfile_in(dir)
        .map_err(write_err)?;
    match access {
        Access::KeepExisting => {
            if let Ok(meta) = std::fs::metadata(path) {
                std::fs::set_permissions(tmp.path(), meta.permissions()).map_err(write_err)?;
            }
        }
        Access::OwnerOnly => restrict_to_owner(tmp.as_file()).map_err(write_err)?,
    }
    tmp.write_all(bytes).map_err(write_err)?;
    tmp.as_file().sync_all().map_err(write_err)?;
    tmp.persist(path).map_err(|e| write_err(e.error))?;
    Ok(())
}

/// Whether a symlink (even a dangling one) sits at `path`.
fn is_symlink(path: &Path) -> io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => Ok(meta.file_type().is_symlink()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// tempfile creates 0600 files already; say so explicitly rather than rely on it.
#[cfg(unix)]
fn restrict_to_owner(file: &std::fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_to_owner(_file: &std::fs::File) -> io::Result<()> {
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

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
