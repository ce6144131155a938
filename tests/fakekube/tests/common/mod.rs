//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use fakekube::{FakeKube, Running};
use futures::{Stream, TryStreamExt};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::watcher;
use kube::{Api, Client, Config};

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub async fn setup() -> (Running, Client) {
    let running = FakeKube::start(0).await.unwrap();
    let client = client_for(&running);
    (running, client)
}

pub fn client_for(running: &Running) -> Client {
    Client::try_from(Config::new(running.url().parse().unwrap())).unwrap()
}

/// A client that does not retry 429/503/504 itself (kube 5's default client retries them up
/// to 15 times with exponential backoff, hiding injected faults for minutes).
pub fn client_without_retries(running: &Running) -> Client {
    let mut config = Config::new(running.url().parse().unwrap());
    config.default_retry = false;
    Client::try_from(config).unwrap()
}

pub fn secret(name: &str, data: &[(&str, &str)]) -> Secret {
    let mut s = Secret::default();
    s.metadata.name = Some(name.into());
    s.data = Some(
        data.iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    k8s_openapi::ByteString(v.as_bytes().to_vec()),
                )
            })
            .collect::<BTreeMap<_, _>>(),
    );
    s
}

pub fn sealed_secrets(client: &Client, ns: &str) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(
        "bitnami.com",
        "v1alpha1",
        "SealedSecret",
    ));
    Api::namespaced_with(client.clone(), ns, &ar)
}

pub fn sealed_secret(name: &str, spec: serde_json::Value) -> DynamicObject {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
        "metadata": {"name": name}, "spec": spec
    }))
    .unwrap()
}

/// The kube API error status code of a failed call.
pub fn code<T: std::fmt::Debug>(r: Result<T, kube::Error>) -> u16 {
    match r {
        Err(kube::Error::Api(s)) => s.code,
        other => {
            let mut s = format!("{other:?}");
            s.truncate(400);
            panic!("expected an API error, got {s}")
        }
    }
}

/// True when kubectl is installed. A missing kubectl fails the test (`.ci/run` installs
/// it) unless `SEALANT_SKIP_KUBECTL=1` says to skip, so a CI machine without it cannot pass
/// these tests silently.
pub fn kubectl_available() -> bool {
    let installed = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed && std::env::var("SEALANT_SKIP_KUBECTL").as_deref() != Ok("1") {
        panic!(
            "kubectl is required for this test (.ci/run installs it); set SEALANT_SKIP_KUBECTL=1 to skip"
        );
    }
    installed
}

/// Run kubectl against the fake with its own kubeconfig and cache directory.
pub async fn kubectl(running: &Running, args: &[&str]) -> Output {
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "fakekube-kubectl-{}-{}",
        std::process::id(),
        running.addr.port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let kc = dir.join("config");
    std::fs::write(&kc, fakekube::kubeconfig(&running.url())).unwrap();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new("kubectl")
            .env("HOME", &dir)
            .env_remove("KUBECONFIG")
            .arg("--kubeconfig")
            .arg(&kc)
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// Write `yaml` to a file named `name` in a directory of this fake's own, for `kubectl -f`.
pub fn manifest(running: &Running, name: &str, yaml: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "fakekube-manifests-{}-{}",
        std::process::id(),
        running.addr.port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, yaml).unwrap();
    file
}

/// Run kubectl against the fake and return its stdout, failing the test with kubectl's
/// stderr unless it succeeds.
pub async fn kubectl_ok(running: &Running, args: &[&str]) -> String {
    let out = kubectl(running, args).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Wait for a condition on the fake, failing the test on timeout.
pub async fn wait(fake: &FakeKube, what: &str, cond: impl Fn(&FakeKube) -> bool + Send + 'static) {
    assert!(
        fake.wait_until(TIMEOUT, cond).await,
        "timed out waiting for {what}"
    );
}

/// The next item of a watch or watcher stream, failing the test on a timeout or an error.
pub async fn next_item<T, E: std::fmt::Debug>(
    stream: &mut (impl Stream<Item = Result<T, E>> + Unpin),
) -> Option<T> {
    tokio::time::timeout(TIMEOUT, stream.try_next())
        .await
        .unwrap()
        .unwrap()
}

/// How many objects a watcher's initial list delivers (its `InitApply`s up to `InitDone`).
pub async fn count_initial<K>(
    stream: &mut (impl Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Unpin),
) -> usize {
    let mut n = 0;
    loop {
        match next_item(stream).await {
            Some(watcher::Event::InitApply(_)) => n += 1,
            Some(watcher::Event::InitDone) => return n,
            _ => {}
        }
    }
}
