//! X-Wing private key files (`sealant keys generate --type x-wing`) in the key ring of
//! `unseal`, `edit` and `reencrypt`, beside RSA PEM files and key Secret backups. A file is
//! X-Wing when it holds the `SEALANT XWING PRIVATE KEY` armor; then every such block in it
//! is read, and anything else in it is an error naming the file.

use crate::error::CliError;
use sealant_crypto::XWingPrivateKey;
use sealant_keys::{HybridEntry, KeyRing};
use std::path::Path;

const ARMOR_BEGIN: &str = "-----BEGIN SEALANT XWING PRIVATE KEY-----";
const ARMOR_END: &str = "-----END SEALANT XWING PRIVATE KEY-----";
/// A file of X-Wing keys holds a handful; more is not a key file.
const MAX_KEYS_PER_FILE: usize = 64;

/// True when the file's bytes hold X-Wing private keys (and so are read here).
pub fn is_xwing_key_file(bytes: &[u8]) -> bool {
    bytes
        .windows(ARMOR_BEGIN.len())
        .any(|w| w == ARMOR_BEGIN.as_bytes())
}

/// Add every X-Wing key of `bytes` (the file `path`) to `ring`; returns how many.
pub fn add_xwing_keys(ring: &mut KeyRing, path: &Path, bytes: &[u8]) -> Result<usize, CliError> {
    let shown = path.display();
    let text = std::str::from_utf8(bytes)
        .map_err(|_| CliError::Usage(format!("private key file {shown}: not UTF-8 PEM text")))?;
    let mut count = 0;
    let mut rest = text;
    while let Some(start) = rest.find(ARMOR_BEGIN) {
        let Some(end) = rest[start..].find(ARMOR_END) else {
            return Err(CliError::Usage(format!(
                "private key file {shown}: an X-Wing private key block has no END line"
            )));
        };
        let block_end = start + end + ARMOR_END.len();
        let key = XWingPrivateKey::from_pem(&rest[start..block_end])
            .map_err(|e| CliError::crypto(format!("private key file {shown}"), e))?;
        count += 1;
        if count > MAX_KEYS_PER_FILE {
            return Err(CliError::Usage(format!(
                "private key file {shown}: more than {MAX_KEYS_PER_FILE} X-Wing keys"
            )));
        }
        ring.insert_hybrid(HybridEntry::new(key, None));
        rest = &rest[block_end..];
    }
    Ok(count)
}
