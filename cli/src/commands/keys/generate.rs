//! `sealant keys generate`: a key pair for bring-your-own-key setups and offline use.

use crate::{
    error::CliError,
    io::{write_atomically, write_private_file},
    requests::GenerateRequest,
};
use sealant_keys::{CertificateOptions, generate_private_key, self_signed_certificate};

pub fn generate(req: GenerateRequest) -> Result<(), CliError> {
    if req.key_type == crate::v2::KeyTypeArg::XWing {
        return crate::v2::generate_xwing(&req);
    }
    let key_path = req.out_dir.join("key.pem");
    let cert_path = req.out_dir.join("cert.pem");
    crate::io::prepare_key_pair_dir(&req.out_dir, [&key_path, &cert_path])?;
    let key = generate_private_key(req.bits).map_err(|e| CliError::keys("key generation", e))?;
    let options = CertificateOptions {
        common_name: req.common_name.clone(),
        validity: time::Duration::days(i64::from(req.validity_days)),
        ..CertificateOptions::new(time::OffsetDateTime::now_utc())
    };
    let cert = self_signed_certificate(&key, &options)
        .map_err(|e| CliError::keys("certificate generation", e))?;
    let key_pem = key
        .to_pkcs1_pem()
        .map_err(|e| CliError::crypto("key encoding", e))?;
    write_private_file(&key_path, key_pem.as_bytes())?;
    write_atomically(&cert_path, cert.to_pem().as_bytes())?;
    eprintln!(
        "wrote {} (private, mode 0600) and {}; fingerprint {}",
        key_path.display(),
        cert_path.display(),
        cert.fingerprint()
    );
    Ok(())
}
