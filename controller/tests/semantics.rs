//! Bitnami's reconcile semantics: scopes, ownership annotations, immutability, templates
//! and the legacy `spec.data` blob.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::api::PostParams;
use sealant_api::annotations;
use sealant_crypto::{Scope, encode_base64, seal as seal_value};
use std::collections::BTreeMap;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_scopes_unseal_and_a_moved_object_does_not() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    let running = h.start_controller(&[]).await;

    for (name, scope) in [
        ("strict", Scope::Strict),
        ("nswide", Scope::NamespaceWide),
        ("cluster", Scope::ClusterWide),
    ] {
        h.create_sealed(&seal(&key, "app", name, scope, &[("v", name)]))
            .await;
    }
    // Sealed for app/original, applied as app/renamed and other/original.
    let mut renamed = seal(&key, "app", "original", Scope::Strict, &[("v", "x")]);
    renamed.metadata.name = Some("renamed".to_owned());
    h.create_sealed(&renamed).await;
    let mut moved = seal(&key, "app", "original", Scope::Strict, &[("v", "x")]);
    moved.metadata.namespace = Some("other".to_owned());
    h.create_sealed(&moved).await;
    // Namespace-wide survives a rename but not a move.
    let mut ns_moved = seal(&key, "app", "nsmoved", Scope::NamespaceWide, &[("v", "x")]);
    ns_moved.metadata.namespace = Some("other".to_owned());
    h.create_sealed(&ns_moved).await;

    for name in ["strict", "nswide", "cluster"] {
        eventually(&running, name, || async {
            h.secret_data("app", name)
                .await
                .is_some_and(|d| d["v"] == name)
        })
        .await;
    }
    for (ns, name) in [
        ("app", "renamed"),
        ("other", "original"),
        ("other", "nsmoved"),
    ] {
        eventually(&running, "Synced=False", || async {
            h.synced(ns, name)
                .await
                .is_some_and(|(s, _, _)| s == "False")
        })
        .await;
        let (_, reason, message) = h.synced(ns, name).await.unwrap();
        assert_eq!(reason, "ErrUnsealFailed");
        assert!(message.contains(&format!("{ns}/{name}")), "{message}");
        assert!(message.contains("scope"), "{message}");
        assert!(
            h.secret(ns, name).await.is_none(),
            "no Secret for {ns}/{name}"
        );
    }
    let events: kube::Api<k8s_openapi::api::events::v1::Event> =
        kube::Api::namespaced(h.client.clone(), "other");
    let events = events.list(&Default::default()).await.unwrap().items;
    assert!(
        events
            .iter()
            .any(|e| e.reason.as_deref() == Some("ErrUnsealFailed")
                && e.type_.as_deref() == Some("Warning")),
        "a warning Event for the failed objects"
    );
    running.shutdown().await;
}

fn unowned_secret(ns: &str, name: &str, annotation: Option<&str>) -> Secret {
    let mut s = Secret::default();
    s.metadata.name = Some(name.to_owned());
    s.metadata.namespace = Some(ns.to_owned());
    if let Some(a) = annotation {
        s.metadata.annotations = Some(BTreeMap::from([(a.to_owned(), "true".to_owned())]));
    }
    s.data = Some(BTreeMap::from([
        ("keep".to_owned(), bytes("existing")),
        ("v".to_owned(), bytes("old")),
    ]));
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_patch_unowned_and_immutable() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    let pp = PostParams::default();
    h.secrets("app")
        .create(
            &pp,
            &unowned_secret("app", "adopt", Some(annotations::MANAGED)),
        )
        .await
        .unwrap();
    h.secrets("app")
        .create(
            &pp,
            &unowned_secret("app", "merge", Some(annotations::PATCH)),
        )
        .await
        .unwrap();
    h.secrets("app")
        .create(&pp, &unowned_secret("app", "foreign", None))
        .await
        .unwrap();
    let mut frozen = unowned_secret("app", "frozen", Some(annotations::MANAGED));
    frozen.immutable = Some(true);
    h.secrets("app").create(&pp, &frozen).await.unwrap();

    let running = h.start_controller(&[]).await;
    for name in ["adopt", "merge", "foreign", "frozen"] {
        h.create_sealed(&seal(&key, "app", name, Scope::Strict, &[("v", "new")]))
            .await;
    }

    // managed: adopted, replaced wholesale, owned from now on.
    eventually(&running, "adopted", || async {
        h.secret_data("app", "adopt")
            .await
            .is_some_and(|d| d.get("v").map(String::as_str) == Some("new"))
    })
    .await;
    let adopted = h.secret("app", "adopt").await.unwrap();
    assert!(!adopted.data.unwrap().contains_key("keep"));
    assert_eq!(
        adopted.metadata.owner_references.unwrap()[0].kind,
        "SealedSecret"
    );

    // patch: merged, other keys kept.
    eventually(&running, "merged", || async {
        h.secret_data("app", "merge")
            .await
            .is_some_and(|d| d["v"] == "new")
    })
    .await;
    assert_eq!(
        h.secret_data("app", "merge").await.unwrap()["keep"],
        "existing"
    );

    // unowned without annotations: refused, untouched.
    eventually(&running, "foreign refused", || async {
        h.synced("app", "foreign")
            .await
            .is_some_and(|(s, r, _)| s == "False" && r == "ErrUpdateFailed")
    })
    .await;
    let (_, _, message) = h.synced("app", "foreign").await.unwrap();
    assert!(
        message.contains("app/foreign") && message.contains("managed"),
        "{message}"
    );
    assert_eq!(h.secret_data("app", "foreign").await.unwrap()["v"], "old");

    // immutable: a clear error, untouched.
    eventually(&running, "immutable refused", || async {
        h.synced("app", "frozen")
            .await
            .is_some_and(|(s, _, _)| s == "False")
    })
    .await;
    let (_, reason, message) = h.synced("app", "frozen").await.unwrap();
    assert_eq!(reason, "ErrUpdateFailed");
    assert!(
        message.contains("immutable") && message.contains("app/frozen"),
        "{message}"
    );
    assert_eq!(h.secret_data("app", "frozen").await.unwrap()["v"], "old");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_data_and_legacy_spec_data() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    let running = h.start_controller(&["--accept-deprecated-v1-data"]).await;

    let mut templated = seal(
        &key,
        "app",
        "dsn",
        Scope::Strict,
        &[("user", "admin"), ("pass", "pw")],
    );
    templated.spec.template.data.insert(
        "url".to_owned(),
        Some("postgres://{{ index . \"user\" }}:{{ index . \"pass\" }}@db/app".to_owned()),
    );
    templated.spec.template.type_ = Some("Opaque".to_owned());
    templated.spec.template.metadata.labels =
        Some(BTreeMap::from([("app".to_owned(), "db".to_owned())]));
    h.create_sealed(&templated).await;

    // The legacy blob: one sealed value holding the whole Secret as JSON.
    let label = Scope::Strict.label("app", "legacy").unwrap();
    let blob = serde_json::to_vec(&serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": { "name": "legacy", "namespace": "app" },
        "data": { "old": encode_base64(b"v1-value") }
    }))
    .unwrap();
    let mut legacy = seal(&key, "app", "legacy", Scope::Strict, &[("unused", "x")]);
    legacy.spec.encrypted_data.clear();
    legacy.spec.data = Some(encode_base64(
        &seal_value(&public_key(&key), &label, &blob).unwrap(),
    ));
    h.create_sealed(&legacy).await;

    eventually(&running, "templated", || async {
        h.secret_data("app", "dsn").await.is_some()
    })
    .await;
    let secret = h.secret("app", "dsn").await.unwrap();
    let data = h.secret_data("app", "dsn").await.unwrap();
    assert_eq!(data["url"], "postgres://admin:pw@db/app");
    assert_eq!(secret.type_.as_deref(), Some("Opaque"));
    assert_eq!(secret.metadata.labels.unwrap()["app"], "db");

    eventually(&running, "legacy", || async {
        h.secret_data("app", "legacy")
            .await
            .is_some_and(|d| d["old"] == "v1-value")
    })
    .await;
    running.shutdown().await;
}

/// Bitnami v0.40 through the API server: `null` in `template.data` drops a decrypted key
/// that a template still reads (#1871, closing #1870), and on a collision the decrypted
/// value wins over the template (#1940). The object is sent as JSON with a literal `null`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_drops_a_key_and_the_decrypted_value_wins_a_collision() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    let running = h.start_controller(&[]).await;
    let sealed = seal(
        &key,
        "app",
        "config",
        Scope::Strict,
        &[
            ("host", "db"),
            ("password", "pw"),
            ("token", "sealed-token"),
        ],
    );
    let mut doc = serde_json::to_value(&sealed).unwrap();
    doc["spec"]["template"]["data"] = serde_json::json!({
        "password": null,
        "dsn": "{{ .host }}:{{ .password }}",
        "token": "{{ .token }}-from-template",
    });
    let text = serde_json::to_string(&doc).unwrap();
    assert!(text.contains(r#""password":null"#), "{text}");
    let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        h.client.clone(),
        "app",
        &kube::api::ApiResource::erase::<sealant_api::SealedSecret>(&()),
    );
    api.create(
        &PostParams::default(),
        &serde_json::from_value(doc).unwrap(),
    )
    .await
    .unwrap();

    eventually(&running, "unsealed", || async {
        h.secret_data("app", "config").await.is_some()
    })
    .await;
    let data = h.secret_data("app", "config").await.unwrap();
    let want: BTreeMap<String, String> =
        [("dsn", "db:pw"), ("host", "db"), ("token", "sealed-token")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
    assert_eq!(data, want);
    // The stored object keeps the null: a client that reads it back sees the instruction.
    let stored = h.sealed("app").get("config").await.unwrap();
    assert_eq!(stored.spec.template.data.get("password"), Some(&None));
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_spec_data_needs_the_flag() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    let running = h.start_controller(&[]).await;
    let mut legacy = seal(&key, "app", "legacy", Scope::Strict, &[("x", "y")]);
    legacy.spec.data = Some(legacy.spec.encrypted_data.remove("x").unwrap());
    h.create_sealed(&legacy).await;
    eventually(&running, "refused", || async {
        h.synced("app", "legacy")
            .await
            .is_some_and(|(s, _, _)| s == "False")
    })
    .await;
    let (_, _, message) = h.synced("app", "legacy").await.unwrap();
    assert!(message.contains("--accept-deprecated-v1-data"), "{message}");
    running.shutdown().await;
}
