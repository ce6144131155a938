//! Envelope v2 in the controller: hybrid (X-Wing) key pairs behind `--hybrid-keys`, their
//! key Secrets, publication and retirement, and v2 objects opened beside v1 ones — by the
//! real controller against the fake API server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::{
    ResourceExt,
    api::{ListParams, Patch, PatchParams, PostParams},
};
use sealant_api::{
    SealOptions, SealTo, SealedSecret,
    contract::{
        ACTIVE_HYBRID_KEY, CERTIFICATES_CONFIGMAP, HYBRID_KEY_LABEL, KEY_LABEL, KeyLabel, Route,
        hybrid_active_selector,
    },
    seal_secret_to,
};
use sealant_controller::{Running, keys::build_hybrid_key_secret};
use sealant_crypto::{PublicKey, Scope, XWingPrivateKey, XWingPublicKey, v2::Recipient};
use std::time::Duration;
use time::{OffsetDateTime, macros::datetime};

/// Seal `data` for ns/name as envelope v2 for `recipients`, with `template_data` in the
/// template (bound into every value).
fn seal_v2(
    recipients: &[Recipient<'_>],
    ns: &str,
    name: &str,
    data: &[(&str, &str)],
    template_data: &[(&str, &str)],
) -> SealedSecret {
    let secret = plain(ns, name, data);
    let opts = SealOptions {
        scope: Some(Scope::Strict),
        ..SealOptions::default()
    };
    let mut ss = seal_secret_to(&secret, SealTo::V2(recipients), &opts).unwrap();
    if !template_data.is_empty() {
        // Re-seal with the template in place: the template is bound at seal time.
        for (k, v) in template_data {
            ss.spec
                .template
                .data
                .insert((*k).to_owned(), Some((*v).to_owned()));
        }
        let values: Vec<(String, Vec<u8>)> = data
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
            .collect();
        ss.spec.encrypted_data = sealant_api::envelope_v2::seal_values(
            &ss,
            recipients,
            values.iter().map(|(k, v)| (k.as_str(), v.as_slice())),
        )
        .unwrap();
    }
    ss
}

/// The cluster's newest hybrid public key, once the controller holds one.
async fn cluster_hybrid_key(running: &Running) -> XWingPublicKey {
    let keys = running.keys().clone();
    eventually(running, "the controller holds a hybrid key", || {
        let keys = keys.clone();
        async move { keys.newest_hybrid().is_some() }
    })
    .await;
    running
        .keys()
        .ring()
        .newest_hybrid()
        .unwrap()
        .key()
        .public_key()
        .clone()
}

/// Key operations of any kind the controller has spent.
fn key_operations(running: &Running) -> u64 {
    running.keys().rsa_operations() + running.keys().kem_operations()
}

async fn hybrid_key_secrets(h: &Harness) -> Vec<Secret> {
    h.secrets(CONTROLLER_NS)
        .list(&ListParams::default().labels(&hybrid_active_selector()))
        .await
        .unwrap()
        .items
}

async fn synced_true(h: &Harness, ns: &str, name: &str) -> bool {
    h.synced(ns, name)
        .await
        .is_some_and(|(status, _, _)| status == "True")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybrid_keys_are_made_in_their_own_secret_and_published_beside_the_certificate() {
    let h = Harness::with_key('a').await;
    let (running, servers) = h.start_with_servers(&["--hybrid-keys"]).await;
    wait_until_leading(&running).await;
    let public = cluster_hybrid_key(&running).await;

    // Its own Secret: never Bitnami's label (Bitnami would load it as an RSA key).
    let found = hybrid_key_secrets(&h).await;
    assert_eq!(found.len(), 1, "one hybrid key Secret");
    let secret = &found[0];
    let labels = secret.metadata.labels.clone().unwrap_or_default();
    assert!(!labels.contains_key(KEY_LABEL), "{labels:?}");
    assert_eq!(labels[HYBRID_KEY_LABEL], KeyLabel::Active.as_str());
    assert_ne!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
    let bitnami_visible = h
        .secrets(CONTROLLER_NS)
        .list(&ListParams::default().labels(KEY_LABEL))
        .await
        .unwrap()
        .items;
    assert!(
        bitnami_visible
            .iter()
            .all(|s| !s.labels().contains_key(HYBRID_KEY_LABEL)),
        "no Secret Bitnami loads holds a hybrid key"
    );

    // The ConfigMap, beside cert.pem.
    let configmaps: kube::Api<ConfigMap> = kube::Api::namespaced(h.client.clone(), CONTROLLER_NS);
    let pem = public.to_pem();
    eventually(&running, "the ConfigMap publishes the hybrid key", || {
        let configmaps = configmaps.clone();
        let pem = pem.clone();
        async move {
            configmaps
                .get_opt(CERTIFICATES_CONFIGMAP)
                .await
                .unwrap()
                .and_then(|cm| cm.data)
                .is_some_and(|d| {
                    d.get(ACTIVE_HYBRID_KEY) == Some(&pem) && d.contains_key("cert.pem")
                })
        }
    })
    .await;

    // The endpoint.
    let base = format!("http://{}", servers.api_addr.unwrap());
    let (status, body) = http_get(format!("{base}{}", Route::HybridPublicKey.path())).await;
    assert_eq!(status, 200);
    assert_eq!(XWingPublicKey::from_pem(&body).unwrap(), public);

    // The inventory lists it, typed.
    let (status, body) = http_get(format!("{base}{}", Route::Keys.path())).await;
    assert_eq!(status, 200);
    let inventory: sealant_api::contract::KeyInventory = serde_json::from_str(&body).unwrap();
    let listed = inventory
        .keys
        .iter()
        .find(|k| k.fingerprint == public.key_id().to_hex())
        .expect("the hybrid key is in /v1/keys");
    assert_eq!(listed.key_type, sealant_api::contract::KeyType::XWing);
    assert_eq!(listed.state, sealant_api::contract::KeyState::Active);
    assert_eq!(listed.secrets, [secret.metadata.name.clone().unwrap()]);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_no_hybrid_key_is_made_or_published() {
    let h = Harness::with_key('a').await;
    let (running, servers) = h.start_with_servers(&[]).await;
    wait_until_leading(&running).await;
    let configmaps: kube::Api<ConfigMap> = kube::Api::namespaced(h.client.clone(), CONTROLLER_NS);
    let data = published_certificates(&running, &configmaps)
        .await
        .data
        .unwrap();
    assert!(!data.contains_key(ACTIVE_HYBRID_KEY), "{:?}", data.keys());
    assert!(hybrid_key_secrets(&h).await.is_empty());
    let base = format!("http://{}", servers.api_addr.unwrap());
    let (status, _) = http_get(format!("{base}{}", Route::HybridPublicKey.path())).await;
    assert_eq!(status, 404);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_objects_open_beside_v1_and_a_restart_costs_no_key_operation() {
    let h = Harness::with_key('a').await;
    let first = h.start_controller(&["--hybrid-keys"]).await;
    let hybrid = cluster_hybrid_key(&first).await;
    let rsa = public_key(&test_key('a'));

    // For the RSA key only, for the hybrid key only, for both; and a v1 object.
    let objects = [
        seal_v2(
            &[Recipient::Rsa(&rsa)],
            "app",
            "rsa-only",
            &[("a", "1"), ("b", "2"), ("c", "3")],
            &[],
        ),
        seal_v2(
            &[Recipient::XWing(&hybrid)],
            "app",
            "hybrid-only",
            &[("a", "1"), ("b", "2")],
            &[],
        ),
        seal_v2(
            &[Recipient::Rsa(&rsa), Recipient::XWing(&hybrid)],
            "app",
            "both",
            &[("user", "admin"), ("password", "pw")],
            &[("dsn", "{{ .user }}:{{ .password }}@db")],
        ),
        seal(&test_key('a'), "app", "v1", Scope::Strict, &[("v", "one")]),
    ];
    for ss in &objects {
        h.create_sealed(ss).await;
    }
    eventually(&first, "all four unsealed", || h.all_synced("app", 4)).await;
    assert_eq!(h.secret_data("app", "rsa-only").await.unwrap()["c"], "3");
    assert_eq!(h.secret_data("app", "hybrid-only").await.unwrap()["b"], "2");
    let both = h.secret_data("app", "both").await.unwrap();
    assert_eq!(both["dsn"], "admin:pw@db");
    assert!(
        both.keys().all(|k| !k.starts_with("sealant.v2/")),
        "header keys never reach the Secret: {:?}",
        both.keys()
    );
    assert_eq!(h.secret_data("app", "v1").await.unwrap()["v"], "one");
    // v2: one key operation per object, not one per value; v1: one per value.
    assert_eq!(
        key_operations(&first),
        3 + 1,
        "rsa {} kem {}",
        first.keys().rsa_operations(),
        first.keys().kem_operations()
    );
    first.shutdown().await;

    h.fake.fake.reset_writes();
    let second = h.start_controller(&["--hybrid-keys"]).await;
    eventually(&second, "every object reconciled once", || async {
        stats(&second).objects == 4
    })
    .await;
    let s = stats(&second);
    assert_eq!(s.unchanged, s.reconciles, "every Secret was current: {s:?}");
    assert_eq!(s.written, 0);
    assert_eq!(key_operations(&second), 0, "no key operation after restart");
    second.shutdown().await;
}

/// A hostile edit of `template.data` (route the password into a key of the attacker's
/// choosing) must never open, and must fail with exactly the message of a wrong key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_template_data_never_opens_and_reads_like_a_wrong_key() {
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&["--hybrid-keys"]).await;
    let hybrid = cluster_hybrid_key(&running).await;
    let stranger = XWingPrivateKey::generate().unwrap();

    let honest = seal_v2(
        &[Recipient::XWing(&hybrid)],
        "app",
        "db",
        &[("password", "hunter2-CANARY")],
        &[("dsn", "postgres://app:{{ .password }}@db")],
    );
    let mut tampered = honest.clone();
    tampered
        .spec
        .template
        .data
        .insert("dsn".to_owned(), Some("{{ .password }}".to_owned()));
    let wrong_key = seal_v2(
        &[Recipient::XWing(stranger.public_key())],
        "app",
        "db",
        &[("password", "hunter2-CANARY")],
        &[("dsn", "postgres://app:{{ .password }}@db")],
    );

    let message_of = |ss: SealedSecret| {
        let h = &h;
        let running = &running;
        async move {
            let api = h.sealed("app");
            let generation = match api.get_opt("db").await.unwrap() {
                None => api.create(&PostParams::default(), &ss).await.unwrap(),
                Some(current) => {
                    let mut next = ss.clone();
                    next.metadata.resource_version = current.metadata.resource_version;
                    next.status = None;
                    api.replace("db", &PostParams::default(), &next)
                        .await
                        .unwrap()
                }
            }
            .metadata
            .generation;
            eventually(running, "failure recorded for this generation", || async {
                let ss = api.get("db").await.unwrap();
                ss.status.as_ref().is_some_and(|s| {
                    s.observed_generation == generation
                        && s.conditions
                            .iter()
                            .any(|c| c.type_ == "Synced" && c.status == "False")
                })
            })
            .await;
            h.synced("app", "db").await.unwrap()
        }
    };
    let (_, tampered_reason, tampered_message) = message_of(tampered).await;
    assert!(
        h.secret("app", "db").await.is_none(),
        "tampered: nothing written"
    );
    let (_, wrong_reason, wrong_message) = message_of(wrong_key).await;
    assert!(
        h.secret("app", "db").await.is_none(),
        "wrong key: nothing written"
    );
    assert_eq!(tampered_reason, wrong_reason);
    assert_eq!(
        tampered_message, wrong_message,
        "one message for every failure"
    );
    assert!(!tampered_message.contains("CANARY"), "{tampered_message}");

    // The same object, untampered, opens: the failure was the edit, not the seal.
    message_of_success(&h, &running, honest).await;
    assert_eq!(
        h.secret_data("app", "db").await.unwrap()["dsn"],
        "postgres://app:hunter2-CANARY@db"
    );
    running.shutdown().await;
}

async fn message_of_success(h: &Harness, running: &Running, ss: SealedSecret) {
    let api = h.sealed("app");
    let current = api.get("db").await.unwrap();
    let mut next = ss;
    next.metadata.resource_version = current.metadata.resource_version;
    next.status = None;
    api.replace("db", &PostParams::default(), &next)
        .await
        .unwrap();
    eventually(running, "the honest object unseals", || {
        synced_true(h, "app", "db")
    })
    .await;
}

/// One repository sealed for two clusters (one by its RSA key, one by its hybrid key) plus an
/// offline escrow key: each cluster's own controller opens it, on its own API server, and the
/// escrow key alone opens it offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_object_for_two_clusters_and_an_escrow_key_opens_in_each() {
    let east = Harness::with_key('a').await;
    let west = Harness::with_key('b').await;
    let east_running = east.start_controller(&["--hybrid-keys"]).await;
    let west_running = west.start_controller(&["--hybrid-keys"]).await;
    let east_rsa: PublicKey = public_key(&test_key('a'));
    let west_hybrid = cluster_hybrid_key(&west_running).await;
    let escrow = XWingPrivateKey::generate().unwrap();

    let ss = seal_v2(
        &[
            Recipient::Rsa(&east_rsa),
            Recipient::XWing(&west_hybrid),
            Recipient::XWing(escrow.public_key()),
        ],
        "app",
        "shared",
        &[("token", "t0k3n")],
        &[],
    );
    east.create_sealed(&ss).await;
    west.create_sealed(&ss).await;
    eventually(&east_running, "east unseals", || {
        synced_true(&east, "app", "shared")
    })
    .await;
    eventually(&west_running, "west unseals", || {
        synced_true(&west, "app", "shared")
    })
    .await;
    assert_eq!(
        east.secret_data("app", "shared").await.unwrap()["token"],
        "t0k3n"
    );
    assert_eq!(
        west.secret_data("app", "shared").await.unwrap()["token"],
        "t0k3n"
    );
    // East holds only its RSA key among the recipients; west opened with its hybrid key.
    assert_eq!(east_running.keys().kem_operations(), 0);
    assert_eq!(west_running.keys().rsa_operations(), 0);
    assert_eq!(west_running.keys().kem_operations(), 1);

    // Offline, the escrow key alone.
    let mut ring = sealant_keys::KeyRing::new();
    ring.insert_hybrid(sealant_keys::HybridEntry::new(escrow, None));
    let mut opener = sealant_keys::RingOpener::new(&ring, None);
    let secret = sealant_api::unseal(&ss, &mut opener).unwrap();
    assert_eq!(secret.data["token"].as_bytes(), b"t0k3n");
    east_running.shutdown().await;
    west_running.shutdown().await;
}

/// A key that a v2 stanza names is still needed, even when another key opened the object:
/// retiring it is refused until the object is gone. Hybrid keys retire by the same rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retire_is_refused_while_a_v2_stanza_names_the_key() {
    let h = Harness::new().await;
    let old_rsa = h.add_key_secret('a', datetime!(2024-01-01 0:00 UTC)).await;
    h.add_key_secret('b', datetime!(2025-01-01 0:00 UTC)).await;
    // Two hybrid key Secrets, as an earlier term made them.
    let old_hybrid = XWingPrivateKey::generate().unwrap();
    let old_hybrid_public = old_hybrid.public_key().clone();
    let old_hybrid_secret =
        add_hybrid_key_secret(&h, old_hybrid, datetime!(2024-06-01 0:00 UTC)).await;
    add_hybrid_key_secret(
        &h,
        XWingPrivateKey::generate().unwrap(),
        datetime!(2025-06-01 0:00 UTC),
    )
    .await;
    let running = h.start_controller(&["--hybrid-keys"]).await;
    assert_eq!(running.keys().ring().hybrid_keys().count(), 2);

    // Sealed for the old RSA key and the old hybrid key: the hybrid key opens it, so no
    // generated Secret records the RSA key; only the stanza says it is needed.
    let a = public_key(&test_key('a'));
    h.create_sealed(&seal_v2(
        &[Recipient::Rsa(&a), Recipient::XWing(&old_hybrid_public)],
        "app",
        "needs-both",
        &[("v", "1")],
        &[],
    ))
    .await;
    eventually(&running, "unsealed", || {
        synced_true(&h, "app", "needs-both")
    })
    .await;

    h.request_retire(&old_rsa, "2026-11-01T00:00:00Z").await;
    eventually(&running, "RSA retire refused", || async {
        !h.retire_refusals().await.is_empty()
    })
    .await;
    h.request_retire(&old_hybrid_secret, "2026-11-01T00:00:00Z")
        .await;
    eventually(&running, "hybrid retire refused", || async {
        h.retire_refusals().await.len() >= 2
    })
    .await;
    assert!(
        h.retire_refusals()
            .await
            .iter()
            .all(|note| note.contains("app/needs-both")),
        "{:?}",
        h.retire_refusals().await
    );
    assert_eq!(running.keys().ring().len(), 2);
    assert_eq!(running.keys().ring().hybrid_keys().count(), 2);

    // Once the object is gone, both retire.
    h.delete_sealed_and_wait(&running, "app", "needs-both")
        .await;
    h.request_retire(&old_rsa, "2026-11-02T00:00:00Z").await;
    h.request_retire(&old_hybrid_secret, "2026-11-02T00:00:00Z")
        .await;
    let keys = running.keys().clone();
    eventually(&running, "both retired", || {
        let keys = keys.clone();
        async move { keys.ring().len() == 1 && keys.ring().hybrid_keys().count() == 1 }
    })
    .await;
    let retired = h
        .secrets(CONTROLLER_NS)
        .get(&old_hybrid_secret)
        .await
        .unwrap();
    let labels = retired.metadata.labels.unwrap_or_default();
    assert_eq!(labels[HYBRID_KEY_LABEL], KeyLabel::Retired.as_str());
    assert!(
        !labels.contains_key(KEY_LABEL),
        "retiring never adds Bitnami's label"
    );
    running.shutdown().await;
}

async fn add_hybrid_key_secret(
    h: &Harness,
    key: XWingPrivateKey,
    created: OffsetDateTime,
) -> String {
    let secret = build_hybrid_key_secret(CONTROLLER_NS, &key, created).unwrap();
    h.secrets(CONTROLLER_NS)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap()
        .metadata
        .name
        .unwrap()
}

const CANARY: &str = "V2-CANARY-PLAINTEXT-5d1e";

/// The real binary with hybrid keys, at trace level: v2 objects that open, one whose
/// template was tampered with, one for a stranger's key, and verify/rotate requests for
/// them. Nothing it writes — logs, statuses, Events, HTTP replies — holds the plaintext or
/// key material.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_controller_output_holds_v2_plaintext_or_hybrid_key_material() {
    use std::io::Read;
    let h = Harness::with_key('a').await;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("controller.log");
    let port = free_port();
    let listen = format!("--listen-addr=127.0.0.1:{port}");
    let mut child = h.spawn_binary(
        dir.path(),
        &[
            "--controller-namespace=kube-system",
            "--hybrid-keys",
            "--log-level=trace",
            "--log-format=json",
            &listen,
            "--listen-metrics-addr=127.0.0.1:0",
        ],
        &log_path,
    );
    // The hybrid key, as a sealer finds it: in the ConfigMap.
    let configmaps: kube::Api<ConfigMap> = kube::Api::namespaced(h.client.clone(), CONTROLLER_NS);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let hybrid = loop {
        let published = configmaps
            .get_opt(CERTIFICATES_CONFIGMAP)
            .await
            .unwrap()
            .and_then(|cm| cm.data)
            .and_then(|d| d.get(ACTIVE_HYBRID_KEY).cloned());
        if let Some(pem) = published {
            break XWingPublicKey::from_pem(&pem).unwrap();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no hybrid key published"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let rsa = public_key(&test_key('a'));
    let stranger = XWingPrivateKey::generate().unwrap();
    let template = [("dsn", "x:{{ .password }}")];
    let honest = seal_v2(
        &[Recipient::Rsa(&rsa), Recipient::XWing(&hybrid)],
        "app",
        "honest",
        &[("password", CANARY)],
        &template,
    );
    let mut tampered = seal_v2(
        &[Recipient::XWing(&hybrid)],
        "app",
        "tampered",
        &[("password", CANARY)],
        &template,
    );
    tampered
        .spec
        .template
        .data
        .insert("leak".to_owned(), Some("{{ .password }}".to_owned()));
    let foreign = seal_v2(
        &[Recipient::XWing(stranger.public_key())],
        "app",
        "foreign",
        &[("password", CANARY)],
        &template,
    );
    for ss in [&honest, &tampered, &foreign] {
        h.create_sealed(ss).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut settled = 0;
        for name in ["honest", "tampered", "foreign"] {
            settled += usize::from(h.synced("app", name).await.is_some());
        }
        if settled == 3 && synced_true(&h, "app", "honest").await {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "controller did not converge"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The grep is meaningful: the plaintext is really in the cluster.
    assert_eq!(
        h.secret_data("app", "honest").await.unwrap()["dsn"],
        format!("x:{CANARY}")
    );

    let base = format!("http://127.0.0.1:{port}");
    let mut replies = String::new();
    for (path, ss) in [
        (Route::Verify.path(), &honest),
        (Route::Verify.path(), &tampered),
        (Route::Rotate.path(), &honest),
        (Route::Rotate.path(), &tampered),
        (Route::Rotate.path(), &foreign),
    ] {
        let (status, body) =
            http_post(format!("{base}{path}"), serde_json::to_vec(ss).unwrap()).await;
        replies.push_str(&format!("{path} {status}\n{body}\n"));
    }
    assert!(replies.starts_with("/v1/verify 200"), "{replies}");
    // `/v1/recipients`: re-wrapped for its own keys, a tampered object, a stranger's key.
    let own = [rsa.fingerprint(), hybrid.key_id()];
    for (ss, ids, expected) in [
        (&honest, &own[..], 200),
        (&tampered, &own[..], 409),
        (&honest, &[stranger.key_id()][..], 403),
    ] {
        let body = sealant_api::contract::RecipientsRequest {
            sealed_secret: serde_json::to_value(ss).unwrap(),
            recipients: ids.iter().map(|id| id.to_hex()).collect(),
        };
        let path = Route::Recipients.path();
        let (status, reply) =
            http_post(format!("{base}{path}"), serde_json::to_vec(&body).unwrap()).await;
        assert_eq!(status, expected, "{reply}");
        replies.push_str(&format!("{path} {status}\n{reply}\n"));
    }

    // Statuses and Events.
    let mut objects = String::new();
    for name in ["honest", "tampered", "foreign"] {
        objects.push_str(&format!("{:?}\n", h.synced("app", name).await));
    }
    let events: kube::Api<k8s_openapi::api::events::v1::Event> = kube::Api::all(h.client.clone());
    for event in events.list(&ListParams::default()).await.unwrap().items {
        objects.push_str(&format!("{:?} {:?}\n", event.reason, event.note));
    }

    child.kill().unwrap();
    child.wait().unwrap();
    let mut logs = String::new();
    std::fs::File::open(&log_path)
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(logs.contains("\"level\":\"TRACE\""), "trace level was on");
    assert!(logs.contains("app/tampered"), "the failing object is named");

    let seed_pem = {
        let secret = &hybrid_key_secrets(&h).await[0];
        String::from_utf8(secret.data.as_ref().unwrap()["xwing.key"].0.clone()).unwrap()
    };
    let seed_body: String = seed_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for (what, output) in [
        ("logs", &logs),
        ("replies", &replies),
        ("status/events", &objects),
    ] {
        for needle in [
            CANARY.to_owned(),
            sealant_crypto::encode_base64(CANARY.as_bytes()),
            "PRIVATE KEY".to_owned(),
            seed_body.clone(),
        ] {
            assert!(!output.contains(&needle), "{what} contain {needle:?}");
        }
    }
}

/// Renewal and rotation cover hybrid keys as they cover RSA keys: a hybrid key older than
/// `--key-renew-period` is renewed on its own clock (the fresh RSA key is left alone), and a
/// rotate request renews both kinds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybrid_keys_renew_on_their_own_age_and_rotate_on_request() {
    use sealant_api::contract::ROTATE_REQUESTED_AT;
    let h = Harness::new().await;
    let now = OffsetDateTime::now_utc();
    let rsa_secret = h.add_key_secret('a', now - time::Duration::hours(1)).await;
    add_hybrid_key_secret(
        &h,
        XWingPrivateKey::generate().unwrap(),
        datetime!(2024-01-01 0:00 UTC),
    )
    .await;
    let running = h
        .start_controller(&["--hybrid-keys", "--key-renew-period=720h"])
        .await;
    let keys = running.keys().clone();
    let counts = move || {
        let ring = keys.ring();
        (ring.len(), ring.hybrid_keys().count())
    };
    let c = counts.clone();
    eventually(&running, "the stale hybrid key renewed", || {
        let c = c.clone();
        async move { c() == (1, 2) }
    })
    .await;
    assert_eq!(hybrid_key_secrets(&h).await.len(), 2);

    // A rotate request (here on the RSA key Secret) renews both kinds once.
    let at = (OffsetDateTime::now_utc() + time::Duration::seconds(1))
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let body = serde_json::json!({ "metadata": { "annotations": { ROTATE_REQUESTED_AT: at } } });
    h.secrets(CONTROLLER_NS)
        .patch(&rsa_secret, &PatchParams::default(), &Patch::Merge(&body))
        .await
        .unwrap();
    let c = counts.clone();
    eventually(&running, "one new key of each kind", || {
        let c = c.clone();
        async move { c() == (2, 3) }
    })
    .await;
    running.shutdown().await;
}
