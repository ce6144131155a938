//! Benchmark (not a test): `POST /v1/verify` throughput and latency of one controller
//! replica, over real HTTP on 127.0.0.1, with a valid SealedSecret of 3 values.
//!
//! Setup, all in this process: a `KeyStore` holding the TEST-ONLY RSA-4096 key (with a
//! self-signed certificate, as a key Secret would give it), an `RsaPool` of
//! `available_parallelism()` workers (what the controller uses), a ready `Readiness`, and the
//! production router served by `sealant_controller::http::serve` on an ephemeral port. The
//! body is one strict-scope SealedSecret of 3 values sealed for that key, posted as JSON
//! (what kubeseal posts) from C client threads, each with its own keep-alive connection
//! (ureq, blocking). Every answer must be 200; anything else aborts the bench before it
//! prints a figure.
//!
//! **Rate limit**: the production per-client bucket (500 RSA operations, 50/s) would cap
//! every run at about 16 requests per second from 127.0.0.1, so the bench raises it far out
//! of reach rather than disabling it: the bucket lookups still run on every request, as in
//! production.
//!
//! **Reserved workers**: there are no reconciles here, so the bench reserves none
//! (`--reserved-rsa-workers=0`) and the API may use the whole pool: the figures are the
//! API's ceiling. With the default reservation of one worker for unsealing, the API gets
//! `cores - 1` workers (at least one).
//!
//! For each concurrency C of the sweep (1, then 2 × cores): a warm-up (connections made,
//! pool threads spawned, caches hot), then a fixed duration (`SEALANT_BENCH_SECS`, default
//! 10 s) in which every request's latency is recorded. Printed: requests/s, values/s
//! (3 per request), p50/p99/max latency, and the RSA private operations the server actually
//! did per request (`KeyStore::rsa_operations`, exact: counted between two points where no
//! request is in flight).
//!
//! Anchor, measured in the same run just before the sweep (and again after it, to show how
//! much other load on the machine drifted): the bare RSA-OAEP private operation of the same
//! backend the server uses (`sealant_test_support::bench_anchor`, aws-lc with the `aws-lc`
//! feature) on `available_parallelism()` threads for 3 s, in operations per second in total.
//! A valid value costs exactly one private operation (the object's only key is both the
//! hinted and the newest key), so values/s ÷ anchor ops/s is the share of the machine's RSA
//! capacity the endpoint delivers; 1.0× would mean HTTP, JSON parsing, AES-GCM and the
//! client (which shares the cores) cost nothing. With C = 1 only one request is in flight
//! (its values are opened one after the other on one pool worker), so on an otherwise idle
//! machine the ratio cannot exceed 1/cores; when other processes hold cores, the anchor
//! loses more than one sequential request does and the ratio rises. Because wall-clock
//! ratios suffer from such load, a CPU-time ratio is printed too: values per CPU-second of
//! the server (this process's CPU time minus the client threads') ÷ anchor operations per
//! CPU-second, i.e. the share of the server's CPU time spent in the bare RSA operation.
//!
//! Run: `cargo bench -p sealant-controller --features aws-lc --bench verify`
//! (`SEALANT_BENCH_SECS=3` for a quick run).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use sealant_test_support::measure::{ANCHOR_SECS, Anchor, cpu_secs, load_average, measure_anchor};
use support::load_key;

use sealant_api::{PlainSecret, SealOptions, seal_secret};
use sealant_controller::{
    KeyStore, RsaPool,
    http::{DEFAULT_MAX_BODY_BYTES, HttpState, Limits, Readiness, serve},
};
use sealant_crypto::{Backend, PrivateKey, Scope};
use sealant_keys::{CertificateOptions, KeyEntry, self_signed_certificate};
use std::{
    sync::{Arc, Barrier},
    time::{Duration, Instant},
};

const VALUES_PER_REQUEST: u64 = 3;
const WARMUP: Duration = Duration::from_secs(1);
const DEFAULT_SECS: f64 = 10.0;

/// `SEALANT_BENCH_SECS`, else the default.
fn bench_secs() -> f64 {
    std::env::var("SEALANT_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&s: &f64| s.is_finite() && s > 0.0)
        .unwrap_or(DEFAULT_SECS)
}

/// The server's key store (the TEST-ONLY key with a fresh certificate) and a body sealed for it.
fn server_keys_and_body() -> (KeyStore, Vec<u8>) {
    let server_key = load_key();
    let body = sealed_body(&server_key);
    let keys = KeyStore::new();
    let not_before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let cert = self_signed_certificate(&server_key, &CertificateOptions::new(not_before)).unwrap();
    keys.apply(
        "sealed-secrets-key",
        KeyEntry::new(server_key, Some(cert)).unwrap(),
    );
    (keys, body)
}

fn main() {
    // `cargo bench` passes `--bench` (and maybe a filter); both are ignored.
    let started = Instant::now();
    report(&measure(bench_secs()));
    println!(
        "(whole benchmark, setup included: {:.1} s)",
        started.elapsed().as_secs_f64()
    );
}

/// The anchor, then verify throughput with one client and with two per core, then the anchor
/// again.
fn measure(secs: f64) -> Report {
    let duration = Duration::from_secs_f64(secs);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let backend = Backend::preferred();

    // The server's copy of the key goes into the store; the anchor needs its own copy
    // (`PrivateKey` is deliberately not `Clone`).
    let anchor_key = load_key();
    let (keys, body) = server_keys_and_body();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = Server::start(&runtime, keys.clone(), cores);
    let url = format!("{}/v1/verify", server.base);

    // One request before anything is timed: a broken setup fails here, loudly.
    let agent = agent();
    post_verify(&agent, &url, &body);

    eprintln!(
        "anchor: raw {} private op on {cores} threads for {ANCHOR_SECS} s ...",
        backend.name()
    );
    let load_before = load_average();
    let anchor = measure_anchor(backend, &anchor_key, cores);

    let runs: Vec<_> = [1, 2 * cores]
        .into_iter()
        .map(|clients| {
            eprintln!(
                "verify: {clients} client(s), {:.0} s warm-up + {secs} s ...",
                WARMUP.as_secs_f64()
            );
            run_clients(&url, &body, &keys, clients, duration)
        })
        .collect();

    let anchor_after = measure_anchor(backend, &anchor_key, cores);
    let load_after = load_average();
    server.stop(&runtime);

    Report {
        backend,
        cores,
        body_bytes: body.len(),
        anchor,
        anchor_after,
        load_before,
        load_after,
        runs,
    }
}

/// The HTTP API served on 127.0.0.1 by the runtime's threads, as the controller serves it.
struct Server {
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    fn start(runtime: &tokio::runtime::Runtime, keys: KeyStore, workers: usize) -> Self {
        let readiness = Readiness::new();
        readiness.set_keys_loaded();
        readiness.set_caches_synced();
        let limits = Limits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            // See the module docs: out of reach, but still consulted on every request.
            rate_burst: u32::MAX,
            rate_per_second: 1e12,
            // See the module docs: no reconciles to reserve workers for.
            reserved_rsa_workers: 0,
            ..Limits::default()
        };
        let state = HttpState::new(keys, RsaPool::new(workers), readiness, limits).unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = runtime.spawn(serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Self { base, stop, task }
    }

    fn stop(self, runtime: &tokio::runtime::Runtime) {
        let _ = self.stop.send(());
        runtime.block_on(self.task).unwrap().unwrap();
    }
}

/// A blocking client whose statuses are returned, not raised. One agent per client thread:
/// it keeps its connection alive between requests, as kubeseal's HTTP client would.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// POST the body and read the whole answer (so the connection can be reused). Anything but
/// a 200 panics: a bench measuring refusals would print meaningless figures.
fn post_verify(agent: &ureq::Agent, url: &str, body: &[u8]) {
    let mut response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body)
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = response.status().as_u16();
    let answer = response.body_mut().read_to_vec().unwrap();
    assert_eq!(
        status,
        200,
        "POST /v1/verify answered {status}: {}",
        String::from_utf8_lossy(&answer)
    );
}

/// What one concurrency level measured.
struct Run {
    clients: usize,
    requests: u64,
    wall: Duration,
    /// Every timed request's latency, sorted.
    latencies: Vec<Duration>,
    rsa_operations: u64,
    /// CPU seconds of the whole process and of the client threads, over the timed window.
    process_cpu: Option<f64>,
    client_cpu: Option<f64>,
}

impl Run {
    fn per_sec(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64()
    }

    fn values_per_sec(&self) -> f64 {
        self.per_sec() * VALUES_PER_REQUEST as f64
    }

    fn percentile(&self, p: f64) -> Duration {
        // Nearest rank: the smallest latency at or above which p% of requests fall.
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    fn server_cpu(&self) -> Option<f64> {
        self.process_cpu
            .zip(self.client_cpu)
            .map(|(all, clients)| all - clients)
            .filter(|&cpu| cpu > 0.0)
    }
}

/// `clients` threads posting `body` back to back: warm-up, then `duration` timed.
///
/// Two barriers bracket the start so the RSA counter and the process CPU time are read
/// while no request is in flight; every thread has finished its last request before the
/// final reads, so both counts are exact for the timed window.
fn run_clients(url: &str, body: &[u8], keys: &KeyStore, clients: usize, duration: Duration) -> Run {
    let warmed = Arc::new(Barrier::new(clients + 1));
    let go = Arc::new(Barrier::new(clients + 1));
    let (per_client, start, ops_before, cpu_before) = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..clients)
            .map(|_| {
                let (warmed, go) = (warmed.clone(), go.clone());
                scope.spawn(move || {
                    let agent = agent();
                    let warm_until = Instant::now() + WARMUP;
                    while Instant::now() < warm_until {
                        post_verify(&agent, url, body);
                    }
                    warmed.wait();
                    go.wait();
                    let cpu_start = cpu_secs("thread-self");
                    let deadline = Instant::now() + duration;
                    let mut latencies = Vec::new();
                    loop {
                        let sent = Instant::now();
                        if sent >= deadline {
                            break;
                        }
                        post_verify(&agent, url, body);
                        latencies.push(sent.elapsed());
                    }
                    let finished = Instant::now();
                    let cpu = cpu_start.zip(cpu_secs("thread-self")).map(|(a, b)| b - a);
                    (latencies, finished, cpu)
                })
            })
            .collect();
        warmed.wait();
        let ops_before = keys.rsa_operations();
        let cpu_before = cpu_secs("self");
        let start = Instant::now();
        go.wait();
        let per_client: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        (per_client, start, ops_before, cpu_before)
    });
    let rsa_operations = keys.rsa_operations() - ops_before;
    let process_cpu = cpu_before
        .zip(cpu_secs("self"))
        .map(|(before, after)| after - before);
    let end = per_client.iter().map(|c| c.1).max().unwrap();
    let client_cpu: Option<f64> = per_client.iter().map(|c| c.2).sum();
    let mut latencies: Vec<Duration> = per_client.into_iter().flat_map(|c| c.0).collect();
    latencies.sort_unstable();
    let requests = latencies.len() as u64;
    assert!(requests > 0, "no request completed in the timed window");
    // A valid value must cost at least one private operation; fewer means the server did
    // not do the work being measured (a cache, a short cut, a broken setup).
    assert!(
        rsa_operations >= requests * VALUES_PER_REQUEST,
        "{rsa_operations} RSA operations for {requests} verified requests of \
         {VALUES_PER_REQUEST} values: the server is not doing the measured work"
    );
    Run {
        clients,
        requests,
        wall: end - start,
        latencies,
        rsa_operations,
        process_cpu,
        client_cpu,
    }
}

struct Report {
    backend: Backend,
    cores: usize,
    body_bytes: usize,
    anchor: Anchor,
    anchor_after: Anchor,
    load_before: String,
    load_after: String,
    runs: Vec<Run>,
}

fn report(r: &Report) {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    let opt = |v: Option<f64>, digits: usize| {
        v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.digits$}"))
    };
    // Operations per CPU-second of the anchor threads: what one core does in the bare op.
    let per_cpu_anchor = match (r.anchor.per_cpu_sec, r.anchor_after.per_cpu_sec) {
        (Some(a), Some(b)) => Some((a + b) / 2.0),
        (a, b) => a.or(b),
    };

    println!();
    println!(
        "sealant-controller /v1/verify benchmark: one replica, RSA-4096 (TEST-ONLY key), \
         backend {}, {} CPU(s), RSA pool of {} workers, body {} bytes (JSON, {} values, \
         strict scope)",
        r.backend.name(),
        r.cores,
        r.cores,
        r.body_bytes,
        VALUES_PER_REQUEST
    );
    println!(
        "  anchor: raw {} RSA-4096 OAEP private op on {} threads: {:.1} ops/s before, \
         {:.1} ops/s after ({} ops per CPU-second); load average {} before, {} after",
        r.backend.name(),
        r.cores,
        r.anchor.per_sec,
        r.anchor_after.per_sec,
        opt(per_cpu_anchor, 1),
        r.load_before,
        r.load_after
    );
    for run in &r.runs {
        let ops_per_request = run.rsa_operations as f64 / run.requests as f64;
        let values_per_sec = run.values_per_sec();
        let cpu_ratio = run
            .server_cpu()
            .zip(per_cpu_anchor)
            .map(|(cpu, anchor)| (run.requests * VALUES_PER_REQUEST) as f64 / cpu / anchor);
        println!("  C = {} client connection(s):", run.clients);
        println!(
            "    {} requests in {:.2} s: {:.1} requests/s, {:.1} values/s",
            run.requests,
            run.wall.as_secs_f64(),
            run.per_sec(),
            values_per_sec
        );
        println!(
            "    latency p50 {}, p99 {}, max {}",
            ms(run.percentile(50.0)),
            ms(run.percentile(99.0)),
            ms(*run.latencies.last().unwrap())
        );
        println!(
            "    RSA private ops observed: {} = {:.2} per request ({:.2} per value)",
            run.rsa_operations,
            ops_per_request,
            ops_per_request / VALUES_PER_REQUEST as f64
        );
        println!(
            "    vs anchor: values/s ÷ anchor ops/s = {:.2}× (wall clock; at most {:.2}× on \
             an idle machine with {} request(s) in flight); server CPU {} s, clients {} s; \
             values per server CPU-second ÷ anchor ops per CPU-second = {}×",
            values_per_sec / r.anchor.per_sec,
            (run.clients as f64 / r.cores as f64).min(1.0),
            run.clients,
            opt(run.server_cpu(), 2),
            opt(run.client_cpu, 2),
            opt(cpu_ratio, 2)
        );
    }
    println!(
        "  note: the clients run in this process on the same {} core(s), so the wall-clock \
         ratio includes their cost; the CPU-time ratio does not",
        r.cores
    );
}

/// bench/verify-me with three values, sealed strict-scope for `key`, as JSON.
fn sealed_body(key: &PrivateKey) -> Vec<u8> {
    let secret = PlainSecret::from_literals(
        "bench",
        "verify-me",
        &[
            ("username", "bench-user"),
            ("password", "pw-Zq8x!r2#Lm0v@Tk9"),
            ("token", "tok_0123456789abcdefghijklmnopqrstuv"),
        ],
    );
    let opts = SealOptions {
        scope: Some(Scope::Strict),
        ..SealOptions::default()
    };
    let sealed = seal_secret(&secret, key.public_key(), &opts).unwrap();
    assert_eq!(sealed.spec.encrypted_data.len() as u64, VALUES_PER_REQUEST);
    serde_json::to_vec(&sealed).unwrap()
}
