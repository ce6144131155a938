//! `sealant unseal` / `kubeseal --recovery-unseal`: offline disaster recovery with private
//! key files. The output is plaintext, so it is built in zeroizing memory and written to an
//! owner-only file (new or replaced), never through a symlink.

use super::raw::{describe, raw_target};
use crate::{
    error::CliError,
    io::{Input, write_stdout},
    key_sources::load_ring,
    requests::{RawUnsealRequest, UnsealRequest},
};
use sealant_api::{parse_documents, unseal as unseal_secret, write_documents};
use sealant_crypto::decode_base64;
use sealant_keys::RingOpener;
use zeroize::Zeroizing;

pub fn unseal(req: UnsealRequest) -> Result<(), CliError> {
    let ring = load_ring(&req.private_keys)?;
    let origin = req.input.display();
    let text = req.input.read_text()?;
    let documents = parse_documents(&text).map_err(|e| CliError::api(&origin, e))?;
    let mut secrets = Vec::with_capacity(documents.len());
    for document in &documents {
        let sealed = document
            .to_sealed_secret()
            .map_err(|e| CliError::api(&origin, e))?;
        let mut opener = RingOpener::new(&ring, sealed.sealed_for_fingerprint());
        let secret = unseal_secret(&sealed, &mut opener).map_err(|e| CliError::api(&origin, e))?;
        secrets.push(secret);
    }
    let rendered = Zeroizing::new(
        write_documents(&secrets, req.format).map_err(|e| CliError::api(&origin, e))?,
    );
    req.output.write_plaintext(rendered.as_bytes())
}

pub fn unseal_raw(req: RawUnsealRequest) -> Result<(), CliError> {
    let (namespace, name) = raw_target(req.scope, req.namespace, req.name)?;
    let ring = load_ring(&req.private_keys)?;
    let input = Input::from_arg(req.from_file);
    let text = input.read_text()?;
    let context = describe(req.scope, &namespace, &name);
    let sealed = decode_base64(&text).map_err(|e| CliError::crypto(&context, e))?;
    let label = req
        .scope
        .label(&namespace, &name)
        .map_err(|e| CliError::crypto(&context, e))?;
    let opened = ring
        .open(&label, &sealed, None)
        .map_err(|e| CliError::keys(&context, e))?;
    write_stdout(opened.plaintext.as_bytes())
}
