//! What the cluster-connected CLI tests share: the controller's place and flags, and
//! certificates for TEST-ONLY keys.

use sealant_controller::Flags;
use sealant_keys::{Certificate, CertificateOptions, self_signed_certificate};

pub const CONTROLLER_NS: &str = "kube-system";
/// kubeseal's default controller Service name, under which the fake proxies to the API.
pub const CONTROLLER_SVC: &str = "sealed-secrets-controller";

/// The in-process controller: small test keys, no scheduled renewal, its HTTP API on a
/// free port, no metrics listener.
pub fn controller_flags() -> Flags {
    <Flags as clap::Parser>::try_parse_from([
        "sealant-controller",
        "--controller-namespace=kube-system",
        "--key-size=2048",
        "--key-renew-period=0",
        "--listen-addr=127.0.0.1:0",
        "--listen-metrics-addr=",
    ])
    .unwrap()
}

/// A self-signed certificate for `key`, valid from `not_before`.
pub fn cert(key: &sealant_crypto::PrivateKey, not_before: time::OffsetDateTime) -> Certificate {
    self_signed_certificate(key, &CertificateOptions::new(not_before)).unwrap()
}
