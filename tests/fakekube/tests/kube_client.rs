#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use fakekube::{FakeKube, Running};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{
    DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::runtime::watcher;
use kube::{Api, Client, Config};

async fn setup() -> (Running, Client) {
    let running = FakeKube::start(0).await.unwrap();
    let config = Config::new(running.url().parse().unwrap());
    let client = Client::try_from(config).unwrap();
    (running, client)
}

/// The Secrets of namespace `ns1`, where these tests work.
fn secrets(client: &Client) -> Api<Secret> {
    Api::namespaced(client.clone(), "ns1")
}

/// Create a label-less Secret `name` through `api` (which must succeed).
async fn create(api: &Api<Secret>, name: &str) -> Secret {
    api.create(&PostParams::default(), &secret(name, &[]))
        .await
        .unwrap()
}

/// Every event of a watch from `rv` until its timeout.
async fn watch_from(api: &Api<Secret>, wp: &WatchParams, rv: &str) -> Vec<WatchEvent<Secret>> {
    api.watch(wp, rv)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// The status code and reason of an API error (any other error fails the test).
fn api_status(err: kube::Error) -> (u16, String) {
    match err {
        kube::Error::Api(s) => (s.code, s.reason),
        e => panic!("unexpected {e:?}"),
    }
}

fn secret(name: &str, labels: &[(&str, &str)]) -> Secret {
    let mut s = Secret::default();
    s.metadata.name = Some(name.into());
    s.metadata.labels = Some(
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    s.string_data = None;
    s.data = Some(BTreeMap::from([(
        "k".to_string(),
        k8s_openapi::ByteString(b"v".to_vec()),
    )]));
    s
}

#[tokio::test]
async fn crud_roundtrip() {
    let (fk, client) = setup().await;
    let api = secrets(&client);
    let created = create(&api, "a").await;
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.creation_timestamp.is_some());
    assert_eq!(created.metadata.generation, Some(1));
    let rv1 = created.metadata.resource_version.clone().unwrap();

    // AlreadyExists
    let err = api
        .create(&PostParams::default(), &secret("a", &[]))
        .await
        .unwrap_err();
    assert_eq!(api_status(err), (409, "AlreadyExists".into()));

    let got = api.get("a").await.unwrap();
    assert_eq!(got.data.unwrap()["k"].0, b"v");

    // replace ok, then stale replace -> 409 Conflict
    let mut upd = created.clone();
    upd.data = Some(BTreeMap::from([(
        "k".to_string(),
        k8s_openapi::ByteString(b"w".to_vec()),
    )]));
    let replaced = api
        .replace("a", &PostParams::default(), &upd)
        .await
        .unwrap();
    assert_ne!(
        replaced.metadata.resource_version.as_deref(),
        Some(rv1.as_str())
    );
    let err = api
        .replace("a", &PostParams::default(), &upd)
        .await
        .unwrap_err();
    assert_eq!(api_status(err), (409, "Conflict".into()));

    // merge patch
    let p = serde_json::json!({"metadata": {"labels": {"x": "y"}}});
    let patched = api
        .patch("a", &PatchParams::default(), &Patch::Merge(&p))
        .await
        .unwrap();
    assert_eq!(patched.metadata.labels.unwrap()["x"], "y");

    api.delete("a", &DeleteParams::default()).await.unwrap();
    assert_eq!(
        api_status(api.get("a").await.unwrap_err()),
        (404, "NotFound".into())
    );

    let writes: Vec<String> = fk
        .fake
        .writes()
        .iter()
        .map(|w| format!("{} {}/{}/{}", w.verb, w.resource, w.namespace, w.name))
        .collect();
    assert_eq!(
        writes,
        [
            "create secrets/ns1/a",
            "update secrets/ns1/a",
            "patch secrets/ns1/a",
            "delete secrets/ns1/a"
        ]
    );
    fk.fake.reset_writes();
    assert!(fk.fake.writes().is_empty());
}

#[tokio::test]
async fn generate_name_and_selectors() {
    let (_fk, client) = setup().await;
    let api = secrets(&client);
    let mut s = secret("", &[("app", "gen")]);
    s.metadata.name = None;
    s.metadata.generate_name = Some("gen-".into());
    let c1 = api.create(&PostParams::default(), &s).await.unwrap();
    let c2 = api.create(&PostParams::default(), &s).await.unwrap();
    let (n1, n2) = (c1.metadata.name.unwrap(), c2.metadata.name.unwrap());
    assert!(n1.starts_with("gen-") && n2.starts_with("gen-") && n1 != n2);

    api.create(
        &PostParams::default(),
        &secret("b", &[("app", "web"), ("tier", "fe")]),
    )
    .await
    .unwrap();
    Api::<Secret>::namespaced(client.clone(), "ns2")
        .create(&PostParams::default(), &secret("c", &[("app", "web")]))
        .await
        .unwrap();

    let all: Api<Secret> = Api::all(client.clone());
    assert_eq!(
        all.list(&ListParams::default()).await.unwrap().items.len(),
        4
    );
    assert_eq!(
        api.list(&ListParams::default()).await.unwrap().items.len(),
        3
    );
    // (label selector, field selector) → the names the list must return.
    let cases: [(&str, &str, &[&str]); 6] = [
        ("app=web", "", &["b", "c"]),
        ("app in (web),tier", "", &["b"]),
        ("app notin (gen),!tier", "", &["c"]),
        ("app!=gen", "", &["b", "c"]),
        ("", "metadata.namespace=ns2", &["c"]),
        ("", "metadata.name=b", &["b"]),
    ];
    for (labels, fields, expected) in cases {
        let params = ListParams::default().labels(labels).fields(fields);
        let mut names: Vec<String> = all
            .list(&params)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|s| s.metadata.name.unwrap())
            .collect();
        names.sort();
        assert_eq!(names, expected, "labels {labels:?} fields {fields:?}");
    }
}

#[tokio::test]
async fn watcher_sees_events() {
    let (_fk, client) = setup().await;
    let api = secrets(&client);
    create(&api, "pre").await;
    let mut stream = watcher(api.clone(), watcher::Config::default()).boxed();
    // initial list
    let mut seen_pre = false;
    while let Some(ev) = stream.try_next().await.unwrap() {
        match ev {
            watcher::Event::InitApply(s) => seen_pre |= s.metadata.name.as_deref() == Some("pre"),
            watcher::Event::InitDone => break,
            _ => {}
        }
    }
    assert!(seen_pre);
    create(&api, "w").await;
    let p = serde_json::json!({"metadata": {"labels": {"m": "1"}}});
    api.patch("w", &PatchParams::default(), &Patch::Merge(&p))
        .await
        .unwrap();
    api.delete("w", &DeleteParams::default()).await.unwrap();
    let mut got = Vec::new();
    while got.len() < 3 {
        match tokio::time::timeout(std::time::Duration::from_secs(10), stream.try_next())
            .await
            .unwrap()
            .unwrap()
        {
            Some(watcher::Event::Apply(s)) => got.push(format!(
                "apply {}",
                s.metadata.labels.unwrap_or_default().len()
            )),
            Some(watcher::Event::Delete(_)) => got.push("delete".into()),
            _ => {}
        }
    }
    assert_eq!(got, ["apply 0", "apply 1", "delete"]);
}

#[tokio::test]
async fn raw_watch_replay_and_gone_after_compaction() {
    let (fk, client) = setup().await;
    let api = secrets(&client);
    let c = create(&api, "r").await;
    let rv = c.metadata.resource_version.unwrap();
    api.delete("r", &DeleteParams::default()).await.unwrap();
    // replay from rv: sees the DELETED
    let wp = WatchParams::default().timeout(1);
    let evs = watch_from(&api, &wp, &rv).await;
    assert!(
        matches!(evs.as_slice(), [WatchEvent::Deleted(_)]),
        "{evs:?}"
    );

    fk.fake.compact();
    let evs = watch_from(&api, &wp, &rv).await;
    match evs.as_slice() {
        [WatchEvent::Error(e)] => assert_eq!(e.code, 410),
        other => panic!("expected 410, got {other:?}"),
    }
}

#[tokio::test]
async fn injected_fault_is_visible() {
    let (fk, client) = setup().await;
    let api = secrets(&client);
    fk.fake.inject_fault("create", "secrets", 500, 1);
    assert_eq!(
        api_status(
            api.create(&PostParams::default(), &secret("f", &[]))
                .await
                .unwrap_err()
        )
        .0,
        500
    );
    assert!(fk.fake.writes().is_empty());
    create(&api, "f").await;
    fk.fake.inject_fault("get", "*", 409, 1);
    assert_eq!(api_status(api.get("f").await.unwrap_err()).0, 409);
    api.get("f").await.unwrap();
}
