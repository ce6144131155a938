//! The flooding clients' body, shared by the verify-flood test and benchmark: a SealedSecret
//! with as many values as fit the HTTP API's body cap, each one RSA operation to verify.

use sealant_api::{PlainSecret, SealOptions, SealedSecret, seal_secret};
use sealant_crypto::{PrivateKey, Scope};

/// A strict-scope SealedSecret of `n` values sealed for `key`.
pub fn with_values(key: &PrivateKey, ns: &str, name: &str, n: usize) -> SealedSecret {
    let data: Vec<(String, String)> = (0..n)
        .map(|i| (format!("v{i}"), format!("value-{i}")))
        .collect();
    let data: Vec<(&str, &str)> = data.iter().map(|(k, v)| (&k[..], &v[..])).collect();
    let opts = SealOptions {
        scope: Some(Scope::Strict),
        ..SealOptions::default()
    };
    seal_secret(
        &PlainSecret::from_literals(ns, name, &data),
        key.public_key(),
        &opts,
    )
    .expect("sealing the flood body")
}

/// How many values of `key` make the largest body within `cap`.
pub fn values_fitting(key: &PrivateKey, cap: usize) -> usize {
    let size = |n| {
        serde_json::to_vec(&with_values(key, "flood", "max", n))
            .expect("serializing the flood body")
            .len()
    };
    let (one, two) = (size(1), size(2));
    let mut n = (cap - one) / (two - one) + 1;
    while size(n) > cap {
        n -= 1;
    }
    n
}
