//! Cross-module tests: seal → unseal with a real (test-only) RSA key, kubeseal's rules, and
//! the exact output shapes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{
    annotations::{CLUSTER_WIDE, LAST_APPLIED, NAMESPACE_WIDE},
    *,
};
use sealant_crypto::{CryptoError, Label, Plaintext, PrivateKey, Scope, encode_base64, seal};
use std::{collections::BTreeMap, sync::OnceLock};

/// TEST-ONLY key, generated once per test binary (2048 bits keeps it quick).
fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let rsa = rsa::PrivateKey::new(&mut rand::rng(), 2048).expect("generate test key");
        PrivateKey::from_rsa(rsa).expect("wrap test key")
    })
}

fn opener() -> impl FnMut(&Label, &[u8]) -> Result<Plaintext, CryptoError> {
    |label: &Label, sealed: &[u8]| sealant_crypto::open(key(), label, sealed)
}

fn secret_yaml(yaml: &str) -> PlainSecret {
    let docs = parse_documents(yaml).unwrap();
    docs[0].to_plain_secret().unwrap()
}

const BASIC: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: mysecret
  namespace: prod
  labels: {app: web}
  annotations:
    note: kept
    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"password\":\"aHVudGVyMg==\"}}'
  uid: 0b8a4c1e-0000-0000-0000-000000000000
  resourceVersion: \"42\"
  creationTimestamp: \"2024-01-01T00:00:00Z\"
  ownerReferences:
  - {apiVersion: v1, kind: Pod, name: p, uid: u}
type: Opaque
data:
  password: aHVudGVyMg==
  user: YWRtaW4=
stringData:
  user: root
";

fn sealed(opts: &SealOptions) -> SealedSecret {
    seal_secret(&secret_yaml(BASIC), key().public_key(), opts).unwrap()
}

#[test]
fn round_trip_all_scopes() {
    for scope in Scope::ALL {
        let ss = sealed(&SealOptions {
            scope: Some(scope),
            ..SealOptions::default()
        });
        assert_eq!(ss.scope(), scope);
        let secret = unseal(&ss, &mut opener()).unwrap();
        assert_eq!(secret.data["password"].as_bytes(), b"hunter2");
        // stringData wins over data.
        assert_eq!(secret.data["user"].as_bytes(), b"root");
        assert_eq!(secret.metadata.name.as_deref(), Some("mysecret"));
        assert_eq!(secret.metadata.namespace.as_deref(), Some("prod"));
        assert_eq!(secret.type_.as_deref(), Some("Opaque"));
        verify(&ss, &mut opener()).unwrap();
    }
}

#[test]
fn label_binds_top_level_namespace_and_name() {
    let moved = |ss: &SealedSecret, ns: &str, name: &str| {
        let mut ss = ss.clone();
        ss.metadata.namespace = Some(ns.into());
        ss.metadata.name = Some(name.into());
        unseal(&ss, &mut opener()).is_ok()
    };
    let strict = sealed(&SealOptions::default());
    assert!(!moved(&strict, "prod", "other"));
    assert!(!moved(&strict, "dev", "mysecret"));
    let ns_wide = sealed(&SealOptions {
        scope: Some(Scope::NamespaceWide),
        ..SealOptions::default()
    });
    assert!(moved(&ns_wide, "prod", "other"));
    assert!(!moved(&ns_wide, "dev", "mysecret"));
    let cluster = sealed(&SealOptions {
        scope: Some(Scope::ClusterWide),
        ..SealOptions::default()
    });
    assert!(moved(&cluster, "dev", "other"));

    // The template's annotations and names never widen the scope (CVE-2026-22728).
    let mut tampered = strict.clone();
    let t = &mut tampered.spec.template.metadata;
    t.annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(CLUSTER_WIDE.into(), "true".into());
    t.namespace = Some("dev".into());
    tampered.metadata.namespace = Some("dev".into());
    assert!(unseal(&tampered, &mut opener()).is_err());
    // Wrong top-level scope fails too.
    let mut widened = strict.clone();
    widened
        .metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(CLUSTER_WIDE.into(), "true".into());
    let e = unseal(&widened, &mut opener()).unwrap_err().to_string();
    assert!(e.contains("prod/mysecret") && e.contains("cluster-wide") && e.contains("password"));
}

#[test]
fn metadata_follows_kubeseal() {
    let ss = sealed(&SealOptions::default());
    let t = &ss.spec.template.metadata;
    let annotations = t.annotations.clone().unwrap();
    assert!(!annotations.contains_key(LAST_APPLIED));
    assert_eq!(annotations["note"], "kept");
    assert_eq!(t.labels.clone().unwrap()["app"], "web");
    assert!(t.uid.is_none() && t.resource_version.is_none() && t.creation_timestamp.is_none());
    assert!(t.owner_references.is_none());
    assert_eq!(t.name.as_deref(), Some("mysecret"));
    assert_eq!(t.namespace.as_deref(), Some("prod"));
    assert!(ss.metadata.annotations.is_none());

    let ss = sealed(&SealOptions {
        scope: Some(Scope::NamespaceWide),
        ..SealOptions::default()
    });
    let top = ss.metadata.annotations.clone().unwrap();
    assert_eq!(top.len(), 1);
    assert_eq!(top[NAMESPACE_WIDE], "true");
    assert_eq!(
        ss.spec.template.metadata.annotations.clone().unwrap()[NAMESPACE_WIDE],
        "true"
    );
    // The unsealed Secret keeps the template annotations (scope ones included, as Bitnami).
    let secret = unseal(&ss, &mut opener()).unwrap();
    let a = secret.metadata.annotations.unwrap();
    assert_eq!(a["note"], "kept");
    assert_eq!(a[NAMESPACE_WIDE], "true");
}

#[test]
fn scope_from_secret_annotations() {
    let yaml = BASIC.replace(
        "    note: kept\n",
        "    note: kept\n    sealedsecrets.bitnami.com/cluster-wide: \"true\"\n",
    );
    let ss = seal_secret(
        &secret_yaml(&yaml),
        key().public_key(),
        &SealOptions::default(),
    )
    .unwrap();
    assert_eq!(ss.scope(), Scope::ClusterWide);
    // --scope overrides the annotations, including an explicit strict.
    let ss = seal_secret(
        &secret_yaml(&yaml),
        key().public_key(),
        &SealOptions {
            scope: Some(Scope::Strict),
            ..SealOptions::default()
        },
    )
    .unwrap();
    assert_eq!(ss.scope(), Scope::Strict);
    assert!(
        !ss.spec
            .template
            .metadata
            .annotations
            .unwrap()
            .contains_key(CLUSTER_WIDE)
    );
}

#[test]
fn namespace_and_name_rules() {
    let pk = key().public_key();
    let no_ns = secret_yaml("kind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n");
    let opts = |ns: Option<&str>, default: Option<&str>| SealOptions {
        namespace: ns.map(Into::into),
        default_namespace: default.map(Into::into),
        ..SealOptions::default()
    };

    // Strict without any namespace: refused, naming the object and scope.
    let e = seal_secret(&no_ns, pk, &opts(None, None)).unwrap_err();
    assert!(
        matches!(
            e,
            ApiError::MissingNamespace {
                scope: Scope::Strict,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains('s'));
    // Context namespace, then -n.
    let ss = seal_secret(&no_ns, pk, &opts(None, Some("ctx"))).unwrap();
    assert_eq!(ss.namespace_str(), "ctx");
    let ss = seal_secret(&no_ns, pk, &opts(Some("flag"), Some("ctx"))).unwrap();
    assert_eq!(ss.namespace_str(), "flag");
    assert_eq!(ss.spec.template.metadata.namespace.as_deref(), Some("flag"));

    // The Secret's own namespace beats the context, but an explicit -n must agree.
    let with_ns =
        secret_yaml("kind: Secret\nmetadata: {name: s, namespace: own}\nstringData: {a: b}\n");
    assert_eq!(
        seal_secret(&with_ns, pk, &opts(None, Some("ctx")))
            .unwrap()
            .namespace_str(),
        "own"
    );
    assert!(seal_secret(&with_ns, pk, &opts(Some("own"), None)).is_ok());
    let e = seal_secret(&with_ns, pk, &opts(Some("flag"), None))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("namespace mismatch") && e.contains("own") && e.contains("flag"),
        "{e}"
    );

    // Cluster-wide keeps whatever namespace the Secret has (kubeseal does not default it).
    let cw = SealOptions {
        scope: Some(Scope::ClusterWide),
        default_namespace: Some("ctx".into()),
        ..SealOptions::default()
    };
    let ss = seal_secret(&no_ns, pk, &cw).unwrap();
    assert_eq!(ss.metadata.namespace, None);
    assert!(unseal(&ss, &mut opener()).is_ok());

    // Namespace-wide needs a namespace but not... a name is always needed.
    let nameless = secret_yaml("kind: Secret\nmetadata: {namespace: n}\nstringData: {a: b}\n");
    let e = seal_secret(&nameless, pk, &SealOptions::default()).unwrap_err();
    assert!(matches!(e, ApiError::MissingName { .. }), "{e}");
    let named = SealOptions {
        name: Some("given".into()),
        ..SealOptions::default()
    };
    let ss = seal_secret(&nameless, pk, &named).unwrap();
    assert_eq!(ss.name_str(), "given");
    // --name replaces an existing name, as kubeseal does.
    assert_eq!(
        seal_secret(&with_ns, pk, &named).unwrap().name_str(),
        "given"
    );
}

#[test]
fn empty_data_needs_permission() {
    let empty = secret_yaml("kind: Secret\nmetadata: {name: s, namespace: n}\n");
    let pk = key().public_key();
    let e = seal_secret(&empty, pk, &SealOptions::default()).unwrap_err();
    assert!(matches!(e, ApiError::EmptyData { .. }));
    let allow = SealOptions {
        allow_empty_data: true,
        ..SealOptions::default()
    };
    let ss = seal_secret(&empty, pk, &allow).unwrap();
    assert!(ss.spec.encrypted_data.is_empty());
    // encryptedData is always written, as Bitnami does.
    let json = write_document(&ss, OutputFormat::Json).unwrap();
    assert!(json.contains("\"encryptedData\": {}"), "{json}");
}

#[test]
fn merge_into_touches_only_given_keys() {
    let mut ss = sealed(&SealOptions {
        scope: Some(Scope::NamespaceWide),
        ..SealOptions::default()
    });
    let before = ss.spec.encrypted_data.clone();
    // The update names another namespace/name and scope: ignored in favour of the target's.
    let update = secret_yaml(
        "kind: Secret\nmetadata:\n  name: x\n  namespace: elsewhere\n  labels: {tier: db}\n  annotations: {sealedsecrets.bitnami.com/cluster-wide: \"true\"}\nstringData: {password: new, extra: e}\n",
    );
    let changed = merge_into(&mut ss, &update, key().public_key()).unwrap();
    assert_eq!(changed, ["extra", "password"]);
    assert_eq!(ss.spec.encrypted_data["user"], before["user"]);
    assert_ne!(ss.spec.encrypted_data["password"], before["password"]);
    assert_eq!(ss.scope(), Scope::NamespaceWide);
    let t = &ss.spec.template.metadata;
    assert_eq!(t.labels.clone().unwrap()["tier"], "db");
    assert!(!t.annotations.clone().unwrap().contains_key(CLUSTER_WIDE));
    let secret = unseal(&ss, &mut opener()).unwrap();
    assert_eq!(secret.data["password"].as_bytes(), b"new");
    assert_eq!(secret.data["extra"].as_bytes(), b"e");
    assert_eq!(secret.data["user"].as_bytes(), b"root");
}

#[test]
fn templates_render_on_unseal() {
    let mut ss = sealed(&SealOptions::default());
    ss.spec.template.data.insert(
        "config.json".into(),
        "{\"user\": {{ printf \"%q\" .user }}, \"pw\": {{ index . \"password\" | printf \"%q\" }}}"
            .into(),
    );
    ss.spec
        .template
        .data
        .insert("user".into(), "{{ .user | printf \"%s!\" }}".into());
    // Templates see decrypted values, not other templates' output ("user" stays "root").
    ss.spec
        .template
        .data
        .insert("z".into(), "{{ .user }}".into());
    let secret = unseal(&ss, &mut opener()).unwrap();
    assert_eq!(
        secret.data["config.json"].as_bytes(),
        br#"{"user": "root", "pw": "hunter2"}"#
    );
    // A template key replaces the decrypted key of the same name.
    assert_eq!(secret.data["user"].as_bytes(), b"root!");
    assert_eq!(secret.data["z"].as_bytes(), b"root");

    ss.spec
        .template
        .data
        .insert("bad".into(), "{{ if .user }}".into());
    let e = unseal(&ss, &mut opener()).unwrap_err().to_string();
    assert!(
        e.contains("\"bad\"") && e.contains("prod/mysecret") && e.contains("EOF"),
        "{e}"
    );
    // verify never renders templates.
    assert!(verify(&ss, &mut opener()).is_ok());
}

#[test]
fn legacy_spec_data() {
    let label = Scope::Strict.label("prod", "old").unwrap();
    let secret_json = br#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"ignored","namespace":"ignored"},"data":{"k":"aHVudGVyMg=="},"type":"Opaque"}"#;
    let blob = seal(key().public_key(), &label, secret_json).unwrap();
    let text = format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: old, namespace: prod}}\nspec:\n  data: {}\n",
        encode_base64(&blob)
    );
    let ss = parse_documents(&text).unwrap()[0]
        .to_sealed_secret()
        .unwrap();
    let secret = unseal(&ss, &mut opener()).unwrap();
    assert_eq!(secret.data["k"].as_bytes(), b"hunter2");
    assert_eq!(secret.metadata.name.as_deref(), Some("old"));
    assert_eq!(secret.metadata.namespace.as_deref(), Some("prod"));
    assert_eq!(secret.type_.as_deref(), Some("Opaque"));

    let rotated = reencrypt(&ss, &mut opener(), key().public_key()).unwrap();
    assert_ne!(rotated.spec.data, ss.spec.data);
    assert_eq!(
        unseal(&rotated, &mut opener()).unwrap().data["k"].as_bytes(),
        b"hunter2"
    );

    let mut both = ss.clone();
    both.spec.encrypted_data.insert("x".into(), "AgA=".into());
    assert!(matches!(
        unseal(&both, &mut opener()),
        Err(ApiError::LegacyAndEncryptedData { .. })
    ));
}

#[test]
fn reencrypt_keeps_label_and_values() {
    let ss = sealed(&SealOptions {
        scope: Some(Scope::NamespaceWide),
        ..SealOptions::default()
    });
    let rotated = reencrypt(&ss, &mut opener(), key().public_key()).unwrap();
    assert_eq!(rotated.metadata, ss.metadata);
    assert_ne!(
        rotated.spec.encrypted_data["password"],
        ss.spec.encrypted_data["password"]
    );
    let secret = unseal(&rotated, &mut opener()).unwrap();
    assert_eq!(secret.data["password"].as_bytes(), b"hunter2");
}

#[test]
fn bad_ciphertext_is_named() {
    let mut ss = sealed(&SealOptions::default());
    ss.spec.encrypted_data.insert("broken".into(), "%%%".into());
    let e = unseal(&ss, &mut opener()).unwrap_err();
    assert!(matches!(e, ApiError::CiphertextBase64 { ref key, .. } if key == "broken"));
}

#[test]
fn unsealed_debug_is_redacted() {
    let ss = sealed(&SealOptions::default());
    let secret = unseal(&ss, &mut opener()).unwrap();
    let shown = format!("{secret:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("root"),
        "{shown}"
    );
    // The kubectl-shaped output carries the values base64-encoded.
    let yaml = write_document(&secret, OutputFormat::Yaml).unwrap();
    assert!(yaml.contains("password: aHVudGVyMg=="), "{yaml}");
}

/// A SealedSecret with fixed ciphertexts, to compare whole outputs byte for byte.
fn golden_object() -> SealedSecret {
    let mut ss = sealed(&SealOptions {
        scope: Some(Scope::NamespaceWide),
        ..SealOptions::default()
    });
    for (k, v) in ss.spec.encrypted_data.iter_mut() {
        *v = format!("AgB{k}==");
    }
    ss
}

#[test]
fn golden_json_matches_kubeseal_shape() {
    let json = write_documents(&[golden_object()], OutputFormat::Json).unwrap();
    let expected = r#"{
  "kind": "SealedSecret",
  "apiVersion": "bitnami.com/v1alpha1",
  "metadata": {
    "name": "mysecret",
    "namespace": "prod",
    "annotations": {
      "sealedsecrets.bitnami.com/namespace-wide": "true"
    }
  },
  "spec": {
    "template": {
      "metadata": {
        "name": "mysecret",
        "namespace": "prod",
        "labels": {
          "app": "web"
        },
        "annotations": {
          "note": "kept",
          "sealedsecrets.bitnami.com/namespace-wide": "true"
        }
      },
      "type": "Opaque"
    },
    "encryptedData": {
      "password": "AgBpassword==",
      "user": "AgBuser=="
    }
  }
}
"#;
    assert_eq!(json, expected);
}

#[test]
fn golden_yaml_matches_kubeseal_shape() {
    let yaml = write_documents(&[golden_object(), golden_object()], OutputFormat::Yaml).unwrap();
    let one = r#"---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  annotations:
    sealedsecrets.bitnami.com/namespace-wide: "true"
  name: mysecret
  namespace: prod
spec:
  encryptedData:
    password: AgBpassword==
    user: AgBuser==
  template:
    metadata:
      annotations:
        note: kept
        sealedsecrets.bitnami.com/namespace-wide: "true"
      labels:
        app: web
      name: mysecret
      namespace: prod
    type: Opaque
"#;
    assert_eq!(yaml, format!("{one}{one}"));
    // And it reads back to the same object.
    let docs = parse_documents(&yaml).unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1].to_sealed_secret().unwrap(), golden_object());
}

#[test]
fn yaml_quotes_yaml11_lookalikes_and_keeps_multiline_literal() {
    let mut ss = golden_object();
    let labels = ss
        .spec
        .template
        .metadata
        .labels
        .get_or_insert_with(BTreeMap::new);
    for (k, v) in [
        ("a", "yes"),
        ("b", "on"),
        ("c", "n"),
        ("d", "0755"),
        ("e", "1e3"),
        ("f", "~"),
    ] {
        labels.insert(k.into(), v.into());
    }
    ss.spec
        .template
        .data
        .insert("multi".into(), "line1\nline2\n".into());
    let long = "x".repeat(700);
    ss.spec.encrypted_data.insert("long".into(), long.clone());
    let yaml = write_document(&ss, OutputFormat::Yaml).unwrap();
    for v in ["yes", "on", "n", "0755", "1e3", "~"] {
        assert!(
            yaml.contains(&format!(": '{v}'")) || yaml.contains(&format!(": \"{v}\"")),
            "{v} not quoted in:\n{yaml}"
        );
    }
    assert!(yaml.contains(&format!("long: {long}\n")), "{yaml}");
    assert!(yaml.contains("multi: |\n"), "{yaml}");
    let back = parse_documents(&yaml).unwrap()[0]
        .to_sealed_secret()
        .unwrap();
    assert_eq!(back, ss);
}

#[test]
fn json_escapes_like_go_and_no_status_noise() {
    let mut ss = golden_object();
    ss.spec
        .template
        .data
        .insert("t".into(), "<{{ .a }}>&".into());
    ss.status = Some(SealedSecretStatus::default());
    let json = write_document(&ss, OutputFormat::Json).unwrap();
    assert!(
        json.contains(r#""t": "\u003c{{ .a }}\u003e\u0026""#),
        "{json}"
    );
    assert!(
        json.contains("\"status\": {}"),
        "empty status is written as Go does: {json}"
    );
    ss.status = None;
    let json = write_document(&ss, OutputFormat::Json).unwrap();
    assert!(!json.contains("status") && !json.contains("creationTimestamp"));
    assert!(!json.contains("null"));
}

#[test]
fn pipeline_parse_seal_write_parse_unseal() {
    let input = format!("{BASIC}---\n{}", BASIC.replace("mysecret", "second"));
    let docs = parse_documents(&input).unwrap();
    let sealed: Vec<SealedSecret> = docs
        .iter()
        .map(|d| {
            seal_secret(
                &d.to_plain_secret().unwrap(),
                key().public_key(),
                &SealOptions::default(),
            )
        })
        .collect::<Result<_, _>>()
        .unwrap();
    for format in [OutputFormat::Json, OutputFormat::Yaml] {
        let text = write_documents(&sealed, format).unwrap();
        let back = parse_documents(&text).unwrap();
        assert_eq!(back.len(), 2);
        let ss = back[1].to_sealed_secret().unwrap();
        assert_eq!(ss.name_str(), "second");
        let secret = unseal(&ss, &mut opener()).unwrap();
        assert_eq!(secret.data["password"].as_bytes(), b"hunter2");
    }
}

#[test]
fn crd_matches_bitnami() {
    use kube::CustomResourceExt;
    let crd = SealedSecret::crd();
    assert_eq!(
        crd.metadata.name.as_deref(),
        Some("sealedsecrets.bitnami.com")
    );
    assert_eq!(crd.spec.names.singular.as_deref(), Some("sealedsecret"));
    assert_eq!(crd.spec.scope, "Namespaced");
    let v = &crd.spec.versions[0];
    assert_eq!(v.name, "v1alpha1");
    assert!(
        v.subresources
            .as_ref()
            .and_then(|s| s.status.as_ref())
            .is_some()
    );
    assert_eq!(v.additional_printer_columns.as_ref().map(Vec::len), Some(3));
    let schema = serde_json::to_value(&v.schema).unwrap();
    let spec = &schema["openAPIV3Schema"]["properties"]["spec"]["properties"];
    assert_eq!(
        spec["encryptedData"]["x-kubernetes-preserve-unknown-fields"],
        serde_json::json!(true)
    );
    assert_eq!(spec["data"]["format"], "byte");
    assert_eq!(
        spec["template"]["properties"]["metadata"]["x-kubernetes-preserve-unknown-fields"],
        serde_json::json!(true)
    );
    let yaml = crd_yaml().unwrap();
    assert!(
        yaml.starts_with(
            "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        )
    );
    assert!(yaml.contains("plural: sealedsecrets"));
}

#[test]
fn sealed_secret_reads_go_output() {
    // Bitnami's own output: kind first, creationTimestamp null, null status fields.
    let text = r#"{
  "kind": "SealedSecret",
  "apiVersion": "bitnami.com/v1alpha1",
  "metadata": {"name": "s", "namespace": "n", "creationTimestamp": null},
  "spec": {
    "template": {"metadata": {"name": "s", "namespace": "n", "creationTimestamp": null}, "data": null},
    "encryptedData": {"k": "AgA="}
  },
  "status": {"conditions": [{"type": "Synced", "status": "True", "lastUpdateTime": null}]}
}"#;
    let ss = parse_documents(text).unwrap()[0]
        .to_sealed_secret()
        .unwrap();
    assert_eq!(ss.spec.encrypted_data["k"], "AgA=");
    assert_eq!(ss.status.unwrap().conditions[0].type_, CONDITION_SYNCED);
    let bad =
        parse_documents("apiVersion: bitnami.com/v1\nkind: SealedSecret\nmetadata: {}\nspec: {}\n")
            .unwrap();
    assert!(matches!(
        bad[0].to_sealed_secret(),
        Err(ApiError::WrongApiVersion { .. })
    ));
}

#[test]
fn sealed_for_hint_is_top_level_only_and_opt_in() {
    let plain = sealed(&SealOptions::default());
    assert!(
        !plain
            .metadata
            .annotations
            .iter()
            .flatten()
            .any(|(k, _)| k == SEALED_FOR),
        "kubeseal-compatible output must not carry the hint"
    );
    let ss = sealed(&SealOptions {
        scope: Some(Scope::NamespaceWide),
        record_sealed_for: true,
        ..SealOptions::default()
    });
    let hint = SealedFor::from_annotations(ss.metadata.annotations.as_ref().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(hint.fingerprint, key().public_key().fingerprint());
    assert_eq!(hint.scope, Scope::NamespaceWide);
    assert_eq!(
        (hint.namespace.as_str(), hint.name.as_str()),
        ("prod", "mysecret")
    );
    let template = ss.spec.template.metadata.annotations.clone().unwrap();
    assert!(!template.contains_key(SEALED_FOR));
    // The generated Secret never sees it either.
    let secret = unseal(&ss, &mut opener()).unwrap();
    assert!(
        !secret
            .metadata
            .annotations
            .iter()
            .flatten()
            .any(|(k, _)| k == SEALED_FOR)
    );
}

#[test]
fn merge_and_reencrypt_refresh_an_existing_hint_only() {
    let other = {
        let rsa = rsa::PrivateKey::new(&mut rand::rng(), 2048).unwrap();
        PrivateKey::from_rsa(rsa).unwrap()
    };
    let update = secret_yaml("kind: Secret\nmetadata: {name: x}\nstringData: {k: v}\n");

    let mut without = sealed(&SealOptions::default());
    merge_into(&mut without, &update, other.public_key()).unwrap();
    assert!(
        !without
            .metadata
            .annotations
            .iter()
            .flatten()
            .any(|(k, _)| k == SEALED_FOR)
    );

    let mut with = sealed(&SealOptions {
        record_sealed_for: true,
        ..SealOptions::default()
    });
    merge_into(&mut with, &update, other.public_key()).unwrap();
    let hint = SealedFor::parse(&with.metadata.annotations.as_ref().unwrap()[SEALED_FOR]).unwrap();
    assert_eq!(hint.fingerprint, other.public_key().fingerprint());

    let mut opener = |label: &Label, sealed: &[u8]| {
        sealant_crypto::open(key(), label, sealed)
            .or_else(|_| sealant_crypto::open(&other, label, sealed))
    };
    let again = reencrypt(&with, &mut opener, key().public_key()).unwrap();
    let hint = SealedFor::parse(&again.metadata.annotations.as_ref().unwrap()[SEALED_FOR]).unwrap();
    assert_eq!(hint.fingerprint, key().public_key().fingerprint());
}
