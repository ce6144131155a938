//! `sealant` binary: parse, run, map the exit code. All logic lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    sealant_cli::main_with_args(std::env::args_os())
}
