//! Where keys and certificates come from: a sealing certificate from a local file or a URL
//! (URLs, and the rule they must pass at every redirect, are in `cert_url.rs`), and private
//! keys from key files (PEM, or a backup of the controller's key Secrets) into a key ring.

use crate::error::CliError;
use sealant_keys::{KeyEntry, KeyRing, read_private_keys};
use std::io::Read;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Load the raw bytes of a certificate from a file path or URL.
pub fn read_certificate_bytes(spec: &str) -> Result<Vec<u8>, CliError> {
    if let Some(path) = spec.strip_prefix("file://") {
        return read_file(path);
    }
    if spec.starts_with("https://") || spec.starts_with("http://") {
        return crate::cert_url::fetch(spec);
    }
    read_file(spec)
}

fn read_file(path: &str) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Private key files are plaintext-equivalent: read them into zeroizing memory.
pub fn read_private_key_file(path: &std::path::Path) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let mut buf = Zeroizing::new(Vec::new());
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut buf))
        .map_err(|source| CliError::Read {
            path: path.display().to_string(),
            source,
        })?;
    Ok(buf)
}

/// Every key from every file; a file with no usable key is an error naming the file.
pub fn load_ring(paths: &[PathBuf]) -> Result<KeyRing, CliError> {
    let mut ring = KeyRing::new();
    for path in paths {
        let bytes = read_private_key_file(path)?;
        // X-Wing keys (envelope v2 only) have their own armor and their own place in the ring.
        if crate::v2::private_keys::is_xwing_key_file(&bytes) {
            crate::v2::private_keys::add_xwing_keys(&mut ring, path, &bytes)?;
            continue;
        }
        let keys = read_private_keys(&bytes)
            .map_err(|e| CliError::keys(format!("private key file {}", path.display()), e))?;
        for material in keys {
            let context = format!("private key file {} ({})", path.display(), material.source);
            let entry = KeyEntry::try_from(material).map_err(|e| CliError::keys(context, e))?;
            ring.insert(entry);
        }
    }
    Ok(ring)
}
