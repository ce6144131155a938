//! One file to scan and where its bytes come from: the working tree or the git index.

use super::staged::blob::StagedBlob;
use crate::error::CliError;
use std::path::PathBuf;
use zeroize::Zeroizing;

#[derive(Debug)]
pub enum Origin {
    Disk(PathBuf),
    /// A blob in the git index, read by its object id.
    Index(StagedBlob),
}

#[derive(Debug)]
pub struct Candidate {
    /// The path as shown in the report (escaped, see [`super::paths::shown_bytes`]).
    pub display: String,
    pub origin: Origin,
}

impl Candidate {
    /// The file's bytes, zeroized on drop: scanned files are often plaintext Secrets.
    pub fn load(&self) -> Result<Zeroizing<Vec<u8>>, CliError> {
        match &self.origin {
            Origin::Disk(path) => {
                std::fs::read(path)
                    .map(Zeroizing::new)
                    .map_err(|source| CliError::Read {
                        path: self.display.clone(),
                        source,
                    })
            }
            Origin::Index(blob) => blob.load(&self.display),
        }
    }
}
