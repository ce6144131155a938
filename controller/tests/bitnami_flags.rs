//! Bitnami v0.40's controller flags keep their meaning here, mapped onto Sealant's
//! mechanisms: `--max-unseal-retries` (retries before Stalled), `--skip-recreate` (no watch
//! on generated Secrets), `--kubeclient-qps`/`--kubeclient-burst` (a client-side token
//! bucket, witnessed by the fake API server's request log), `--rate-limit`/
//! `--rate-limit-burst` (requests per client on /v1/verify), `--log-info-stdout` (info on
//! stdout, warnings on stderr) and the deprecated `--rotate-period` (warned about once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use sealant_crypto::Scope;
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const NS: &str = "app";

/// The Stalled condition's status of SealedSecret app/`name`.
async fn stalled(h: &Harness, name: &str) -> Option<String> {
    let ss = h.sealed(NS).get_opt(name).await.unwrap()?;
    ss.status?
        .conditions
        .into_iter()
        .find(|c| c.type_ == "Stalled")
        .map(|c| c.status)
}

/// A SealedSecret no key of the ring opens (sealed for key b; the ring holds a) is a
/// permanent failure: Stalled after the first one by default, after `--max-unseal-retries`
/// retries with the flag, as Bitnami gave up after that many.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_unseal_retries_retries_a_permanent_failure_before_stalling() {
    for (flags, attempts) in [(&[][..], 1), (&["--max-unseal-retries=3"][..], 4)] {
        let h = Harness::with_key('a').await;
        let running = h.start_controller(flags).await;
        h.create_sealed(&seal(
            &test_key('b'),
            NS,
            "foreign",
            Scope::Strict,
            &[("v", "1")],
        ))
        .await;
        eventually(&running, "Stalled=True", || async {
            stalled(&h, "foreign").await.as_deref() == Some("True")
        })
        .await;
        assert_eq!(stats(&running).failed, attempts, "{flags:?}");
        running.shutdown().await;
    }
}

/// Requests on Secrets outside the controller's own namespace (where the key Secrets are).
fn managed_secret_watches(h: &Harness) -> usize {
    h.fake
        .fake
        .request_log()
        .iter()
        .filter(|r| r.resource == "secrets" && r.namespace != CONTROLLER_NS)
        .filter(|r| r.verb == "list" || r.verb == "watch")
        .count()
}

/// `--skip-recreate`: Bitnami's mode for clusters that grant no list/watch on Secrets. The
/// controller still unseals (a Secret is read and written by name), without ever listing
/// or watching Secrets outside its namespace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_recreate_never_watches_generated_secrets() {
    for (flags, watches) in [(&[][..], true), (&["--skip-recreate"][..], false)] {
        let h = Harness::with_key('a').await;
        let running = h.start_controller(flags).await;
        h.create_sealed(&seal(
            &test_key('a'),
            NS,
            "db",
            Scope::Strict,
            &[("v", "1")],
        ))
        .await;
        eventually(&running, "unsealed", || async {
            h.secret_data(NS, "db").await.is_some()
        })
        .await;
        assert_eq!(managed_secret_watches(&h) > 0, watches, "{flags:?}");
        running.shutdown().await;
    }
}

/// `--kubeclient-qps=2 --kubeclient-burst=1`: the real binary spaces its API requests. With
/// work queued (objects to unseal), the fake's request log grows by at most the burst plus
/// two a second over a window (a generous bound); without the flags, the same start makes
/// more requests than that in the same window, so the bound is the limiter's doing.
/// Leader-election (Lease) requests never wait, by design, and are not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeclient_qps_spaces_api_requests() {
    const WINDOW: Duration = Duration::from_secs(4);
    // Burst 1, then 2 a second over the window as really measured (a loaded machine may
    // oversleep); +2 for requests in flight at the window's edges.
    let bound_for = |window: Duration| 1 + (2.0 * window.as_secs_f64()).ceil() as usize + 2;
    for (flags, limited) in [
        (&[][..], false),
        (&["--kubeclient-qps=2", "--kubeclient-burst=1"][..], true),
    ] {
        let h = Harness::with_key('a').await;
        h.create_numbered('a', NS, 8).await;
        // Requests of the controller other than its Lease's.
        let counted = || {
            h.fake
                .fake
                .request_log()
                .iter()
                .filter(|r| r.resource != "leases")
                .count()
        };
        let before = counted();
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec![
            "--controller-namespace=kube-system",
            "--key-renew-period=0",
            "--listen-addr=",
            "--listen-metrics-addr=",
        ];
        args.extend_from_slice(flags);
        let mut child = h.spawn_binary(dir.path(), &args, &dir.path().join("log"));
        // The window opens at the controller's first request.
        let deadline = Instant::now() + Duration::from_secs(30);
        while counted() == before {
            assert!(Instant::now() < deadline, "the controller never called");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let (opened, opened_at) = (counted(), Instant::now());
        tokio::time::sleep(WINDOW).await;
        let made = counted() - opened + 1;
        let bound = bound_for(opened_at.elapsed());
        child.kill().unwrap();
        child.wait().unwrap();
        let log = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
        eprintln!("{flags:?}: {made} API requests in the first {WINDOW:?} (bound {bound})");
        if limited {
            assert!(
                made <= bound,
                "{made} requests in {WINDOW:?}, bound {bound}:\n{log}"
            );
            assert!(made >= 3, "the controller kept working: {made}");
        } else {
            assert!(made > bound, "unlimited start made only {made}:\n{log}");
        }
    }
}

/// Politeness (issue 18): a 429 with `Retry-After` stops every request of the controller
/// (Lease renewals aside) for that long, not only the refused one, which is retried after
/// it. Once unsealing is under way, the fake answers the next read of a target Secret with 429 and
/// `Retry-After: 2` while sixty objects wait to be unsealed, four at a time, each request
/// slowed to 25 ms, so the other reconciles would keep calling throughout the pause if the
/// controller did not stop. Requests already on the wire when the 429 left may still arrive
/// in a short grace; none may arrive in the rest of the pause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_pauses_every_request_for_retry_after() {
    const OBJECTS: usize = 60;
    const RETRY_AFTER: Duration = Duration::from_secs(2);
    const GRACE: Duration = Duration::from_millis(300);
    let h = Harness::with_key('a').await;
    h.create_numbered('a', NS, OBJECTS).await;
    let fake = h.fake.fake.clone();
    fake.set_latency(Duration::from_millis(25));
    fake.set_retry_after(Some(RETRY_AFTER.as_secs()));
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--controller-namespace=kube-system",
        "--key-renew-period=0",
        "--listen-addr=",
        "--listen-metrics-addr=",
        "--concurrency=4",
    ];
    let mut child = h.spawn_binary(dir.path(), &args, &dir.path().join("log"));
    // Armed once reconciles are under way, so the 429 lands among concurrent requests
    // rather than on the start's sequential reads, where a pause could not be told from
    // the start simply waiting for its answer.
    let unsealing = fake
        .wait_until(Duration::from_secs(60), |f| {
            f.objects("secrets")
                .iter()
                .any(|s| s["metadata"]["namespace"] == NS)
        })
        .await;
    assert!(unsealing, "no object was unsealed");
    // On a create: a new object's reconcile reads nothing (see `reconcile::secret_names`).
    fake.inject_fault("create", "secrets", 429, 1);
    let converged = fake
        .wait_until(Duration::from_secs(60), |f| {
            f.objects("secrets")
                .iter()
                .filter(|s| s["metadata"]["namespace"] == NS)
                .count()
                >= OBJECTS
        })
        .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
    assert!(converged, "not every object was unsealed:\n{log}");

    let requests = fake.request_log_timed();
    let refused = requests
        .iter()
        .find(|r| r.fault == Some(429))
        .expect("the fault was used")
        .at;
    let during: Vec<String> = requests
        .iter()
        .filter(|r| r.request.resource != "leases")
        .filter(|r| r.at > refused + GRACE && r.at < refused + RETRY_AFTER)
        .map(|r| {
            format!(
                "+{:?} {} {}",
                r.at - refused,
                r.request.verb,
                r.request.resource
            )
        })
        .collect();
    assert!(
        during.is_empty(),
        "{} requests during the Retry-After pause: {during:?}",
        during.len()
    );
    // The refused create was retried once the pause was over.
    assert!(
        requests.iter().any(|r| r.request.verb == "create"
            && r.request.resource == "secrets"
            && r.at >= refused + RETRY_AFTER),
        "the refused request was not retried after the pause"
    );
}

/// Bitnami's `--rate-limit`/`--rate-limit-burst` count requests per client on /v1/verify
/// and, since v0.39 (#1971), on /v1/rotate, each path in its own bucket:
/// `--rate-limit=1 --rate-limit-burst=0` serves one verify and one rotate and refuses the
/// next of each at once (429, `Retry-After`). Without the flags the same requests pass (the
/// RSA-operation budget is far from spent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_counts_verify_requests() {
    for (flags, limited) in [
        (&[][..], false),
        (&["--rate-limit=1", "--rate-limit-burst=0"][..], true),
    ] {
        let h = Harness::with_key('a').await;
        let (running, servers) = h.start_with_servers(flags).await;
        wait_until_leading(&running).await;
        let api = format!("http://{}", servers.api_addr.unwrap());
        let ss = seal(&test_key('a'), NS, "db", Scope::Strict, &[("v", "1")]);
        let body = serde_json::to_vec(&ss).unwrap();
        let post = |path: &str| {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            agent
                .post(&format!("{api}{path}"))
                .content_type("application/json")
                .send(&body[..])
                .unwrap()
        };
        // Keys first: a refusal for want of a key would say nothing about the limit.
        eventually(&running, "a key in the ring", || async {
            !running.keys().ring().is_empty()
        })
        .await;
        let first = tokio::task::block_in_place(|| post("/v1/verify"));
        assert_eq!(first.status(), 200);
        let second = tokio::task::block_in_place(|| post("/v1/verify"));
        let rotate = tokio::task::block_in_place(|| post("/v1/rotate"));
        let rotate_again = tokio::task::block_in_place(|| post("/v1/rotate"));
        assert_eq!(rotate.status(), 200, "{flags:?}");
        for refused in [&second, &rotate_again] {
            if limited {
                assert_eq!(refused.status(), 429);
                assert!(refused.headers().contains_key("retry-after"));
            } else {
                assert_eq!(refused.status(), 200);
            }
        }
        running.shutdown().await;
        servers.shutdown().await;
    }
}

/// Run the binary until it has started (its info line), with stdout and stderr kept apart.
fn streams(h: &Harness, extra: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, fakekube::kubeconfig(&h.fake.url())).unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealant-controller"))
        .arg(format!("--kubeconfig={}", kubeconfig.display()))
        .args([
            "--controller-namespace=kube-system",
            "--key-renew-period=0",
            "--listen-addr=",
            "--listen-metrics-addr=",
            "--rotate-period=0",
            "--leader-elect=false",
        ])
        .args(extra)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(read(&out) + &read(&err)).contains("controller started") {
        assert!(
            Instant::now() < deadline && child.try_wait().unwrap().is_none(),
            "never started:\n{}{}",
            read(&out),
            read(&err)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    (read(&out), read(&err))
}

/// Bitnami's default split: info on stdout, warnings on stderr; `--log-info-stdout=false`
/// puts everything on stderr. The deprecated `--rotate-period` is a warning, said once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_info_stdout_splits_the_streams() {
    let h = Harness::with_key('a').await;
    const DEPRECATED: &str = "--rotate-period is deprecated";

    let (out, err) = tokio::task::block_in_place(|| streams(&h, &[]));
    assert!(out.contains("controller started"), "stdout:\n{out}");
    assert!(!out.contains(DEPRECATED), "stdout:\n{out}");
    assert_eq!(err.matches(DEPRECATED).count(), 1, "stderr:\n{err}");
    assert!(!err.contains("controller started"), "stderr:\n{err}");

    let (out, err) = tokio::task::block_in_place(|| streams(&h, &["--log-info-stdout=false"]));
    assert_eq!(out, "");
    assert!(err.contains("controller started"), "stderr:\n{err}");
    assert_eq!(err.matches(DEPRECATED).count(), 1, "stderr:\n{err}");
}
