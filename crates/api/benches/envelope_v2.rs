//! Benchmark (not a test): envelope v2 against v1, in one run on one machine (issue 17).
//!
//! 1. Per-operation costs, each backend: an RSA-4096 v1 value open, an RSA-4096 v2 header
//!    unwrap, an X-Wing v2 header unwrap.
//! 2. Opening N objects × 3 values through the real object path (`decrypt_values` with a key
//!    ring, as the controller and `sealant unseal` do): v1 RSA-4096 against v2 with the
//!    cluster's X-Wing key, values/s and the ratio.
//! 3. What an escrow recipient costs: seal time per object and `encryptedData` size, v1
//!    against v2 with one, two and three recipients.
//!
//! Run: `cargo bench -p sealant-api --features aws-lc --bench envelope_v2`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sealant_api::{PlainSecret, SealOptions, SealTo, SealedSecret, decrypt_values, seal_secret_to};
use sealant_crypto::{
    Backend, PrivateKey, Scope, XWingPrivateKey, open_with, seal_with,
    v2::{OpenedHeader, Recipient, RecipientKey, Sealer, parse_header},
};
use sealant_keys::{HybridEntry, KeyEntry, KeyRing, RingOpener, read_private_keys};
use std::{
    hint::black_box,
    path::PathBuf,
    time::{Duration, Instant},
};

const OBJECTS: usize = 200;
const VALUES: usize = 3;

fn rsa4096() -> PrivateKey {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crypto/kat/test-only-rsa4096.pem");
    let pem = std::fs::read(path).unwrap();
    read_private_keys(&pem).unwrap().remove(0).key
}

fn copy(key: &PrivateKey) -> PrivateKey {
    PrivateKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap()
}

/// Median of `rounds` timings of `iters` calls, per call.
fn per_call(rounds: usize, iters: usize, mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed() / iters as u32
        })
        .collect();
    samples.sort();
    samples[rounds / 2]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn secret(i: usize) -> PlainSecret {
    let mut s = PlainSecret::default();
    s.metadata.name = Some(format!("app-{i}"));
    s.metadata.namespace = Some("bench".into());
    for v in 0..VALUES {
        s.data.insert(
            format!("key{v}"),
            sealant_crypto::Plaintext::from_vec(
                format!("value {v} of object {i}: 0123456789abcdef").into_bytes(),
            ),
        );
    }
    s
}

fn seal_all(to: SealTo<'_>) -> (Vec<SealedSecret>, Duration) {
    let start = Instant::now();
    let objects = (0..OBJECTS)
        .map(|i| seal_secret_to(&secret(i), to, &SealOptions::default()).unwrap())
        .collect();
    (objects, start.elapsed())
}

fn encrypted_bytes(objects: &[SealedSecret]) -> usize {
    objects
        .iter()
        .flat_map(|o| o.spec.encrypted_data.iter())
        .map(|(k, v)| k.len() + v.len())
        .sum::<usize>()
        / objects.len()
}

/// Open every object with a fresh opener per object (cold: no hint carried between objects).
fn open_all(objects: &[SealedSecret], ring: &KeyRing) -> Duration {
    let start = Instant::now();
    for ss in objects {
        let mut opener = RingOpener::new(ring, None);
        black_box(decrypt_values(ss, &mut opener).unwrap());
    }
    start.elapsed()
}

struct Keys {
    rsa: PrivateKey,
    hybrid: XWingPrivateKey,
    escrow: XWingPrivateKey,
    other_cluster: XWingPrivateKey,
}

fn main() {
    let keys = Keys {
        rsa: rsa4096(),
        hybrid: XWingPrivateKey::generate().unwrap(),
        escrow: XWingPrivateKey::generate().unwrap(),
        other_cluster: XWingPrivateKey::generate().unwrap(),
    };
    println!(
        "envelope v2 benchmark: {} objects x {VALUES} values, preferred backend {}",
        OBJECTS,
        Backend::preferred().name()
    );
    per_operation(&keys);
    opening(&keys);
    seal_costs(&keys);
}

/// 1. What one key operation costs, per backend.
fn per_operation(keys: &Keys) {
    let (rsa, hybrid) = (&keys.rsa, &keys.hybrid);
    println!("\n1. per-operation cost (median of 7 rounds)");
    let label = Scope::Strict.label("bench", "x").unwrap();
    let binding_header = |recipient: Recipient<'_>| {
        let sealer = Sealer::new(Backend::preferred(), &[recipient]).unwrap();
        parse_header(&sealer.header_key(), &sealer.header_string()).unwrap()
    };
    let rsa_header = binding_header(Recipient::Rsa(rsa.public_key()));
    let xwing_header = binding_header(Recipient::XWing(hybrid.public_key()));
    for backend in Backend::available() {
        let v1 = seal_with(backend, rsa.public_key(), &label, b"value").unwrap();
        let rsa_v1 = per_call(7, 20, || {
            black_box(open_with(backend, rsa, &label, &v1).unwrap());
        });
        let rsa_v2 = per_call(7, 20, || {
            black_box(OpenedHeader::unwrap(backend, &rsa_header, RecipientKey::Rsa(rsa)).unwrap());
        });
        let xwing = per_call(7, 200, || {
            black_box(
                OpenedHeader::unwrap(backend, &xwing_header, RecipientKey::XWing(hybrid)).unwrap(),
            );
        });
        println!(
            "   {:<10} RSA-4096 v1 value open {:>8.1} us | RSA-4096 v2 header unwrap {:>8.1} us | X-Wing v2 header unwrap {:>6.1} us | RSA/X-Wing {:>5.1}x",
            backend.name(),
            us(rsa_v1),
            us(rsa_v2),
            us(xwing),
            rsa_v2.as_secs_f64() / xwing.as_secs_f64()
        );
    }
}

/// 2. Opening objects through the real object path, v1 against v2.
fn opening(keys: &Keys) {
    let (rsa, hybrid) = (&keys.rsa, &keys.hybrid);
    println!(
        "\n2. opening {OBJECTS} objects x {VALUES} values (decrypt_values, cold opener per object)"
    );
    let mut rsa_ring = KeyRing::new();
    rsa_ring.insert(KeyEntry::new(copy(rsa), None).unwrap());
    let mut hybrid_ring = KeyRing::new();
    hybrid_ring.insert_hybrid(HybridEntry::new(
        XWingPrivateKey::from_seed(hybrid.seed()).unwrap(),
        None,
    ));
    let (v1_objects, _) = seal_all(SealTo::V1(rsa.public_key()));
    let hybrid_recipients = [Recipient::XWing(hybrid.public_key())];
    let (v2_objects, _) = seal_all(SealTo::V2(&hybrid_recipients));
    let rsa_recipients = [Recipient::Rsa(rsa.public_key())];
    let (v2_rsa_objects, _) = seal_all(SealTo::V2(&rsa_recipients));
    let values = (OBJECTS * VALUES) as f64;
    let v1 = open_all(&v1_objects, &rsa_ring);
    let v2 = open_all(&v2_objects, &hybrid_ring);
    let v2_rsa = open_all(&v2_rsa_objects, &rsa_ring);
    let rate = |d: Duration| values / d.as_secs_f64();
    println!(
        "   v1, RSA-4096 cluster key          {:>9.0} values/s",
        rate(v1)
    );
    println!(
        "   v2, RSA-4096 cluster key          {:>9.0} values/s  ({:.1}x v1: one unwrap per object)",
        rate(v2_rsa),
        rate(v2_rsa) / rate(v1)
    );
    println!(
        "   v2, X-Wing cluster key            {:>9.0} values/s  ({:.1}x v1)",
        rate(v2),
        rate(v2) / rate(v1)
    );
}

/// 3. What each recipient set costs at seal time, and in bytes.
fn seal_costs(keys: &Keys) {
    let (rsa, hybrid, escrow, other_cluster) =
        (&keys.rsa, &keys.hybrid, &keys.escrow, &keys.other_cluster);
    let rsa_recipients = [Recipient::Rsa(rsa.public_key())];
    let hybrid_recipients = [Recipient::XWing(hybrid.public_key())];
    println!("\n3. seal cost per object ({VALUES} values) and encryptedData size");
    let two_clusters_escrow = [
        Recipient::Rsa(rsa.public_key()),
        Recipient::XWing(other_cluster.public_key()),
        Recipient::XWing(escrow.public_key()),
    ];
    let cluster_escrow = [
        Recipient::Rsa(rsa.public_key()),
        Recipient::XWing(escrow.public_key()),
    ];
    let hybrid_escrow = [
        Recipient::XWing(hybrid.public_key()),
        Recipient::XWing(escrow.public_key()),
    ];
    let cases: [(&str, SealTo<'_>); 6] = [
        ("v1, RSA-4096", SealTo::V1(rsa.public_key())),
        ("v2, RSA-4096", SealTo::V2(&rsa_recipients)),
        ("v2, RSA-4096 + escrow X-Wing", SealTo::V2(&cluster_escrow)),
        (
            "v2, RSA-4096 + X-Wing cluster + escrow",
            SealTo::V2(&two_clusters_escrow),
        ),
        ("v2, X-Wing", SealTo::V2(&hybrid_recipients)),
        ("v2, X-Wing + escrow X-Wing", SealTo::V2(&hybrid_escrow)),
    ];
    let (base_objects, base_time) = seal_all(SealTo::V1(rsa.public_key()));
    let base_size = encrypted_bytes(&base_objects);
    for (name, to) in cases {
        let (objects, time) = seal_all(to);
        let size = encrypted_bytes(&objects);
        println!(
            "   {name:<40} {:>7.1} us/object ({:>4.2}x v1) | {:>5} bytes/object ({:>4.2}x v1)",
            us(time) / OBJECTS as f64,
            time.as_secs_f64() / base_time.as_secs_f64(),
            size,
            size as f64 / base_size as f64
        );
    }
}
