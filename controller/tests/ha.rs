//! High availability: two controllers against one fake API server, elected through a Lease
//! (kube-lease-manager, whose mutual exclusion rests on the fake's server-side apply
//! conflicts). Only the leader writes; a standby takes over when the leader stops or dies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{CONTROLLER_NS, Harness, seal, stats, test_key};
use k8s_openapi::api::coordination::v1::Lease;
use kube::{Api, api::ListParams};
use sealant_controller::Running;
use sealant_crypto::Scope;
use std::time::{Duration, Instant};

/// Short terms so failover tests run in seconds; production defaults are 15 s / 5 s.
const LEASE_SECS: u64 = 2;
const LEASE_FLAGS: [&str; 2] = [
    "--leader-elect-lease-duration=2s",
    "--leader-elect-renew-grace=1s",
];
const LEASE_NAME: &str = "sealant-controller-leader";

async fn start_replica(h: &Harness, id: &str) -> Running {
    let id_flag = format!("--leader-elect-id={id}");
    let mut flags = LEASE_FLAGS.to_vec();
    flags.push(&id_flag);
    h.start_replica(&flags).await
}

/// SealedSecret app/`name` (one value, `k`), sealed for test key a.
async fn create(h: &Harness, name: &str, value: &str) {
    h.create_sealed(&seal(
        &test_key('a'),
        "app",
        name,
        Scope::Strict,
        &[("k", value)],
    ))
    .await;
}

/// Replica A, once it leads, and replica B standing by.
async fn leader_and_standby(h: &Harness) -> (Running, Running) {
    let a = start_replica(h, "replica-a").await;
    until_leading(&a, Duration::from_secs(10)).await;
    let b = start_replica(h, "replica-b").await;
    (a, b)
}

/// Wait (bounded) until `running` leads.
async fn until_leading(running: &Running, within: Duration) -> Duration {
    let started = Instant::now();
    let mut leading = running.leadership();
    tokio::time::timeout(within, leading.wait_for(|l| *l))
        .await
        .unwrap_or_else(|_| panic!("no leadership within {within:?}"))
        .unwrap();
    started.elapsed()
}

/// Poll `check` every 20 ms for up to 20 s.
async fn poll<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn holder(h: &Harness) -> Option<String> {
    let leases: Api<Lease> = Api::namespaced(h.client.clone(), CONTROLLER_NS);
    leases
        .get_opt(LEASE_NAME)
        .await
        .unwrap()?
        .spec?
        .holder_identity
}

async fn key_secret_count(h: &Harness) -> usize {
    h.secrets(CONTROLLER_NS)
        .list(&ListParams::default().labels("sealedsecrets.bitnami.com/sealed-secrets-key"))
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test]
async fn two_replicas_on_an_empty_cluster_make_exactly_one_key() {
    let h = Harness::new().await;
    let (a, b) = tokio::join!(
        start_replica(&h, "replica-a"),
        start_replica(&h, "replica-b")
    );
    // Both serve the HTTP API from their key watch, so both end up with the leader's key.
    poll("both replicas hold a key", || async {
        !a.keys().ring().is_empty() && !b.keys().ring().is_empty()
    })
    .await;
    assert_eq!(key_secret_count(&h).await, 1);
    assert_eq!(h.fake.fake.count_writes("create", "secrets"), 1);
    assert_ne!(a.is_leader(), b.is_leader(), "exactly one replica leads");
    let leader_id = if a.is_leader() {
        "replica-a"
    } else {
        "replica-b"
    };
    assert_eq!(holder(&h).await.as_deref(), Some(leader_id));
    assert_eq!(
        a.keys().ring().newest().unwrap().fingerprint(),
        b.keys().ring().newest().unwrap().fingerprint()
    );
    a.shutdown().await;
    b.shutdown().await;
}

/// Five objects converge under the leader while the standby does nothing; the leader
/// stops cleanly, the standby takes over at once, unseals what arrived in between, and
/// rewrites nothing that was already right.
#[tokio::test]
async fn only_the_leader_writes_and_a_standby_takes_over_after_a_clean_stop() {
    let h = Harness::with_key('a').await;
    let (a, b) = leader_and_standby(&h).await;
    for i in 0..5 {
        let name = format!("s{i}");
        create(&h, &name, "v").await;
    }
    poll("five objects synced", || h.all_synced("app", 5)).await;
    assert!(!b.is_leader());
    assert_eq!(stats(&a).written, 5);
    let standby = stats(&b);
    assert_eq!(
        (standby.reconciles, standby.written, standby.status_writes),
        (0, 0, 0),
        "a standby must not reconcile or write"
    );

    let stopped_at = Instant::now();
    a.shutdown().await;
    create(&h, "late", "v").await;
    until_leading(&b, Duration::from_secs(LEASE_SECS + 3)).await;
    let takeover = stopped_at.elapsed();
    // The standby sees the release on its Lease watch and takes the Lease at once instead
    // of sleeping out the term it last saw (1–2 s here).
    assert!(
        takeover < Duration::from_millis(900),
        "took {takeover:?} to take over a released lease"
    );
    assert_eq!(holder(&h).await.as_deref(), Some("replica-b"));
    poll("all six objects synced", || h.all_synced("app", 6)).await;
    poll("the new leader saw every object", || async {
        stats(&b).objects == 6
    })
    .await;
    let after = stats(&b);
    assert_eq!(
        after.written, 1,
        "only the object created during the handover is written"
    );
    assert_eq!(h.secret_data("app", "late").await.unwrap()["k"], "v");
    b.shutdown().await;
}

/// A leader that dies without releasing holds the Lease until its term runs out; then
/// the standby takes over (plus up to a second of kube-lease-manager's jitter).
#[tokio::test]
async fn a_crashed_leader_is_replaced_after_its_term() {
    let h = Harness::with_key('a').await;
    let (a, b) = leader_and_standby(&h).await;
    create(&h, "one", "v").await;
    poll("one object synced", || h.all_synced("app", 1)).await;

    let crashed_at = Instant::now();
    a.abort();
    assert_eq!(holder(&h).await.as_deref(), Some("replica-a"));
    create(&h, "two", "w").await;
    until_leading(&b, Duration::from_secs(LEASE_SECS + 5)).await;
    let takeover = crashed_at.elapsed();
    assert!(
        takeover <= Duration::from_secs(LEASE_SECS + 1) + Duration::from_millis(1500),
        "took {takeover:?} to replace a crashed leader with a {LEASE_SECS}s lease"
    );
    poll("both objects synced", || h.all_synced("app", 2)).await;
    assert_eq!(h.secret_data("app", "two").await.unwrap()["k"], "w");
    b.shutdown().await;
}

/// With `--leader-elect=false` there is no Lease at all (Bitnami's single replica).
#[tokio::test]
async fn election_can_be_turned_off() {
    let h = Harness::with_key('a').await;
    let a = h.start_controller(&["--leader-elect=false"]).await;
    assert!(a.is_leader());
    create(&h, "one", "v").await;
    poll("object synced", || h.all_synced("app", 1)).await;
    assert_eq!(holder(&h).await, None);
    assert_eq!(h.fake.fake.count("leases"), 0);
    a.shutdown().await;
}
