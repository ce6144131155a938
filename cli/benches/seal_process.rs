//! Benchmark (not a test): wall time of one `sealant seal` process, start to exit, for a
//! 10-key Secret and a local RSA-4096 certificate. Median of 20 runs.
//!
//! Anchor, measured in the same run: the same number of `openssl x509 -noout -in cert`
//! processes (parse one certificate and exit), so the figure reads as a ratio to a
//! minimal native process that also touches the certificate.
//!
//! Run: `cargo bench -p sealant --bench seal_process`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const RUNS: usize = 20;
const KEYS: usize = 10;

fn main() {
    let bin = env!("CARGO_BIN_EXE_sealant");
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let status = Command::new(bin)
        .args(["keys", "generate", "--out"])
        .arg(&keys)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let cert = keys.join("cert.pem");
    let secret = dir.path().join("secret.yaml");
    std::fs::write(&secret, ten_key_secret()).unwrap();

    let seal = median(RUNS, || {
        let out = Command::new(bin)
            .args(["seal", "--cert"])
            .arg(&cert)
            .arg("-f")
            .arg(&secret)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(out.success());
    });
    print_table(seal, openssl_anchor(&cert));
}

/// The benchmark's rows for docs/benchmarks.md: `sealant seal` against the openssl anchor.
fn print_table(seal: Duration, anchor: Option<Duration>) {
    println!("sealant seal process, {KEYS}-key Secret, RSA-4096 local certificate ({RUNS} runs)");
    println!("| measurement | median | ratio |");
    println!("|---|---|---|");
    println!(
        "| `sealant seal` start to exit | {:.1} ms | 1.00 |",
        ms(seal)
    );
    match anchor {
        Some(a) => println!(
            "| `openssl x509 -noout` start to exit (anchor) | {:.1} ms | {:.2}× of sealant |",
            ms(a),
            a.as_secs_f64() / seal.as_secs_f64()
        ),
        None => println!("| openssl anchor | not available | - |"),
    }
    println!(
        "target: sealant seal under 30 ms → {}",
        if ms(seal) < 30.0 { "met" } else { "NOT met" }
    );
}

fn openssl_anchor(cert: &Path) -> Option<Duration> {
    Command::new("openssl").arg("version").output().ok()?;
    Some(median(RUNS, || {
        let ok = Command::new("openssl")
            .args(["x509", "-noout", "-in"])
            .arg(cert)
            .status()
            .unwrap();
        assert!(ok.success());
    }))
}

fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm the page cache
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples[runs / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ten_key_secret() -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: bench\n  namespace: default\nstringData:\n",
    );
    for i in 0..KEYS {
        s.push_str(&format!("  key{i}: value-number-{i}-with-some-length\n"));
    }
    s
}
