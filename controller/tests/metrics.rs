//! The metrics endpoint over real HTTP: serve the router on 127.0.0.1, record through the
//! public methods, scrape with a plain HTTP client, and check that the exact metric names
//! (Bitnami's where Bitnami has them) are exposed and move as they should.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sealant_controller::metrics::{
    self, ConditionStatus, ConditionType, ErrorReason, HttpHandler, KeySnapshot, Metrics,
    ReconcileOutcome,
};
use time::OffsetDateTime;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serve `metrics` and return the scrape URL. The listener is bound before this returns,
/// so connections queue in its backlog until the server task accepts them: no readiness
/// wait is needed.
async fn serve(metrics: &Metrics, snapshot: Arc<Mutex<KeySnapshot>>) -> String {
    let router = metrics::router(metrics.clone(), move || snapshot.lock().unwrap().clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/metrics")
}

struct Reply {
    status: u16,
    content_type: Option<String>,
    body: String,
}

/// One request with a blocking client, run off the async workers.
async fn request(method: &'static str, url: &str) -> Reply {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut resp = match method {
            "GET" => agent.get(&url).call(),
            _ => agent.post(&url).send_empty(),
        }
        .unwrap();
        Reply {
            status: resp.status().as_u16(),
            content_type: resp
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned()),
            body: resp.body_mut().read_to_string().unwrap(),
        }
    })
    .await
    .unwrap()
}

async fn scrape(url: &str) -> String {
    let reply = request("GET", url).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

/// The value of the sample written exactly as `series` (name plus label set), if present.
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        Some(value.parse().unwrap())
    })
}

fn value(body: &str, series: &str) -> f64 {
    sample(body, series).unwrap_or_else(|| panic!("no sample {series} in:\n{body}"))
}

fn no_keys() -> Arc<Mutex<KeySnapshot>> {
    Arc::new(Mutex::new(KeySnapshot::default()))
}

#[tokio::test(flavor = "multi_thread")]
async fn exposes_bitnami_and_sealant_names_as_openmetrics() {
    let m = Metrics::new("9.8.7");
    let snapshot = no_keys();
    let url = serve(&m, snapshot.clone()).await;

    // Before anything is recorded, the families that have no series yet are left out,
    // as Go's client leaves them out of Bitnami's output.
    let reply = request("GET", &url).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type.as_deref(), Some(OPENMETRICS));
    let body = reply.body;
    assert!(body.ends_with("# EOF\n"), "{body}");
    assert_eq!(
        value(
            &body,
            r#"sealed_secrets_controller_build_info{revision="9.8.7"}"#
        ),
        1.0
    );
    assert_eq!(
        value(&body, "sealed_secrets_controller_unseal_requests_total"),
        0.0
    );
    assert_eq!(value(&body, "sealant_rsa_operations_total"), 0.0);
    assert!(
        !body.contains("sealed_secrets_controller_unseal_errors"),
        "{body}"
    );
    assert!(
        !body.contains("sealed_secrets_controller_condition_info"),
        "{body}"
    );

    m.unseal_error(ErrorReason::Unseal, "ns");
    m.conditions()
        .set("ns", "s", "", ConditionType::Synced, true.into());
    m.http_request(HttpHandler::Verify, "POST", 200, Duration::from_millis(1));
    m.reconcile_finished(ReconcileOutcome::Written, Duration::from_millis(1));
    *snapshot.lock().unwrap() = KeySnapshot {
        active_not_before: Some(OffsetDateTime::now_utc()),
        key_count: 1,
        usage: vec![("0123456789abcdef".to_owned(), 0)],
        rsa_operations: 0,
        leader: true,
    };
    let body = scrape(&url).await;

    // Bitnami's help texts verbatim (no full stop added), which its dashboards show.
    for (name, kind, help) in [
        (
            "sealed_secrets_controller_build_info",
            "gauge",
            "Build information.",
        ),
        (
            "sealed_secrets_controller_unseal_requests",
            "counter",
            "Total number of sealed secret unseal requests",
        ),
        (
            "sealed_secrets_controller_unseal_errors",
            "counter",
            "Total number of sealed secret unseal errors by reason",
        ),
        (
            "sealed_secrets_controller_condition_info",
            "gauge",
            "Current SealedSecret condition status. Values are -1 (false), 0 (unknown or absent), 1 (true)",
        ),
        (
            "sealed_secrets_controller_http_requests",
            "counter",
            "A counter for requests to the wrapped handler.",
        ),
        (
            "sealed_secrets_controller_http_request_duration_seconds",
            "histogram",
            "A histogram of latencies for requests.",
        ),
    ] {
        let lines = format!("# HELP {name} {help}\n# TYPE {name} {kind}\n");
        assert!(body.contains(&lines), "missing {lines:?} in:\n{body}");
    }
    for (name, kind) in [
        ("sealant_reconciles", "counter"),
        ("sealant_reconcile_duration_seconds", "histogram"),
        ("sealant_keys", "gauge"),
        ("sealant_active_key_age_seconds", "gauge"),
        ("sealant_key_usage", "gauge"),
        ("sealant_rsa_operations", "counter"),
        ("sealant_leader", "gauge"),
        ("sealant_certificate_configmap_repairs", "counter"),
    ] {
        let line = format!("# TYPE {name} {kind}\n");
        assert!(body.contains(&line), "missing {line:?} in:\n{body}");
    }
    assert_eq!(body.matches("# EOF").count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn unseal_counters_count_requests_and_errors_by_reason() {
    let m = Metrics::new("0.0.1");
    let url = serve(&m, no_keys()).await;

    m.unseal_request();
    m.unseal_request();
    m.unseal_request();
    m.unseal_error(ErrorReason::Unseal, "team-a");
    m.unseal_error(ErrorReason::Unseal, "team-a");
    m.unseal_error(ErrorReason::Update, "team-b");
    m.unseal_error(ErrorReason::Fetch, "");
    let body = scrape(&url).await;

    assert_eq!(
        value(&body, "sealed_secrets_controller_unseal_requests_total"),
        3.0
    );
    let errors = "sealed_secrets_controller_unseal_errors_total";
    assert_eq!(
        value(
            &body,
            &format!(r#"{errors}{{reason="unseal",namespace="team-a"}}"#)
        ),
        2.0
    );
    assert_eq!(
        value(
            &body,
            &format!(r#"{errors}{{reason="update",namespace="team-b"}}"#)
        ),
        1.0
    );
    assert_eq!(
        value(
            &body,
            &format!(r#"{errors}{{reason="fetch",namespace=""}}"#)
        ),
        1.0
    );

    for reason in ErrorReason::ALL {
        m.unseal_error(reason, "team-c");
    }
    let body = scrape(&url).await;
    for reason in ["unseal", "unmanaged", "update", "status", "fetch"] {
        let series = format!(r#"{errors}{{reason="{reason}",namespace="team-c"}}"#);
        assert_eq!(value(&body, &series), 1.0);
    }
    assert_eq!(
        value(
            &body,
            &format!(r#"{errors}{{reason="unseal",namespace="team-a"}}"#)
        ),
        2.0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn condition_info_flips_and_forget_removes_the_object() {
    let m = Metrics::new("0.0.1");
    let url = serve(&m, no_keys()).await;
    let series = |name: &str, condition: &str, instance: &str| {
        format!(
            r#"sealed_secrets_controller_condition_info{{namespace="apps",name="{name}",condition="{condition}",ss_app_kubernetes_io_instance="{instance}"}}"#
        )
    };

    m.conditions()
        .set("apps", "db", "prod", ConditionType::Synced, true.into());
    m.conditions()
        .set("apps", "db", "prod", ConditionType::Ready, true.into());
    m.conditions()
        .set("apps", "web", "", ConditionType::Synced, true.into());
    let body = scrape(&url).await;
    assert_eq!(value(&body, &series("db", "Synced", "prod")), 1.0);
    assert_eq!(value(&body, &series("db", "Ready", "prod")), 1.0);
    assert_eq!(value(&body, &series("web", "Synced", "")), 1.0);

    m.conditions()
        .set("apps", "db", "prod", ConditionType::Synced, false.into());
    m.conditions().set(
        "apps",
        "db",
        "prod",
        ConditionType::Ready,
        ConditionStatus::Unknown,
    );
    let body = scrape(&url).await;
    assert_eq!(value(&body, &series("db", "Synced", "prod")), -1.0);
    assert_eq!(value(&body, &series("db", "Ready", "prod")), 0.0);

    m.forget_object("apps", "db");
    let body = scrape(&url).await;
    assert_eq!(sample(&body, &series("db", "Synced", "prod")), None);
    assert_eq!(sample(&body, &series("db", "Ready", "prod")), None);
    assert_eq!(value(&body, &series("web", "Synced", "")), 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn reconciles_are_counted_by_outcome_with_durations() {
    let m = Metrics::new("0.0.1");
    let url = serve(&m, no_keys()).await;

    let body = scrape(&url).await;
    for outcome in ["unchanged", "written", "failed"] {
        let series = format!(r#"sealant_reconciles_total{{outcome="{outcome}"}}"#);
        assert_eq!(value(&body, &series), 0.0);
    }

    m.reconcile_finished(ReconcileOutcome::Unchanged, Duration::from_micros(200));
    m.reconcile_finished(ReconcileOutcome::Unchanged, Duration::from_micros(300));
    m.reconcile_finished(ReconcileOutcome::Written, Duration::from_millis(40));
    m.reconcile_finished(ReconcileOutcome::Failed, Duration::from_millis(2));
    let body = scrape(&url).await;

    assert_eq!(
        value(&body, r#"sealant_reconciles_total{outcome="unchanged"}"#),
        2.0
    );
    assert_eq!(
        value(&body, r#"sealant_reconciles_total{outcome="written"}"#),
        1.0
    );
    assert_eq!(
        value(&body, r#"sealant_reconciles_total{outcome="failed"}"#),
        1.0
    );
    let duration = "sealant_reconcile_duration_seconds";
    assert_eq!(
        value(
            &body,
            &format!(r#"{duration}_count{{outcome="unchanged"}}"#)
        ),
        2.0
    );
    // Both unchanged reconciles fall in the sub-millisecond bucket.
    assert_eq!(
        value(
            &body,
            &format!(r#"{duration}_bucket{{le="0.0005",outcome="unchanged"}}"#)
        ),
        2.0
    );
    let written_sum = value(&body, &format!(r#"{duration}_sum{{outcome="written"}}"#));
    assert!((written_sum - 0.04).abs() < 1e-9, "{written_sum}");
}

#[tokio::test(flavor = "multi_thread")]
async fn http_requests_use_bitnami_labels_and_fixed_values() {
    let m = Metrics::new("0.0.1");
    let url = serve(&m, no_keys()).await;

    m.http_request(HttpHandler::Verify, "POST", 200, Duration::from_millis(12));
    m.http_request(HttpHandler::Verify, "post", 409, Duration::from_millis(13));
    m.http_request(HttpHandler::Rotate, "POST", 429, Duration::from_millis(1));
    m.http_request(HttpHandler::Cert, "GET", 200, Duration::from_millis(1));
    m.http_request(HttpHandler::Other, "BREW", 404, Duration::from_millis(1));
    // Two scrapes before the one we read: the endpoint records its own requests.
    scrape(&url).await;
    scrape(&url).await;
    let body = scrape(&url).await;

    let total = "sealed_secrets_controller_http_requests_total";
    for (labels, expected) in [
        (r#"path="/v1/verify",code="200",method="post""#, 1.0),
        (r#"path="/v1/verify",code="409",method="post""#, 1.0),
        (r#"path="/v1/rotate",code="429",method="post""#, 1.0),
        (r#"path="/v1/cert.pem",code="200",method="get""#, 1.0),
        (r#"path="other",code="404",method="unknown""#, 1.0),
        (r#"path="/metrics",code="200",method="get""#, 2.0),
    ] {
        assert_eq!(value(&body, &format!("{total}{{{labels}}}")), expected);
    }
    let duration = "sealed_secrets_controller_http_request_duration_seconds";
    assert_eq!(
        value(
            &body,
            &format!(r#"{duration}_count{{path="/v1/verify",method="post"}}"#)
        ),
        2.0
    );
    // 12 ms and 13 ms both land in Prometheus' default 0.025 bucket, not in 0.01.
    assert_eq!(
        value(
            &body,
            &format!(r#"{duration}_bucket{{le="0.025",path="/v1/verify",method="post"}}"#)
        ),
        2.0
    );
    assert_eq!(
        value(
            &body,
            &format!(r#"{duration}_bucket{{le="0.01",path="/v1/verify",method="post"}}"#)
        ),
        0.0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn key_gauges_reflect_the_snapshot_at_each_scrape() {
    let m = Metrics::new("0.0.1");
    let snapshot = no_keys();
    let url = serve(&m, snapshot.clone()).await;

    let body = scrape(&url).await;
    assert_eq!(value(&body, r#"sealant_keys{state="active"}"#), 0.0);
    assert_eq!(value(&body, r#"sealant_keys{state="decrypt_only"}"#), 0.0);
    assert_eq!(sample(&body, "sealant_active_key_age_seconds"), None);

    let an_hour_ago = OffsetDateTime::now_utc() - time::Duration::hours(1);
    *snapshot.lock().unwrap() = KeySnapshot {
        active_not_before: Some(an_hour_ago),
        key_count: 3,
        usage: vec![
            ("0123456789abcdef".to_owned(), 5),
            ("fedcba9876543210".to_owned(), 2),
        ],
        rsa_operations: 42,
        leader: false,
    };
    let body = scrape(&url).await;
    assert_eq!(value(&body, "sealant_leader"), 0.0);
    assert_eq!(value(&body, r#"sealant_keys{state="active"}"#), 1.0);
    assert_eq!(value(&body, r#"sealant_keys{state="decrypt_only"}"#), 2.0);
    let age = value(&body, "sealant_active_key_age_seconds");
    assert!((3600.0..3660.0).contains(&age), "{age}");
    assert_eq!(
        value(
            &body,
            r#"sealant_key_usage{fingerprint="0123456789abcdef"}"#
        ),
        5.0
    );
    assert_eq!(
        value(
            &body,
            r#"sealant_key_usage{fingerprint="fedcba9876543210"}"#
        ),
        2.0
    );
    assert_eq!(value(&body, "sealant_rsa_operations_total"), 42.0);

    // A retired key's usage disappears with it; the counter keeps counting.
    {
        let mut s = snapshot.lock().unwrap();
        s.key_count = 1;
        s.usage.truncate(1);
        s.rsa_operations = 50;
    }
    let body = scrape(&url).await;
    assert_eq!(value(&body, r#"sealant_keys{state="decrypt_only"}"#), 0.0);
    assert_eq!(
        sample(
            &body,
            r#"sealant_key_usage{fingerprint="fedcba9876543210"}"#
        ),
        None
    );
    assert_eq!(value(&body, "sealant_rsa_operations_total"), 50.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_get_is_served() {
    let m = Metrics::new("0.0.1");
    let url = serve(&m, no_keys()).await;
    assert_eq!(request("POST", &url).await.status, 405);
    let elsewhere = url.replace("/metrics", "/other");
    assert_eq!(request("GET", &elsewhere).await.status, 404);
}

/// The real controller, wired as in production, with and without
/// `--metrics-omit-secret-labels`: with it, `/metrics` names no SealedSecret (the inventory
/// of every namespace and name would otherwise be readable by whoever reaches :8081).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn omit_secret_labels_keeps_sealed_secret_names_out_of_metrics() {
    const NS: &str = "inventory-ns-canary";
    const NAME: &str = "inventory-name-canary";
    for omit in [false, true] {
        let h = common::Harness::with_key('a').await;
        let flags: &[&str] = if omit {
            &["--metrics-omit-secret-labels"]
        } else {
            &[]
        };
        let (running, servers) = h.start_with_servers(flags).await;
        common::wait_until_leading(&running).await;
        let key = common::test_key('a');
        h.create_sealed(&common::seal(
            &key,
            NS,
            NAME,
            sealant_crypto::Scope::Strict,
            &[("v", "x")],
        ))
        .await;
        common::eventually(&running, "Synced", || h.all_synced(NS, 1)).await;
        let url = format!("http://{}/metrics", servers.metrics_addr.unwrap());
        let body = scrape(&url).await;
        // Reconciles still count: the metric families stay, only the names go.
        assert!(value(&body, "sealed_secrets_controller_unseal_requests_total") >= 1.0);
        let named = body
            .lines()
            .filter(|l| l.contains(NAME) || l.contains(NS))
            .collect::<Vec<_>>();
        if omit {
            assert!(named.is_empty(), "names in /metrics: {named:?}");
        } else {
            assert!(
                named.iter().any(|l| l.starts_with(
                    "sealed_secrets_controller_condition_info{namespace=\"inventory-ns-canary\""
                )),
                "without the flag, Bitnami's condition_info names the object:\n{body}"
            );
        }
        servers.shutdown().await;
        running.shutdown().await;
    }
}
