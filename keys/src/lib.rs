//! Sealant key material: RSA key generation, self-signed certificates in Bitnami's shape,
//! reading keys from PEM files and `kubernetes.io/tls` Secret manifests, and the
//! [`KeyRing`] that opens sealed values (newest key seals, every key opens, fingerprint
//! hints make opening one RSA operation). The ring also holds X-Wing keys, which open
//! envelope v2 headers (one key operation per header, named by key id: never tried blindly).
//!
//! Nothing here talks to Kubernetes; the controller and CLI feed bytes in.

mod certificate;
mod error;
mod generate;
mod keyfile;
mod keyring;
mod keyring_v2;
mod manifest;
mod opener;
mod pem;
mod rotation;
mod self_signed;
#[cfg(test)]
mod test_data;

pub use certificate::{Certificate, load_sealing_certificate, parse_certificates};
pub use error::KeysError;
pub use generate::{DEFAULT_KEY_BITS, MIN_KEY_BITS, generate_private_key};
pub use keyfile::{KeyMaterial, key_material_from_tls, read_private_keys};
pub use keyring::{KeyEntry, KeyRing, Opened};
pub use keyring_v2::{HybridEntry, OpenedV2};
pub use opener::RingOpener;
pub use rotation::{RotationPolicy, RotationReason};
pub use self_signed::{
    CertificateOptions, DEFAULT_CERT_VALIDITY, DEFAULT_COMMON_NAME, self_signed_certificate,
};
