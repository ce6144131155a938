//! `sealant-controller`: parse flags, serve until SIGTERM/SIGINT, and exit with
//! [`ControllerError::exit_code`] (0 ok, 1 configuration or usage error, 2 other failure).

use clap::Parser;
use sealant_controller::{ControllerError, Flags, serve_until_shutdown};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let flags = match Flags::try_parse() {
        Ok(flags) => flags,
        // --help and --version print to stdout and succeed.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(ControllerError::USAGE_EXIT_CODE);
        }
    };
    match serve_until_shutdown(&flags).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sealant-controller: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
