//! The image swap, as a Bitnami user makes it: the real `sealant-controller` binary runs with
//! the exact argument lists Bitnami's Helm chart renders (defaults, and every option
//! enabled) and with those of Bitnami's `controller.yaml`, carried over as data in
//! `tests/data/bitnami/`, and with the same settings given as Bitnami's `SEALED_SECRETS_*`
//! variables instead. Each run must start, become ready and unseal a SealedSecret.
//!
//! The only change made to a list: the chart's `:8080`/`:8081` listen addresses get free
//! ports in the same `:<port>` form, since tests run side by side on one machine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use sealant_crypto::Scope;
use std::{
    collections::BTreeMap,
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

/// One argument per line, `#` lines are comments.
fn bitnami_args(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/bitnami")
        .join(file);
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Bitnami's pflagenv rule: `--some-flag value` is `SEALED_SECRETS_SOME_FLAG=value`, and a
/// boolean flag given alone is `=true`.
fn as_env(args: &[String]) -> Vec<(String, String)> {
    let mut env = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].strip_prefix("--").expect("a flag");
        let name = format!("SEALED_SECRETS_{}", flag.to_uppercase().replace('-', "_"));
        match args.get(i + 1) {
            Some(value) if !value.starts_with("--") => {
                env.push((name, value.clone()));
                i += 2;
            }
            _ => {
                env.push((name, "true".to_owned()));
                i += 1;
            }
        }
    }
    env
}

/// Where the API and metrics servers of one run listen.
struct Ports {
    api: u16,
    metrics: u16,
}

impl Ports {
    fn free() -> Self {
        Self {
            api: free_port(),
            metrics: free_port(),
        }
    }

    /// The chart's listen addresses, moved to these ports in the same `:<port>` form.
    fn apply(&self, args: &[String]) -> Vec<String> {
        args.iter()
            .map(|a| match a.as_str() {
                ":8080" => format!(":{}", self.api),
                ":8081" => format!(":{}", self.metrics),
                _ => a.clone(),
            })
            .collect()
    }
}

/// The binary as the image runs it: `args` exactly, `env` added, and what a Pod provides
/// (its namespace; the cluster through a kubeconfig here); stdout and stderr into `log`.
fn spawn(h: &Harness, dir: &Path, args: &[String], env: &[(String, String)]) -> Child {
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, fakekube::kubeconfig(&h.fake.url())).unwrap();
    let log = std::fs::File::create(dir.join("log")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_sealant-controller"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("KUBECONFIG", &kubeconfig)
        .env("POD_NAMESPACE", CONTROLLER_NS)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn status(url: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent.get(url).call().map_or(0, |r| r.status().as_u16())
}

/// Start the binary with `args` and `env`, and require: ready on `/readyz`, and a new
/// SealedSecret unsealed into its Secret. Bounded waits; the log is shown on failure.
async fn starts_ready_and_unseals(args: &[String], env: &[(String, String)], ports: &Ports) {
    let h = Harness::new().await;
    // Dated now, so the chart's renewal periods and cut-off leave it the newest key (no
    // 4096-bit key to generate).
    h.add_key_secret('a', time::OffsetDateTime::now_utc()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn(&h, dir.path(), args, env);
    let log = || std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
    let fail = |child: &mut Child, what: &str| -> ! {
        let exited = child.try_wait().unwrap();
        let _ = child.kill();
        panic!(
            "{what} (args {args:?}, env {env:?}, exit {exited:?}):\n{}",
            log()
        )
    };

    let deadline = Instant::now() + Duration::from_secs(60);
    while status(&format!("http://127.0.0.1:{}/readyz", ports.api)) != 200 {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            fail(&mut child, "never ready");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        status(&format!("http://127.0.0.1:{}/metrics", ports.metrics)),
        200
    );

    h.create_sealed(&seal(
        &test_key('a'),
        "app",
        "db",
        Scope::Strict,
        &[("password", "hunter2")],
    ))
    .await;
    let want = BTreeMap::from([("password".to_owned(), "hunter2".to_owned())]);
    while h.secret_data("app", "db").await.as_ref() != Some(&want) {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            fail(&mut child, "never unsealed");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_default_args() {
    let ports = Ports::free();
    let args = ports.apply(&bitnami_args("chart-2.19.1-defaults.args"));
    starts_ready_and_unseals(&args, &[], &ports).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_all_options_args() {
    let ports = Ports::free();
    let args = ports.apply(&bitnami_args("chart-2.19.1-all-options.args"));
    starts_ready_and_unseals(&args, &[], &ports).await;
}

/// `controller.yaml` passes no arguments; the ports come from Bitnami's variables (its
/// pflagenv covers `--listen-addr` too), since the defaults `:8080`/`:8081` may be taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_yaml_args() {
    let args = bitnami_args("controller-yaml.args");
    assert!(args.is_empty());
    let ports = Ports::free();
    let env = vec![
        (
            "SEALED_SECRETS_LISTEN_ADDR".to_owned(),
            format!(":{}", ports.api),
        ),
        (
            "SEALED_SECRETS_LISTEN_METRICS_ADDR".to_owned(),
            format!(":{}", ports.metrics),
        ),
    ];
    starts_ready_and_unseals(&args, &env, &ports).await;
}

/// Every option of the chart, as `SEALED_SECRETS_*` variables and no arguments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_all_options_as_environment() {
    let ports = Ports::free();
    let args = ports.apply(&bitnami_args("chart-2.19.1-all-options.args"));
    let mut env = as_env(&args);
    assert!(env.contains(&("SEALED_SECRETS_SKIP_RECREATE".to_owned(), "true".to_owned())));
    // Go's other boolean spellings, as an operator may write them.
    for (name, value) in &mut env {
        if name == "SEALED_SECRETS_WATCH_FOR_SECRETS" {
            *value = "1".to_owned();
        }
        if name == "SEALED_SECRETS_UPDATE_STATUS" {
            *value = "True".to_owned();
        }
    }
    starts_ready_and_unseals(&[], &env, &ports).await;
}

/// Bitnami's deprecated `--rotate-period` (and its variable) works where
/// `--key-renew-period` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deprecated_rotate_period() {
    let ports = Ports::free();
    let mut args = ports.apply(&bitnami_args("chart-2.19.1-defaults.args"));
    args.extend(["--rotate-period".to_owned(), "720h".to_owned()]);
    starts_ready_and_unseals(&args, &[], &ports).await;
}

/// The final stage of the repository's Dockerfile: its instructions, continuation lines
/// joined, comments dropped.
fn final_stage() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Dockerfile");
    let text = std::fs::read_to_string(path).unwrap();
    let mut instructions: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && pending.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => pending.push_str(part),
            None => {
                pending.push_str(line);
                instructions.push(std::mem::take(&mut pending));
            }
        }
    }
    let last_from = instructions
        .iter()
        .rposition(|i| i.starts_with("FROM "))
        .unwrap();
    instructions.split_off(last_from)
}

/// No docker here: the Dockerfile itself is read. Its final stage must put the controller
/// binary on PATH as `controller` (what Bitnami's manifests run), keep `/sealant-controller`
/// (the entrypoint), and stay distroless and non-root.
#[test]
fn image_has_controller_on_path() {
    let stage = final_stage();
    assert!(stage[0].contains("gcr.io/distroless/"), "{}", stage[0]);
    let copies: Vec<(String, String)> = stage
        .iter()
        .filter_map(|i| i.strip_prefix("COPY "))
        .map(|rest| {
            let words: Vec<&str> = rest
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            assert_eq!(words.len(), 2, "one source, one destination: {rest}");
            (words[0].to_owned(), words[1].to_owned())
        })
        .collect();
    let source_of = |dest: &str| {
        copies
            .iter()
            .find(|(_, d)| d == dest)
            .map(|(s, _)| s.clone())
    };
    let entrypoint = source_of("/sealant-controller").expect("/sealant-controller is copied");
    let path = stage
        .iter()
        .rev()
        .find_map(|i| i.strip_prefix("ENV PATH="))
        .expect("the final stage sets PATH");
    let on_path = path
        .trim_matches('"')
        .split(':')
        .find_map(|dir| source_of(&format!("{}/controller", dir.trim_end_matches('/'))));
    assert_eq!(
        on_path.as_deref(),
        Some(entrypoint.as_str()),
        "`controller` on PATH ({path}) is the controller binary"
    );
    assert!(
        stage
            .iter()
            .any(|i| i == r#"ENTRYPOINT ["/sealant-controller"]"#),
        "{stage:?}"
    );
    let user = stage
        .iter()
        .rev()
        .find_map(|i| i.strip_prefix("USER "))
        .expect("a USER");
    let uid = user.split(':').next().unwrap();
    assert!(uid != "0" && uid != "root", "non-root: {user}");
}
