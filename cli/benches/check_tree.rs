//! Benchmark (not a test): `sealant check` over a generated tree of 5,000 manifest files
//! (a third plaintext Secrets, a third SealedSecrets, a third Deployments, some multi-doc),
//! against `grep -rl 'kind: Secret'` over the same tree in the same run. Median of 5 runs
//! each, alternated so background load hits both sides of the ratio.
//!
//! Run: `cargo bench -p sealant --bench check_tree`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const FILES: usize = 5_000;
const RUNS: usize = 5;

fn main() {
    let bin = env!("CARGO_BIN_EXE_sealant");
    let dir = tempfile::tempdir().unwrap();
    let bytes = generate(dir.path());

    let mut check_times = Vec::new();
    let mut grep_times = Vec::new();
    for _ in 0..RUNS {
        check_times.push(time(|| {
            let status = Command::new(bin)
                .args(["check", "--format", "json", "."])
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            // Findings expected: the tree holds plaintext Secrets.
            assert_eq!(status.code(), Some(1));
        }));
        grep_times.push(time(|| {
            let status = Command::new("grep")
                .args(["-rl", "kind: Secret", "."])
                .current_dir(dir.path())
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
        }));
    }
    print_table(bytes, median(check_times), median(grep_times));
}

/// The benchmark's row for docs/benchmarks.md, `sealant check` against the grep anchor.
fn print_table(bytes: u64, check: Duration, grep: Duration) {
    let rate = |d: Duration| FILES as f64 / d.as_secs_f64();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "tree: {FILES} files, {:.1} MiB; {RUNS} runs each, median; {cores} cores",
        bytes as f64 / (1024.0 * 1024.0)
    );
    println!("| tool | median | files/s | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| `sealant check` (full parse and rules) | {:.0} ms | {:.0} | {:.2}× grep's time |",
        ms(check),
        rate(check),
        check.as_secs_f64() / grep.as_secs_f64()
    );
    println!(
        "| `grep -rl 'kind: Secret'` (anchor) | {:.0} ms | {:.0} | 1.00 |",
        ms(grep),
        rate(grep)
    );
}

/// Writes the tree; returns its size in bytes.
fn generate(root: &Path) -> u64 {
    let envelope = {
        // A well-framed (not decryptable) 4096-bit envelope: u16be(512) ‖ 512 ‖ 48 bytes.
        let mut raw = vec![2u8, 0];
        raw.extend(std::iter::repeat_n(7u8, 512 + 48));
        base64_encode(&raw)
    };
    let mut total = 0u64;
    for i in 0..FILES {
        let dir = root.join(format!("team-{:02}/app-{:03}", i % 20, i % 250));
        std::fs::create_dir_all(&dir).unwrap();
        let (name, text) = match i % 3 {
            0 => (
                format!("secret-{i}.yaml"),
                format!(
                    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\n  namespace: ns{}\ntype: Opaque\nstringData:\n  user: bench-user\n  password: bench-value-{i}\n",
                    i % 20
                ),
            ),
            1 => (
                format!("sealed-{i}.yaml"),
                format!(
                    "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s{i}\n  namespace: ns{}\nspec:\n  encryptedData:\n    password: {envelope}\n    user: {envelope}\n  template:\n    metadata:\n      name: s{i}\n      namespace: ns{}\n    type: Opaque\n",
                    i % 20,
                    i % 20
                ),
            ),
            _ => (
                format!("deploy-{i}.yaml"),
                format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d{i}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: d{i}}}\n  template:\n    metadata:\n      labels: {{app: d{i}}}\n    spec:\n      containers:\n      - name: app\n        image: registry.example/app:{i}\n        ports: [{{containerPort: 8080}}]\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: d{i}\nspec:\n  ports: [{{port: 80, targetPort: 8080}}]\n"
                ),
            ),
        };
        total += text.len() as u64;
        std::fs::write(dir.join(name), text).unwrap();
    }
    total
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
