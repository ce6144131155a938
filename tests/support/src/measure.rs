//! Measuring helpers shared by the benchmarks: the raw RSA anchor, CPU time from
//! `/proc`, and the load average.

// Bench-only code: a measuring thread that panicked is a broken benchmark.
#![allow(clippy::unwrap_used)]

use crate::bench_anchor::raw_private_op;
use sealant_crypto::{Backend, PrivateKey};
use std::{
    process::Command,
    time::{Duration, Instant},
};

/// How long the anchor runs.
pub const ANCHOR_SECS: f64 = 3.0;

/// One measurement of the anchor.
#[derive(Clone, Copy)]
pub struct Anchor {
    /// Operations per wall-clock second, all threads together.
    pub per_sec: f64,
    /// Operations per CPU-second the threads actually got (what one core does).
    pub per_cpu_sec: Option<f64>,
}

/// The bare RSA-OAEP private operation of `backend` on `threads` threads for
/// [`ANCHOR_SECS`]: total operations per second, and per CPU-second of the threads
/// (insensitive to other load on the machine).
pub fn measure_anchor(backend: Backend, key: &PrivateKey, threads: usize) -> Anchor {
    let budget = Duration::from_secs_f64(ANCHOR_SECS);
    let results: Vec<(u64, f64, Option<f64>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                // Built on this thread, then moved: the closure is `Send`.
                let mut op = raw_private_op(backend, key);
                scope.spawn(move || {
                    op(); // untimed: first-use costs (page faults, lazy tables)
                    let cpu_start = cpu_secs("thread-self");
                    let start = Instant::now();
                    let mut done = 0u64;
                    while start.elapsed() < budget {
                        op();
                        done += 1;
                    }
                    let wall = start.elapsed().as_secs_f64();
                    let cpu = cpu_start.zip(cpu_secs("thread-self")).map(|(a, b)| b - a);
                    (done, wall, cpu)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let ops: u64 = results.iter().map(|r| r.0).sum();
    let cpu: Option<f64> = results.iter().map(|r| r.2).sum();
    Anchor {
        per_sec: results.iter().map(|r| r.0 as f64 / r.1).sum(),
        per_cpu_sec: cpu.filter(|&c| c > 0.0).map(|c| ops as f64 / c),
    }
}

/// User + system CPU time of `/proc/<task>` ("self", "thread-self" or a pid), in seconds.
/// For a process this includes its threads that have already exited.
pub fn cpu_secs(task: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{task}/stat")).ok()?;
    // The command name is parenthesised and may hold spaces: count fields after it
    // (state is field 3, utime 14, stime 15).
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / clock_ticks_per_sec())
}

fn clock_ticks_per_sec() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// The 1-minute load average, to show how busy the machine was.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "n/a".to_owned())
}
