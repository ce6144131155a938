//! Controller-sized load: 2000 SealedSecrets and 2000 owned Secrets, watched while every
//! SealedSecret's status is written and then all are deleted (GC removes the Secrets).
//! Not a timed test; it guards against per-event costs that grow with the store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{count_initial, next_item, sealed_secret, sealed_secrets, secret, setup, wait};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::core::PartialObjectMeta;
use kube::runtime::watcher;
use kube::{Api, ResourceExt};
use serde_json::json;

const N: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_sealed_secrets_and_secrets() {
    let (fk, client) = setup().await;
    let ss = sealed_secrets(&client, "ns");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "ns");
    futures::stream::iter(0..N)
        .map(|i| {
            let (ss, secrets) = (ss.clone(), secrets.clone());
            async move {
                let name = format!("s{i:05}");
                let o = ss
                    .create(
                        &PostParams::default(),
                        &sealed_secret(&name, json!({"encryptedData": {"k": "AgB..."}})),
                    )
                    .await
                    .unwrap();
                let mut s = secret(&name, &[("k", "v")]);
                s.metadata.owner_references = Some(vec![OwnerReference {
                    api_version: "bitnami.com/v1alpha1".into(),
                    kind: "SealedSecret".into(),
                    name: name.clone(),
                    uid: o.uid().unwrap(),
                    controller: Some(true),
                    block_owner_deletion: None,
                }]);
                secrets.create(&PostParams::default(), &s).await.unwrap();
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<()>>()
        .await;
    assert_eq!(
        (fk.fake.count("sealedsecrets"), fk.fake.count("secrets")),
        (N, N)
    );

    let mut ss_events = watcher(ss.clone(), watcher::Config::default()).boxed();
    let meta: Api<PartialObjectMeta<Secret>> = Api::all(client.clone());
    let mut secret_events = watcher(meta, watcher::Config::default()).boxed();
    for stream_len in [
        count_initial(&mut ss_events).await,
        count_initial(&mut secret_events).await,
    ] {
        assert_eq!(stream_len, N);
    }

    futures::stream::iter(0..N)
        .map(|i| {
            let ss = ss.clone();
            async move {
                let p = json!({"status": {"observedGeneration": 1}});
                ss.patch_status(
                    &format!("s{i:05}"),
                    &PatchParams::default(),
                    &Patch::Merge(&p),
                )
                .await
                .unwrap();
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<()>>()
        .await;
    let mut updated = 0;
    while updated < N {
        match next_item(&mut ss_events).await {
            Some(watcher::Event::Apply(o)) if o.data["status"]["observedGeneration"] == 1 => {
                updated += 1
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    ss.delete_collection(&DeleteParams::default(), &ListParams::default())
        .await
        .unwrap();
    wait(&fk.fake, "GC of the Secrets", |f| f.count("secrets") == 0).await;
    let mut deleted = 0;
    while deleted < N {
        match next_item(&mut secret_events).await {
            Some(watcher::Event::Delete(_)) => deleted += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(fk.fake.count_writes("gc-delete", "secrets"), N);
    assert_eq!(fk.fake.count_writes("deletecollection", "sealedsecrets"), N);
}
