//! `--recipient` values and the recipients of a creation rule, resolved to public keys:
//! - `cluster`: the cluster's sealing certificate through the usual sources (`--cert`-less
//!   `seal`: cache, ConfigMap, service proxy), with `--controller-name`/`-namespace`;
//! - a file or an `https://` URL holding an X.509 certificate (an RSA recipient) or an X-Wing
//!   public key (PEM `SEALANT XWING PUBLIC KEY`).
//!
//! A private key given as a recipient is refused: it would otherwise sit in a rules file or a
//! shell history as if it were public.

use crate::{
    cluster::certs::{CertArgs, sealing_certificate},
    error::CliError,
    key_sources::read_certificate_bytes,
};
use sealant_crypto::{
    PublicKey, XWingPublicKey,
    v2::{Recipient, RecipientId},
};
use sealant_keys::Certificate;
use std::path::Path;

/// The `--recipient` word for the cluster's own key (its RSA sealing certificate).
pub const CLUSTER: &str = "cluster";
/// The `--recipient` word for the cluster's hybrid (X-Wing) key, published by a controller
/// run with `--hybrid-keys`.
pub const CLUSTER_XWING: &str = "cluster:x-wing";

const XWING_PUBLIC_ARMOR: &str = "-----BEGIN SEALANT XWING PUBLIC KEY-----";

/// A recipient's public key, and where it came from (for messages: never key material).
pub struct ResolvedRecipient {
    pub key: RecipientPublicKey,
    pub origin: String,
}

pub enum RecipientPublicKey {
    Rsa(Box<Certificate>),
    XWing(Box<XWingPublicKey>),
}

impl ResolvedRecipient {
    pub fn as_recipient(&self) -> Recipient<'_> {
        match &self.key {
            RecipientPublicKey::Rsa(cert) => Recipient::Rsa(cert.public_key()),
            RecipientPublicKey::XWing(key) => Recipient::XWing(key),
        }
    }

    pub fn id(&self) -> RecipientId {
        self.as_recipient().id()
    }

    pub fn rsa_public_key(&self) -> Option<&PublicKey> {
        match &self.key {
            RecipientPublicKey::Rsa(cert) => Some(cert.public_key()),
            RecipientPublicKey::XWing(_) => None,
        }
    }

    /// `rsa 1a2b3c4d… (escrow/cert.pem)`: what messages name a recipient by.
    pub fn describe(&self) -> String {
        describe_id(&self.id(), Some(&self.origin))
    }
}

/// A recipient by its kind and key id, with its origin when known.
pub fn describe_id(id: &RecipientId, origin: Option<&str>) -> String {
    let key_id = id.key_id.to_hex();
    match origin {
        Some(origin) => format!("{} {key_id} ({origin})", id.kind.as_str()),
        None => format!("{} {key_id}", id.kind.as_str()),
    }
}

/// Resolve `specs` (`--recipient` values, or a rule's recipients with relative paths already
/// joined to the rules file's directory). `cluster` uses `cert_args` for its sources.
pub fn resolve_all(
    specs: &[String],
    cert_args: &CertArgs,
) -> Result<Vec<ResolvedRecipient>, CliError> {
    let mut resolved: Vec<ResolvedRecipient> = Vec::with_capacity(specs.len());
    for spec in specs {
        let recipient = resolve(spec, cert_args)?;
        if let Some(earlier) = resolved.iter().find(|r| r.id() == recipient.id()) {
            return Err(CliError::Usage(format!(
                "recipient {} names the same key as {}; give each recipient once",
                recipient.describe(),
                earlier.origin
            )));
        }
        resolved.push(recipient);
    }
    if resolved.len() > sealant_crypto::v2::format::MAX_STANZAS {
        return Err(CliError::Usage(format!(
            "{} recipients given; a v2 seal takes at most {}",
            resolved.len(),
            sealant_crypto::v2::format::MAX_STANZAS
        )));
    }
    Ok(resolved)
}

pub fn resolve(spec: &str, cert_args: &CertArgs) -> Result<ResolvedRecipient, CliError> {
    if spec == CLUSTER_XWING {
        let mut args = cert_args.clone();
        args.cert.clear();
        let (key, source) = crate::cluster::certs::cluster_hybrid_key(&args)?;
        return Ok(ResolvedRecipient {
            key: RecipientPublicKey::XWing(Box::new(key)),
            origin: format!("cluster, {source}"),
        });
    }
    if spec == CLUSTER {
        let mut args = cert_args.clone();
        args.cert.clear();
        let certificate = sealing_certificate(&args)?;
        return Ok(ResolvedRecipient {
            key: RecipientPublicKey::Rsa(Box::new(certificate)),
            origin: format!("cluster, controller {}", args.cluster.controller_label()),
        });
    }
    let bytes = if spec.starts_with("https://") || spec.starts_with("http://") {
        read_certificate_bytes(spec)?
    } else {
        read_recipient_file(spec)?
    };
    from_bytes(&bytes, spec)
}

/// Recipient files are named by rules files, which are repository content: only a regular
/// file, and at most this many bytes (a certificate or a 1216-byte key is a few KiB), so a
/// rule naming `/dev/zero` or a huge file cannot exhaust memory.
pub const MAX_RECIPIENT_FILE_BYTES: u64 = 256 * 1024;

pub fn read_recipient_file(spec: &str) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let path = spec.strip_prefix("file://").unwrap_or(spec);
    let read_err = |source| CliError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    if !file.metadata().map_err(read_err)?.is_file() {
        return Err(CliError::Usage(format!(
            "recipient {path} is not a regular file"
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_RECIPIENT_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_RECIPIENT_FILE_BYTES {
        return Err(CliError::Usage(format!(
            "recipient {path} is larger than {MAX_RECIPIENT_FILE_BYTES} bytes; not a \
             certificate or public key"
        )));
    }
    Ok(bytes)
}

/// A recipient from a file's bytes: an X-Wing public key or an X.509 certificate.
pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<ResolvedRecipient, CliError> {
    let text = String::from_utf8_lossy(bytes);
    if text.contains("PRIVATE KEY-----") {
        return Err(CliError::Usage(format!(
            "recipient {origin} holds a private key; give the public key (public.pem, or the \
             certificate) instead, and keep the private key out of the repository"
        )));
    }
    let key = if text.contains(XWING_PUBLIC_ARMOR) {
        let key = XWingPublicKey::from_pem(&text)
            .map_err(|e| CliError::crypto(format!("recipient {origin}"), e))?;
        RecipientPublicKey::XWing(Box::new(key))
    } else {
        let certificate =
            sealant_keys::load_sealing_certificate(bytes, time::OffsetDateTime::now_utc())
                .map_err(|e| CliError::keys(format!("recipient {origin}"), e))?;
        RecipientPublicKey::Rsa(Box::new(certificate))
    };
    Ok(ResolvedRecipient {
        key,
        origin: origin.to_owned(),
    })
}

/// A rule's recipient entry as a resolvable spec: `cluster` and URLs as they are, relative
/// paths joined to the directory of the rules file (not the working directory), so a rule
/// means the same wherever `sealant` runs.
pub fn spec_relative_to(entry: &str, base: &Path) -> String {
    if entry == CLUSTER
        || entry == CLUSTER_XWING
        || entry.starts_with("https://")
        || entry.starts_with("http://")
    {
        return entry.to_owned();
    }
    let path = entry.strip_prefix("file://").unwrap_or(entry);
    base.join(path).display().to_string()
}
