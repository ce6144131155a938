//! Issue 12 §4: a flood of maximal valid `/v1/verify` bodies from several clients, against
//! the real controller (fake API server, real HTTP, the production wiring of
//! `start_servers` + `start_with`, one RSA pool shared by reconciles and the API).
//!
//! During the flood:
//! * a new SealedSecret is unsealed within [`UNSEAL_BOUND`];
//! * `/healthz` answers every probe within [`PROBE_BOUND`];
//! * the process's resident memory grows by less than [`RSS_GROWTH_BOUND`];
//! * the API sheds load with 503 and `Retry-After` rather than queueing without end;
//! * and the API shuts down within [`SHUTDOWN_BOUND`], its queue notwithstanding.
//!
//! The only test in this binary, so the memory figure is this scenario's alone. Figures
//! (latency percentiles, peak RSS) come from the `flood` bench; here only the bounds the
//! issue demands are asserted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, api::PostParams};
use sealant_controller::keys::build_key_secret;
use sealant_crypto::PrivateKey;
use sealant_keys::{CertificateOptions, read_private_keys, self_signed_certificate};
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// A new object's Secret exists this soon after the object is created, flood or not.
const UNSEAL_BOUND: Duration = Duration::from_secs(3);
/// Every liveness probe answers this fast (a kubelet's default timeout is 1 s).
const PROBE_BOUND: Duration = Duration::from_millis(100);
/// Resident memory may grow this much over its level before the flood.
const RSS_GROWTH_BOUND: u64 = 48 * 1024 * 1024;
/// The API shuts down this fast under the flood (a Pod's grace period is 30 s by default;
/// the full queue holds over 20 s of RSA work).
const SHUTDOWN_BOUND: Duration = Duration::from_secs(5);
/// Attacking clients, each with this many connections posting back to back.
const CLIENTS: usize = 4;
const CONNECTIONS_PER_CLIENT: usize = 16;
/// Liveness probes made during the flood.
const PROBES: usize = 20;
/// The flood counts as under way once the server has spent this many RSA operations on it.
const FLOOD_UNDER_WAY_OPS: u64 = 1_000;
/// A flooding client gives up on a request after this long (and the server then drops it).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The TEST-ONLY 4096-bit key: production keys are 4096 bits, so a request costs what it
/// would cost in production.
fn key_4096() -> PrivateKey {
    let pem = include_bytes!("../../keys/tests/data/test-only-rsa4096.pkcs1.pem");
    read_private_keys(pem).unwrap().remove(0).key
}

/// The largest valid body under `cap`: as many values as fit.
fn maximal_body(key: &PrivateKey, cap: usize) -> Vec<u8> {
    let n = flood_values::values_fitting(key, cap);
    serde_json::to_vec(&flood_values::with_values(key, "flood", "max", n)).unwrap()
}

/// Resident set size of this process, from /proc.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// What the flooding clients got back.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    busy: AtomicU64,
    busy_without_retry_after: AtomicU64,
    limited: AtomicU64,
    other: AtomicU64,
    /// Gave up after [`CLIENT_TIMEOUT`] or lost the connection.
    failed: AtomicU64,
}

/// One hostile connection: post `body` back to back until `stop`, whatever the answer (no
/// back-off). A minimal HTTP/1.1 client over a plain socket, writing straight from the
/// shared body, so the clients add next to nothing to this process's memory and the RSS
/// figure is the server's.
fn flood_client(addr: SocketAddr, body: Arc<Vec<u8>>, stop: Arc<AtomicBool>, tally: Arc<Tally>) {
    let head = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut connection: Option<BufReader<TcpStream>> = None;
    while !stop.load(Ordering::Relaxed) {
        let stream = match connection.take() {
            Some(stream) => stream,
            None => match TcpStream::connect(addr) {
                Ok(stream) => {
                    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
                    BufReader::new(stream)
                }
                Err(_) => {
                    tally.failed.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            },
        };
        match exchange(stream, head.as_bytes(), &body) {
            Ok((status, retry_after, stream)) => {
                let counter = match status {
                    200 => &tally.ok,
                    503 if retry_after => &tally.busy,
                    503 => &tally.busy_without_retry_after,
                    429 => &tally.limited,
                    _ => &tally.other,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                connection = Some(stream);
            }
            // Timed out or closed: a new connection next time.
            Err(_) => {
                tally.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Send one request and read its answer: the status, whether `Retry-After` was set, and the
/// connection for the next request.
fn exchange(
    mut stream: BufReader<TcpStream>,
    head: &[u8],
    body: &[u8],
) -> std::io::Result<(u16, bool, BufReader<TcpStream>)> {
    stream.get_mut().write_all(head)?;
    stream.get_mut().write_all(body)?;
    let mut line = String::new();
    stream.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let (mut length, mut retry_after) = (0usize, false);
    loop {
        line.clear();
        if stream.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let header = line.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if let Some(value) = header.strip_prefix("content-length:") {
            length = value.trim().parse().map_err(std::io::Error::other)?;
        }
        retry_after |= header.starts_with("retry-after:");
    }
    let mut answer = vec![0; length];
    stream.read_exact(&mut answer)?;
    Ok((status, retry_after, stream))
}

/// `PROBES` liveness probes, each on a new connection as a kubelet makes them; returns
/// every latency.
fn probe_healthz(url: String) -> Vec<Duration> {
    (0..PROBES)
        .map(|_| {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .new_agent();
            let sent = Instant::now();
            let mut response = agent.get(&url).call().unwrap();
            let body = response.body_mut().read_to_vec().unwrap();
            let latency = sent.elapsed();
            assert_eq!(response.status().as_u16(), 200);
            assert_eq!(body, b"ok\n");
            // Pacing between probes, as a kubelet's period does; nothing waits on it.
            std::thread::sleep(Duration::from_millis(50));
            latency
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verify_flood_delays_neither_unsealing_nor_probes_and_memory_stays_bounded() {
    let h = Harness::new().await;
    let key = key_4096();
    let not_before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let cert = self_signed_certificate(&key, &CertificateOptions::new(not_before)).unwrap();
    let secret = build_key_secret(CONTROLLER_NS, "sealed-secrets-key", &key, &cert).unwrap();
    Api::<Secret>::namespaced(h.client.clone(), CONTROLLER_NS)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();

    // The production wiring, with the API's rate limit off (every client here shares
    // 127.0.0.1, and the point is what happens when requests do get through) and the
    // value cap raised so a 1 MiB body of values is valid.
    let (running, servers) = h
        .start_with_servers(&[
            "--rsa-workers=2",
            "--listen-metrics-addr=",
            "--verify-rsa-ops-per-second=0",
            "--max-values-per-request=100000",
        ])
        .await;
    wait_until_leading(&running).await;
    let api_addr = servers.api_addr.unwrap();
    let base = format!("http://{api_addr}");

    // Before the flood: the controller unseals (so a slow unseal later is the flood's doing).
    h.create_sealed(&flood_values::with_values(&key, "apps", "before", 2))
        .await;
    eventually(&running, "the first object is unsealed", || async {
        h.secret("apps", "before").await.is_some()
    })
    .await;

    let body = Arc::new(maximal_body(
        &key,
        sealant_controller::http::DEFAULT_MAX_BODY_BYTES,
    ));
    let rss_before = rss_bytes();
    let peak_rss = Arc::new(AtomicU64::new(rss_before));
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let mut threads = Vec::new();
    for _ in 0..CLIENTS * CONNECTIONS_PER_CLIENT {
        let (body, stop, tally) = (body.clone(), stop.clone(), tally.clone());
        threads.push(std::thread::spawn(move || {
            flood_client(api_addr, body, stop, tally)
        }));
    }
    let sampler = {
        let (stop, peak) = (stop.clone(), peak_rss.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_bytes(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };

    // Wait until the flood is doing RSA work, then probe and create a new object.
    let ops_at_start = running.keys().rsa_operations();
    eventually(&running, "the flood is under way", || async {
        running.keys().rsa_operations() - ops_at_start >= FLOOD_UNDER_WAY_OPS
    })
    .await;
    let probes = {
        let url = format!("{base}/healthz");
        std::thread::spawn(move || probe_healthz(url))
    };
    let created = Instant::now();
    h.create_sealed(&flood_values::with_values(&key, "apps", "during", 2))
        .await;
    let deadline = created + Duration::from_secs(30);
    while h.secret("apps", "during").await.is_none() {
        assert!(
            Instant::now() < deadline,
            "not unsealed within 30 s during the flood"
        );
        let mut progress = running.context.stats.subscribe();
        let _ = tokio::time::timeout(Duration::from_millis(25), progress.changed()).await;
    }
    let unseal = created.elapsed();
    let probe_latencies = tokio::task::spawn_blocking(move || probes.join().unwrap())
        .await
        .unwrap();

    // Shut the API down while the flood still runs and its queue is full of requests
    // worth seconds of RSA work each: they are dropped, not worked off.
    stop.store(true, Ordering::Relaxed);
    let shutting_down = Instant::now();
    servers.shutdown().await;
    let shutdown = shutting_down.elapsed();
    running.shutdown().await;
    tokio::task::spawn_blocking(move || {
        for t in threads {
            t.join().unwrap();
        }
        sampler.join().unwrap();
    })
    .await
    .unwrap();

    let peak = peak_rss.load(Ordering::Relaxed);
    let t = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let summary = format!(
        "unsealed in {unseal:?}; probes {probe_latencies:?}; RSS {} MiB before, peak {} MiB; \
         API shut down in {shutdown:?}; flood answers: {} ok, {} 503, {} 503 without Retry-After, {} 429, {} other, \
         {} failed",
        rss_before >> 20,
        peak >> 20,
        t(&tally.ok),
        t(&tally.busy),
        t(&tally.busy_without_retry_after),
        t(&tally.limited),
        t(&tally.other),
        t(&tally.failed),
    );
    eprintln!("{summary}");
    assert!(unseal <= UNSEAL_BOUND, "{summary}");
    assert!(
        probe_latencies.iter().all(|l| *l <= PROBE_BOUND),
        "{summary}"
    );
    assert!(peak - rss_before <= RSS_GROWTH_BOUND, "{summary}");
    assert!(shutdown <= SHUTDOWN_BOUND, "{summary}");
    assert!(t(&tally.busy) > 0, "the queue never filled: {summary}");
    assert_eq!(t(&tally.busy_without_retry_after), 0, "{summary}");
    assert_eq!(t(&tally.other), 0, "{summary}");
}
