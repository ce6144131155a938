//! `sealant keys generate --type x-wing`: an X-Wing key pair for an offline (escrow)
//! recipient. `--type rsa` stays the certificate pair of `commands/keys/generate.rs`.

use crate::{
    args::GenerateArgs,
    error::CliError,
    io::{write_atomically, write_private_file},
    requests::GenerateRequest,
};
use clap::ValueEnum;
use sealant_crypto::XWingPrivateKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyTypeArg {
    Rsa,
    #[value(name = "x-wing")]
    XWing,
}

/// File names inside `--out` for an X-Wing pair.
pub const XWING_PRIVATE_FILE: &str = "key.pem";
pub const XWING_PUBLIC_FILE: &str = "public.pem";

const DEFAULT_COMMON_NAME: &str = "sealed-secret";
const DEFAULT_VALIDITY_DAYS: u32 = 3650;

/// The request; RSA-only flags given with `--type x-wing` are recorded to be refused (an
/// X-Wing key has no size, name or validity), not silently ignored.
pub fn generate_request(a: GenerateArgs) -> GenerateRequest {
    let rsa_only_flags = [
        a.bits.map(|_| "--bits"),
        a.common_name.as_ref().map(|_| "--cn"),
        a.validity_days.map(|_| "--validity-days"),
    ]
    .into_iter()
    .flatten()
    .collect();
    GenerateRequest {
        out_dir: a.out,
        key_type: a.key_type,
        rsa_only_flags,
        bits: a.bits.unwrap_or(sealant_keys::DEFAULT_KEY_BITS),
        common_name: a
            .common_name
            .unwrap_or_else(|| DEFAULT_COMMON_NAME.to_owned()),
        validity_days: a.validity_days.unwrap_or(DEFAULT_VALIDITY_DAYS),
    }
}

pub fn generate_xwing(req: &GenerateRequest) -> Result<(), CliError> {
    if !req.rsa_only_flags.is_empty() {
        return Err(CliError::Usage(format!(
            "{} only apply to --type rsa; an X-Wing key has no size, name or validity",
            req.rsa_only_flags.join(", ")
        )));
    }
    let key_path = req.out_dir.join(XWING_PRIVATE_FILE);
    let public_path = req.out_dir.join(XWING_PUBLIC_FILE);
    crate::io::prepare_key_pair_dir(&req.out_dir, [&key_path, &public_path])?;
    let key = XWingPrivateKey::generate().map_err(|e| CliError::crypto("key generation", e))?;
    // The private key first, with create_new: if it cannot be written, no public key
    // advertises a pair nobody holds.
    write_private_file(&key_path, key.to_pem().as_bytes())?;
    write_atomically(&public_path, key.public_key().to_pem().as_bytes())?;
    eprintln!(
        "wrote {} (private, mode 0600) and {}; X-Wing key id {}",
        key_path.display(),
        public_path.display(),
        key.key_id().to_hex()
    );
    Ok(())
}
