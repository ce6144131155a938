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
    eventually(&running, "team-a/x unsealed", || async {
        h.secret_data("team-a", "x").await.is_some()
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
