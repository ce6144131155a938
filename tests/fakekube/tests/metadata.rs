//! Metadata-only list/get/watch (`PartialObjectMetadata`), selected by the Accept header.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Request, header};
use common::{code, next_item, secret, setup};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::core::PartialObjectMeta;
use kube::runtime::watcher;
use kube::{Api, Client};
use serde_json::json;

const META: &str = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
const META_LIST: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
/// base64 of the payload every test Secret carries; it must never reach a metadata client.
const PAYLOAD_B64: &str = "U0VDUkVUVkFMVUU=";

async fn seed(client: &Client) -> Api<Secret> {
    let api: Api<Secret> = Api::namespaced(client.clone(), "ns");
    for n in ["a", "b", "c"] {
        api.create(&PostParams::default(), &secret(n, &[("k", "SECRETVALUE")]))
            .await
            .unwrap();
    }
    api
}

async fn raw(client: &Client, path: &str, accept: &str) -> Result<String, kube::Error> {
    let req = Request::get(path)
        .header(header::ACCEPT, accept)
        .body(Vec::new())
        .unwrap();
    client.request_text(req).await
}

#[tokio::test]
async fn list_and_get_metadata() {
    let (_fk, client) = setup().await;
    let api = seed(&client).await;
    let list = api.list_metadata(&ListParams::default()).await.unwrap();
    let names: Vec<_> = list
        .items
        .iter()
        .map(|o| o.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    let types = list.items[0].types.clone().unwrap();
    assert_eq!(
        (types.api_version.as_str(), types.kind.as_str()),
        ("meta.k8s.io/v1", "PartialObjectMetadata")
    );
    assert!(list.metadata.resource_version.is_some());
    let one = api.get_metadata("b").await.unwrap();
    assert!(one.metadata.uid.is_some());

    // The raw bodies carry metadata only.
    for (path, accept, kind) in [
        (
            "/api/v1/namespaces/ns/secrets",
            META_LIST,
            "PartialObjectMetadataList",
        ),
        (
            "/api/v1/namespaces/ns/secrets/a",
            META,
            "PartialObjectMetadata",
        ),
    ] {
        let body = raw(&client, path, accept).await.unwrap();
        assert!(body.contains(&format!("\"kind\":\"{kind}\"")), "{body}");
        assert!(
            !body.contains(PAYLOAD_B64) && !body.contains("\"data\""),
            "{body}"
        );
    }
    // Several media types: the first one supported wins.
    let accept = format!("application/vnd.kubernetes.protobuf;q=1, {META_LIST}, application/json");
    let body = raw(&client, "/api/v1/namespaces/ns/secrets", &accept)
        .await
        .unwrap();
    assert!(!body.contains(PAYLOAD_B64), "{body}");
    let body = raw(
        &client,
        "/api/v1/namespaces/ns/secrets",
        "application/json;as=Table;g=meta.k8s.io;v=v1, application/json",
    )
    .await
    .unwrap();
    assert!(body.contains(PAYLOAD_B64), "plain JSON is the full object");
    // Nothing acceptable → 406; the single-object form is not acceptable for a list.
    assert_eq!(
        code(
            raw(
                &client,
                "/api/v1/namespaces/ns/secrets",
                "application/vnd.kubernetes.protobuf"
            )
            .await
        ),
        406
    );
    assert_eq!(
        code(raw(&client, "/api/v1/namespaces/ns/secrets", META).await),
        406
    );

    // Writes answer in the requested form too (kube-rs patch_metadata).
    let p = json!({"metadata": {"labels": {"l": "1"}}});
    let m = api
        .patch_metadata("a", &PatchParams::default(), &Patch::Merge(&p))
        .await
        .unwrap();
    assert_eq!(m.metadata.labels.unwrap()["l"], "1");
}

#[tokio::test]
async fn watch_metadata_sends_no_data() {
    let (_fk, client) = setup().await;
    let api = seed(&client).await;
    let mut stream = api
        .watch_metadata(&WatchParams::default().timeout(30), "0")
        .await
        .unwrap()
        .boxed();
    let mut initial = Vec::new();
    while initial.len() < 3 {
        match next_item(&mut stream).await {
            Some(WatchEvent::Added(o)) => initial.push(o.metadata.name.unwrap()),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(initial, ["a", "b", "c"]);
    api.create(
        &PostParams::default(),
        &secret("d", &[("k", "SECRETVALUE")]),
    )
    .await
    .unwrap();
    match next_item(&mut stream).await {
        Some(WatchEvent::Added(o)) => assert_eq!(o.metadata.name.as_deref(), Some("d")),
        other => panic!("unexpected {other:?}"),
    }

    // The raw watch body (ended by the server after timeoutSeconds) has no payload.
    let body = raw(
        &client,
        "/api/v1/namespaces/ns/secrets?watch=true&timeoutSeconds=1",
        META,
    )
    .await
    .unwrap();
    assert_eq!(body.lines().count(), 4, "{body}");
    assert!(
        body.contains("PartialObjectMetadata") && !body.contains(PAYLOAD_B64),
        "{body}"
    );
}

/// kube 5's metadata watcher: `watcher` over `Api<PartialObjectMeta<K>>` (and the deprecated
/// `metadata_watcher`, which does the same).
#[tokio::test]
async fn kube_runtime_metadata_watcher() {
    let (fk, client) = setup().await;
    let api = seed(&client).await;
    let meta: Api<PartialObjectMeta<Secret>> = Api::namespaced(client.clone(), "ns");
    let mut stream = watcher(meta, watcher::Config::default()).boxed();
    #[allow(deprecated)]
    let mut old_style =
        kube::runtime::metadata_watcher(api.clone(), watcher::Config::default()).boxed();
    loop {
        match next_item(&mut old_style).await {
            Some(watcher::Event::InitDone) => break,
            Some(_) => {}
            None => panic!("stream ended"),
        }
    }
    // (What the metadata media type returns is checked on raw bodies above.)
    assert_eq!(fk.fake.request_count("list", "secrets"), 1);
    let mut seen = Vec::new();
    loop {
        match next_item(&mut stream).await {
            Some(watcher::Event::InitApply(o)) => seen.push(o.metadata.name.unwrap()),
            Some(watcher::Event::InitDone) => break,
            _ => {}
        }
    }
    assert_eq!(seen, ["a", "b", "c"]);
    let p = json!({"metadata": {"labels": {"changed": "yes"}}});
    api.patch("b", &PatchParams::default(), &Patch::Merge(&p))
        .await
        .unwrap();
    match next_item(&mut stream).await {
        Some(watcher::Event::Apply(o)) => {
            assert_eq!(o.metadata.name.as_deref(), Some("b"));
            assert_eq!(o.metadata.labels.unwrap()["changed"], "yes");
        }
        other => panic!("unexpected {other:?}"),
    }
}
