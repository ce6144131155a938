//! Set-up shared by the controller benchmarks: the TEST-ONLY key and its key Secret.
#![allow(dead_code)]

pub mod pinning;

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client, api::PostParams};
use sealant_controller::keys::build_key_secret;
use sealant_crypto::PrivateKey;
use sealant_keys::{CertificateOptions, self_signed_certificate};
use sealant_test_support::test_keys;

pub const CONTROLLER_NS: &str = "kube-system";

/// The TEST-ONLY 4096-bit key from the repository (never use outside tests and benches).
pub fn load_key() -> PrivateKey {
    test_keys::key(test_keys::RSA4096)
}

/// Store `key` as the controller's key Secret, as Bitnami's controller would have.
pub async fn create_key_secret(client: &Client, key: &PrivateKey) {
    let not_before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let cert = self_signed_certificate(key, &CertificateOptions::new(not_before)).unwrap();
    let secret = build_key_secret(CONTROLLER_NS, "sealed-secrets-key", key, &cert).unwrap();
    Api::<Secret>::namespaced(client.clone(), CONTROLLER_NS)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
}
