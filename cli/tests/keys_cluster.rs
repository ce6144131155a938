//! `sealant keys list|rotate|retire` against the stateful fake API server, with the real
//! controller (in-process) behind its service proxy. Every run goes through a kubeconfig
//! file that points at the fake; waits poll a condition with a bound.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::controller::{
    CONTROLLER_NS, FakeCluster, fake_cluster, start_controller, store_old_and_new_keys,
};

use common::{BIN, path_str, stderr, stdout};
use k8s_openapi::api::core::v1::Secret;
use sealant_api::SealedSecret;
use sealant_controller::Running;
use sealant_keys::Certificate;
use serde_json::Value;
use std::{
    process::{Command, Output, Stdio},
    time::{Duration, Instant},
};

const KEY_LABEL: &str = "sealedsecrets.bitnami.com/sealed-secrets-key";
const APP_NS: &str = "team";

struct Cluster {
    base: FakeCluster,
    old: Certificate,
    new: Certificate,
    _running: Running,
}

common::controller::reads_as_fake_cluster!(Cluster);

impl Cluster {
    /// Two key Secrets (old and new) and the real controller. `bitnami_api`: the service
    /// proxy reaches a server without `/v1/keys` (404, as Bitnami's controller answers)
    /// instead of the controller's API; the controller still acts on the annotations.
    fn start(bitnami_api: bool) -> Self {
        let base = fake_cluster();
        let (fake, client) = (&base.fake, &base.client);
        let (old, new, running) = base.rt.block_on(async {
            // TEST-ONLY keys: `old` (NotBefore 2025-01-01) and `new` (2025-06-01).
            let (old, new) = store_old_and_new_keys(client).await;
            let proxy_to = match bitnami_api {
                true => Some(serve_not_found().await),
                false => None,
            };
            (
                old,
                new,
                start_controller(fake, client.clone(), proxy_to).await,
            )
        });
        let c = Self {
            base,
            old,
            new,
            _running: running,
        };
        if bitnami_api {
            // Ready: the controller holds the Lease (so it acts on requests).
            let leading =
                c.rt.block_on(c.fake.fake.wait_until(Duration::from_secs(30), |f| {
                    f.object("leases", CONTROLLER_NS, "sealant-controller-leader")
                        .is_some_and(|l| l["spec"]["holderIdentity"].is_string())
                }));
            assert!(leading, "the controller takes the Lease");
        } else {
            // Ready: the inventory lists both keys and usage is counted.
            c.list_until("both keys listed with usage counted", |v| {
                v["usage_counted"] == true && v["keys"].as_array().unwrap().len() == 2
            });
        }
        c
    }

    fn sealant(&self, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.extend(["--kubeconfig", path_str(&self.kubeconfig)]);
        Command::new(BIN)
            .args(&all)
            .env_remove("KUBECONFIG")
            .env_remove("SEALED_SECRETS_CONTROLLER_NAME")
            .env_remove("SEALED_SECRETS_CONTROLLER_NAMESPACE")
            .env("HOME", self.dir.path())
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    }

    fn list_json(&self) -> Value {
        let out = self.sealant(&["keys", "list", "-o", "json"]);
        assert!(out.status.success(), "keys list: {}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap()
    }

    /// `keys list -o json` until `done` holds (at most 30 s).
    fn list_until(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let value = self.list_json();
            if done(&value) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {value}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Seal one Secret offline with `cert` and create the SealedSecret in the fake.
    fn create_sealed_secret(&self, name: &str, cert: &Certificate) {
        let cert_path = self.dir.path().join(format!("{name}.pem"));
        std::fs::write(&cert_path, cert.to_pem()).unwrap();
        let secret_path = self.dir.path().join(format!("{name}.yaml"));
        std::fs::write(
            &secret_path,
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {APP_NS}\nstringData:\n  password: hunter2\n"
            ),
        )
        .unwrap();
        let out = Command::new(BIN)
            .args(["seal", "--cert", path_str(&cert_path), "-o", "json", "-f"])
            .arg(&secret_path)
            .output()
            .unwrap();
        assert!(out.status.success(), "seal: {}", stderr(&out));
        let sealed: SealedSecret = serde_json::from_str(&stdout(&out)).unwrap();
        self.rt.block_on(async {
            let client = sealant_test_support::cluster::client(&self.fake);
            let api: kube::Api<SealedSecret> = kube::Api::namespaced(client, APP_NS);
            api.create(&Default::default(), &sealed).await.unwrap();
        });
    }

    fn key_secrets(&self) -> Vec<Value> {
        self.fake
            .fake
            .objects("secrets")
            .into_iter()
            .filter(|s| {
                s["metadata"]["namespace"] == CONTROLLER_NS
                    && s["metadata"]["labels"][KEY_LABEL].is_string()
            })
            .collect()
    }
}

/// An HTTP server answering every request `404 page not found` (Go's text, as Bitnami's).
async fn serve_not_found() -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let body = "404 page not found\n";
                let reply = format!(
                    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

fn key<'a>(list: &'a Value, fingerprint: &str) -> Option<&'a Value> {
    list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["fingerprint"] == fingerprint)
}

fn usage_of(list: &Value, fingerprint: &str) -> Option<u64> {
    key(list, fingerprint).and_then(|k| k["usage"].as_u64())
}

#[test]
fn list_rotate_and_retire_through_the_controller() {
    let c = Cluster::start(false);
    let old_fp = c.old.fingerprint().to_hex();
    let new_fp = c.new.fingerprint().to_hex();

    // Two SealedSecrets under the old key, one under the new one.
    c.create_sealed_secret("db", &c.old);
    c.create_sealed_secret("cache", &c.old);
    c.create_sealed_secret("web", &c.new);
    let list = c.list_until("usage 2 and 1", |v| {
        usage_of(v, &old_fp) == Some(2) && usage_of(v, &new_fp) == Some(1)
    });
    assert_eq!(list["source"], "controller");
    assert_eq!(key(&list, &new_fp).unwrap()["state"], "active");
    assert_eq!(key(&list, &old_fp).unwrap()["state"], "decrypt-only");
    assert_eq!(
        key(&list, &old_fp).unwrap()["not_before"],
        "2025-01-01T00:00:00Z"
    );
    assert_eq!(
        key(&list, &old_fp).unwrap()["secrets"][0],
        "sealed-secrets-key-old"
    );

    // The table names every key with its state and usage.
    let out = c.sealant(&["keys", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.starts_with("FINGERPRINT"), "{table}");
    let row = |fp: &str| {
        table
            .lines()
            .find(|l| l.starts_with(fp))
            .unwrap()
            .to_owned()
    };
    let old_row = row(&old_fp);
    assert!(
        old_row.contains("decrypt-only") && old_row.contains(" 2 "),
        "{old_row}"
    );
    assert!(old_row.contains("2025-01-01T00:00:00Z"), "{old_row}");
    assert!(row(&new_fp).contains("active"), "{table}");

    // Retire is refused locally for the active key and for a key in use.
    let out = c.sealant(&["keys", "retire", &new_fp[..12]]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("active key"), "{err}");
    assert!(err.contains("kube-system/sealed-secrets-key-new"), "{err}");
    let out = c.sealant(&["keys", "retire", &old_fp]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("2 SealedSecret(s) still use it"), "{err}");
    // A prefix that is too short is a usage error; nothing was annotated.
    let out = c.sealant(&["keys", "retire", &old_fp[..6]]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        c.key_secrets()
            .iter()
            .all(|s| { s["metadata"]["annotations"]["sealant.dev/retire-requested-at"].is_null() })
    );

    // Rotate: exactly one new key, which becomes the active one.
    let out = c.sealant(&["keys", "rotate", "--timeout", "30s"]);
    assert!(out.status.success(), "rotate: {}", stderr(&out));
    let rotated = stdout(&out).trim().to_owned();
    assert_eq!(rotated.len(), 64, "{rotated}");
    assert!(rotated != old_fp && rotated != new_fp);
    assert_eq!(c.key_secrets().len(), 3, "exactly one new key Secret");
    let list = c.list_until("the rotated key active", |v| {
        key(v, &rotated).is_some_and(|k| k["state"] == "active")
    });
    assert_eq!(list["keys"].as_array().unwrap().len(), 3);
    assert_eq!(
        list["keys"][0]["fingerprint"],
        rotated.as_str(),
        "newest first"
    );
    assert_eq!(key(&list, &new_fp).unwrap()["state"], "decrypt-only");
    assert_eq!(c.key_secrets().len(), 3, "still exactly one new key");

    // The new key's only user moves away: delete `web`, then the previous key is unused.
    c.rt.block_on(async {
        let client = sealant_test_support::cluster::client(&c.fake);
        let api: kube::Api<SealedSecret> = kube::Api::namespaced(client.clone(), APP_NS);
        api.delete("web", &Default::default()).await.unwrap();
        let secrets: kube::Api<Secret> = kube::Api::namespaced(client, APP_NS);
        let _ = secrets.delete("web", &Default::default()).await;
    });
    c.list_until("the previous key unused", |v| {
        usage_of(v, &new_fp) == Some(0)
    });

    // Retire the unused previous key: relabelled `retired`, gone from the list.
    let out = c.sealant(&["keys", "retire", &new_fp[..10], "--timeout", "30s"]);
    assert!(out.status.success(), "retire: {}", stderr(&out));
    assert!(stderr(&out).contains("retired"), "{}", stderr(&out));
    let secret = c
        .fake
        .fake
        .object("secrets", CONTROLLER_NS, "sealed-secrets-key-new")
        .unwrap();
    assert_eq!(secret["metadata"]["labels"][KEY_LABEL], "retired");
    let list = c.list_until("the retired key gone", |v| key(v, &new_fp).is_none());
    assert_eq!(list["keys"].as_array().unwrap().len(), 2);
    // The old key is still in use and still there.
    assert_eq!(usage_of(&list, &old_fp), Some(2));
}

#[test]
fn bad_input_and_unreachable_controller() {
    let c = Cluster::start(false);
    // Not hex.
    let out = c.sealant(&["keys", "retire", "not-a-fingerprint"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("at least 8 hex digits"),
        "{}",
        stderr(&out)
    );
    // No such key.
    let out = c.sealant(&["keys", "retire", "0123456789abcdef"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("no loaded key"), "{}", stderr(&out));
    // A controller name with no Service behind it: exit 3, naming the controller.
    let out = c.sealant(&["keys", "list", "--controller-name", "nope"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kube-system/nope"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn without_v1_keys_lists_key_secrets_and_reports_the_controllers_refusal() {
    let c = Cluster::start(true);
    let old_fp = c.old.fingerprint().to_hex();
    let new_fp = c.new.fingerprint().to_hex();
    c.create_sealed_secret("db", &c.old);
    // The controller records the key that opened it on the generated Secret.
    let wanted = old_fp.clone();
    let opened =
        c.rt.block_on(c.fake.fake.wait_until(Duration::from_secs(30), move |f| {
            f.object("secrets", APP_NS, "db").is_some_and(|s| {
                s["metadata"]["annotations"]["sealant.dev/key-fingerprint"] == wanted.as_str()
            })
        }));
    assert!(opened, "the controller unseals team/db with the old key");

    // The list comes from the key Secrets' certificates; usage unknown, no key material.
    let out = c.sealant(&["keys", "list", "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("usage unknown"), "{}", stderr(&out));
    let list: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list["source"], "key-secrets");
    assert_eq!(list["usage_counted"], false);
    assert_eq!(key(&list, &new_fp).unwrap()["state"], "active");
    assert_eq!(key(&list, &old_fp).unwrap()["state"], "decrypt-only");
    assert!(key(&list, &old_fp).unwrap()["usage"].is_null());
    assert_eq!(
        key(&list, &new_fp).unwrap()["not_before"],
        "2025-06-01T00:00:00Z"
    );
    let out = c.sealant(&["keys", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.contains("unknown"), "{table}");
    for text in [stdout(&out), stderr(&out), list.to_string()] {
        assert!(
            !text.contains("PRIVATE KEY") && !text.contains("tls.key"),
            "{text}"
        );
    }

    // The active key is still refused locally.
    let out = c.sealant(&["keys", "retire", &new_fp[..8]]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("active key"), "{}", stderr(&out));

    // The old key is in use: only the controller knows; its KeyRetireRefused is reported.
    let out = c.sealant(&["keys", "retire", &old_fp[..16], "--timeout", "30s"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("the controller refused"), "{err}");
    assert!(
        err.contains("1 SealedSecret(s)") && err.contains("team/db"),
        "{err}"
    );
    assert!(err.contains("kube-system/sealed-secrets-key-old"), "{err}");
    let secret = c
        .fake
        .fake
        .object("secrets", CONTROLLER_NS, "sealed-secrets-key-old")
        .unwrap();
    assert_eq!(secret["metadata"]["labels"][KEY_LABEL], "active");
}
