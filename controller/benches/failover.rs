//! Benchmark (not a test): how long the cluster is without a leader when the leader goes,
//! with two controller replicas against the fake API server in this process.
//!
//! Each trial starts replica A, waits until it leads, starts replica B (standby), then stops
//! A — cleanly (`shutdown`: the Lease is released) or as a crash (`abort`: the Lease stays
//! held until its term runs out) — and creates a SealedSecret at that instant. It measures,
//! from the stop:
//! - **takeover**: until B holds the leadership;
//! - **first unseal**: until the Secret of the object created at the stop exists (what a
//!   user waiting on a deploy sees).
//!
//! The anchor is the lease duration itself (the documented bound): takeover ÷ lease
//! duration is the figure that travels between settings. A clean stop waits for the
//! remaining term because kube-lease-manager's standby sleeps until the term it last saw
//! ends; a crash adds up to a second of its jitter.
//!
//! Run: `cargo bench -p sealant-controller --bench failover`
//! (`SEALANT_BENCH_TRIALS`, default 3 per kind; `SEALANT_BENCH_LEASE` seconds, default the
//! production 15 with a 5 s renew grace; a shorter lease uses a grace of a third of it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{CONTROLLER_NS, create_key_secret, load_key};

use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client, api::PostParams};
use sealant_api::{PlainSecret, SealOptions, SealedSecret, seal_secret};
use sealant_controller::{Flags, Running};
use sealant_crypto::{PrivateKey, Scope};
use std::time::{Duration, Instant};

const NS: &str = "bench";

fn main() {
    let trials: usize = env_number("SEALANT_BENCH_TRIALS").unwrap_or(3);
    let lease: u64 = env_number("SEALANT_BENCH_LEASE").unwrap_or(15);
    let grace = if lease == 15 { 5 } else { (lease / 3).max(1) };
    sealant_controller::install_tls_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(trials, lease, grace));
}

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok()?.parse().ok()
}

#[derive(Clone, Copy, Debug)]
enum Stop {
    Clean,
    Crash,
}

struct Trial {
    takeover: Duration,
    first_unseal: Duration,
}

async fn run(trials: usize, lease: u64, grace: u64) {
    let key = load_key();
    let server = fakekube::FakeKube::start(0).await.unwrap();
    let client = Client::try_from(kube::Config::new(server.url().parse().unwrap())).unwrap();
    create_key_secret(&client, &key).await;
    let flags = |id: &str| {
        <Flags as clap::Parser>::try_parse_from([
            "sealant-controller".to_owned(),
            format!("--controller-namespace={CONTROLLER_NS}"),
            format!("--leader-elect-lease-duration={lease}s"),
            format!("--leader-elect-renew-grace={grace}s"),
            format!("--leader-elect-id={id}"),
            "--key-renew-period=0".to_owned(),
        ])
        .unwrap()
    };

    let mut results: Vec<(Stop, Trial)> = Vec::new();
    let mut serial = 0;
    for stop in [Stop::Clean, Stop::Crash] {
        for _ in 0..trials {
            serial += 1;
            eprintln!("trial {serial}: {stop:?} stop ...");
            let a = sealant_controller::start(client.clone(), &flags(&format!("a{serial}")))
                .await
                .unwrap();
            wait_leading(&a, Duration::from_secs(lease * 3)).await;
            let b = sealant_controller::start(client.clone(), &flags(&format!("b{serial}")))
                .await
                .unwrap();
            assert!(!b.is_leader());
            let name = format!("late-{serial}");
            let sealed = seal_object(&key, &name);
            let stopped_at = Instant::now();
            match stop {
                Stop::Clean => a.shutdown().await,
                Stop::Crash => a.abort(),
            }
            Api::<SealedSecret>::namespaced(client.clone(), NS)
                .create(&PostParams::default(), &sealed)
                .await
                .unwrap();
            let takeover = {
                wait_leading(&b, Duration::from_secs(lease * 3)).await;
                stopped_at.elapsed()
            };
            let secrets: Api<Secret> = Api::namespaced(client.clone(), NS);
            while secrets.get_opt(&name).await.unwrap().is_none() {
                assert!(
                    stopped_at.elapsed() < Duration::from_secs(lease * 4),
                    "{name} never unsealed"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let first_unseal = stopped_at.elapsed();
            results.push((
                stop,
                Trial {
                    takeover,
                    first_unseal,
                },
            ));
            // B leaves cleanly, so the next trial's A takes a free Lease at once.
            b.shutdown().await;
        }
    }
    report(&results, lease, grace);
}

async fn wait_leading(running: &Running, within: Duration) {
    let mut leading = running.leadership();
    tokio::time::timeout(within, leading.wait_for(|l| *l))
        .await
        .expect("a replica became leader")
        .unwrap();
}

fn report(results: &[(Stop, Trial)], lease: u64, grace: u64) {
    println!();
    println!("## failover, lease {lease} s (renewed {grace} s before it ends)");
    println!();
    println!("| stop | trials | takeover mean / max | ÷ lease (max) | first unseal mean / max |");
    println!("|---|---|---|---|---|");
    for kind in [Stop::Clean, Stop::Crash] {
        let of_kind: Vec<&Trial> = results
            .iter()
            .filter(|(k, _)| {
                matches!(
                    (k, kind),
                    (Stop::Clean, Stop::Clean) | (Stop::Crash, Stop::Crash)
                )
            })
            .map(|(_, t)| t)
            .collect();
        if of_kind.is_empty() {
            continue;
        }
        let stats = |f: fn(&Trial) -> Duration| {
            let secs: Vec<f64> = of_kind.iter().map(|t| f(t).as_secs_f64()).collect();
            let mean = secs.iter().sum::<f64>() / secs.len() as f64;
            let max = secs.iter().cloned().fold(0.0, f64::max);
            (mean, max)
        };
        let (take_mean, take_max) = stats(|t| t.takeover);
        let (unseal_mean, unseal_max) = stats(|t| t.first_unseal);
        println!(
            "| {kind:?} | {} | {take_mean:.2} s / {take_max:.2} s | {:.2}× | {unseal_mean:.2} s / {unseal_max:.2} s |",
            of_kind.len(),
            take_max / lease as f64,
        );
    }
    println!();
}

fn seal_object(key: &PrivateKey, name: &str) -> SealedSecret {
    let secret = PlainSecret::from_literals(NS, name, &[("password", "failover-bench")]);
    let opts = SealOptions {
        scope: Some(Scope::Strict),
        ..SealOptions::default()
    };
    seal_secret(&secret, key.public_key(), &opts).unwrap()
}
