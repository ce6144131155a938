//! `sealant edit FILE`: decrypt → edit → reseal only the changed keys.

use crate::error::CliError;

#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// The SealedSecret file to edit in place.
    pub file: std::path::PathBuf,
}

pub fn run(_args: EditArgs) -> Result<(), CliError> {
    Err(CliError::Usage("sealant edit is not implemented yet".into()))
}
