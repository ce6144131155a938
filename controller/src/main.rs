//! `sealant-controller`: parse flags, serve until SIGTERM/SIGINT, and exit with
//! [`ControllerError::exit_code`] (0 ok, 1 configuration or usage error, 2 other failure).

use clap::Parser;
use sealant_controller::{ControllerError, Flags, serve_until_shutdown};
use std::process::ExitCode;

/// jemalloc rather than glibc's allocator: every SealedSecret arrives whole (ciphertexts and
/// all) and is cut down to what the cache keeps, so short-lived and long-lived allocations
/// interleave, and glibc kept the freed holes resident. jemalloc, told to return freed pages
/// at once (`.cargo/config.toml`), held 10,000 objects in 63.5 MiB where glibc took 74 MiB
/// and mimalloc 110 MiB (issue 18; docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
