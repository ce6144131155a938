//! One module per command; `execute` routes a request to it.

mod cert;
mod keys;
mod merge;
mod raw;
mod seal;
mod unseal;

use crate::{error::CliError, requests::Request};

pub fn execute(request: Request) -> Result<(), CliError> {
    match request {
        Request::Seal(r) => seal::seal(r),
        Request::SealRaw(r) => raw::seal_raw(r),
        Request::MergeInto(r) => merge::merge_into(r),
        Request::Unseal(r) => unseal::unseal(r),
        Request::UnsealRaw(r) => unseal::unseal_raw(r),
        Request::KeysGenerate(r) => keys::generate(r),
        Request::CertInspect { file, json } => cert::inspect(&file, json),
        Request::PrintCert { cert, output } => cert::print(&cert, &output),
        Request::PrintVersion { program } => crate::io::write_stdout(
            format!("{program} version: {}\n", env!("CARGO_PKG_VERSION")).as_bytes(),
        ),
    }
}
