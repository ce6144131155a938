//! Known sealing certificates (`--cert`, `--cert-dir`): what fingerprints and key sizes a
//! SealedSecret in this tree may legitimately have been sealed for.

use crate::error::CliError;
use sealant_crypto::Fingerprint;
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

#[derive(Debug, Default)]
pub struct KnownCerts {
    /// Fingerprint → modulus size in bytes (the RSA block length of values sealed for it).
    by_fingerprint: BTreeMap<Fingerprint, usize>,
}

impl KnownCerts {
    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_fingerprint.len()
    }

    pub fn size_of(&self, fingerprint: &Fingerprint) -> Option<usize> {
        self.by_fingerprint.get(fingerprint).copied()
    }

    /// Distinct modulus sizes, in bytes, ascending.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes: Vec<usize> = self.by_fingerprint.values().copied().collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    }
}

/// A file that is not a certificate is an error (exit 2): checking against a wrong or empty
/// set of keys would report every SealedSecret, or none.
pub fn load(files: &[PathBuf], dir: Option<&Path>) -> Result<KnownCerts, CliError> {
    let mut all: Vec<PathBuf> = files.to_vec();
    if let Some(dir) = dir {
        let read_error = |source| CliError::Read {
            path: dir.display().to_string(),
            source,
        };
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            let is_cert = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "pem" | "crt"));
            if is_cert && path.is_file() {
                found.push(path);
            }
        }
        if found.is_empty() {
            return Err(CliError::Usage(format!(
                "--cert-dir {}: no *.pem or *.crt files",
                dir.display()
            )));
        }
        found.sort();
        all.extend(found);
    }
    let mut known = KnownCerts::default();
    for file in &all {
        let shown = file.display().to_string();
        let bytes = crate::io::Input::File(file.clone()).read_bytes()?;
        let certs =
            sealant_keys::parse_certificates(&bytes).map_err(|e| CliError::keys(&shown, e))?;
        for cert in certs {
            known
                .by_fingerprint
                .insert(cert.fingerprint(), cert.public_key().size_bytes());
        }
    }
    Ok(known)
}
