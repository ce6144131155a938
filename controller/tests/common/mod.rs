//! Shared harness: a fake API server on 127.0.0.1, test-only keys stored as Bitnami key
//! Secrets, the real controller started in-process, and helpers to seal and to wait.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod flood_values;

use k8s_openapi::{
    ByteString,
    api::core::v1::{ConfigMap, Secret},
};
use kube::{Api, Client, api::PostParams};
use sealant_api::{PlainSecret, SealOptions, SealedSecret, seal_secret};
use sealant_controller::{
    Flags, Running, Servers, Services, StatsSnapshot, keys::build_key_secret, start_servers,
    start_with,
};
use sealant_crypto::{PrivateKey, PublicKey, Scope};
use sealant_keys::{CertificateOptions, self_signed_certificate};
// Each test binary uses its own share of `common`.
#[allow(unused_imports)]
pub use sealant_test_support::cluster::free_port;
use sealant_test_support::{cluster::start_fake, test_keys};
use std::{collections::BTreeMap, future::Future, time::Duration};
use time::{OffsetDateTime, macros::datetime};

pub const CONTROLLER_NS: &str = "kube-system";

/// TEST-ONLY keys from the repository (never use outside tests): `a`, `b`, else `c`.
pub fn test_key(which: char) -> PrivateKey {
    test_keys::key(match which {
        'a' => test_keys::RSA2048_A,
        'b' => test_keys::RSA2048_B,
        _ => test_keys::RSA2048_C,
    })
}

/// A copy of the public key (PrivateKey is deliberately not Clone).
pub fn public_key(key: &PrivateKey) -> PublicKey {
    PublicKey::from_spki_der(key.public_key().spki_der()).unwrap()
}

pub struct Harness {
    pub fake: fakekube::Running,
    pub client: Client,
}

impl Harness {
    pub async fn new() -> Self {
        // SEALANT_TEST_LOG=debug (or any tracing directives) shows the controller's logs.
        if let Ok(directives) = std::env::var("SEALANT_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(directives))
                .with_test_writer()
                .try_init();
        }
        let (fake, client) = start_fake().await;
        Self { fake, client }
    }

    /// A harness whose controller namespace already holds key `which`.
    pub async fn with_key(which: char) -> Self {
        let h = Self::new().await;
        h.add_key_secret(which, datetime!(2025-01-01 0:00 UTC))
            .await;
        h
    }

    /// Store test key `which` as a Bitnami key Secret whose certificate starts at `not_before`.
    pub async fn add_key_secret(&self, which: char, not_before: OffsetDateTime) -> String {
        let key = test_key(which);
        let cert = self_signed_certificate(&key, &CertificateOptions::new(not_before)).unwrap();
        let secret = build_key_secret(CONTROLLER_NS, "sealed-secrets-key", &key, &cert).unwrap();
        let created = self
            .secrets(CONTROLLER_NS)
            .create(&PostParams::default(), &secret)
            .await
            .unwrap();
        created.metadata.name.unwrap()
    }

    pub fn secrets(&self, ns: &str) -> Api<Secret> {
        Api::namespaced(self.client.clone(), ns)
    }

    pub fn sealed(&self, ns: &str) -> Api<SealedSecret> {
        Api::namespaced(self.client.clone(), ns)
    }

    /// Start the controller with test-friendly retry timing plus `extra` flags, and wait
    /// until it leads and holds a key (it is the only replica; HA tests use
    /// [`Harness::start_replica`]).
    pub async fn start_controller(&self, extra: &[&str]) -> Running {
        let running = self.start_replica(extra).await;
        let mut leading = running.leadership();
        let started = async {
            leading.wait_for(|l| *l).await.unwrap();
            let mut changes = running.keys().subscribe_changes();
            while running.keys().ring().is_empty() {
                changes.changed().await.unwrap();
            }
        };
        tokio::time::timeout(Duration::from_secs(20), started)
            .await
            .expect("the only replica leads and holds a key within 20 s");
        running
    }

    /// Start the controller without waiting for leadership.
    pub async fn start_replica(&self, extra: &[&str]) -> Running {
        let flags = test_flags(extra);
        sealant_controller::start(self.client.clone(), &flags)
            .await
            .unwrap()
    }

    /// The production wiring (`start_servers` + `start_with`, one RSA pool for reconciles
    /// and the API), with the API on an ephemeral port (and metrics, unless `extra`
    /// overrides `--listen-metrics-addr`). Does not wait for leadership.
    pub async fn start_with_servers(&self, extra: &[&str]) -> (Running, Servers) {
        let mut args = vec![
            "--listen-addr=127.0.0.1:0",
            "--listen-metrics-addr=127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        let flags = test_flags(&args);
        let services = Services::from_flags(&flags);
        let servers = start_servers(&flags, &services).await.unwrap();
        let running = start_with(self.client.clone(), &flags, services)
            .await
            .unwrap();
        (running, servers)
    }

    /// Create SealedSecrets `s0`…`s{count-1}` in `ns`, each of one value, sealed
    /// strict-scope for test key `which`.
    pub async fn create_numbered(&self, which: char, ns: &str, count: usize) {
        let key = test_key(which);
        for i in 0..count {
            let name = format!("s{i}");
            self.create_sealed(&seal(&key, ns, &name, Scope::Strict, &[("v", "1")]))
                .await;
        }
    }

    /// A client for the test's own requests: they carry `Impersonate-User: test-driver`, so
    /// the fake's request log tells them from the controller's.
    pub fn driver(&self) -> Client {
        let mut config = kube::Config::new(self.fake.url().parse().unwrap());
        config.headers.push((
            http::HeaderName::from_static("impersonate-user"),
            http::HeaderValue::from_static("test-driver"),
        ));
        Client::try_from(config).unwrap()
    }

    /// Wait until the controller's Secret watch over all namespaces has listed every
    /// Secret: its watch request follows the list, so from then on a Secret it has never
    /// shown counts as absent. (The key Secret watch is namespaced: not this one.)
    pub async fn wait_for_secret_watch(&self, running: &Running) {
        eventually(running, "the Secret watch", || async {
            self.fake
                .fake
                .request_log()
                .iter()
                .any(|r| r.resource == "secrets" && r.verb == "watch" && r.namespace.is_empty())
        })
        .await;
    }

    /// How many `verb` requests for `resource` in `ns` reached the fake.
    pub fn requests(&self, verb: &str, resource: &str, ns: &str) -> usize {
        self.fake
            .fake
            .request_log()
            .iter()
            .filter(|r| r.verb == verb && r.resource == resource && r.namespace == ns)
            .count()
    }

    /// Delete SealedSecret `ns/name` and wait until garbage collection has removed its
    /// Secret too.
    pub async fn delete_sealed_and_wait(&self, running: &Running, ns: &str, name: &str) {
        self.sealed(ns)
            .delete(name, &Default::default())
            .await
            .unwrap();
        eventually(running, "Secret collected", || async {
            self.secret(ns, name).await.is_none()
        })
        .await;
    }

    /// Ask the controller to retire the key in key Secret `name` (its retire annotation,
    /// stamped `at`).
    pub async fn request_retire(&self, name: &str, at: &str) {
        let body = serde_json::json!({
            "metadata": { "annotations": { sealant_api::contract::RETIRE_REQUESTED_AT: at } }
        });
        self.secrets(CONTROLLER_NS)
            .patch(
                name,
                &kube::api::PatchParams::default(),
                &kube::api::Patch::Merge(&body),
            )
            .await
            .unwrap();
    }

    /// The notes of every `KeyRetireRefused` Event in the controller's namespace.
    pub async fn retire_refusals(&self) -> Vec<String> {
        Api::<k8s_openapi::api::events::v1::Event>::namespaced(self.client.clone(), CONTROLLER_NS)
            .list(&kube::api::ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| {
                e.reason.as_deref() == Some(sealant_api::contract::REASON_KEY_RETIRE_REFUSED)
            })
            .filter_map(|e| e.note)
            .collect()
    }

    pub async fn create_sealed(&self, ss: &SealedSecret) -> SealedSecret {
        let ns = ss.metadata.namespace.clone().unwrap();
        self.sealed(&ns)
            .create(&PostParams::default(), ss)
            .await
            .unwrap()
    }

    pub async fn secret(&self, ns: &str, name: &str) -> Option<Secret> {
        self.secrets(ns).get_opt(name).await.unwrap()
    }

    /// The decoded data of Secret ns/name, if it exists.
    pub async fn secret_data(&self, ns: &str, name: &str) -> Option<BTreeMap<String, String>> {
        let secret = self.secret(ns, name).await?;
        Some(
            secret
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, String::from_utf8(v.0).unwrap()))
                .collect(),
        )
    }

    /// True when namespace `ns` holds exactly `n` SealedSecrets, each `Synced=True` for its
    /// current generation.
    pub async fn all_synced(&self, ns: &str, n: usize) -> bool {
        let list = self
            .sealed(ns)
            .list(&kube::api::ListParams::default())
            .await
            .unwrap();
        list.items.len() == n
            && list.items.iter().all(|ss| {
                ss.status.as_ref().is_some_and(|s| {
                    s.conditions
                        .iter()
                        .any(|c| c.type_ == "Synced" && c.status == "True")
                        && s.observed_generation == ss.metadata.generation
                })
            })
    }

    /// The Synced condition's (status, reason, message) of SealedSecret ns/name.
    pub async fn synced(&self, ns: &str, name: &str) -> Option<(String, String, String)> {
        let ss = self.sealed(ns).get_opt(name).await.unwrap()?;
        let c = ss
            .status?
            .conditions
            .into_iter()
            .find(|c| c.type_ == "Synced")?;
        Some((
            c.status,
            c.reason.unwrap_or_default(),
            c.message.unwrap_or_default(),
        ))
    }
}

/// Wait until the certificate ConfigMap exists (read through `configmaps`, whose client
/// may be a test's own) and return it.
pub async fn published_certificates(running: &Running, configmaps: &Api<ConfigMap>) -> ConfigMap {
    let read = || async {
        configmaps
            .get_opt(sealant_api::contract::CERTIFICATES_CONFIGMAP)
            .await
            .unwrap()
    };
    eventually(running, "certificates published", || async {
        read().await.is_some()
    })
    .await;
    read().await.unwrap()
}

/// A plain Secret with string values.
pub fn plain(ns: &str, name: &str, data: &[(&str, &str)]) -> PlainSecret {
    PlainSecret::from_literals(ns, name, data)
}

/// Seal `data` for ns/name with `key` and `scope`.
pub fn seal(
    key: &PrivateKey,
    ns: &str,
    name: &str,
    scope: Scope,
    data: &[(&str, &str)],
) -> SealedSecret {
    seal_plain(key, &plain(ns, name, data), scope)
}

pub fn seal_plain(key: &PrivateKey, secret: &PlainSecret, scope: Scope) -> SealedSecret {
    let opts = SealOptions {
        scope: Some(scope),
        ..SealOptions::default()
    };
    seal_secret(secret, &public_key(key), &opts).unwrap()
}

pub fn bytes(s: &str) -> ByteString {
    ByteString(s.as_bytes().to_vec())
}

/// Wait until `check` holds, re-checking after each reconcile and at least every 25 ms
/// (some conditions follow watch events rather than reconciles). Fails after 20 s.
pub async fn eventually<F, Fut>(running: &Running, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let mut progress = running.context.stats.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if check().await {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "timed out waiting for: {what} (stats {:?})",
                running.context.stats.snapshot()
            );
        }
        let _ = tokio::time::timeout(Duration::from_millis(25), progress.changed()).await;
    }
}

pub fn stats(running: &Running) -> StatsSnapshot {
    running.context.stats.snapshot()
}

/// The tests' flags (later flags win, as in Go): fast retries, 2048-bit keys, no renewal
/// (test keys are dated in the past; renewal has its own tests), then `extra`.
pub fn test_flags(extra: &[&str]) -> Flags {
    let mut args = vec![
        "sealant-controller",
        "--controller-namespace=kube-system",
        "--retry-base=20ms",
        "--retry-max=500ms",
        "--key-size=2048",
        "--key-renew-period=0",
    ];
    args.extend_from_slice(extra);
    <Flags as clap::Parser>::try_parse_from(args).unwrap()
}

/// Wait until `running` leads (at most 20 s).
pub async fn wait_until_leading(running: &Running) {
    tokio::time::timeout(
        Duration::from_secs(20),
        running.leadership().wait_for(|l| *l),
    )
    .await
    .expect("the replica leads within 20 s")
    .unwrap();
}

/// The PEM certificate of the key `running` seals with (its newest).
pub fn newest_cert_pem(running: &Running) -> String {
    running
        .keys()
        .ring()
        .newest()
        .expect("the ring holds a key")
        .certificate()
        .expect("the newest key has a certificate")
        .to_pem()
}

impl Harness {
    /// The real `sealant-controller` binary against this fake: a kubeconfig written into
    /// `dir`, then `args`; stdout and stderr both into `stderr_log` (read it for logs: info
    /// lines go to stdout by default, as Bitnami's `--log-info-stdout`).
    pub fn spawn_binary(
        &self,
        dir: &std::path::Path,
        args: &[&str],
        stderr_log: &std::path::Path,
    ) -> std::process::Child {
        let kubeconfig = dir.join("kubeconfig");
        std::fs::write(&kubeconfig, fakekube::kubeconfig(&self.fake.url())).unwrap();
        // One open file for both streams: they share its offset, so neither overwrites the other.
        let log = std::fs::File::create(stderr_log).unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_sealant-controller"))
            .arg(format!("--kubeconfig={}", kubeconfig.display()))
            .args(args)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap()
    }
}

/// GET `url` off the async workers: (status, body). Any status is an answer.
pub async fn http_get(url: String) -> (u16, String) {
    http_call(url, None).await
}

/// POST `body` to `url` off the async workers: (status, body).
pub async fn http_post(url: String, body: Vec<u8>) -> (u16, String) {
    http_call(url, Some(body)).await
}

async fn http_call(url: String, body: Option<Vec<u8>>) -> (u16, String) {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut resp = match body {
            Some(body) => agent.post(&url).send(&body[..]).unwrap(),
            None => agent.get(&url).call().unwrap(),
        };
        (
            resp.status().as_u16(),
            resp.body_mut().read_to_string().unwrap(),
        )
    })
    .await
    .unwrap()
}
