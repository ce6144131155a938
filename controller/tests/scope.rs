//! What the controller watches (namespaces, label selector) and how generated Secrets go away
//! (ownerReference garbage collection, or `--old-gc-behavior`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kube::api::DeleteParams;
use sealant_api::annotations;
use sealant_crypto::Scope;
use std::collections::BTreeMap;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_listed_namespaces_and_matching_labels_are_unsealed() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    // Created before the controller starts, so an unscoped controller would see them first.
    h.create_sealed(&seal(&key, "team-b", "x", Scope::Strict, &[("v", "b")]))
        .await;
    let mut unlabelled = seal(&key, "team-a", "unlabelled", Scope::Strict, &[("v", "a")]);
    unlabelled.metadata.labels = Some(BTreeMap::from([("tier".to_owned(), "other".to_owned())]));
    h.create_sealed(&unlabelled).await;
    let mut wanted = seal(&key, "team-a", "x", Scope::Strict, &[("v", "a")]);
    wanted.metadata.labels = Some(BTreeMap::from([("tier".to_owned(), "gold".to_owned())]));
    h.create_sealed(&wanted).await;

    let running = h
        .start_controller(&[
            "--all-namespaces=false",
            "--additional-namespaces=team-a",
            "--label-selector=tier=gold",
        ])
        .await;
    // A reconcile is counted after its status write, a moment after the Secret appears.
    eventually(&running, "team-a/x unsealed and counted", || async {
        h.secret_data("team-a", "x").await.is_some() && stats(&running).objects >= 1
    })
    .await;
    let s = stats(&running);
    assert_eq!(s.objects, 1, "only team-a/x was ever reconciled: {s:?}");
    assert!(h.secret("team-b", "x").await.is_none());
    assert!(h.secret("team-a", "unlabelled").await.is_none());
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_sealed_secret_removes_its_secret() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    let running = h.start_controller(&["--old-gc-behavior"]).await;
    h.create_sealed(&seal(&key, "app", "owned", Scope::Strict, &[("v", "1")]))
        .await;
    let mut unowned = seal(&key, "app", "unowned", Scope::Strict, &[("v", "1")]);
    unowned
        .metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(
            annotations::SKIP_SET_OWNER_REFERENCES.to_owned(),
            "true".to_owned(),
        );
    h.create_sealed(&unowned).await;
    for name in ["owned", "unowned"] {
        eventually(&running, name, || async {
            h.secret("app", name).await.is_some()
        })
        .await;
    }
    assert!(
        h.secret("app", "unowned")
            .await
            .unwrap()
            .metadata
            .owner_references
            .is_none()
    );

    for name in ["owned", "unowned"] {
        h.sealed("app")
            .delete(name, &DeleteParams::default())
            .await
            .unwrap();
    }
    // "owned" goes by ownerReference garbage collection, "unowned" by --old-gc-behavior.
    for name in ["owned", "unowned"] {
        eventually(&running, "Secret deleted", || async {
            h.secret("app", name).await.is_none()
        })
        .await;
    }
    running.shutdown().await;
}

/// `--namespace-selector` (Bitnami #568, #335) follows namespaces as their labels change:
/// a namespace that gains the label is watched, one that loses it is left alone (its
/// Secrets stay, new SealedSecrets wait), and one that regains it is watched again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_selector_follows_namespace_labels() {
    use k8s_openapi::api::core::v1::Namespace;
    use kube::api::{Api, Patch, PatchParams, PostParams};
    use std::time::Duration;

    const LABEL: &str = "sealant-test/unseal";
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    let namespaces: Api<Namespace> = Api::all(h.client.clone());
    for (name, labels) in [("team-a", Some("yes")), ("team-b", None)] {
        let mut ns = Namespace::default();
        ns.metadata.name = Some(name.to_owned());
        ns.metadata.labels = labels.map(|v| BTreeMap::from([(LABEL.to_owned(), v.to_owned())]));
        namespaces
            .create(&PostParams::default(), &ns)
            .await
            .unwrap();
    }
    let label = |name: &'static str, value: Option<&'static str>| {
        let namespaces = namespaces.clone();
        async move {
            let patch = serde_json::json!({"metadata": {"labels": {LABEL: value}}});
            namespaces
                .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .unwrap();
        }
    };
    h.create_sealed(&seal(&key, "team-a", "x", Scope::Strict, &[("v", "a")]))
        .await;
    h.create_sealed(&seal(&key, "team-b", "x", Scope::Strict, &[("v", "b")]))
        .await;

    let running = h
        .start_controller(&[&format!("--namespace-selector={LABEL}=yes")])
        .await;
    eventually(&running, "team-a/x unsealed and counted", || async {
        h.secret_data("team-a", "x").await.is_some() && stats(&running).objects >= 1
    })
    .await;
    assert_eq!(stats(&running).objects, 1, "team-b is not selected");
    assert!(h.secret("team-b", "x").await.is_none());

    label("team-b", Some("yes")).await;
    eventually(&running, "team-b/x unsealed once labelled", || async {
        h.secret_data("team-b", "x").await.is_some()
    })
    .await;

    // Unlabelled: the controller stops watching team-b (its two watches close).
    let before = h.fake.fake.open_watches();
    label("team-b", None).await;
    assert!(
        h.fake
            .fake
            .wait_until(Duration::from_secs(20), move |f| f.open_watches() + 2
                <= before)
            .await,
        "team-b's SealedSecret and Secret watches closed"
    );
    h.create_sealed(&seal(
        &key,
        "team-b",
        "late",
        Scope::Strict,
        &[("v", "late")],
    ))
    .await;
    h.create_sealed(&seal(
        &key,
        "team-a",
        "witness",
        Scope::Strict,
        &[("v", "w")],
    ))
    .await;
    eventually(&running, "team-a/witness unsealed", || async {
        h.secret_data("team-a", "witness").await.is_some()
    })
    .await;
    assert!(
        h.secret("team-b", "late").await.is_none(),
        "a namespace that left the selection is not unsealed"
    );
    assert_eq!(
        h.secret_data("team-b", "x").await.unwrap()["v"],
        "b",
        "its existing Secrets are left alone"
    );

    label("team-b", Some("yes")).await;
    eventually(&running, "team-b/late unsealed once relabelled", || async {
        h.secret_data("team-b", "late").await.is_some()
    })
    .await;
    running.shutdown().await;
}
