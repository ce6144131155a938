//! The cluster-connected CLI against the stateful fake API server, with the real controller
//! (in-process) behind its service proxy: certificate sources and their order, the cache
//! TTL, pinning, unreachable controllers, `validate`, and kubeseal mode's `--fetch-cert` and
//! `--validate` against a controller that serves only the proxy path (as Bitnami's does).
//! Every run goes through a kubeconfig file that points at the fake.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::controller::{
    CONTROLLER_NS, CONTROLLER_SVC, FakeCluster, controller_flags, fake_cluster,
};

use common::{BIN, kubeseal_path, path_str, run_command, stderr, stdout};
use sealant_controller::{
    KeyStore, RsaPool, Running, Services,
    http::{HttpState, Limits, Readiness, serve},
    keys::build_key_secret,
    start_servers, start_with,
};
use sealant_keys::{
    Certificate, CertificateOptions, KeyEntry, read_private_keys, self_signed_certificate,
};
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    time::Duration,
};
use time::macros::datetime;

const CONFIGMAP: &str = "sealant-certificates";

/// TEST-ONLY key from the repository.
fn test_key() -> sealant_crypto::PrivateKey {
    let pem = include_bytes!("../../keys/tests/data/test-only-rsa2048-a.pkcs1.pem");
    read_private_keys(pem).unwrap().remove(0).key
}

fn test_cert(key: &sealant_crypto::PrivateKey) -> Certificate {
    self_signed_certificate(
        key,
        &CertificateOptions::new(datetime!(2025-01-01 0:00 UTC)),
    )
    .unwrap()
}

/// What runs behind the fake's service proxy.
enum Backend {
    /// Nothing: no controller, no ConfigMap, no Service.
    None,
    /// The real controller (keys from the API, ConfigMap published) and its HTTP API.
    Controller,
    /// Only the controller's HTTP API (no ConfigMap), as Bitnami's controller behaves.
    ProxyOnly,
}

struct Cluster {
    _rt: tokio::runtime::Runtime,
    fake: fakekube::Running,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    cert_pem: String,
    fingerprint: String,
    _running: Option<Running>,
}

impl Cluster {
    fn start(backend: Backend) -> Self {
        let FakeCluster {
            rt,
            fake,
            dir,
            kubeconfig,
            ..
        } = fake_cluster();
        let key = test_key();
        let cert = test_cert(&key);
        let cert_pem = cert.to_pem();
        let fingerprint = cert.fingerprint().to_hex();
        let running = match backend {
            Backend::None => None,
            Backend::Controller => Some(rt.block_on(start_controller(&fake, &key, &cert))),
            Backend::ProxyOnly => {
                let addr = rt.block_on(serve_http_only(key, cert));
                fake.fake
                    .register_service(CONTROLLER_NS, CONTROLLER_SVC, addr);
                None
            }
        };
        Self {
            _rt: rt,
            fake,
            dir,
            kubeconfig,
            cert_pem,
            fingerprint,
            _running: running,
        }
    }

    fn kubeconfig(&self) -> &str {
        path_str(&self.kubeconfig)
    }

    /// Requests that reached the fake (any verb, any resource).
    fn requests(&self) -> usize {
        self.fake.fake.request_count("*", "*")
    }

    /// `sealant ARGS --kubeconfig K`, with HOME and the cache inside the test's directory.
    fn sealant(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut all = args.to_vec();
        all.extend(["--kubeconfig", self.kubeconfig()]);
        self.run(Path::new(BIN), &all, stdin, &[])
    }

    fn run(
        &self,
        program: &Path,
        args: &[&str],
        stdin: Option<&[u8]>,
        env: &[(&str, &str)],
    ) -> Output {
        let mut cmd = Command::new(program);
        cmd.env_remove("SEALANT_CERT_CACHE_TTL")
            .env("HOME", self.dir.path())
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"));
        run_command(cmd, args, stdin, env)
    }

    fn cache_files(&self) -> Vec<PathBuf> {
        let dir = self.dir.path().join("cache/sealant/certificates");
        match std::fs::read_dir(dir) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Make the one cache entry `age` old.
    fn age_cache(&self, age: Duration) {
        let [file] = self.cache_files().try_into().unwrap();
        let mut entry: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let fetched = entry["fetchedAt"].as_u64().unwrap();
        entry["fetchedAt"] = (fetched - age.as_secs()).into();
        std::fs::write(&file, serde_json::to_string(&entry).unwrap()).unwrap();
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

/// The real controller against the fake, its API behind the service proxy; returns once the
/// certificate ConfigMap is published.
async fn start_controller(
    fake: &fakekube::Running,
    key: &sealant_crypto::PrivateKey,
    cert: &Certificate,
) -> Running {
    let client = kube::Client::try_from(kube::Config::new(fake.url().parse().unwrap())).unwrap();
    let secret = build_key_secret(CONTROLLER_NS, "sealed-secrets-key", key, cert).unwrap();
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(client.clone(), CONTROLLER_NS);
    secrets.create(&Default::default(), &secret).await.unwrap();
    let flags = controller_flags();
    let services = Services::new(1);
    let servers = start_servers(&flags, &services).await.unwrap();
    fake.fake
        .register_service(CONTROLLER_NS, CONTROLLER_SVC, servers.api_addr.unwrap());
    std::mem::forget(servers); // serves until the runtime is dropped
    let running = start_with(client, &flags, services).await.unwrap();
    let published = fake
        .fake
        .wait_until(Duration::from_secs(20), |f| {
            f.object("configmaps", CONTROLLER_NS, CONFIGMAP).is_some()
        })
        .await;
    assert!(
        published,
        "the controller publishes its certificate ConfigMap"
    );
    running
}

/// Only the controller's HTTP API over a key store holding the key.
async fn serve_http_only(
    key: sealant_crypto::PrivateKey,
    cert: Certificate,
) -> std::net::SocketAddr {
    let keys = KeyStore::new();
    keys.apply(
        "sealed-secrets-keyabcde",
        KeyEntry::new(key, Some(cert)).unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = HttpState::new(keys, RsaPool::new(1), Readiness::new(), Limits::default()).unwrap();
    tokio::spawn(serve(listener, state, std::future::pending::<()>()));
    addr
}

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: team\nstringData:\n  password: hunter2\n";

#[test]
fn configmap_first_then_fresh_cache_without_touching_the_cluster() {
    let c = Cluster::start(Backend::Controller);
    let before = c.fake.fake.request_count("get", "configmaps");
    let out = c.sealant(&["cert", "fetch"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), c.cert_pem);
    let err = stderr(&out);
    assert!(
        err.contains("ConfigMap kube-system/sealant-certificates"),
        "{err}"
    );
    assert!(err.contains(&c.fingerprint), "{err}");
    assert_eq!(c.fake.fake.request_count("get", "configmaps"), before + 1);
    assert_eq!(
        c.fake.fake.request_count("*", "services/proxy"),
        0,
        "ConfigMap comes first"
    );
    assert_eq!(c.cache_files().len(), 1);

    // Fresh cache: no request reaches the cluster at all.
    let requests = c.requests();
    let out = c.sealant(&["cert", "fetch"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), c.cert_pem);
    let err = stderr(&out);
    assert!(
        err.contains("local cache") && err.contains(&c.fingerprint),
        "{err}"
    );
    assert_eq!(c.requests(), requests, "a fresh cache needs no request");

    // Expired (older than the TTL): fetched again.
    c.age_cache(Duration::from_secs(2 * 3600));
    let out = c.sealant(&["cert", "fetch", "--cert-cache-ttl", "1h"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("ConfigMap"), "{}", stderr(&out));
    assert_eq!(c.fake.fake.request_count("get", "configmaps"), before + 2);
    // ... and the refetch refreshed the entry: within 1h it is fresh again.
    let requests = c.requests();
    let out = c.sealant(&["cert", "fetch", "--cert-cache-ttl", "1h"], None);
    assert!(stderr(&out).contains("local cache"), "{}", stderr(&out));
    assert_eq!(c.requests(), requests);
    // TTL 0 always asks the cluster.
    let out = c.sealant(&["cert", "fetch", "--cert-cache-ttl", "0"], None);
    assert!(stderr(&out).contains("ConfigMap"), "{}", stderr(&out));
    assert_eq!(c.fake.fake.request_count("get", "configmaps"), before + 3);
}

#[test]
fn service_proxy_when_the_configmap_is_forbidden_and_kubeconfig_from_env() {
    let c = Cluster::start(Backend::Controller);
    c.fake.fake.inject_fault("get", "configmaps", 403, 1);
    // $KUBECONFIG instead of --kubeconfig.
    let out = c.run(
        Path::new(BIN),
        &["cert", "fetch"],
        None,
        &[("KUBECONFIG", c.kubeconfig())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), c.cert_pem);
    let err = stderr(&out);
    assert!(
        err.contains("service proxy kube-system/http:sealed-secrets-controller:http"),
        "{err}"
    );
    assert!(err.contains(&c.fingerprint), "{err}");
    assert_eq!(c.fake.fake.request_count("get", "services/proxy"), 1);
}

#[test]
fn seal_without_cert_uses_the_cluster_and_pins() {
    let c = Cluster::start(Backend::Controller);
    let out = c.sealant(
        &["seal", "--cert-fingerprint", &c.fingerprint],
        Some(SECRET.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("kind: SealedSecret"));
    assert!(stderr(&out).contains(&c.fingerprint));
    // The sealed object is valid for the controller.
    let sealed = c.write("sealed.yaml", &stdout(&out));
    let out = c.sealant(&["validate", path_str(&sealed)], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("valid: team/db"), "{}", stderr(&out));

    // A different pin refuses, whichever source (cache here, then the cluster).
    let wrong = "00".repeat(32);
    for ttl in ["24h", "0"] {
        let out = c.sealant(
            &[
                "seal",
                "--cert-fingerprint",
                &wrong,
                "--cert-cache-ttl",
                ttl,
            ],
            Some(SECRET.as_bytes()),
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
        let err = stderr(&out);
        assert!(
            err.contains("refusing to seal") && err.contains(&wrong),
            "{err}"
        );
        assert!(!err.contains("hunter2"));
    }
    // Raw sealing also takes the cluster certificate.
    let out = c.sealant(
        &[
            "seal", "--raw", "-n", "team", "--name", "db", "--scope", "strict",
        ],
        Some(b"v"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("A"), "{}", stdout(&out));
}

#[test]
fn unreachable_controller_names_every_source_and_the_fix() {
    let c = Cluster::start(Backend::None);
    c.fake.fake.inject_fault("get", "configmaps", 403, 1);
    let out = c.sealant(&["seal"], Some(SECRET.as_bytes()));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    for needle in [
        "controller kube-system/sealed-secrets-controller",
        "ConfigMap kube-system/sealant-certificates: 403",
        "sealed-secrets-controller",
        "404",
        "grant RBAC `get` on configmaps",
        "--controller-name",
        "--controller-selector",
        "--cert FILE",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }
    assert!(out.stdout.is_empty());
    assert!(c.cache_files().is_empty());

    // A registered Service whose controller is down: the proxy's error is reported.
    c.fake.fake.register_service(
        CONTROLLER_NS,
        CONTROLLER_SVC,
        "127.0.0.1:1".parse().unwrap(),
    );
    let out = c.sealant(
        &["cert", "fetch", "--controller-namespace", "kube-system"],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("503"), "{}", stderr(&out));
    let out = c.sealant(&["validate", "/nonexistent.yaml"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("/nonexistent.yaml"));
}

#[test]
fn validate_passes_good_and_names_each_failure() {
    let c = Cluster::start(Backend::Controller);
    let cert = c.write("cert.pem", &c.cert_pem);
    let out = c.sealant(
        &["seal", "--cert", path_str(&cert)],
        Some(SECRET.as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let good = stdout(&out);
    let wrong = good.replacen("name: db", "name: renamed", 1);
    assert_ne!(good, wrong);
    let good_file = c.write("good.yaml", &good);
    let mixed = c.write(
        "mixed.yaml",
        &format!("{good}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n{wrong}"),
    );
    let out = c.sealant(&["validate", path_str(&good_file)], None);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = c.sealant(&["validate", path_str(&good_file), path_str(&mixed)], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("team/renamed ({})", mixed.display())),
        "{err}"
    );
    assert!(err.contains("1 object(s) failed validation"), "{err}");
    assert!(
        err.contains(&format!("valid: team/db ({})", good_file.display())),
        "{err}"
    );
    assert_eq!(c.fake.fake.request_count("create", "services/proxy"), 4);
}

#[test]
fn kubeseal_mode_against_a_proxy_only_controller() {
    let c = Cluster::start(Backend::ProxyOnly);
    let kubeseal = kubeseal_path();
    let out = c.run(
        kubeseal,
        &["--fetch-cert", "--kubeconfig", c.kubeconfig()],
        None,
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), c.cert_pem);
    let err = stderr(&out);
    assert!(
        err.contains("service proxy") && err.contains(&c.fingerprint),
        "{err}"
    );
    assert_eq!(
        c.fake.fake.request_count("get", "configmaps"),
        1,
        "ConfigMap tried first"
    );

    // Sealing in kubeseal mode without --cert (now from the cache).
    let out = c.run(
        kubeseal,
        &["--kubeconfig", c.kubeconfig()],
        Some(SECRET.as_bytes()),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let sealed = stdout(&out);
    assert!(sealed.contains("\"kind\": \"SealedSecret\""), "{sealed}");

    let out = c.run(
        kubeseal,
        &["--validate", "--kubeconfig", c.kubeconfig()],
        Some(sealed.as_bytes()),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let wrong = sealed.replacen("\"name\": \"db\"", "\"name\": \"other\"", 1);
    assert_ne!(wrong, sealed);
    let out = c.run(
        kubeseal,
        &["--validate", "--kubeconfig", c.kubeconfig()],
        Some(wrong.as_bytes()),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "error: unable to decrypt sealed secret\n");
}

#[test]
fn cache_is_per_controller_and_the_selector_is_used() {
    let c = Cluster::start(Backend::Controller);
    let out = c.sealant(&["cert", "fetch"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    // Another controller namespace on the same cluster does not reuse that entry.
    let out = c.sealant(&["cert", "fetch", "--controller-namespace", "ops"], None);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ConfigMap ops/sealant-certificates"),
        "{}",
        stderr(&out)
    );
    // --controller-selector lists Services by label (this fake serves no Services: 404).
    let out = c.sealant(
        &[
            "cert",
            "fetch",
            "--controller-namespace",
            "ops",
            "--controller-selector",
            "app.kubernetes.io/name=sealed-secrets",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("listing Services in ops by label app.kubernetes.io/name=sealed-secrets")
            && err.contains("list services"),
        "{err}"
    );
    assert_eq!(c.cache_files().len(), 1);
}
