//! Shared set-up for the integration tests: a TEST-ONLY key, sealing plain values into a
//! SealedSecret, and the checks that an error text holds no trace of a value.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::{Engine, engine::general_purpose::STANDARD};
use sealant_api::{PlainSecret, SealOptions, SealedSecret, SecretBytes, seal_secret};
use sealant_crypto::{CryptoError, Label, Plaintext, PrivateKey};
use std::sync::OnceLock;

/// TEST-ONLY key, generated once per test binary (2048 bits keeps it quick).
pub fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let rsa = rsa::PrivateKey::new(&mut rand::rng(), 2048).expect("generate test key");
        PrivateKey::from_rsa(rsa).expect("wrap test key")
    })
}

/// The real open of the wire format with the test key.
pub fn opener() -> impl FnMut(&Label, &[u8]) -> Result<Plaintext, CryptoError> {
    |label: &Label, sealed: &[u8]| sealant_crypto::open(key(), label, sealed)
}

/// SealedSecret `prod/leaky` (strict scope) holding `values`.
pub fn sealed_with(values: &[(&str, &[u8])]) -> SealedSecret {
    let mut plain = PlainSecret::from_literals("prod", "leaky", &[]);
    for (k, v) in values {
        plain
            .data
            .insert((*k).to_owned(), SecretBytes::copy_from_slice(v));
    }
    seal_secret(&plain, key().public_key(), &SealOptions::default()).unwrap()
}

/// Everything an error text must not contain when `value` was plaintext: the value, its
/// base64 and hex (lower and upper case), and every substring of 4 or more characters.
pub fn traces_of(value: &[u8]) -> Vec<String> {
    let mut traces = vec![
        STANDARD.encode(value),
        hex::encode(value),
        hex::encode_upper(value),
    ];
    let text = String::from_utf8_lossy(value);
    let chars: Vec<char> = text.chars().filter(|c| *c != '\u{fffd}').collect();
    for start in 0..chars.len() {
        for end in start + 4..=chars.len() {
            let s: String = chars[start..end].iter().collect();
            // Runs of one repeated character say nothing about the value.
            if s.chars().any(|c| c != chars[start]) && !s.trim().is_empty() {
                traces.push(s);
            }
        }
    }
    traces
}

/// The first trace of any of `values` that `shown` holds.
pub fn find_trace(shown: &str, values: &[&[u8]]) -> Option<String> {
    values
        .iter()
        .flat_map(|value| traces_of(value))
        .find(|trace| shown.contains(trace.as_str()))
}

/// Panics with `context` when `shown` holds a trace of any of `values`.
pub fn assert_no_trace(context: &str, shown: &str, values: &[&[u8]]) {
    if let Some(trace) = find_trace(shown, values) {
        panic!("{context}: the error holds {trace:?}, a trace of a value:\n{shown}");
    }
}
