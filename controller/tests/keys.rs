//! Keys: generation when there are none, live key updates, recovery when a key arrives,
//! malformed key Secrets, and the one-RSA-operation-per-value hint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ListParams, PostParams};
use sealant_controller::{KeyStore, Running, Servers};
use sealant_crypto::Scope;
use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::Duration,
};
use time::macros::datetime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generates_a_bitnami_key_secret_when_there_is_none() {
    let h = Harness::new().await;
    let running = h.start_controller(&[]).await;
    let list = h
        .secrets(CONTROLLER_NS)
        .list(&ListParams::default().labels(&sealant_api::contract::KeyLabel::active_selector()))
        .await
        .unwrap();
    assert_eq!(list.items.len(), 1);
    let secret = &list.items[0];
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
    assert!(
        secret
            .metadata
            .name
            .as_ref()
            .unwrap()
            .starts_with("sealed-secrets-key")
    );
    let data = secret.data.as_ref().unwrap();
    assert!(String::from_utf8_lossy(&data["tls.key"].0).contains("BEGIN RSA PRIVATE KEY"));
    assert!(String::from_utf8_lossy(&data["tls.crt"].0).contains("BEGIN CERTIFICATE"));
    assert_eq!(running.keys().ring().len(), 1);
    assert_eq!(
        running
            .keys()
            .ring()
            .newest()
            .unwrap()
            .key()
            .public_key()
            .bits(),
        2048
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_recovers_when_its_key_arrives_without_being_touched() {
    let h = Harness::with_key('a').await;
    let running = h
        .start_controller(&[
            // A long backoff: recovery must come from the new key, not from a retry.
            "--retry-base=10m",
            "--retry-max=10m",
        ])
        .await;
    let sealed_for_b = seal(
        &test_key('b'),
        "app",
        "late",
        Scope::Strict,
        &[("v", "from-b")],
    );
    h.create_sealed(&sealed_for_b).await;
    eventually(&running, "failed to decrypt", || async {
        h.synced("app", "late")
            .await
            .is_some_and(|(s, _, _)| s == "False")
    })
    .await;
    let (_, _, message) = h.synced("app", "late").await.unwrap();
    assert!(
        message.contains("app/late") && message.contains("\"v\""),
        "{message}"
    );
    let rv_before = h
        .sealed("app")
        .get("late")
        .await
        .unwrap()
        .metadata
        .resource_version;

    h.add_key_secret('b', datetime!(2026-01-01 0:00 UTC)).await;
    eventually(&running, "recovered", || async {
        h.secret_data("app", "late")
            .await
            .is_some_and(|d| d["v"] == "from-b")
    })
    .await;
    eventually(&running, "Synced=True", || async {
        h.synced("app", "late")
            .await
            .is_some_and(|(s, _, _)| s == "True")
    })
    .await;
    // Nobody touched the SealedSecret's spec: only our status writes changed it.
    let ss = h.sealed("app").get("late").await.unwrap();
    assert_eq!(ss.metadata.generation, Some(1));
    assert_ne!(ss.metadata.resource_version, rv_before);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_key_secret_is_skipped_with_a_warning() {
    let h = Harness::with_key('a').await;
    let mut bad = Secret::default();
    bad.metadata.name = Some("sealed-secrets-keybroken".to_owned());
    bad.metadata.labels = Some(BTreeMap::from([(
        "sealedsecrets.bitnami.com/sealed-secrets-key".to_owned(),
        "active".to_owned(),
    )]));
    bad.type_ = Some("kubernetes.io/tls".to_owned());
    bad.data = Some(BTreeMap::from([
        ("tls.key".to_owned(), bytes("garbage")),
        ("tls.crt".to_owned(), bytes("garbage-crt")),
    ]));
    h.secrets(CONTROLLER_NS)
        .create(&PostParams::default(), &bad)
        .await
        .unwrap();

    let running = h.start_controller(&[]).await;
    assert_eq!(running.keys().ring().len(), 1, "the good key still loads");
    h.create_sealed(&seal(
        &test_key('a'),
        "app",
        "ok",
        Scope::Strict,
        &[("v", "1")],
    ))
    .await;
    eventually(&running, "unsealed", || async {
        h.secret_data("app", "ok").await.is_some()
    })
    .await;

    let events: kube::Api<k8s_openapi::api::events::v1::Event> =
        kube::Api::namespaced(h.client.clone(), CONTROLLER_NS);
    let warnings = events.list(&ListParams::default()).await.unwrap().items;
    let warning = warnings
        .iter()
        .find(|e| {
            e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("sealed-secrets-keybroken")
        })
        .expect("a warning Event on the broken key Secret");
    assert_eq!(warning.type_.as_deref(), Some("Warning"));
    assert!(
        !warning
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("garbage")
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_follow_their_secrets_live_and_the_hint_costs_one_rsa_operation_per_value() {
    let h = Harness::new().await;
    // Three keys; c is the newest, a the oldest.
    h.add_key_secret('a', datetime!(2024-01-01 0:00 UTC)).await;
    let b_name = h.add_key_secret('b', datetime!(2025-01-01 0:00 UTC)).await;
    h.add_key_secret('c', datetime!(2026-01-01 0:00 UTC)).await;
    let running = h.start_controller(&[]).await;
    assert_eq!(running.keys().ring().len(), 3);

    // Sealed under the oldest key, with the sealer's hint naming it: 3 values → 3 RSA ops,
    // not up to 9 (Bitnami tries keys in random order).
    let mut ss = seal(
        &test_key('a'),
        "app",
        "old",
        Scope::Strict,
        &[("a", "1"), ("b", "2"), ("c", "3")],
    );
    sealant_api::record_sealed_for(&mut ss, &public_key(&test_key('a')));
    let before = running.keys().rsa_operations();
    h.create_sealed(&ss).await;
    eventually(&running, "unsealed", || async {
        h.secret_data("app", "old").await.is_some()
    })
    .await;
    assert_eq!(running.keys().rsa_operations() - before, 3);

    // Without a hint, the first value finds the key and the rest follow it: 2 wrong tries
    // (newest first: c, b) + 3 = 5.
    let before = running.keys().rsa_operations();
    h.create_sealed(&seal(
        &test_key('a'),
        "app",
        "nohint",
        Scope::Strict,
        &[("a", "1"), ("b", "2"), ("c", "3")],
    ))
    .await;
    eventually(&running, "unsealed", || async {
        h.secret_data("app", "nohint").await.is_some()
    })
    .await;
    assert_eq!(running.keys().rsa_operations() - before, 5);

    // Deleting a key Secret removes its key from the ring.
    h.secrets(CONTROLLER_NS)
        .delete(&b_name, &Default::default())
        .await
        .unwrap();
    let keys = running.keys().clone();
    eventually(&running, "key b removed", || {
        let len = keys.ring().len();
        async move { len == 2 }
    })
    .await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_inventory_counts_sealed_secrets_per_key() {
    let h = Harness::new().await;
    h.add_key_secret('a', datetime!(2024-01-01 0:00 UTC)).await;
    h.add_key_secret('b', datetime!(2025-01-01 0:00 UTC)).await;
    let running = h.start_controller(&[]).await;
    for (name, key) in [("one", 'a'), ("two", 'a'), ("three", 'b')] {
        h.create_sealed(&seal(
            &test_key(key),
            "app",
            name,
            Scope::Strict,
            &[("v", name)],
        ))
        .await;
    }
    let ctx = running.context.clone();
    let (a, b) = (test_key('a').fingerprint(), test_key('b').fingerprint());
    eventually(&running, "usage a=2 b=1", || {
        let usage = ctx.key_usage();
        async move { usage.get(&a) == Some(&2) && usage.get(&b) == Some(&1) }
    })
    .await;
    // Deleting an object takes it out of the inventory.
    h.sealed("app")
        .delete("three", &Default::default())
        .await
        .unwrap();
    eventually(&running, "b unused", || {
        let usage = ctx.key_usage();
        async move { !usage.contains_key(&b) }
    })
    .await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retiring_is_refused_while_a_key_is_in_use_and_done_once_it_is_not() {
    use sealant_api::contract::KeyLabel;
    let h = Harness::new().await;
    let old = h.add_key_secret('a', datetime!(2024-01-01 0:00 UTC)).await;
    let newest = h.add_key_secret('b', datetime!(2025-01-01 0:00 UTC)).await;
    let running = h.start_controller(&[]).await;
    h.create_sealed(&seal(
        &test_key('a'),
        "app",
        "uses-a",
        Scope::Strict,
        &[("v", "1")],
    ))
    .await;
    eventually(&running, "unsealed with a", || async {
        h.secret("app", "uses-a").await.is_some()
    })
    .await;

    let h = &h;
    let refusals = |n: usize| async move { h.retire_refusals().await.len() >= n };
    // In use: refused, and the Event names an object that still needs it.
    h.request_retire(&old, "2026-11-01T00:00:00Z").await;
    eventually(&running, "refused (in use)", || refusals(1)).await;
    // The active key: refused.
    h.request_retire(&newest, "2026-11-01T00:00:00Z").await;
    eventually(&running, "refused (active)", || refusals(2)).await;
    assert_eq!(running.keys().ring().len(), 2);

    // Once nothing uses it (the SealedSecret and, by garbage collection, its Secret are
    // gone), a new request retires it.
    h.delete_sealed_and_wait(&running, "app", "uses-a").await;
    h.request_retire(&old, "2026-11-02T00:00:00Z").await;
    let keys = running.keys().clone();
    eventually(&running, "retired", || {
        let len = keys.ring().len();
        let api = h.secrets(CONTROLLER_NS);
        let old = old.clone();
        async move {
            let label = api
                .get(&old)
                .await
                .unwrap()
                .metadata
                .labels
                .unwrap_or_default()["sealedsecrets.bitnami.com/sealed-secrets-key"]
                .clone();
            len == 1 && label == KeyLabel::Retired.as_str()
        }
    })
    .await;
    assert_eq!(
        running.keys().ring().newest().unwrap().fingerprint(),
        test_key('b').fingerprint()
    );
    running.shutdown().await;
}

/// A stand-in for an RSA job: it takes the key ring and keeps it until told to let go, as
/// opening a whole object's values or a 1 MiB verify body keeps it for seconds.
///
/// If nobody lets go within [`WATCHDOG`], it lets go by itself and says so: with a
/// blocking lock, whatever waits for the job stalls the runtime's workers, test included,
/// so the watchdog turns that hang into a failed assertion. It also lets go when dropped.
struct LongRsaJob {
    release: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<(usize, bool)>>,
    holding: Arc<AtomicBool>,
    /// How many keys the ring held when the job took it.
    keys_taken: usize,
}

const WATCHDOG: Duration = Duration::from_secs(15);

impl LongRsaJob {
    fn start(keys: &KeyStore) -> Self {
        let keys = keys.clone();
        let holding = Arc::new(AtomicBool::new(true));
        let (taken_tx, taken) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let flag = holding.clone();
        let thread = std::thread::spawn(move || {
            let ring = keys.ring();
            taken_tx.send(ring.len()).unwrap();
            // Until the test lets go (drops the sender), or the watchdog does.
            let watchdog = matches!(
                released.recv_timeout(WATCHDOG),
                Err(mpsc::RecvTimeoutError::Timeout)
            );
            let keys_at_the_end = ring.len();
            flag.store(false, Ordering::SeqCst);
            drop(ring);
            (keys_at_the_end, watchdog)
        });
        let keys_taken = taken.recv().unwrap();
        Self {
            release: Some(release),
            thread: Some(thread),
            holding,
            keys_taken,
        }
    }

    fn still_holding(&self) -> bool {
        self.holding.load(Ordering::SeqCst)
    }

    /// Let go; returns how many keys its ring held by then, and whether the watchdog had
    /// to let go instead.
    fn finish(mut self) -> (usize, bool) {
        self.release.take();
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for LongRsaJob {
    fn drop(&mut self) {
        self.release.take();
    }
}

/// The only replica, with its API and metrics servers on ephemeral ports.
async fn start_with_servers(h: &Harness) -> (Running, Servers) {
    let (running, servers) = h.start_with_servers(&[]).await;
    wait_until_leading(&running).await;
    (running, servers)
}

/// GET `url` off the async workers, within `bound`: (status, body).
async fn get_within(url: String, bound: Duration) -> (u16, String) {
    let what = url.clone();
    tokio::time::timeout(bound, http_get(url))
        .await
        .unwrap_or_else(|_| panic!("{what} did not answer within {bound:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_secret_arriving_during_a_long_rsa_job_waits_for_nothing() {
    let h = Harness::with_key('a').await;
    let (running, servers) = start_with_servers(&h).await;
    let api = format!("http://{}", servers.api_addr.unwrap());
    let metrics = format!("http://{}", servers.metrics_addr.unwrap());
    let job = LongRsaJob::start(running.keys());
    assert_eq!(job.keys_taken, 1);

    // A key Secret arrives while the job holds the ring: the watch takes it in at once.
    h.add_key_secret('b', datetime!(2026-01-01 0:00 UTC)).await;
    let keys = running.keys().clone();
    eventually(&running, "the new key in the ring", || {
        let len = keys.ring().len();
        async move { len == 2 }
    })
    .await;
    assert!(
        job.still_holding(),
        "the new key reached the ring only after the RSA job let go"
    );

    // Meanwhile every endpoint answers promptly, and the certificate is already the new one.
    let bound = Duration::from_secs(2);
    assert_eq!(get_within(format!("{api}/healthz"), bound).await.0, 200);
    let (status, pem) = get_within(format!("{api}/v1/cert.pem"), bound).await;
    assert_eq!(status, 200);
    let newest = running.keys().ring().newest().unwrap().fingerprint();
    assert_eq!(newest, test_key('b').fingerprint(), "the newer key b seals");
    let b_cert = newest_cert_pem(&running);
    assert_eq!(pem, b_cert);
    let (status, body) = get_within(format!("{metrics}/metrics"), bound).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("sealant_keys{state=\"decrypt_only\"} 1"),
        "{body}"
    );
    assert!(
        job.still_holding(),
        "the endpoints answered only after the RSA job let go"
    );

    // The job worked on one unchanging snapshot throughout.
    assert_eq!(job.finish(), (1, false));
    running.shutdown().await;
    servers.shutdown().await;
}
