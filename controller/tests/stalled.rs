//! A permanently failing SealedSecret costs no RSA work until it, its Secret or the key set
//! changes, and says `Stalled=True` meanwhile (kstatus and Flux then report it as Failed);
//! `Synced` and `Ready` stay `False` for Argo CD. Witnesses: the key ring's RSA counter and
//! the fake's write log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use sealant_api::{SealedSecret, annotations};
use sealant_controller::Running;
use sealant_crypto::Scope;
use std::collections::BTreeMap;
use time::macros::datetime;

const NS: &str = "app";

/// The (status, reason, message) of condition `type_` of SealedSecret ns/name.
async fn condition(h: &Harness, name: &str, type_: &str) -> Option<(String, String, String)> {
    let ss = h.sealed(NS).get_opt(name).await.unwrap()?;
    let c = ss
        .status?
        .conditions
        .into_iter()
        .find(|c| c.type_ == type_)?;
    Some((
        c.status,
        c.reason.unwrap_or_default(),
        c.message.unwrap_or_default(),
    ))
}

async fn wait_failed(h: &Harness, running: &Running, name: &str) {
    eventually(running, &format!("{name} Synced=False"), || async {
        h.synced(NS, name)
            .await
            .is_some_and(|(s, _, _)| s == "False")
    })
    .await;
}

/// Make the controller reconcile `name` `n` more times without changing any input (a label
/// on the SealedSecret itself is not input), and return the writes those reconciles made.
async fn poke(h: &Harness, running: &Running, name: &str, n: u64) -> Vec<fakekube::Write> {
    h.fake.fake.reset_writes();
    for i in 0..n {
        let before = stats(running).reconciles;
        h.sealed(NS)
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(&serde_json::json!({
                    "metadata": { "labels": { "poked": i.to_string() } }
                })),
            )
            .await
            .unwrap();
        eventually(running, "a reconcile after the poke", || async {
            stats(running).reconciles > before
        })
        .await;
    }
    h.fake
        .fake
        .writes()
        .into_iter()
        .filter(|w| w.resource != "leases" && !(w.resource == "sealedsecrets" && w.verb == "patch"))
        .collect()
}

async fn assert_stalled(h: &Harness, name: &str, reason: &str) {
    let (status, stalled_reason, message) = condition(h, name, "Stalled")
        .await
        .unwrap_or_else(|| panic!("{name} has a Stalled condition"));
    assert_eq!(status, "True");
    assert_eq!(stalled_reason, reason);
    let (_, synced_reason, synced_message) = h.synced(NS, name).await.unwrap();
    assert_eq!(synced_reason, reason);
    assert_eq!(message, synced_message, "Stalled says what Synced says");
    let (ready, _, _) = condition(h, name, "Ready").await.unwrap();
    assert_eq!(ready, "False", "Ready stays False for Argo CD");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_value_among_many_costs_nothing_after_the_first_attempt() {
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&[]).await;
    // 200 values the controller's key opens, and one sealed with a key it does not hold
    // (sorted last, so every attempt pays for all the good ones first).
    let values: Vec<(String, String)> = (0..200)
        .map(|i| (format!("v{i:03}"), format!("value-{i}")))
        .collect();
    let literal: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut ss = seal(&test_key('a'), NS, "partial", Scope::Strict, &literal);
    let foreign = seal(
        &test_key('b'),
        NS,
        "partial",
        Scope::Strict,
        &[("zz", "late")],
    );
    ss.spec
        .encrypted_data
        .insert("zz".to_owned(), foreign.spec.encrypted_data["zz"].clone());
    h.create_sealed(&ss).await;
    wait_failed(&h, &running, "partial").await;
    let first_attempt = running.keys().rsa_operations();
    assert!(
        first_attempt >= 200,
        "the first attempt opened the good values"
    );

    let writes = poke(&h, &running, "partial", 5).await;
    assert_eq!(
        running.keys().rsa_operations(),
        first_attempt,
        "no RSA work on a stalled object"
    );
    assert_eq!(writes, vec![], "no Secret, status or Event write either");
    assert_stalled(&h, "partial", "ErrUnsealFailed").await;

    // A new key is a change: the object is tried again at once, and now opens.
    h.add_key_secret('b', datetime!(2024-06-01 0:00 UTC)).await;
    eventually(&running, "unsealed with the new key", || async {
        h.secret_data(NS, "partial")
            .await
            .is_some_and(|d| d["zz"] == "late" && d["v199"] == "value-199")
    })
    .await;
    eventually(&running, "Synced=True and no longer Stalled", || async {
        h.synced(NS, "partial")
            .await
            .is_some_and(|(s, _, _)| s == "True")
            && condition(&h, "partial", "Stalled").await.is_none()
    })
    .await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_that_does_not_render_waits_for_the_object_to_change() {
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&[]).await;
    let mut ss = seal(
        &test_key('a'),
        NS,
        "tmpl",
        Scope::Strict,
        &[("user", "admin")],
    );
    ss.spec.template.data.insert(
        "dsn".to_owned(),
        Some("{{ .user | nosuchfunction }}".to_owned()),
    );
    h.create_sealed(&ss).await;
    wait_failed(&h, &running, "tmpl").await;
    let rsa = running.keys().rsa_operations();
    let writes = poke(&h, &running, "tmpl", 3).await;
    assert_eq!(
        running.keys().rsa_operations(),
        rsa,
        "no RSA work while stalled"
    );
    assert_eq!(writes, vec![]);
    assert_stalled(&h, "tmpl", "ErrUnsealFailed").await;

    // Fixing the template is a change of the object: it renders.
    h.sealed(NS)
        .patch(
            "tmpl",
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({
                "spec": { "template": { "data": { "dsn": "u={{ .user | upper }}" } } }
            })),
        )
        .await
        .unwrap();
    eventually(&running, "rendered", || async {
        h.secret_data(NS, "tmpl")
            .await
            .is_some_and(|d| d.get("dsn").map(String::as_str) == Some("u=ADMIN"))
    })
    .await;
    eventually(&running, "no longer Stalled", || async {
        condition(&h, "tmpl", "Stalled").await.is_none()
    })
    .await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_past_the_flagged_output_cap_stalls_with_the_cap_named() {
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&["--template-max-key-bytes=64"]).await;
    let mut ss = seal(
        &test_key('a'),
        NS,
        "big",
        Scope::Strict,
        &[("v", "0123456789")],
    );
    // 8 × 10 bytes: 80 > 64, so the flag (not the 1 MiB default) must refuse it.
    ss.spec
        .template
        .data
        .insert("out".to_owned(), Some("{{.v}}".repeat(8)));
    h.create_sealed(&ss).await;
    wait_failed(&h, &running, "big").await;
    assert_stalled(&h, "big", "ErrUnsealFailed").await;
    let (_, _, message) = condition(&h, "big", "Stalled").await.unwrap();
    assert!(message.contains("max_key_bytes"), "{message}");
    assert!(!message.contains("0123456789"), "{message}");
    assert_eq!(h.secret(NS, "big").await, None, "nothing was written");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_immutable_or_foreign_secret_waits_for_the_secret_to_change() {
    let h = Harness::with_key('a').await;
    let pp = PostParams::default();
    let secret = |name: &str, annotation: Option<&str>, immutable: bool| {
        let mut s = Secret::default();
        s.metadata.name = Some(name.to_owned());
        s.metadata.namespace = Some(NS.to_owned());
        s.metadata.annotations =
            annotation.map(|a| BTreeMap::from([(a.to_owned(), "true".to_owned())]));
        s.immutable = immutable.then_some(true);
        s.data = Some(BTreeMap::from([("v".to_owned(), bytes("old"))]));
        s
    };
    h.secrets(NS)
        .create(&pp, &secret("frozen", Some(annotations::MANAGED), true))
        .await
        .unwrap();
    h.secrets(NS)
        .create(&pp, &secret("foreign", None, false))
        .await
        .unwrap();
    let running = h.start_controller(&[]).await;
    let objects: Vec<SealedSecret> = ["frozen", "foreign"]
        .iter()
        .map(|name| seal(&test_key('a'), NS, name, Scope::Strict, &[("v", "new")]))
        .collect();
    for ss in &objects {
        h.create_sealed(ss).await;
    }
    for name in ["frozen", "foreign"] {
        wait_failed(&h, &running, name).await;
    }
    let rsa = running.keys().rsa_operations();
    for name in ["frozen", "foreign"] {
        let writes = poke(&h, &running, name, 3).await;
        assert_eq!(writes, vec![], "{name}: nothing written while stalled");
    }
    assert_eq!(
        running.keys().rsa_operations(),
        rsa,
        "no RSA work while stalled"
    );
    assert_stalled(&h, "frozen", "ErrUpdateFailed").await;
    assert_stalled(&h, "foreign", "ErrUpdateFailed").await;

    // Each Secret's change (deleted; annotated by its owner) is the change they wait for.
    h.secrets(NS)
        .delete("frozen", &DeleteParams::default())
        .await
        .unwrap();
    h.secrets(NS)
        .patch(
            "foreign",
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({
                "metadata": { "annotations": { annotations::MANAGED: "true" } }
            })),
        )
        .await
        .unwrap();
    for name in ["frozen", "foreign"] {
        eventually(&running, &format!("{name} written"), || async {
            h.secret_data(NS, name)
                .await
                .is_some_and(|d| d["v"] == "new")
        })
        .await;
        eventually(&running, &format!("{name} no longer Stalled"), || async {
            condition(&h, name, "Stalled").await.is_none()
                && h.synced(NS, name)
                    .await
                    .is_some_and(|(s, _, _)| s == "True")
        })
        .await;
    }
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_errors_retry_with_backoff_and_never_stall() {
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&[]).await;
    h.fake.fake.inject_fault("create", "secrets", 500, 4);
    h.create_sealed(&seal(
        &test_key('a'),
        NS,
        "flaky",
        Scope::Strict,
        &[("v", "1")],
    ))
    .await;
    eventually(&running, "written after the errors", || async {
        h.secret_data(NS, "flaky")
            .await
            .is_some_and(|d| d["v"] == "1")
    })
    .await;
    eventually(&running, "Synced=True", || async {
        h.synced(NS, "flaky")
            .await
            .is_some_and(|(s, _, _)| s == "True")
    })
    .await;
    assert!(condition(&h, "flaky", "Stalled").await.is_none());
    assert!(
        stats(&running).failed >= 4,
        "each error was a failed attempt, retried"
    );
    running.shutdown().await;
}
