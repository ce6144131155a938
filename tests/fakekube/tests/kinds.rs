//! Leases, ConfigMaps and Events (core/v1 and events.k8s.io/v1, one storage).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{code, kubectl_available, kubectl_ok, next_item, setup};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Event as CoreEvent, ObjectReference};
use k8s_openapi::api::events::v1::Event as EventV1;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::watcher;
use kube::{Api, ResourceExt};
use serde_json::json;

#[tokio::test]
async fn leases_with_optimistic_concurrency() {
    let (_fk, client) = setup().await;
    let api: Api<Lease> = Api::namespaced(client.clone(), "kube-system");
    let mut stream = watcher(api.clone(), watcher::Config::default()).boxed();
    loop {
        if let Some(watcher::Event::InitDone) = stream.try_next().await.unwrap() {
            break;
        }
    }
    let mut lease = Lease::default();
    lease.metadata.name = Some("leader".into());
    lease.spec = Some(LeaseSpec {
        holder_identity: Some("a".into()),
        lease_duration_seconds: Some(15),
        ..LeaseSpec::default()
    });
    let created = api.create(&PostParams::default(), &lease).await.unwrap();
    let mut take = created.clone();
    take.spec.as_mut().unwrap().holder_identity = Some("b".into());
    let replaced = api
        .replace("leader", &PostParams::default(), &take)
        .await
        .unwrap();
    assert_eq!(replaced.spec.unwrap().holder_identity.as_deref(), Some("b"));
    // A second contender with the stale object loses.
    let mut stale = created.clone();
    stale.spec.as_mut().unwrap().holder_identity = Some("c".into());
    assert_eq!(
        code(api.replace("leader", &PostParams::default(), &stale).await),
        409
    );
    assert_eq!(code(api.create(&PostParams::default(), &lease).await), 409);
    assert_eq!(
        api.list(&ListParams::default()).await.unwrap().items.len(),
        1
    );

    let mut holders = Vec::new();
    while holders.len() < 2 {
        match next_item(&mut stream).await {
            Some(watcher::Event::Apply(l)) => {
                holders.push(l.spec.unwrap().holder_identity.unwrap())
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(holders, ["a", "b"]);
}

#[tokio::test]
async fn configmaps_crud_and_watch() {
    let (_fk, client) = setup().await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "ns");
    let mut stream = watcher(api.clone(), watcher::Config::default().labels("app=x")).boxed();
    loop {
        if let Some(watcher::Event::InitDone) = stream.try_next().await.unwrap() {
            break;
        }
    }
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some("cm".into());
    cm.metadata.labels = Some([("app".to_string(), "x".to_string())].into());
    cm.data = Some([("k".to_string(), "1".to_string())].into());
    let created = api.create(&PostParams::default(), &cm).await.unwrap();
    let mut upd = created.clone();
    upd.data = Some([("k".to_string(), "2".to_string())].into());
    api.replace("cm", &PostParams::default(), &upd)
        .await
        .unwrap();
    assert_eq!(api.get("cm").await.unwrap().data.unwrap()["k"], "2");
    // Relabelling it out of the selector is a delete for that watcher.
    let p = json!({"metadata": {"labels": {"app": "y"}}});
    api.patch("cm", &PatchParams::default(), &Patch::Merge(&p))
        .await
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        match next_item(&mut stream).await {
            Some(watcher::Event::Apply(c)) => seen.push(format!("apply {}", c.data.unwrap()["k"])),
            Some(watcher::Event::Delete(_)) => seen.push("delete".into()),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["apply 1", "apply 2", "delete"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn recorder_events_are_visible_in_both_event_apis() {
    let (fk, client) = setup().await;
    let recorder = Recorder::new(
        client.clone(),
        Reporter {
            controller: "sealant-controller".into(),
            instance: Some("pod-1".into()),
        },
    );
    let regarding = ObjectReference {
        api_version: Some("bitnami.com/v1alpha1".into()),
        kind: Some("SealedSecret".into()),
        name: Some("s".into()),
        namespace: Some("ns".into()),
        uid: Some("u-1".into()),
        ..ObjectReference::default()
    };
    let ev = Event {
        type_: EventType::Warning,
        reason: "ErrUnsealFailed".into(),
        note: Some("no key could decrypt secret".into()),
        action: "Unseal".into(),
        secondary: None,
    };
    recorder.publish(&ev, &regarding).await.unwrap();
    // The same event again is a series patch on the same object.
    recorder.publish(&ev, &regarding).await.unwrap();
    assert_eq!(fk.fake.count_writes("create", "events"), 1);
    assert_eq!(fk.fake.count_writes("patch", "events"), 1);

    let v1: Vec<EventV1> = Api::namespaced(client.clone(), "ns")
        .list(&ListParams::default())
        .await
        .unwrap()
        .items;
    assert_eq!(v1.len(), 1);
    assert_eq!(v1[0].note.as_deref(), Some("no key could decrypt secret"));
    assert_eq!(v1[0].series.as_ref().map(|s| s.count), Some(2));
    let core: Vec<CoreEvent> = Api::namespaced(client.clone(), "ns")
        .list(&ListParams::default().fields("involvedObject.name=s"))
        .await
        .unwrap()
        .items;
    assert_eq!(core.len(), 1);
    assert_eq!(
        core[0].message.as_deref(),
        Some("no key could decrypt secret")
    );
    assert_eq!(
        core[0].involved_object.kind.as_deref(),
        Some("SealedSecret")
    );
    assert_eq!(
        core[0].reporting_component.as_deref(),
        Some("sealant-controller")
    );
    assert_eq!(core[0].name_any(), v1[0].name_any());
    // Unsupported field selectors are rejected like the real server.
    assert_eq!(
        code(
            Api::<CoreEvent>::namespaced(client.clone(), "ns")
                .list(&ListParams::default().fields("note=x"))
                .await
        ),
        400
    );

    if kubectl_available() {
        let stdout = kubectl_ok(
            &fk,
            &[
                "get",
                "events",
                "-n",
                "ns",
                "-o",
                "jsonpath={.items[*].reason}",
            ],
        )
        .await;
        assert!(stdout.contains("ErrUnsealFailed"), "{stdout}");
    }
}

/// Two leader-election contenders applying themselves as holder of a free Lease: the
/// second is refused (the mutual exclusion kube-lease-manager relies on), a forced apply
/// or a release by another manager's update lets it through.
#[tokio::test]
async fn apply_conflicts_on_fields_another_manager_set() {
    let (_fk, client) = setup().await;
    let api: Api<Lease> = Api::namespaced(client, "kube-system");
    let claim = |who: &str| {
        json!({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
            "metadata":{"name":"leader"},
            "spec":{"holderIdentity":who,"leaseDurationSeconds":15}})
    };
    let a = PatchParams::apply("manager-a");
    let b = PatchParams::apply("manager-b");
    api.patch("leader", &a, &Patch::Apply(claim("a")))
        .await
        .unwrap();
    let err = api
        .patch("leader", &b, &Patch::Apply(claim("b")))
        .await
        .unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("expected an API error, got {err:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert!(
        status.message.contains("manager-a") && status.message.contains(".spec.holderIdentity"),
        "{}",
        status.message
    );
    let lease = api.get("leader").await.unwrap();
    assert_eq!(lease.spec.unwrap().holder_identity.as_deref(), Some("a"));

    // The same value is no conflict; the owner may change its own field.
    api.patch("leader", &b, &Patch::Apply(claim("a")))
        .await
        .unwrap();
    api.patch("leader", &a, &Patch::Apply(claim("a2")))
        .await
        .unwrap();

    // A release (strategic patch removing the holder) frees the field for anyone.
    let release = json!({"spec":{"holderIdentity":null}});
    api.patch(
        "leader",
        &PatchParams {
            field_manager: Some("manager-b".into()),
            ..Default::default()
        },
        &Patch::Strategic(release),
    )
    .await
    .unwrap();
    api.patch("leader", &b, &Patch::Apply(claim("b")))
        .await
        .unwrap();

    // Force takes a field over.
    api.patch("leader", &a.clone().force(), &Patch::Apply(claim("a")))
        .await
        .unwrap();
    let lease = api.get("leader").await.unwrap();
    assert_eq!(lease.spec.unwrap().holder_identity.as_deref(), Some("a"));
}
