//! Envelope v2 against an independent implementation (Python `cryptography` 48, written from
//! docs/envelope-v2.md alone: crates/crypto/kat/v2/envelope_v2.py), in both directions:
//! - every vector it sealed opens here through the real object path (`decrypt_values` with a
//!   key ring), or fails where the vector says it must;
//! - objects sealed here open there with every recipient's key, and stop opening there when a
//!   bound field is changed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sealant_api::{
    SealedSecret,
    annotations::{CLUSTER_WIDE, NAMESPACE_WIDE},
    decrypt_values,
    envelope_v2::seal_values,
};
use sealant_crypto::{PrivateKey, XWingPrivateKey, v2::Recipient};
use sealant_keys::{HybridEntry, KeyEntry, KeyRing, RingOpener, read_private_keys};
use serde_json::{Value, json};
use std::{collections::BTreeMap, path::PathBuf};

fn kat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crypto/kat/v2")
}

fn vectors() -> Value {
    let text = std::fs::read_to_string(kat_dir().join("vectors.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

enum TestKey {
    Rsa(PrivateKey, String),
    XWing(XWingPrivateKey),
}

fn load_key(spec: &Value) -> TestKey {
    match spec["type"].as_str().unwrap() {
        "rsa" => {
            let pem =
                std::fs::read_to_string(kat_dir().join(spec["file"].as_str().unwrap())).unwrap();
            let mut keys = read_private_keys(pem.as_bytes()).unwrap();
            TestKey::Rsa(keys.remove(0).key, pem)
        }
        "x-wing" => {
            let seed = hex::decode(spec["seed"].as_str().unwrap()).unwrap();
            let key = XWingPrivateKey::from_seed_slice(&seed).unwrap();
            assert_eq!(
                hex::encode(key.public_key().as_bytes()),
                spec["public"].as_str().unwrap()
            );
            TestKey::XWing(key)
        }
        other => panic!("unknown key type {other}"),
    }
}

/// A ring holding exactly one key.
fn ring_of(key: &TestKey) -> KeyRing {
    let mut ring = KeyRing::new();
    match key {
        TestKey::Rsa(k, _) => {
            let k = PrivateKey::from_pkcs8_der(&k.to_pkcs8_der().unwrap()).unwrap();
            ring.insert(KeyEntry::new(k, None).unwrap());
        }
        TestKey::XWing(k) => {
            ring.insert_hybrid(HybridEntry::new(
                XWingPrivateKey::from_seed(k.seed()).unwrap(),
                None,
            ));
        }
    }
    ring
}

/// The vector's object as the SealedSecret a cluster would hold.
fn sealed_secret(object: &Value) -> SealedSecret {
    let mut annotations = serde_json::Map::new();
    match object["scope"].as_str().unwrap() {
        "strict" => {}
        "namespace-wide" => {
            annotations.insert(NAMESPACE_WIDE.into(), json!("true"));
        }
        "cluster-wide" => {
            annotations.insert(CLUSTER_WIDE.into(), json!("true"));
        }
        other => panic!("unknown scope {other}"),
    }
    let template = &object["template"];
    let doc = json!({
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": object["name"], "namespace": object["namespace"], "annotations": annotations},
        "spec": {
            "encryptedData": object["encryptedData"],
            "template": {
                "type": template["type"],
                "data": template["data"],
                "metadata": {"annotations": template["annotations"]},
            },
        },
    });
    serde_json::from_value(doc).unwrap()
}

/// The inverse: the Python implementation's object form of a SealedSecret.
fn kat_object(ss: &SealedSecret) -> Value {
    let scope = match ss.scope() {
        sealant_crypto::Scope::Strict => "strict",
        sealant_crypto::Scope::NamespaceWide => "namespace-wide",
        sealant_crypto::Scope::ClusterWide => "cluster-wide",
    };
    let t = &ss.spec.template;
    json!({
        "scope": scope,
        "namespace": ss.namespace_str(),
        "name": ss.name_str(),
        "template": {
            "type": t.type_,
            "data": t.data,
            "annotations": t.metadata.annotations.clone().unwrap_or_default(),
        },
        "encryptedData": ss.spec.encrypted_data,
    })
}

fn open_here(ss: &SealedSecret, key: &TestKey) -> Option<BTreeMap<String, String>> {
    let ring = ring_of(key);
    let mut opener = RingOpener::new(&ring, None);
    let values = decrypt_values(ss, &mut opener).ok()?;
    Some(
        values
            .iter()
            .map(|(k, v)| (k.clone(), hex::encode(v.as_bytes())))
            .collect(),
    )
}

#[test]
fn python_sealed_vectors_open_here_exactly_where_they_should() {
    let all = vectors();
    let keys: BTreeMap<String, TestKey> = all["keys"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, spec)| (name.clone(), load_key(spec)))
        .collect();
    let mut positive = 0;
    let mut negative = 0;
    for vector in all["vectors"].as_array().unwrap() {
        let name = vector["name"].as_str().unwrap();
        let ss = sealed_secret(&vector["object"]);
        for key_name in vector["open_with"].as_array().unwrap() {
            let key = &keys[key_name.as_str().unwrap()];
            let got = open_here(&ss, key);
            if vector["expect_error"].as_bool() == Some(true) {
                assert!(
                    got.is_none(),
                    "{name} with {key_name}: opened but must not ({})",
                    vector["why"]
                );
                negative += 1;
            } else {
                let expect: BTreeMap<String, String> =
                    serde_json::from_value(vector["expect"].clone()).unwrap();
                assert_eq!(got.as_ref(), Some(&expect), "{name} with {key_name}");
                positive += 1;
            }
        }
    }
    // The committed file holds both kinds; an empty or truncated file must not pass.
    assert!(
        positive >= 20 && negative >= 40,
        "{positive} positive, {negative} negative"
    );
}

/// Fails loudly (never skips) when python3 or its `cryptography` package is missing.
fn python_open(key: &Value, object: &Value) -> Value {
    let request = json!({"key": key, "object": object});
    let stdout = sealant_test_support::python::run_script(
        &kat_dir().join("envelope_v2.py"),
        &["open"],
        request.to_string().as_bytes(),
    );
    serde_json::from_slice(&stdout).unwrap()
}

fn python_key(key: &TestKey) -> Value {
    match key {
        TestKey::Rsa(_, pem) => json!({"type": "rsa", "pem": pem}),
        TestKey::XWing(k) => json!({"type": "x-wing", "seed": hex::encode(k.seed())}),
    }
}

#[test]
fn rust_sealed_objects_open_in_python_and_tampering_is_refused_there() {
    let all = vectors();
    let rsa = load_key(&all["keys"]["rsa4096"]);
    let hybrid = load_key(&all["keys"]["xwing-a"]);
    let escrow = load_key(&all["keys"]["xwing-escrow"]);
    let (TestKey::Rsa(rsa_key, _), TestKey::XWing(hybrid_key), TestKey::XWing(escrow_key)) =
        (&rsa, &hybrid, &escrow)
    else {
        unreachable!()
    };
    let recipients = [
        Recipient::Rsa(rsa_key.public_key()),
        Recipient::XWing(hybrid_key.public_key()),
        Recipient::XWing(escrow_key.public_key()),
    ];
    for scope in ["strict", "namespace-wide", "cluster-wide"] {
        let mut ss = sealed_secret(&json!({
            "scope": scope, "namespace": "prod", "name": "db",
            "template": {"type": "Opaque", "data": {"dsn": "db://{{ .password }}", "gone": null},
                         "annotations": {"team": "payments"}},
            "encryptedData": {},
        }));
        let plain: [(&str, &[u8]); 3] = [
            ("password", b"hunter2"),
            ("empty", b""),
            ("binary", &[0, 255, 10, 13]),
        ];
        ss.spec.encrypted_data = seal_values(&ss, &recipients, plain).unwrap();
        let expect: BTreeMap<String, String> = plain
            .iter()
            .map(|(k, v)| (k.to_string(), hex::encode(v)))
            .collect();
        for key in [&rsa, &hybrid, &escrow] {
            let reply = python_open(&python_key(key), &kat_object(&ss));
            let got: BTreeMap<String, String> =
                serde_json::from_value(reply["values"].clone()).unwrap_or_default();
            assert_eq!(got, expect, "{scope}: python reply {reply}");
            assert_eq!(open_here(&ss, key).as_ref(), Some(&expect));
        }
        // A bound field changed: Python refuses, as we do.
        let mut tampered = ss.clone();
        tampered
            .spec
            .template
            .data
            .insert("dsn".into(), Some("evil://{{ .password }}".into()));
        let reply = python_open(&python_key(&hybrid), &kat_object(&tampered));
        assert_eq!(reply["error"], "cannot open", "{scope}: {reply}");
        assert!(open_here(&tampered, &hybrid).is_none());
    }
}
