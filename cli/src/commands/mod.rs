//! One module per command; `execute` routes a request to it.

mod cert;
mod check;
mod edit;
mod hook;
mod keys;
mod merge;
mod raw;
mod reencrypt;
pub(crate) mod seal;
mod unseal;
mod validate;

use crate::{error::CliError, requests::Request};

pub fn execute(request: Request) -> Result<(), CliError> {
    match request {
        Request::Seal(r) => seal::seal(r),
        Request::SealRaw(r) => raw::seal_raw(r),
        Request::MergeInto(r) => merge::merge_into(r),
        Request::Unseal(r) => unseal::unseal(r),
        Request::UnsealRaw(r) => unseal::unseal_raw(r),
        Request::KeysGenerate(r) => keys::generate(r),
        Request::KeysList(r) => keys::list(r),
        Request::KeysRotate(r) => keys::rotate(r),
        Request::KeysRetire(r) => keys::retire(r),
        Request::CertInspect { file, json } => cert::inspect(&file, json),
        Request::PrintCert { cert, output } => cert::print(&cert, &output),
        Request::Validate(r) => validate::validate(r),
        Request::Check(r) => check::run(r),
        Request::HookInstall(r) => hook::install(&r),
        Request::Edit(r) => edit::run(r),
        Request::Reencrypt(r) => reencrypt::run(r),
        Request::KubesealReencrypt(r) => reencrypt::kubeseal_reencrypt(r),
        Request::PrintVersion { program } => crate::io::write_stdout(
            format!("{program} version: {}\n", env!("CARGO_PKG_VERSION")).as_bytes(),
        ),
    }
}
