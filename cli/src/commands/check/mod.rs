//! `sealant check`: offline scanner for plaintext Secrets and broken SealedSecrets.

use crate::error::CliError;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories to scan (default: the current directory).
    pub paths: Vec<std::path::PathBuf>,
}

pub fn run(_args: CheckArgs) -> Result<(), CliError> {
    Err(CliError::Usage(
        "sealant check is not implemented yet".into(),
    ))
}
