//! Property tests: seal→open round trips across scopes and backends (crosswise), and
//! every wrong namespace, name, scope or key fails, while the moves a scope allows
//! (rename for namespace-wide, anything for cluster-wide) still open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{RSA2048, RSA2048_B, RSA4096, load_key};
use proptest::prelude::*;
use sealant_crypto::{
    Backend, CryptoError, PrivateKey, Scope, decode_base64, encode_base64, open, open_with, seal,
    seal_with,
};
use std::sync::OnceLock;

/// TEST-ONLY keys made by Python (kat/); loading beats generating on 2 cores.
fn primary() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| load_key(RSA2048))
}

/// A different key of the same size: the failure comes from OAEP, not from framing.
fn other_same_size() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| load_key(RSA2048_B))
}

/// A different key of another size: refused by the length check.
fn other_size() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| load_key(RSA4096))
}

fn scope_strategy() -> impl Strategy<Value = Scope> {
    proptest::sample::select(Scope::ALL.to_vec())
}

fn backend_strategy() -> impl Strategy<Value = Backend> {
    proptest::sample::select(Backend::available())
}

/// DNS-1123-ish names: never contain '/', so strict labels are unambiguous.
const NAME: &str = "[a-z0-9]([a-z0-9.-]{0,30}[a-z0-9])?";

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_across_scopes_and_backends(
        scope in scope_strategy(),
        sealer in backend_strategy(),
        opener in backend_strategy(),
        namespace in NAME,
        name in NAME,
        plaintext in prop_oneof![
            1 => Just(Vec::new()),
            4 => proptest::collection::vec(any::<u8>(), 0..4096),
        ],
    ) {
        let label = scope.label(&namespace, &name).unwrap();
        let sealed = seal_with(sealer, primary().public_key(), &label, &plaintext).unwrap();
        prop_assert_eq!(sealed.len(), 2 + 256 + plaintext.len() + 16);
        let opened = open_with(opener, primary(), &label, &sealed).unwrap();
        prop_assert_eq!(opened.as_bytes(), plaintext.as_slice());
        // Through base64, with the line wrapping a YAML block scalar may introduce.
        let text = encode_base64(&sealed);
        let wrapped: String = text
            .as_bytes()
            .chunks(76)
            .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
            .collect();
        let opened = open(primary(), &label, &decode_base64(&wrapped).unwrap()).unwrap();
        prop_assert_eq!(opened.as_bytes(), plaintext.as_slice());
    }

    #[test]
    fn wrong_target_or_key_fails_and_allowed_moves_open(
        scope in scope_strategy(),
        sealer in backend_strategy(),
        opener in backend_strategy(),
        namespace in NAME,
        name in NAME,
        other_namespace in NAME,
        other_name in NAME,
        plaintext in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        prop_assume!(other_namespace != namespace && other_name != name);
        let label = scope.label(&namespace, &name).unwrap();
        let sealed = seal_with(sealer, primary().public_key(), &label, &plaintext).unwrap();
        let try_open = |ns: &str, n: &str| {
            open_with(opener, primary(), &scope.label(ns, n).unwrap(), &sealed)
        };

        // Another name: only strict refuses; namespace-wide and cluster-wide open.
        match try_open(&namespace, &other_name) {
            Ok(p) => {
                prop_assert!(scope != Scope::Strict, "strict value opened under another name");
                prop_assert_eq!(p.as_bytes(), plaintext.as_slice());
            }
            Err(e) => {
                prop_assert_eq!(scope, Scope::Strict, "{} refused a rename: {}", scope, e);
                prop_assert!(matches!(e, CryptoError::Decrypt));
            }
        }
        // Another namespace (same or other name): only cluster-wide opens.
        for n in [&name, &other_name] {
            match try_open(&other_namespace, n) {
                Ok(p) => {
                    prop_assert_eq!(scope, Scope::ClusterWide, "opened in another namespace");
                    prop_assert_eq!(p.as_bytes(), plaintext.as_slice());
                }
                Err(e) => {
                    prop_assert!(scope != Scope::ClusterWide, "cluster-wide refused: {}", e);
                    prop_assert!(matches!(e, CryptoError::Decrypt));
                }
            }
        }
        // Another scope over the same target: always fails (the labels differ).
        for wrong_scope in Scope::ALL.into_iter().filter(|s| *s != scope) {
            let relabelled = wrong_scope.label(&namespace, &name).unwrap();
            let result = open_with(opener, primary(), &relabelled, &sealed);
            prop_assert!(matches!(result, Err(CryptoError::Decrypt)), "{} as {}", scope, wrong_scope);
        }
        // Another key: always fails, whether the size matches or not.
        prop_assert!(matches!(
            open_with(opener, other_same_size(), &label, &sealed),
            Err(CryptoError::Decrypt)
        ), "opened with another 2048-bit key");
        prop_assert!(matches!(
            open_with(opener, other_size(), &label, &sealed),
            Err(CryptoError::RsaLengthMismatch { found: 256, expected: 512 })
        ), "opened with a 4096-bit key");
    }

    #[test]
    fn any_single_bit_flip_is_refused(
        backend in backend_strategy(),
        plaintext in proptest::collection::vec(any::<u8>(), 0..64),
        position in any::<proptest::sample::Index>(),
        bit in 0u8..8,
    ) {
        let label = Scope::Strict.label("ns", "name").unwrap();
        let mut sealed = seal(primary().public_key(), &label, &plaintext).unwrap();
        let i = position.index(sealed.len());
        sealed[i] ^= 1 << bit;
        prop_assert!(open_with(backend, primary(), &label, &sealed).is_err(), "flip at {}", i);
    }

    #[test]
    fn truncation_is_refused(
        backend in backend_strategy(),
        plaintext in proptest::collection::vec(any::<u8>(), 0..64),
        keep in any::<proptest::sample::Index>(),
    ) {
        let label = Scope::ClusterWide.label("", "").unwrap();
        let sealed = seal(primary().public_key(), &label, &plaintext).unwrap();
        let keep = keep.index(sealed.len()); // 0..len-1: always strictly shorter
        prop_assert!(open_with(backend, primary(), &label, &sealed[..keep]).is_err());
    }
}

#[test]
fn one_mebibyte_value_round_trips_on_every_backend() {
    let plaintext: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    for scope in Scope::ALL {
        let label = scope.label("big", "blob").unwrap();
        for sealer in Backend::available() {
            let sealed = seal_with(sealer, primary().public_key(), &label, &plaintext).unwrap();
            assert_eq!(sealed.len(), 2 + 256 + plaintext.len() + 16);
            for opener in Backend::available() {
                let opened = open_with(opener, primary(), &label, &sealed).unwrap();
                assert!(
                    opened.as_bytes() == plaintext.as_slice(),
                    "{sealer:?}→{opener:?}"
                );
            }
            // A flipped bit at the very end of 1 MiB is still caught.
            let mut tampered = sealed.clone();
            *tampered.last_mut().unwrap() ^= 0x80;
            let result = open_with(sealer, primary(), &label, &tampered);
            assert!(matches!(result, Err(CryptoError::Integrity)));
        }
    }
}

#[test]
fn empty_value_round_trips_in_every_scope() {
    for scope in Scope::ALL {
        let label = scope.label("ns", "n").unwrap();
        for sealer in Backend::available() {
            let sealed = seal_with(sealer, primary().public_key(), &label, b"").unwrap();
            assert_eq!(sealed.len(), 2 + 256 + 16);
            for opener in Backend::available() {
                assert!(
                    open_with(opener, primary(), &label, &sealed)
                        .unwrap()
                        .is_empty()
                );
            }
        }
    }
}

#[test]
fn two_seals_of_the_same_value_differ() {
    let label = Scope::Strict.label("ns", "n").unwrap();
    for backend in Backend::available() {
        let a = seal_with(backend, primary().public_key(), &label, b"same").unwrap();
        let b = seal_with(backend, primary().public_key(), &label, b"same").unwrap();
        assert_ne!(a, b, "fresh session key and OAEP seed per value");
    }
}

#[test]
fn debug_output_holds_no_key_material_or_plaintext() {
    let key = primary();
    let shown = format!("{key:?} {:?}", key.public_key());
    assert!(shown.contains("redacted"), "{shown}");
    assert!(
        shown.len() < 200,
        "Debug must stay a short summary: {shown}"
    );
    // No line of the PEM body, and no hex/decimal rendering of the key's numbers.
    let pem = key.to_pkcs1_pem().unwrap();
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(
            !shown.contains(&line[..16.min(line.len())]),
            "PEM leaked: {shown}"
        );
    }
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};
    let n = key.rsa().n().to_be_bytes();
    let d = key.rsa().d().to_be_bytes();
    for number in [&n[..], &d[..]] {
        assert!(
            !shown.to_lowercase().contains(&hex::encode(&number[..8])),
            "{shown}"
        );
    }
    assert!(!shown.contains(&key.rsa().d().to_string()[..12]), "{shown}");

    let secret = b"hunter2-correct-horse";
    let label = Scope::Strict.label("ns", "n").unwrap();
    let sealed = seal(key.public_key(), &label, secret).unwrap();
    let plaintext = open(key, &label, &sealed).unwrap();
    let shown = format!("{plaintext:?} {:#?}", plaintext);
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains(&hex::encode(b"hunter2")), "{shown}");
    assert!(!shown.contains("104, 117"), "byte list leaked: {shown}"); // 'h','u'
    assert!(
        shown.contains(&format!("{} bytes", secret.len())),
        "{shown}"
    );
}
