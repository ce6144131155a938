//! `sealant hook install`: a git pre-commit hook that runs `sealant check --staged`.

use crate::error::CliError;

#[derive(Debug, clap::Subcommand)]
pub enum HookCommand {
    /// Install the pre-commit hook, chaining any existing one.
    Install,
}

pub fn run(_command: HookCommand) -> Result<(), CliError> {
    Err(CliError::Usage("sealant hook is not implemented yet".into()))
}
