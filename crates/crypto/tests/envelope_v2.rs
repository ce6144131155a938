//! Envelope v2 round trips across recipients and backends, and the bindings: each bound
//! field changed after sealing must stop the value opening; cosmetic fields must not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{RSA2048, RSA2048_B, load_key};
use sealant_crypto::{
    Backend, CryptoError, Scope, XWingPrivateKey,
    v2::{Binding, OpenedHeader, Recipient, RecipientKey, Sealer, TemplateMeaning, parse_header},
};

fn meaning() -> TemplateMeaning<'static> {
    TemplateMeaning {
        secret_type: Some("Opaque"),
        data: vec![("dsn", Some("db://{{ .password }}")), ("drop", None)],
        scope_annotations: vec![],
    }
}

fn binding(meaning: &TemplateMeaning<'_>) -> Binding {
    Binding::new(Scope::Strict, "prod", "db", meaning.digest()).unwrap()
}

struct Sealed {
    header_key: String,
    header: String,
    values: Vec<(String, String)>,
}

fn seal(backend: Backend, recipients: &[Recipient<'_>], binding: &Binding) -> Sealed {
    let sealer = Sealer::new(backend, recipients).unwrap();
    let values = [("password", b"hunter2".as_slice()), ("empty", b"")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), sealer.seal(binding, k, v).unwrap()))
        .collect();
    Sealed {
        header_key: sealer.header_key(),
        header: sealer.header_string(),
        values,
    }
}

fn open_all(
    backend: Backend,
    sealed: &Sealed,
    key: RecipientKey<'_>,
    binding: &Binding,
) -> Result<Vec<Vec<u8>>, CryptoError> {
    let header = parse_header(&sealed.header_key, &sealed.header)?;
    let opened = OpenedHeader::unwrap(backend, &header, key)?.ok_or(CryptoError::Decrypt)?;
    sealed
        .values
        .iter()
        .map(|(k, v)| opened.open(binding, k, v).map(|p| p.as_bytes().to_vec()))
        .collect()
}

#[test]
fn every_recipient_opens_with_every_backend_pair() {
    let rsa = load_key(RSA2048);
    let hybrid = XWingPrivateKey::generate().unwrap();
    let escrow = XWingPrivateKey::generate().unwrap();
    let recipients = [
        Recipient::Rsa(rsa.public_key()),
        Recipient::XWing(hybrid.public_key()),
        Recipient::XWing(escrow.public_key()),
    ];
    let b = binding(&meaning());
    for sealing in Backend::available() {
        let sealed = seal(sealing, &recipients, &b);
        for opening in Backend::available() {
            for key in [
                RecipientKey::Rsa(&rsa),
                RecipientKey::XWing(&hybrid),
                RecipientKey::XWing(&escrow),
            ] {
                let got = open_all(opening, &sealed, key, &b)
                    .unwrap_or_else(|e| panic!("{sealing:?}->{opening:?} {:?}: {e}", key.id()));
                assert_eq!(got, vec![b"hunter2".to_vec(), Vec::new()]);
            }
        }
    }
}

#[test]
fn a_key_not_named_by_any_stanza_costs_nothing_and_opens_nothing() {
    let rsa = load_key(RSA2048);
    let other = load_key(RSA2048_B);
    let outsider = XWingPrivateKey::generate().unwrap();
    let b = binding(&meaning());
    let sealed = seal(
        Backend::preferred(),
        &[Recipient::Rsa(rsa.public_key())],
        &b,
    );
    let header = parse_header(&sealed.header_key, &sealed.header).unwrap();
    for key in [RecipientKey::Rsa(&other), RecipientKey::XWing(&outsider)] {
        assert!(matches!(
            OpenedHeader::unwrap(Backend::preferred(), &header, key),
            Ok(None)
        ));
    }
}

#[test]
fn every_bound_field_changed_fails_and_cosmetic_changes_do_not() {
    let key = XWingPrivateKey::generate().unwrap();
    let original = meaning();
    let b = binding(&original);
    let sealed = seal(
        Backend::preferred(),
        &[Recipient::XWing(key.public_key())],
        &b,
    );
    let opens = |binding: &Binding| {
        open_all(
            Backend::preferred(),
            &sealed,
            RecipientKey::XWing(&key),
            binding,
        )
        .is_ok()
    };
    assert!(opens(&b));

    let changed_meanings: Vec<(&str, TemplateMeaning<'_>)> = vec![
        (
            "type",
            TemplateMeaning {
                secret_type: Some("kubernetes.io/tls"),
                ..meaning()
            },
        ),
        (
            "type absent",
            TemplateMeaning {
                secret_type: None,
                ..meaning()
            },
        ),
        (
            "template changed",
            TemplateMeaning {
                data: vec![("dsn", Some("evil://{{ .password }}")), ("drop", None)],
                ..meaning()
            },
        ),
        (
            "template added",
            TemplateMeaning {
                data: vec![
                    ("dsn", Some("db://{{ .password }}")),
                    ("drop", None),
                    ("leak", Some("{{ .password }}")),
                ],
                ..meaning()
            },
        ),
        (
            "null flipped to a template",
            TemplateMeaning {
                data: vec![("dsn", Some("db://{{ .password }}")), ("drop", Some(""))],
                ..meaning()
            },
        ),
        (
            "entry removed",
            TemplateMeaning {
                data: vec![("dsn", Some("db://{{ .password }}"))],
                ..meaning()
            },
        ),
        (
            "scope annotation added",
            TemplateMeaning {
                scope_annotations: vec![("sealedsecrets.bitnami.com/cluster-wide", "true")],
                ..meaning()
            },
        ),
    ];
    for (what, changed) in changed_meanings {
        assert!(!opens(&binding(&changed)), "{what} must not open");
    }
    let d = original.digest();
    for (what, other) in [
        ("namespace", Binding::new(Scope::Strict, "dev", "db", d)),
        ("name", Binding::new(Scope::Strict, "prod", "db2", d)),
        (
            "scope widened",
            Binding::new(Scope::NamespaceWide, "prod", "db", d),
        ),
        ("cluster-wide", Binding::new(Scope::ClusterWide, "", "", d)),
    ] {
        assert!(!opens(&other.unwrap()), "{what} must not open");
    }

    // Entry order is not meaning: the digest sorts.
    let reordered = TemplateMeaning {
        data: vec![("drop", None), ("dsn", Some("db://{{ .password }}"))],
        ..meaning()
    };
    assert!(opens(&binding(&reordered)));
}

#[test]
fn values_cannot_be_swapped_between_keys() {
    let key = XWingPrivateKey::generate().unwrap();
    let b = binding(&meaning());
    let mut sealed = seal(
        Backend::preferred(),
        &[Recipient::XWing(key.public_key())],
        &b,
    );
    let first = sealed.values[0].1.clone();
    sealed.values[0].1 = sealed.values[1].1.clone();
    sealed.values[1].1 = first;
    assert!(open_all(Backend::preferred(), &sealed, RecipientKey::XWing(&key), &b).is_err());
}

#[test]
fn namespace_wide_ignores_the_name_and_cluster_wide_ignores_both() {
    let key = XWingPrivateKey::generate().unwrap();
    let d = meaning().digest();
    for (scope, ns2, name2) in [
        (Scope::NamespaceWide, "prod", "renamed"),
        (Scope::ClusterWide, "elsewhere", "renamed"),
    ] {
        let b = Binding::new(scope, "prod", "db", d).unwrap();
        let sealed = seal(
            Backend::preferred(),
            &[Recipient::XWing(key.public_key())],
            &b,
        );
        let moved = Binding::new(scope, ns2, name2, d).unwrap();
        assert!(
            open_all(
                Backend::preferred(),
                &sealed,
                RecipientKey::XWing(&key),
                &moved
            )
            .is_ok()
        );
    }
}

#[test]
fn header_framing_is_enforced() {
    let key = XWingPrivateKey::generate().unwrap();
    let sealer = Sealer::new(Backend::preferred(), &[Recipient::XWing(key.public_key())]).unwrap();
    let bytes = sealer.header().to_bytes();
    let hk = sealer.header_key();
    let as_string = |b: &[u8]| format!("sealant:v2:{}", sealant_crypto::encode_base64(b));
    // truncated anywhere
    for cut in [0, 1, 9, 10, 50, bytes.len() - 1] {
        assert!(
            parse_header(&hk, &as_string(&bytes[..cut])).is_err(),
            "cut {cut}"
        );
    }
    // unknown version
    let mut v3 = bytes.clone();
    v3[0] = 3;
    assert!(parse_header(&hk, &as_string(&v3)).is_err());
    // trailing bytes
    let mut long = bytes.clone();
    long.push(0);
    assert!(parse_header(&hk, &as_string(&long)).is_err());
    // key name with another id
    assert!(parse_header("sealant.v2/0000000000000000", &sealer.header_string()).is_err());
    // a stanza repeated: duplicate key id (count byte bumped, stanza copied before the mac)
    let stanza_len = bytes.len() - 1 - 8 - 1 - 32;
    let mut dup = bytes[..10].to_vec();
    dup.push(2);
    dup.extend_from_slice(&bytes[10..10 + stanza_len]);
    dup.extend_from_slice(&bytes[10..]);
    assert!(matches!(
        parse_header(&hk, &as_string(&dup)),
        Err(CryptoError::V2Format(_))
    ));
    // a flipped mac bit parses, but does not open
    let mut bad_mac = bytes.clone();
    *bad_mac.last_mut().unwrap() ^= 1;
    let header = parse_header(&hk, &as_string(&bad_mac)).unwrap();
    assert!(
        OpenedHeader::unwrap(Backend::preferred(), &header, RecipientKey::XWing(&key)).is_err()
    );
}

#[test]
fn sealing_refuses_no_recipients_and_repeated_ones() {
    let key = XWingPrivateKey::generate().unwrap();
    assert!(Sealer::new(Backend::preferred(), &[]).is_err());
    assert!(
        Sealer::new(
            Backend::preferred(),
            &[
                Recipient::XWing(key.public_key()),
                Recipient::XWing(key.public_key())
            ]
        )
        .is_err()
    );
}

#[test]
fn xwing_keys_round_trip_through_pem_and_never_print_the_seed() {
    let key = XWingPrivateKey::generate().unwrap();
    let again = XWingPrivateKey::from_pem(&key.to_pem()).unwrap();
    assert_eq!(again.key_id(), key.key_id());
    let public = sealant_crypto::XWingPublicKey::from_pem(&key.public_key().to_pem()).unwrap();
    assert_eq!(public, *key.public_key());
    let seed_hex = hex::encode(key.seed());
    assert!(!format!("{key:?}").contains(&seed_hex));
    assert!(XWingPrivateKey::from_pem(&key.public_key().to_pem()).is_err());
}

/// The independent implementation's positive vectors (crates/crypto/kat/v2) open with every
/// backend compiled in, header by header (the object-level rules, negatives included, are
/// checked in sealant-api's `envelope_v2_kat`).
#[test]
fn python_vectors_open_with_every_backend() {
    use sealant_crypto::v2::{is_header_key, value_header_id};
    use serde_json::Value;
    let dir = common::kat_dir().join("v2");
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("vectors.json")).unwrap()).unwrap();
    let mut opened = 0;
    for backend in Backend::available() {
        for vector in all["vectors"].as_array().unwrap() {
            if vector["expect_error"].as_bool() == Some(true) {
                continue;
            }
            let object = &vector["object"];
            let template = &object["template"];
            let data: Vec<(&str, Option<&str>)> = template["data"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let annotations: Vec<(&str, &str)> = template["annotations"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| k.ends_with("/namespace-wide") || k.ends_with("/cluster-wide"))
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
                .collect();
            let meaning = TemplateMeaning {
                secret_type: template["type"].as_str(),
                data,
                scope_annotations: annotations,
            };
            let scope: Scope = object["scope"].as_str().unwrap().parse().unwrap();
            let binding = Binding::new(
                scope,
                object["namespace"].as_str().unwrap(),
                object["name"].as_str().unwrap(),
                meaning.digest(),
            )
            .unwrap();
            let entries = object["encryptedData"].as_object().unwrap();
            for key_name in vector["open_with"].as_array().unwrap() {
                let spec = &all["keys"][key_name.as_str().unwrap()];
                let rsa;
                let xwing;
                let key = if spec["type"] == "rsa" {
                    rsa = load_key(&format!("v2/{}", spec["file"].as_str().unwrap()));
                    RecipientKey::Rsa(&rsa)
                } else {
                    let seed = hex::decode(spec["seed"].as_str().unwrap()).unwrap();
                    xwing = XWingPrivateKey::from_seed_slice(&seed).unwrap();
                    RecipientKey::XWing(&xwing)
                };
                let headers: Vec<OpenedHeader> = entries
                    .iter()
                    .filter(|(k, _)| is_header_key(k))
                    .map(|(k, v)| {
                        let header = parse_header(k, v.as_str().unwrap()).unwrap();
                        OpenedHeader::unwrap(backend, &header, key)
                            .unwrap()
                            .unwrap()
                    })
                    .collect();
                for (k, v) in entries.iter().filter(|(k, _)| !is_header_key(k)) {
                    let text = v.as_str().unwrap();
                    let id = value_header_id(text).unwrap();
                    let header = headers.iter().find(|h| h.id() == id).unwrap();
                    let plaintext = header.open(&binding, k, text).unwrap_or_else(|e| {
                        panic!("{} {backend:?} {key_name} {k}: {e}", vector["name"])
                    });
                    assert_eq!(
                        hex::encode(plaintext.as_bytes()),
                        vector["expect"][k].as_str().unwrap()
                    );
                    opened += 1;
                }
            }
        }
    }
    assert!(opened >= 40 * Backend::available().len(), "{opened}");
}
