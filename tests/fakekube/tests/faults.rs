//! Fault injection: watch drops, compaction, watch limits, latency, queued errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{TIMEOUT, secret, setup, wait};
use fakekube::Running;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{DeleteParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::watcher;
use kube::{Api, Client, ResourceExt};
use tokio::sync::mpsc;

type Item = Result<watcher::Event<Secret>, watcher::Error>;

/// Run a kube-runtime watcher in a task (so it keeps re-watching while the test acts) and
/// hand its items over a channel.
fn spawn_watcher(api: Api<Secret>) -> mpsc::UnboundedReceiver<Item> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut s = watcher(api, watcher::Config::default()).boxed();
        while let Some(item) = s.next().await {
            if tx.send(item).is_err() {
                break;
            }
        }
    });
    rx
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Item>) -> Item {
    tokio::time::timeout(TIMEOUT, rx.recv())
        .await
        .expect("watcher event")
        .expect("watcher running")
}

/// What a reflector would hold, applying watcher events.
#[derive(Default)]
struct Model {
    names: BTreeSet<String>,
    relisting: Option<BTreeSet<String>>,
    errors: Vec<String>,
}

impl Model {
    fn apply(&mut self, item: Item) {
        match item {
            Ok(watcher::Event::Init) => self.relisting = Some(BTreeSet::new()),
            Ok(watcher::Event::InitApply(s)) => {
                self.relisting.get_or_insert_default().insert(s.name_any());
            }
            Ok(watcher::Event::InitDone) => self.names = self.relisting.take().unwrap_or_default(),
            Ok(watcher::Event::Apply(s)) => {
                self.names.insert(s.name_any());
            }
            Ok(watcher::Event::Delete(s)) => {
                self.names.remove(&s.name_any());
            }
            Err(e) => self.errors.push(e.to_string()),
        }
    }
}

async fn until_synced(rx: &mut mpsc::UnboundedReceiver<Item>, model: &mut Model) {
    loop {
        let item = next(rx).await;
        let done = matches!(item, Ok(watcher::Event::InitDone));
        model.apply(item);
        if done {
            return;
        }
    }
}

/// A fake holding secret `pre` in `ns`, watched by a watcher that has synced and holds
/// its watch open.
struct Watching {
    fk: Running,
    client: Client,
    api: Api<Secret>,
    rx: mpsc::UnboundedReceiver<Item>,
    model: Model,
}

async fn watching_pre() -> Watching {
    let (fk, client) = setup().await;
    let api: Api<Secret> = Api::namespaced(client.clone(), "ns");
    api.create(&PostParams::default(), &secret("pre", &[]))
        .await
        .unwrap();
    let mut rx = spawn_watcher(api.clone());
    let mut model = Model::default();
    until_synced(&mut rx, &mut model).await;
    wait(&fk.fake, "the watch to open", |f| f.open_watches() == 1).await;
    Watching {
        fk,
        client,
        api,
        rx,
        model,
    }
}

#[tokio::test]
async fn watcher_resumes_after_drop_watches() {
    let Watching {
        fk,
        api,
        mut rx,
        mut model,
        ..
    } = watching_pre().await;
    let watches = fk.fake.request_count("watch", "secrets");

    fk.fake.drop_watches();
    wait(&fk.fake, "the watch to close", |f| {
        f.open_watches() == 0 || f.request_count("watch", "secrets") > 1
    })
    .await;
    api.create(&PostParams::default(), &secret("after", &[]))
        .await
        .unwrap();
    while !model.names.contains("after") {
        model.apply(next(&mut rx).await);
    }
    // It re-watched from its resourceVersion; no relist, no error.
    assert!(fk.fake.request_count("watch", "secrets") > watches);
    assert_eq!(fk.fake.request_count("list", "secrets"), 1);
    assert!(model.errors.is_empty(), "{:?}", model.errors);
    assert_eq!(
        model.names,
        BTreeSet::from(["after".to_string(), "pre".to_string()])
    );
}

#[tokio::test]
async fn watcher_relists_after_compaction_and_converges() {
    let Watching {
        fk,
        client,
        api,
        mut rx,
        mut model,
    } = watching_pre().await;

    // Move the global resourceVersion past the watcher's, forget history, cut the stream:
    // its re-watch gets 410 Expired and it must relist.
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "ns");
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some("bump".into());
    cms.create(&PostParams::default(), &cm).await.unwrap();
    fk.fake.compact();
    fk.fake.drop_watches();
    api.delete("pre", &DeleteParams::default()).await.unwrap();
    api.create(&PostParams::default(), &secret("new", &[]))
        .await
        .unwrap();

    while model.names != BTreeSet::from(["new".to_string()]) || model.relisting.is_some() {
        model.apply(next(&mut rx).await);
    }
    assert!(
        model
            .errors
            .iter()
            .any(|e| e.contains("410") || e.contains("too old")),
        "{:?}",
        model.errors
    );
    assert_eq!(fk.fake.request_count("list", "secrets"), 2);
}

#[tokio::test]
async fn watch_limits_latency_and_queued_errors() {
    let (fk, client) = setup().await;
    let api: Api<Secret> = Api::namespaced(client.clone(), "ns");
    for n in ["a", "b", "c"] {
        api.create(&PostParams::default(), &secret(n, &[]))
            .await
            .unwrap();
    }
    // The next watch ends after two events.
    fk.fake.end_watches_after(1, 2);
    let evs: Vec<WatchEvent<Secret>> = tokio::time::timeout(
        TIMEOUT,
        api.watch(&WatchParams::default().timeout(60), "0")
            .await
            .unwrap()
            .try_collect(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(evs.len(), 2);
    assert!(evs.iter().all(|e| matches!(e, WatchEvent::Added(_))));

    // Latency delays every reply.
    fk.fake.set_latency(Duration::from_millis(200));
    let t = Instant::now();
    api.get("a").await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(200));
    fk.fake.set_latency(Duration::ZERO);

    // A failed initial list is reported by the watcher, which then recovers.
    fk.fake.inject_fault("list", "secrets", 500, 1);
    let mut rx = spawn_watcher(api.clone());
    let mut model = Model::default();
    until_synced(&mut rx, &mut model).await;
    assert_eq!(model.errors.len(), 1, "{:?}", model.errors);
    assert_eq!(model.names.len(), 3);
    assert_eq!(fk.fake.request_count("list", "secrets"), 2);
    // 409 on an update, once.
    fk.fake.inject_fault("update", "secrets", 409, 1);
    let s = api.get("a").await.unwrap();
    assert!(api.replace("a", &PostParams::default(), &s).await.is_err());
    api.replace("a", &PostParams::default(), &s).await.unwrap();
}
