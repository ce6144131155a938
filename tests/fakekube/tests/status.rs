//! The `/status` subresource, generation, and no-op writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use axum::http::Request;
use common::{code, sealed_secret, sealed_secrets, secret, setup};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DynamicObject, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;

fn rv(o: &impl ResourceExt) -> String {
    o.resource_version().unwrap()
}

#[tokio::test]
async fn status_writes_change_only_status() {
    let (fk, client) = setup().await;
    let ss = sealed_secrets(&client, "ns");
    let mut obj = sealed_secret("s", json!({"encryptedData": {"k": "AAA"}}));
    obj.data["status"] = json!({"observedGeneration": 42});
    let created = ss.create(&PostParams::default(), &obj).await.unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    assert!(
        created.data.get("status").is_none(),
        "status is dropped on create"
    );

    // Merge patch on /status: spec changes in it are ignored; generation stays.
    let p = json!({"status": {"observedGeneration": 1}, "spec": {"encryptedData": {"k": "HACK"}}});
    let st = ss
        .patch_status("s", &PatchParams::default(), &Patch::Merge(&p))
        .await
        .unwrap();
    assert_eq!(st.data["status"]["observedGeneration"], 1);
    assert_eq!(st.data["spec"]["encryptedData"]["k"], "AAA");
    assert_eq!(st.metadata.generation, Some(1));
    assert_ne!(rv(&st), rv(&created));

    // A main-resource write ignores status and bumps generation on a spec change.
    let p = json!({"spec": {"encryptedData": {"k": "BBB"}}, "status": {"observedGeneration": 99}});
    let main = ss
        .patch("s", &PatchParams::default(), &Patch::Merge(&p))
        .await
        .unwrap();
    assert_eq!(main.metadata.generation, Some(2));
    assert_eq!(main.data["status"]["observedGeneration"], 1);
    // Metadata-only change: no generation bump.
    let p = json!({"metadata": {"labels": {"a": "b"}}});
    let main = ss
        .patch("s", &PatchParams::default(), &Patch::Merge(&p))
        .await
        .unwrap();
    assert_eq!(main.metadata.generation, Some(2));

    // PUT /status with the current resourceVersion; stale → 409; without one → 422 (CRD).
    let mut cur = ss.get_status("s").await.unwrap();
    cur.data["status"] = json!({"observedGeneration": 2});
    let put = ss
        .replace_status("s", &PostParams::default(), &cur)
        .await
        .unwrap();
    assert_eq!(put.data["status"]["observedGeneration"], 2);
    assert_eq!(put.metadata.generation, Some(2));
    assert_eq!(
        code(ss.replace_status("s", &PostParams::default(), &cur).await),
        409
    );
    let mut no_rv = put.clone();
    no_rv.metadata.resource_version = None;
    assert_eq!(
        code(ss.replace("s", &PostParams::default(), &no_rv).await),
        422
    );

    // Server-side apply and JSON patch on /status.
    let apply = json!({"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
        "metadata": {"name": "s"}, "status": {"conditions": [{"type": "Synced", "status": "True"}]}});
    let ap = ss
        .patch_status(
            "s",
            &PatchParams::apply("ctrl").force(),
            &Patch::Apply(&apply),
        )
        .await
        .unwrap();
    assert_eq!(ap.data["status"]["conditions"][0]["type"], "Synced");
    assert_eq!(ap.data["status"]["observedGeneration"], 2);
    let req = Request::patch("/apis/bitnami.com/v1alpha1/namespaces/ns/sealedsecrets/s/status")
        .header("content-type", "application/json-patch+json")
        .body(br#"[{"op":"replace","path":"/status/observedGeneration","value":3}]"#.to_vec())
        .unwrap();
    let jp: DynamicObject = client.request(req).await.unwrap();
    assert_eq!(jp.data["status"]["observedGeneration"], 3);

    // No-op status write: succeeds, same resourceVersion, still logged.
    let same = json!({"status": {"observedGeneration": 3}});
    let before = rv(&ss.get("s").await.unwrap());
    let noop = ss
        .patch_status("s", &PatchParams::default(), &Patch::Merge(&same))
        .await
        .unwrap();
    assert_eq!(rv(&noop), before);
    assert_eq!(fk.fake.count_writes("patch", "sealedsecrets/status"), 4);
    assert_eq!(fk.fake.count_writes("update", "sealedsecrets/status"), 1);
    assert_eq!(fk.fake.count_writes("patch", "sealedsecrets"), 2);

    // Types without a status subresource have no /status route.
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "ns");
    secrets
        .create(&PostParams::default(), &secret("x", &[]))
        .await
        .unwrap();
    assert_eq!(code(secrets.get_status("x").await), 404);
}

/// A no-op update or patch returns the object unchanged, without a new resourceVersion and
/// without a watch event: the first event a watch sees after several no-ops is the next real
/// change.
#[tokio::test]
async fn noop_writes_emit_no_events() {
    let (fk, client) = setup().await;
    let api: Api<Secret> = Api::namespaced(client.clone(), "ns");
    let created = api
        .create(&PostParams::default(), &secret("a", &[("k", "v")]))
        .await
        .unwrap();
    let ss = sealed_secrets(&client, "ns");
    let s0 = ss
        .create(
            &PostParams::default(),
            &sealed_secret("s", json!({"encryptedData": {}})),
        )
        .await
        .unwrap();
    let from = rv(&s0);
    let wp = WatchParams::default().timeout(30);
    let mut secret_events = api.watch(&wp, &from).await.unwrap().boxed();
    let mut ss_events = ss.watch(&wp, &from).await.unwrap().boxed();

    let replaced = api
        .replace("a", &PostParams::default(), &created)
        .await
        .unwrap();
    assert_eq!(rv(&replaced), rv(&created));
    let p = json!({"data": {"k": "dg=="}});
    let patched = api
        .patch("a", &PatchParams::default(), &Patch::Merge(&p))
        .await
        .unwrap();
    assert_eq!(rv(&patched), rv(&created));
    let sp = json!({"spec": {"encryptedData": {}}});
    assert_eq!(
        rv(&ss
            .patch("s", &PatchParams::default(), &Patch::Merge(&sp))
            .await
            .unwrap()),
        from
    );
    let none = json!({"status": null});
    assert_eq!(
        rv(&ss
            .patch_status("s", &PatchParams::default(), &Patch::Merge(&none))
            .await
            .unwrap()),
        from
    );
    assert_eq!(fk.fake.resource_version().to_string(), from);

    // Now a real change to each: it is the first event each watch delivers.
    let marker = json!({"metadata": {"labels": {"marker": "1"}}});
    api.patch("a", &PatchParams::default(), &Patch::Merge(&marker))
        .await
        .unwrap();
    let st = json!({"status": {"observedGeneration": 1}});
    ss.patch_status("s", &PatchParams::default(), &Patch::Merge(&st))
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), secret_events.try_next())
        .await
        .unwrap()
        .unwrap();
    match first {
        Some(WatchEvent::Modified(s)) => assert!(s.labels().contains_key("marker")),
        other => panic!("unexpected {other:?}"),
    }
    let first = tokio::time::timeout(Duration::from_secs(10), ss_events.try_next())
        .await
        .unwrap()
        .unwrap();
    match first {
        Some(WatchEvent::Modified(o)) => assert_eq!(o.data["status"]["observedGeneration"], 1),
        other => panic!("unexpected {other:?}"),
    }
    let verbs: Vec<String> = fk
        .fake
        .writes()
        .iter()
        .map(|w| format!("{} {}", w.verb, w.resource))
        .collect();
    assert_eq!(
        verbs,
        [
            "create secrets",
            "create sealedsecrets",
            "update secrets",
            "patch secrets",
            "patch sealedsecrets",
            "patch sealedsecrets/status",
            "patch secrets",
            "patch sealedsecrets/status"
        ]
    );
}
