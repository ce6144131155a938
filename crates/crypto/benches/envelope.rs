//! Benchmark (not a test): per-value seal and open rates for each backend with an
//! RSA-4096 key, against anchors measured in the same run:
//! - the backend's raw RSA-OAEP private operation (no envelope), so envelope overhead
//!   shows as a ratio;
//! - `openssl speed -seconds 3 rsa4096` sign/s (private op) and verify/s (public op).
//!
//! Run: `cargo bench -p sealant-crypto --features aws-lc --bench envelope`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pkcs1::DecodeRsaPrivateKey;
use sealant_crypto::{Backend, PrivateKey, Scope, open_with, seal_with};
use std::{
    hint::black_box,
    process::Command,
    time::{Duration, Instant},
};

/// Each rate is the best of `ROUNDS` interleaved rounds, so a burst of other load on the
/// machine penalises neither side of a ratio more than the other.
const ROUND: Duration = Duration::from_secs(1);
const ROUNDS: usize = 3;
const VALUE: &[u8] = b"a 64-byte secret value, typical of passwords and API tokens.....";

fn main() {
    let pem = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kat/test-only-rsa4096.pem"),
    )
    .unwrap();
    let key = PrivateKey::from_rsa(rsa::PrivateKey::from_pkcs1_pem(&pem).unwrap()).unwrap();
    let label = Scope::Strict.label("bench", "secret").unwrap();
    let sealed = seal_with(Backend::RustCrypto, key.public_key(), &label, VALUE).unwrap();

    println!(
        "RSA-4096, {}-byte value, single thread, best of {ROUNDS} interleaved {}s rounds",
        VALUE.len(),
        ROUND.as_secs()
    );
    println!("| operation | ops/s | ratio to anchor |");
    println!("|---|---|---|");
    let openssl = openssl_speed();
    for backend in Backend::available() {
        let seal_rate = best_of(|| {
            rate(|| {
                black_box(seal_with(backend, key.public_key(), &label, VALUE).unwrap());
            })
        });
        let (mut open_rate, mut raw) = (0f64, 0f64);
        for _ in 0..ROUNDS {
            open_rate = open_rate.max(rate(|| {
                black_box(open_with(backend, &key, &label, &sealed).unwrap());
            }));
            raw = raw.max(raw_private_rate(backend, &key));
        }
        let name = backend.name();
        match openssl {
            Some((_, verify)) => println!(
                "| seal ({name}) | {seal_rate:.0} | {:.2}× openssl verify/s |",
                seal_rate / verify
            ),
            None => println!("| seal ({name}) | {seal_rate:.0} | - |"),
        }
        println!("| raw RSA-OAEP private op ({name}) | {raw:.0} | anchor |");
        println!(
            "| open ({name}) | {open_rate:.0} | {:.2}× raw {name} private op |",
            open_rate / raw
        );
        if let Some((sign, _)) = openssl {
            println!(
                "| open ({name}) vs OpenSSL | {open_rate:.0} | {:.2}× openssl sign/s |",
                open_rate / sign
            );
        }
    }
    match openssl {
        Some((sign, verify)) => {
            println!("| openssl speed rsa4096 sign (private op) | {sign:.1} | anchor |");
            println!("| openssl speed rsa4096 verify (public op) | {verify:.1} | anchor |");
        }
        None => println!("openssl not found: OpenSSL ratios skipped"),
    }
}

fn best_of(mut measure: impl FnMut() -> f64) -> f64 {
    (0..ROUNDS).map(|_| measure()).fold(0.0, f64::max)
}

/// Operations per second of `f`, run repeatedly for one round.
fn rate(mut f: impl FnMut()) -> f64 {
    f(); // warm up
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < ROUND {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// The bare private-key operation the envelope is built on: OAEP-decrypt of a 32-byte
/// session key, no AES-GCM and no framing.
fn raw_private_rate(backend: Backend, key: &PrivateKey) -> f64 {
    use rsa::{Oaep, sha2::Sha256};
    let label = b"bench/secret".to_vec();
    let block = key
        .public_key()
        .rsa()
        .encrypt(&mut rand::rng(), Oaep::<Sha256>::new_with_label(label.clone()), &[7u8; 32])
        .unwrap();
    match backend {
        Backend::RustCrypto => rate(|| {
            let padding = Oaep::<Sha256>::new_with_label(label.clone());
            black_box(key.rsa().decrypt_blinded(&mut rand::rng(), padding, &block).unwrap());
        }),
        Backend::AwsLc => aws_raw_rate(key, &label, &block),
    }
}

#[cfg(feature = "aws-lc")]
fn aws_raw_rate(key: &PrivateKey, label: &[u8], block: &[u8]) -> f64 {
    use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey};
    let der = key.to_pkcs8_der().unwrap();
    let aws = OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&der).unwrap()).unwrap();
    let mut out = vec![0u8; aws.min_output_size()];
    rate(|| {
        black_box(
            aws.decrypt(&OAEP_SHA256_MGF1SHA256, block, &mut out, Some(label))
                .unwrap()
                .len(),
        );
    })
}

#[cfg(not(feature = "aws-lc"))]
fn aws_raw_rate(_: &PrivateKey, _: &[u8], _: &[u8]) -> f64 {
    f64::NAN
}

/// `openssl speed -seconds 3 rsa4096` → (sign/s, verify/s), from its summary line
/// `rsa 4096 bits 0.004s 0.000065s 250.0 15384.6`.
fn openssl_speed() -> Option<(f64, f64)> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "3", "rsa4096"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.trim_start().starts_with("rsa 4096 bits"))?;
    let fields: Vec<f64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // fields: [4096, sign s, verify s, sign/s, verify/s]
    match fields.as_slice() {
        [.., sign, verify] => Some((*sign, *verify)),
        _ => None,
    }
}
