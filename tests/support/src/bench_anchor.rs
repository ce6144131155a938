//! The bare RSA-OAEP private-key operation of each backend, without framing or AES-GCM;
//! the anchor benchmarks compare against. Not for production use.
//!
//! Benchmarks measure a figure (opening a value, a controller converging) and this rate in
//! the same run, and print the ratio, so the figure does not depend on the machine.
//! The crypto envelope benchmark and the controller convergence benchmark share it.

// Bench-only code: the setup below cannot fail for a valid `PrivateKey` (encrypting 32 bytes
// under its own public key; re-encoding a key that was decoded and validated), and the
// returned closure decrypts a block made for it. A panic there is a broken benchmark, not
// a runtime condition, so `expect` is allowed in this module only.
#![allow(clippy::expect_used)]

use rsa::{Oaep, sha2::Sha256};
use sealant_crypto::{Backend, PrivateKey};
use std::hint::black_box;

/// Length of the payload the anchor decrypts: an AES-256 session key, as in an envelope.
const PAYLOAD_LEN: usize = 32;

/// One bare private-key operation per call: OAEP(SHA-256, label `bench/secret`) decryption
/// of a 32-byte payload encrypted beforehand, called on `backend`'s library directly.
///
/// The closure is `Send`, so a benchmark can build one per thread and run them in parallel
/// to measure the machine's aggregate private-operation rate. Each call of this function
/// builds its own backend handle (for aws-lc, a key parsed from PKCS#8), so closures on
/// different threads share nothing but the `&PrivateKey`.
///
/// # Panics
/// If the key cannot be used (not possible for a `PrivateKey` that was constructed
/// successfully). Both backends' anchors are always compiled in, whatever the features of
/// the crate under benchmark.
pub fn raw_private_op<'a>(backend: Backend, key: &'a PrivateKey) -> Box<dyn FnMut() + Send + 'a> {
    let label = b"bench/secret".to_vec();
    let block = key
        .public_key()
        .rsa()
        .encrypt(
            &mut rand::rng(),
            Oaep::<Sha256>::new_with_label(label.clone()),
            &[7u8; PAYLOAD_LEN],
        )
        .expect("RSA-OAEP encryption of 32 bytes under a valid public key");
    match backend {
        Backend::RustCrypto => Box::new(move || {
            let padding = Oaep::<Sha256>::new_with_label(label.as_slice());
            let out = key
                .rsa()
                .decrypt_blinded(&mut rand::rng(), padding, &block)
                .expect("decrypting the block encrypted for this key");
            black_box(out);
        }),
        Backend::AwsLc => aws_raw_op(key, label, block),
    }
}

fn aws_raw_op<'a>(
    key: &PrivateKey,
    label: Vec<u8>,
    block: Vec<u8>,
) -> Box<dyn FnMut() + Send + 'a> {
    use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey};
    let der = key
        .to_pkcs8_der()
        .expect("PKCS#8 encoding of a validated key");
    let aws = OaepPrivateDecryptingKey::new(
        PrivateDecryptingKey::from_pkcs8(&der).expect("aws-lc accepts a validated RSA key"),
    )
    .expect("aws-lc accepts an RSA key for OAEP");
    let mut out = vec![0u8; aws.min_output_size()];
    Box::new(move || {
        let n = aws
            .decrypt(&OAEP_SHA256_MGF1SHA256, &block, &mut out, Some(&label))
            .expect("decrypting the block encrypted for this key")
            .len();
        assert_eq!(n, PAYLOAD_LEN);
        black_box(&out);
    })
}
