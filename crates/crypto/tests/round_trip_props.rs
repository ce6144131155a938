//! Property tests: seal→open round trips across scopes and backends (crosswise), and
//! every wrong namespace, name, scope or key fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pkcs1::DecodeRsaPrivateKey;
use proptest::prelude::*;
use sealant_crypto::{Backend, PrivateKey, Scope, open_with, seal_with};
use std::sync::OnceLock;

fn key(file: &str) -> PrivateKey {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kat").join(file);
    let pem = std::fs::read_to_string(path).unwrap();
    PrivateKey::from_rsa(rsa::PrivateKey::from_pkcs1_pem(&pem).unwrap()).unwrap()
}

/// TEST-ONLY keys made by Python (kat/); loading beats generating on 2 cores.
fn primary() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| key("test-only-rsa2048.pem"))
}

fn other() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| key("test-only-rsa4096.pem"))
}

fn scope_strategy() -> impl Strategy<Value = Scope> {
    prop_oneof![
        Just(Scope::Strict),
        Just(Scope::NamespaceWide),
        Just(Scope::ClusterWide)
    ]
}

fn backend_strategy() -> impl Strategy<Value = Backend> {
    proptest::sample::select(Backend::available())
}

const NAME: &str = "[a-z][a-z0-9-]{0,20}";

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_across_scopes_and_backends(
        scope in scope_strategy(),
        sealer in backend_strategy(),
        opener in backend_strategy(),
        namespace in NAME,
        name in NAME,
        plaintext in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let label = scope.label(&namespace, &name).unwrap();
        let sealed = seal_with(sealer, primary().public_key(), &label, &plaintext).unwrap();
        let opened = open_with(opener, primary(), &label, &sealed).unwrap();
        prop_assert_eq!(opened.as_bytes(), plaintext.as_slice());
    }

    #[test]
    fn wrong_target_or_key_always_fails(
        scope in scope_strategy(),
        backend in backend_strategy(),
        namespace in NAME,
        name in NAME,
        other_namespace in NAME,
        other_name in NAME,
        plaintext in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let label = scope.label(&namespace, &name).unwrap();
        let sealed = seal_with(Backend::RustCrypto, primary().public_key(), &label, &plaintext).unwrap();

        // Another namespace: fails unless cluster-wide.
        if other_namespace != namespace {
            let moved = scope.label(&other_namespace, &name).unwrap();
            let result = open_with(backend, primary(), &moved, &sealed);
            prop_assert_eq!(result.is_ok(), scope == Scope::ClusterWide);
        }
        // Another name: fails only for strict.
        if other_name != name {
            let renamed = scope.label(&namespace, &other_name).unwrap();
            let result = open_with(backend, primary(), &renamed, &sealed);
            prop_assert_eq!(result.is_ok(), scope != Scope::Strict);
        }
        // Another scope over the same target: always fails (the labels differ).
        for wrong_scope in Scope::ALL.into_iter().filter(|s| *s != scope) {
            let relabelled = wrong_scope.label(&namespace, &name).unwrap();
            prop_assert!(open_with(backend, primary(), &relabelled, &sealed).is_err());
        }
        // Another key: always fails.
        prop_assert!(open_with(backend, other(), &label, &sealed).is_err());
    }
}

#[test]
fn one_mebibyte_value_round_trips_on_every_backend() {
    let plaintext: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let label = Scope::Strict.label("big", "blob").unwrap();
    for sealer in Backend::available() {
        for opener in Backend::available() {
            let sealed = seal_with(sealer, primary().public_key(), &label, &plaintext).unwrap();
            assert_eq!(sealed.len(), 2 + 256 + plaintext.len() + 16);
            let opened = open_with(opener, primary(), &label, &sealed).unwrap();
            assert!(opened.as_bytes() == plaintext.as_slice(), "{sealer:?}→{opener:?}");
        }
    }
}

#[test]
fn empty_value_round_trips() {
    let label = Scope::NamespaceWide.label("ns", "").unwrap();
    for backend in Backend::available() {
        let sealed = seal_with(backend, primary().public_key(), &label, b"").unwrap();
        assert!(open_with(backend, primary(), &label, &sealed).unwrap().is_empty());
    }
}

#[test]
fn debug_output_holds_no_key_material() {
    let key = primary();
    let shown = format!("{key:?} {:?}", key.public_key());
    assert!(shown.contains("redacted"));
    let pem = key.to_pkcs1_pem().unwrap();
    let body_line = pem.lines().nth(1).unwrap();
    assert!(!shown.contains(body_line));
    assert!(shown.len() < 200, "Debug must stay a short summary: {shown}");
}
