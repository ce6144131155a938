//! The cluster-connected CLI against the stateful fake API server, with the real controller
//! (in-process) behind its service proxy: certificate sources and their order, the cache
//! TTL, pinning, unreachable controllers, `validate`, and kubeseal mode's `--fetch-cert` and
//! `--validate` against a controller that serves only the proxy path (as Bitnami's does).
//! Every run goes through a kubeconfig file that points at the fake. The cache is keyed by
//! cluster identity (the API server's CA, else its URL) and warns when a certificate changes
//! since it was last seen, like ssh's known_hosts.
//!
//! The CLI's requests carry `--as sealant-cli-test`, so counts of them never include the
//! requests of the controller running against the same fake.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::controller::{CONTROLLER_NS, CONTROLLER_SVC, FakeCluster, fake_cluster};

use common::{BIN, assert_contains, kubeseal_path, path_str, run_command, stderr, stdout};
use sealant_controller::{
    KeyStore, RsaPool, Running,
    http::{HttpState, Limits, Readiness, serve},
    keys::build_key_secret,
};
use sealant_keys::{Certificate, CertificateOptions, KeyEntry, self_signed_certificate};
use sealant_test_support::test_keys;
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    time::Duration,
};
use time::macros::datetime;

const CONFIGMAP: &str = "sealant-certificates";
/// Who the CLI impersonates in these tests: tells its requests from the controller's.
const CLI_USER: &str = "sealant-cli-test";

/// TEST-ONLY key from the repository.
fn test_key() -> sealant_crypto::PrivateKey {
    test_keys::key(test_keys::RSA2048_A)
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
    base: FakeCluster,
    cert_pem: String,
    fingerprint: String,
    _running: Option<Running>,
}

common::controller::reads_as_fake_cluster!(Cluster);

impl Cluster {
    fn start(backend: Backend) -> Self {
        let base = fake_cluster();
        let (rt, fake) = (&base.rt, &base.fake);
        let key = test_key();
        let cert = test_cert(&key);
        let cert_pem = cert.to_pem();
        let fingerprint = cert.fingerprint().to_hex();
        let running = match backend {
            Backend::None => None,
            Backend::Controller => {
                Some(rt.block_on(start_publishing_controller(fake, &key, &cert)))
            }
            Backend::ProxyOnly => {
                let addr = rt.block_on(serve_http_only(key, cert));
                fake.fake
                    .register_service(CONTROLLER_NS, CONTROLLER_SVC, addr);
                None
            }
        };
        Self {
            base,
            cert_pem,
            fingerprint,
            _running: running,
        }
    }

    fn kubeconfig(&self) -> &str {
        path_str(&self.kubeconfig)
    }

    /// Requests from the CLI that reached the fake (any verb, any resource).
    fn requests(&self) -> usize {
        self.cli_requests("*", "*")
    }

    /// Requests from the CLI (not the controller) with this verb and resource (`*`: any;
    /// the service proxy is `services/proxy`).
    fn cli_requests(&self, verb: &str, resource: &str) -> usize {
        self.fake
            .fake
            .request_log()
            .iter()
            .filter(|r| r.user == CLI_USER)
            .filter(|r| verb == "*" || r.verb == verb)
            .filter(|r| {
                let full = match r.subresource.as_str() {
                    "" => r.resource.clone(),
                    sub => format!("{}/{sub}", r.resource),
                };
                resource == "*" || full == resource
            })
            .count()
    }

    /// `sealant ARGS --kubeconfig K`, with HOME and the cache inside the test's directory.
    fn sealant(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        self.sealant_with(self.kubeconfig(), args, stdin)
    }

    /// [`Cluster::sealant`] through another kubeconfig.
    fn sealant_with(&self, kubeconfig: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut all = args.to_vec();
        all.extend(["--kubeconfig", kubeconfig, "--as", CLI_USER]);
        self.run(Path::new(BIN), &all, stdin, &[])
    }

    /// Publish `pem` in the certificate ConfigMap, as a controller would (tests without a
    /// controller, so that the certificate can change under the CLI).
    fn publish(&self, pem: &str) {
        let configmaps: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
            kube::Api::namespaced(self.client.clone(), CONTROLLER_NS);
        let patch = serde_json::json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": CONFIGMAP, "namespace": CONTROLLER_NS},
            "data": {"cert.pem": pem},
        });
        self.rt.block_on(async {
            if configmaps.get_opt(CONFIGMAP).await.unwrap().is_some() {
                configmaps
                    .patch(
                        CONFIGMAP,
                        &kube::api::PatchParams::default(),
                        &kube::api::Patch::Merge(&patch),
                    )
                    .await
                    .unwrap();
            } else {
                let cm = serde_json::from_value(patch).unwrap();
                configmaps.create(&Default::default(), &cm).await.unwrap();
            }
        });
    }

    /// A kubeconfig for the same API server URL whose cluster has `ca` as its
    /// certificate-authority-data: another cluster behind the same address.
    fn kubeconfig_with_ca(&self, name: &str, ca: &Certificate) -> PathBuf {
        use base64::Engine as _;
        let ca_data = base64::engine::general_purpose::STANDARD.encode(ca.to_pem());
        let text = fakekube::kubeconfig(&self.fake.url()).replace(
            "insecure-skip-tls-verify: true",
            &format!("certificate-authority-data: {ca_data}"),
        );
        assert!(text.contains(&ca_data));
        self.write(name, &text)
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
async fn start_publishing_controller(
    fake: &fakekube::Running,
    key: &sealant_crypto::PrivateKey,
    cert: &Certificate,
) -> Running {
    let client = sealant_test_support::cluster::client(fake);
    let secret = build_key_secret(CONTROLLER_NS, "sealed-secrets-key", key, cert).unwrap();
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(client.clone(), CONTROLLER_NS);
    secrets.create(&Default::default(), &secret).await.unwrap();
    let running = common::controller::start_controller(fake, client, None).await;
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
    let out = c.sealant(&["cert", "fetch"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), c.cert_pem);
    let err = stderr(&out);
    assert_contains(&err, "ConfigMap kube-system/sealant-certificates");
    assert_contains(&err, &c.fingerprint);
    assert_eq!(c.cli_requests("get", "configmaps"), 1);
    assert_eq!(
        c.cli_requests("*", "services/proxy"),
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
    assert_eq!(c.cli_requests("get", "configmaps"), 2);
    // ... and the refetch refreshed the entry: within 1h it is fresh again.
    let requests = c.requests();
    let out = c.sealant(&["cert", "fetch", "--cert-cache-ttl", "1h"], None);
    assert!(stderr(&out).contains("local cache"), "{}", stderr(&out));
    assert_eq!(c.requests(), requests);
    // TTL 0 always asks the cluster.
    let out = c.sealant(&["cert", "fetch", "--cert-cache-ttl", "0"], None);
    assert!(stderr(&out).contains("ConfigMap"), "{}", stderr(&out));
    assert_eq!(c.cli_requests("get", "configmaps"), 3);
}

#[test]
fn service_proxy_when_the_configmap_is_forbidden_and_kubeconfig_from_env() {
    // The controller's HTTP API alone: a running controller's own ConfigMap reads would race
    // the CLI for the one injected fault.
    let c = Cluster::start(Backend::ProxyOnly);
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
    assert_contains(
        &err,
        "service proxy kube-system/http:sealed-secrets-controller:http",
    );
    assert_contains(&err, &c.fingerprint);
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
    assert_contains(&err, &format!("team/renamed ({})", mixed.display()));
    assert_contains(&err, "1 object(s) failed validation");
    assert_contains(&err, &format!("valid: team/db ({})", good_file.display()));
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
    assert_contains(&sealed, "\"kind\": \"SealedSecret\"");

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

/// The second TEST-ONLY key from the repository, for a certificate that changes.
fn second_key() -> sealant_crypto::PrivateKey {
    test_keys::key(test_keys::RSA2048_B)
}

#[test]
fn two_clusters_behind_one_url_do_not_share_a_cache_entry() {
    let c = Cluster::start(Backend::None);
    let key = test_key();
    let other = second_key();
    let other_cert = test_cert(&other);
    let other_fingerprint = other_cert.fingerprint().to_hex();
    // Two API server CAs (any two distinct certificates will do as CA data).
    let kind = c.kubeconfig_with_ca(
        "kind.kubeconfig",
        &common::controller::cert(&key, datetime!(2025-01-01 0:00 UTC)),
    );
    let minikube = c.kubeconfig_with_ca(
        "minikube.kubeconfig",
        &common::controller::cert(&key, datetime!(2024-06-01 0:00 UTC)),
    );

    c.publish(&c.cert_pem);
    let out = c.sealant_with(path_str(&kind), &["cert", "fetch"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("ConfigMap"), "{}", stderr(&out));
    assert_eq!(stdout(&out), c.cert_pem);

    // Another cluster now answers at the same address, with its own controller key.
    c.publish(&other_cert.to_pem());
    let out = c.sealant_with(path_str(&minikube), &["cert", "fetch"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("ConfigMap") && !err.contains("local cache"),
        "a different cluster must not be served the first one's cached certificate: {err}"
    );
    assert_eq!(stdout(&out), other_cert.to_pem());
    assert_contains(&err, &other_fingerprint);
    assert!(!err.contains("warning"), "first use of this cluster: {err}");

    // Each keeps its own entry; a kubeconfig without a CA is keyed by the URL alone.
    let out = c.sealant_with(path_str(&kind), &["cert", "fetch"], None);
    assert!(stderr(&out).contains("local cache"), "{}", stderr(&out));
    assert_eq!(stdout(&out), c.cert_pem);
    let out = c.sealant(&["cert", "fetch"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("ConfigMap"), "{}", stderr(&out));
    assert_eq!(c.cache_files().len(), 3);
}

#[test]
fn a_changed_certificate_warns_naming_both_fingerprints_and_the_source() {
    let c = Cluster::start(Backend::None);
    let rotated = test_cert(&second_key());
    let rotated_fingerprint = rotated.fingerprint().to_hex();
    c.publish(&c.cert_pem);
    let out = c.sealant(&["cert", "fetch"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));

    c.publish(&rotated.to_pem());
    // While the cache is fresh it is used (the TTL's job); a fresh fetch sees the change.
    let out = c.sealant(&["cert", "fetch", "--cert-cache-ttl", "0"], None);
    assert!(
        out.status.success(),
        "rotation warns, it does not refuse: {}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), rotated.to_pem());
    let err = stderr(&out);
    assert_contains(&err, "warning");
    for needle in [
        c.fingerprint.as_str(),
        rotated_fingerprint.as_str(),
        "ConfigMap kube-system/sealant-certificates",
        "--cert-fingerprint",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }

    // The new one is now the last seen: no warning the next time.
    let out = c.sealant(&["cert", "fetch", "--cert-cache-ttl", "0"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));

    // A pin of the old fingerprint refuses the new certificate.
    let out = c.sealant(
        &[
            "seal",
            "--cert-fingerprint",
            &c.fingerprint,
            "--cert-cache-ttl",
            "0",
        ],
        Some(SECRET.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("refusing to seal"),
        "{}",
        stderr(&out)
    );
}
