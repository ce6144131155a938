use sealant_crypto::CryptoError;
use thiserror::Error;

/// Every failure of key handling. Messages name sources ("PEM block 2", "Secret ns/name"),
/// fingerprints and dates; they never contain key material, plaintext or label bytes, and
/// never echo parser snippets (which could quote a base64 key).
#[derive(Debug, Error)]
pub enum KeysError {
    #[error("RSA key of {bits} bits is too small; at least {min} bits are required")]
    KeyTooSmall { bits: usize, min: usize },
    #[error("RSA key generation failed: {0}")]
    KeyGeneration(String),
    #[error(transparent)]
    Crypto(#[from] CryptoError),

    #[error("invalid certificate options: {0}")]
    CertificateOptions(String),
    #[error("building the certificate failed: {0}")]
    CertificateBuild(String),
    #[error("{source_name}: not a valid X.509 certificate: {reason}")]
    CertificateParse { source_name: String, reason: String },
    #[error(
        "{source_name}: the certificate's public key is {algorithm}, not RSA \
         (Sealed Secrets certificates must hold an RSA key)"
    )]
    UnsupportedKeyAlgorithm {
        source_name: String,
        algorithm: String,
    },
    #[error("file holds a private key, not a certificate")]
    PrivateKeyNotCertificate,
    #[error("no certificate found: expected one or more PEM CERTIFICATE blocks")]
    NoCertificate,
    #[error("certificate expired on {not_after}")]
    CertificateExpired { not_after: String },
    #[error("certificate is not valid before {not_before}")]
    CertificateNotYetValid { not_before: String },
    #[error("{source_name}: the certificate does not belong to the private key")]
    CertificateMismatch { source_name: String },

    #[error("malformed PEM: {0}")]
    Pem(String),
    #[error(
        "{source_name}: encrypted private keys are not supported; \
         decrypt it first (openssl pkey -in key.pem -out plain.pem)"
    )]
    EncryptedKey { source_name: String },
    #[error("{source_name}: not a usable RSA private key: {reason}")]
    InvalidPrivateKey { source_name: String, reason: String },
    #[error("{source_name}: {field} is not valid base64")]
    Base64 {
        source_name: String,
        field: &'static str,
    },
    #[error("could not read the input as a {format} Secret manifest{location}")]
    Manifest {
        format: &'static str,
        location: String,
    },
    #[error(
        "no private key found: expected PEM RSA PRIVATE KEY / PRIVATE KEY blocks, \
         or kubernetes.io/tls Secrets with data.tls.key"
    )]
    NoPrivateKey,

    #[error("the key ring is empty")]
    EmptyKeyRing,
    #[error("no held key is among the envelope v2 header's recipients")]
    V2NoHeldKey,
    #[error("the envelope v2 header could not be opened (corrupted, or not sealed for this key)")]
    V2CannotOpen,
    #[error(
        "no key could open the value: tried {tried} key(s) [{fingerprints}]{skipped_note}; \
         it was sealed for another scope/namespace/name or another cluster's key"
    )]
    NoKeyOpened {
        tried: usize,
        fingerprints: String,
        skipped_note: String,
    },
    #[error(
        "key {fingerprint} opened the value's session key but its data failed \
         authentication (the sealed value is corrupted)"
    )]
    Corrupted { fingerprint: String },
}
