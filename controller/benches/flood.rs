//! Benchmark (not a test): what a flood of maximal `/v1/verify` requests does to the real
//! `sealant-controller` binary — how long a new SealedSecret takes to unseal, how fast
//! `/healthz` answers, how much memory the controller takes, and how the API sheds load.
//!
//! Setup: the fake API server runs in this process, with the TEST-ONLY RSA-4096 key as the
//! controller's key Secret. Each scenario spawns a fresh controller (the bench-profile
//! binary, `--rsa-workers` = this machine's cores, the HTTP API on a free 127.0.0.1 port,
//! metrics off) so its peak RSS (`VmHWM`) is the scenario's own; the flooding clients run
//! in this process, so their memory is not counted.
//!
//! Scenarios:
//! - **quiet**: no flood; the latency anchor for unsealing and probes.
//! - **flood, limits off** (`--verify-rsa-ops-per-second=0 --max-values-per-request=100000`): C
//!   connections (default 64, `SEALANT_BENCH_CONNECTIONS`) post a valid 1 MiB body — as
//!   many values as the body cap holds, about 1,400 — back to back, ignoring every answer
//!   and every `Retry-After`. Every request that gets through costs ~1,400 RSA operations:
//!   the worst the lanes and the queue must absorb.
//! - **flood, limits off, one shared worker** (`--rsa-workers=1`, as on a pod limited to
//!   one CPU): no worker can be reserved, so the API shares the only one and reconciles
//!   take it at the next RSA operation (the checkpoint path).
//! - **flood, default limits**: the same clients with a body at the default value cap
//!   (500 values), all from 127.0.0.1 — one shared bucket, as behind the API server's
//!   service proxy.
//!
//! In each scenario, once the flood is under way (2 s after the first answer): K new
//! SealedSecrets of 3 values (default 10, `SEALANT_BENCH_UNSEALS`) are created one after
//! the other, 0.5 s apart, each timed from create until its Secret exists (polled every
//! 5 ms); a probe
//! thread meanwhile GETs `/healthz` on a new connection every 50 ms. Printed: unseal latency
//! p50/max, probe latency p50/p99/max, the controller's RSS before the flood and its peak,
//! how long it takes to exit on SIGTERM with the flood still on, and the flood's answers by
//! status ("connection reset": mostly a refused body over 64 KiB, which the API leaves
//! unread and closes). Also printed: how long parsing a maximal body takes (JSON and YAML),
//! the longest stretch of API work between two checkpoints.
//!
//! Anchor, measured in the same run: the bare RSA-4096 private operation of the same
//! backend on one thread, so one flood request's cost reads in seconds of one core, and the
//! quiet scenario's unseal latency, against which the flooded ones are ratios.
//!
//! Run: `cargo bench -p sealant-controller --features aws-lc --bench flood`
//! (`SEALANT_BENCH_UNSEALS=3` for a quick run).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/flood_values.rs"]
mod flood_values;
mod support;

use sealant_test_support::measure::{ANCHOR_SECS, load_average, measure_anchor};
use support::{CONTROLLER_NS, create_key_secret, load_key};

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client, api::PostParams};
use sealant_api::SealedSecret;
use sealant_crypto::{Backend, PrivateKey};
use std::{
    collections::BTreeMap,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

const NS: &str = "apps";
const BODY_CAP: usize = sealant_controller::http::DEFAULT_MAX_BODY_BYTES;
const DEFAULT_VALUE_CAP: usize = sealant_controller::http::DEFAULT_MAX_VALUES_PER_REQUEST;
const PROBE_EVERY: Duration = Duration::from_millis(50);
const FLOOD_SETTLE: Duration = Duration::from_secs(2);
const UNSEAL_EVERY: Duration = Duration::from_millis(500);
const UNSEAL_TIMEOUT: Duration = Duration::from_secs(120);

fn main() {
    // `cargo bench` passes `--bench` (and maybe a filter); both are ignored.
    let started = Instant::now();
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(default)
    };
    let unseals = env("SEALANT_BENCH_UNSEALS", 10);
    let connections = env("SEALANT_BENCH_CONNECTIONS", 64);
    sealant_controller::install_tls_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(unseals, connections));
    println!(
        "(whole benchmark, setup included: {:.1} s)",
        started.elapsed().as_secs_f64()
    );
}

struct Scenario {
    name: &'static str,
    flags: &'static [&'static str],
    /// Values in each flood body; `None`: no flood.
    flood_values: Option<usize>,
}

async fn run(unseals: usize, connections: usize) {
    let key = load_key();
    let backend = Backend::preferred();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let dir = tempfile::tempdir().unwrap();
    let server = fakekube::FakeKube::start(0).await.unwrap();
    let url = server.url();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, fakekube::kubeconfig(&url)).unwrap();
    let client = Client::try_from(kube::Config::new(url.parse().unwrap())).unwrap();
    create_key_secret(&client, &key).await;

    eprintln!("sealing the flood bodies ...");
    let max_values = tokio::task::block_in_place(|| flood_values::values_fitting(&key, BODY_CAP));
    let scenarios = [
        Scenario {
            name: "quiet (no flood)",
            flags: &[],
            flood_values: None,
        },
        Scenario {
            name: "flood, limits off",
            flags: &[
                "--verify-rsa-ops-per-second=0",
                "--max-values-per-request=100000",
            ],
            flood_values: Some(max_values),
        },
        Scenario {
            name: "flood, limits off, one shared worker (--rsa-workers=1)",
            flags: &[
                "--verify-rsa-ops-per-second=0",
                "--max-values-per-request=100000",
                "--rsa-workers=1",
            ],
            flood_values: Some(max_values),
        },
        Scenario {
            name: "flood, default limits",
            flags: &[],
            flood_values: Some(DEFAULT_VALUE_CAP),
        },
    ];

    eprintln!(
        "anchor: raw {} private op on 1 thread for {ANCHOR_SECS} s ...",
        backend.name()
    );
    let load_before = load_average();
    let anchor = tokio::task::block_in_place(|| measure_anchor(backend, &key, 1));
    let parse = tokio::task::block_in_place(|| parse_times(&key, max_values));

    let mut results = Vec::new();
    for (index, scenario) in scenarios.iter().enumerate() {
        eprintln!("{} ...", scenario.name);
        let body = scenario.flood_values.map(|n| {
            let body =
                serde_json::to_vec(&flood_values::with_values(&key, "flood", "max", n)).unwrap();
            assert!(body.len() <= BODY_CAP);
            Arc::new(body)
        });
        let result = run_scenario(
            &client,
            &kubeconfig,
            &key,
            scenario,
            index,
            body,
            cores,
            unseals,
            connections,
        )
        .await;
        results.push(result);
    }
    let load_after = load_average();

    report(&Report {
        backend,
        cores,
        connections,
        unseals,
        max_values,
        anchor_ops_per_sec: anchor.per_sec,
        parse,
        load_before,
        load_after,
        scenarios: &scenarios,
        results,
    });
}

/// The longest API work between two checkpoints: parsing a maximal body (what a job does
/// before its first RSA operation), as JSON and as YAML (the client picks), slowest of 5.
fn parse_times(key: &PrivateKey, values: usize) -> ParseTimes {
    let ss = flood_values::with_values(key, "flood", "max", values);
    let json = serde_json::to_vec(&ss).unwrap();
    let yaml = sealant_api::write_document(&ss, sealant_api::OutputFormat::Yaml).unwrap();
    let slowest = |body: &[u8]| {
        (0..5)
            .map(|_| {
                let started = Instant::now();
                let docs = sealant_api::parse_bytes(body).unwrap();
                let parsed = docs[0].to_sealed_secret().unwrap();
                assert_eq!(parsed.spec.encrypted_data.len(), values);
                started.elapsed()
            })
            .max()
            .unwrap()
    };
    ParseTimes {
        json: slowest(&json),
        json_bytes: json.len(),
        yaml: slowest(yaml.as_bytes()),
        yaml_bytes: yaml.len(),
    }
}

struct ParseTimes {
    json: Duration,
    json_bytes: usize,
    yaml: Duration,
    yaml_bytes: usize,
}

struct ScenarioResult {
    unseal: Vec<Duration>,
    probes: Vec<Duration>,
    rss_before_kib: Option<u64>,
    peak_rss_kib: Option<u64>,
    /// SIGTERM (with the flood still on) to exit.
    shutdown: Duration,
    answers: BTreeMap<String, u64>,
}

#[allow(clippy::too_many_arguments)]
async fn run_scenario(
    client: &Client,
    kubeconfig: &Path,
    key: &PrivateKey,
    scenario: &Scenario,
    index: usize,
    body: Option<Arc<Vec<u8>>>,
    cores: usize,
    unseals: usize,
    connections: usize,
) -> ScenarioResult {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut controller = spawn_controller(kubeconfig, port, cores, scenario.flags);
    wait_healthy(&mut controller, &base).await;
    // One object before anything is timed: the controller leads and unseals.
    let secrets: Api<Secret> = Api::namespaced(client.clone(), NS);
    let sealed: Api<SealedSecret> = Api::namespaced(client.clone(), NS);
    unseal_one(&sealed, &secrets, key, &format!("s{index}-warm")).await;
    let rss_before_kib = status_kib(controller.id(), "VmRSS:");

    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
    let clients: Vec<_> = body
        .map(|body| {
            (0..connections)
                .map(|_| {
                    let (url, body, stop, answers) = (
                        format!("{base}/v1/verify"),
                        body.clone(),
                        stop.clone(),
                        answers.clone(),
                    );
                    std::thread::spawn(move || flood(&url, &body, &stop, &answers))
                })
                .collect()
        })
        .unwrap_or_default();
    if !clients.is_empty() {
        let first_answer = Instant::now();
        while answers.lock().unwrap().is_empty() {
            assert!(
                first_answer.elapsed() < UNSEAL_TIMEOUT,
                "the flood got no answer"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(FLOOD_SETTLE).await;
    }

    let probing = Arc::new(AtomicBool::new(true));
    let prober = {
        let (url, probing) = (format!("{base}/healthz"), probing.clone());
        std::thread::spawn(move || probe(&url, &probing))
    };
    let mut unseal = Vec::new();
    for i in 0..unseals {
        unseal.push(unseal_one(&sealed, &secrets, key, &format!("s{index}-{i}")).await);
        // Spread the objects over the flood, and let the probes sample it.
        tokio::time::sleep(UNSEAL_EVERY).await;
    }
    probing.store(false, Ordering::Relaxed);
    let probes = tokio::task::block_in_place(|| prober.join().unwrap());

    let peak_rss_kib = status_kib(controller.id(), "VmHWM:");
    stop.store(true, Ordering::Relaxed);
    let shutdown = stop_controller(&mut controller);
    tokio::task::block_in_place(|| {
        for c in clients {
            c.join().unwrap();
        }
    });
    let answers = answers.lock().unwrap().clone();
    ScenarioResult {
        unseal,
        probes,
        rss_before_kib,
        peak_rss_kib,
        shutdown,
        answers,
    }
}

/// Create a 3-value SealedSecret and time it until its Secret exists.
async fn unseal_one(
    sealed: &Api<SealedSecret>,
    secrets: &Api<Secret>,
    key: &PrivateKey,
    name: &str,
) -> Duration {
    let ss = flood_values::with_values(key, NS, name, 3);
    let created = Instant::now();
    sealed.create(&PostParams::default(), &ss).await.unwrap();
    while secrets.get_opt(name).await.unwrap().is_none() {
        assert!(
            created.elapsed() < UNSEAL_TIMEOUT,
            "{name} not unsealed within {UNSEAL_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    created.elapsed()
}

/// One hostile connection: post `body` back to back until `stop`, tallying the answers.
fn flood(url: &str, body: &[u8], stop: &AtomicBool, answers: &Mutex<BTreeMap<String, u64>>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(UNSEAL_TIMEOUT))
        .build()
        .new_agent();
    while !stop.load(Ordering::Relaxed) {
        let answer = match agent.post(url).send(body) {
            Ok(mut response) => {
                let _ = response.body_mut().read_to_vec();
                let status = response.status().as_u16();
                let retry_after = response.headers().contains_key("retry-after");
                match (status, retry_after) {
                    (429 | 503, false) => format!("{status} without Retry-After"),
                    _ => status.to_string(),
                }
            }
            // After stop, the controller is gone: not an answer.
            Err(_) if stop.load(Ordering::Relaxed) => break,
            // Mostly a refused body over 64 KiB, left unread: the connection is closed.
            Err(_) => "connection reset".to_owned(),
        };
        *answers.lock().unwrap().entry(answer).or_default() += 1;
    }
}

/// `/healthz` on a new connection every [`PROBE_EVERY`] while `probing`; the latencies.
fn probe(url: &str, probing: &AtomicBool) -> Vec<Duration> {
    let mut latencies = Vec::new();
    while probing.load(Ordering::Relaxed) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let sent = Instant::now();
        let mut response = agent.get(url).call().unwrap();
        let _ = response.body_mut().read_to_vec();
        assert_eq!(response.status().as_u16(), 200);
        latencies.push(sent.elapsed());
        std::thread::sleep(PROBE_EVERY);
    }
    latencies
}

/// A free port on 127.0.0.1 (released at once; a bench may take that small race).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_controller(kubeconfig: &Path, port: u16, workers: usize, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sealant-controller"))
        .arg(format!("--kubeconfig={}", kubeconfig.display()))
        .arg(format!("--controller-namespace={CONTROLLER_NS}"))
        .arg(format!("--listen-addr=127.0.0.1:{port}"))
        .arg("--listen-metrics-addr=")
        .arg(format!("--rsa-workers={workers}"))
        .arg("--log-level=error")
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawning sealant-controller")
}

async fn wait_healthy(controller: &mut Child, base: &str) {
    let url = format!("{base}/healthz");
    let started = Instant::now();
    loop {
        let url = url.clone();
        let up = tokio::task::spawn_blocking(move || ureq::get(&url).call().is_ok())
            .await
            .unwrap();
        if up {
            return;
        }
        if let Some(status) = controller.try_wait().unwrap() {
            panic!("the controller exited ({status}) before answering /healthz");
        }
        assert!(started.elapsed() < UNSEAL_TIMEOUT, "no /healthz answer");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// SIGTERM, and how long the controller took to exit (killed after 30 s).
fn stop_controller(controller: &mut Child) -> Duration {
    let sent = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &controller.id().to_string()])
        .status();
    while controller.try_wait().unwrap().is_none() {
        if sent.elapsed() > Duration::from_secs(30) {
            controller.kill().unwrap();
            controller.wait().unwrap();
            eprintln!("the controller ignored SIGTERM for 30 s and was killed");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    sent.elapsed()
}

/// A `/proc/<pid>/status` field in KiB (`VmRSS:`, `VmHWM:`).
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

struct Report<'a> {
    backend: Backend,
    cores: usize,
    connections: usize,
    unseals: usize,
    max_values: usize,
    anchor_ops_per_sec: f64,
    parse: ParseTimes,
    load_before: String,
    load_after: String,
    scenarios: &'a [Scenario],
    results: Vec<ScenarioResult>,
}

/// Nearest rank: the smallest sample at or above which p% fall.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(r: &Report<'_>) {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    let mib = |kib: Option<u64>| {
        kib.map_or_else(
            || "n/a".to_owned(),
            |k| format!("{:.1} MiB", k as f64 / 1024.0),
        )
    };
    let quiet_p50 = {
        let mut quiet = r.results[0].unseal.clone();
        quiet.sort_unstable();
        percentile(&quiet, 50.0)
    };
    println!();
    println!(
        "sealant-controller /v1/verify flood benchmark: backend {}, {} CPU(s), --rsa-workers={}, \
         {} flooding connections (no back-off), {} new 3-value SealedSecrets per scenario, \
         RSA-4096 (TEST-ONLY key)",
        r.backend.name(),
        r.cores,
        r.cores,
        r.connections,
        r.unseals
    );
    println!(
        "  anchor: raw {} RSA-4096 private op on 1 thread: {:.1} ops/s ({:.2} ms each), so a \
         1 MiB body of {} values costs {:.2} s of one core; load average {} before, {} after",
        r.backend.name(),
        r.anchor_ops_per_sec,
        1e3 / r.anchor_ops_per_sec,
        r.max_values,
        r.max_values as f64 / r.anchor_ops_per_sec,
        r.load_before,
        r.load_after
    );
    println!(
        "  longest API work between checkpoints (a reconcile's worst wait for a shared \
         worker): one RSA op, or parsing a maximal body: JSON ({} bytes) {}, YAML ({} bytes) {}",
        r.parse.json_bytes,
        ms(r.parse.json),
        r.parse.yaml_bytes,
        ms(r.parse.yaml)
    );
    for (scenario, result) in r.scenarios.iter().zip(&r.results) {
        let mut unseal = result.unseal.clone();
        unseal.sort_unstable();
        let mut probes = result.probes.clone();
        probes.sort_unstable();
        let p50 = percentile(&unseal, 50.0);
        println!(
            "  {}{}:",
            scenario.name,
            scenario
                .flood_values
                .map(|n| format!(" ({n} values per body)"))
                .unwrap_or_default()
        );
        println!(
            "    unseal latency of a new object: p50 {}, max {} ({:.2}× / {:.2}× the quiet p50)",
            ms(p50),
            ms(*unseal.last().unwrap()),
            p50.as_secs_f64() / quiet_p50.as_secs_f64(),
            unseal.last().unwrap().as_secs_f64() / quiet_p50.as_secs_f64()
        );
        if probes.is_empty() {
            println!("    /healthz: no probe completed");
        } else {
            println!(
                "    /healthz latency ({} probes): p50 {}, p99 {}, max {}",
                probes.len(),
                ms(percentile(&probes, 50.0)),
                ms(percentile(&probes, 99.0)),
                ms(*probes.last().unwrap())
            );
        }
        println!(
            "    controller RSS: {} before the flood, peak {}; SIGTERM to exit: {}",
            mib(result.rss_before_kib),
            mib(result.peak_rss_kib),
            ms(result.shutdown)
        );
        if scenario.flood_values.is_some() {
            let answers: Vec<String> = result
                .answers
                .iter()
                .map(|(status, n)| format!("{status}: {n}"))
                .collect();
            println!("    flood answers: {}", answers.join(", "));
        }
    }
}
