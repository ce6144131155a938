//! The certificate ConfigMap is an integrity target: whoever may update ConfigMaps in the
//! controller namespace could make everyone who seals from it seal for their own key. The
//! leader restores it after any change it did not make, once per change, with a Warning
//! Event and a count in `sealant_certificate_configmap_repairs_total`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use k8s_openapi::api::{core::v1::ConfigMap, events::v1::Event};
use kube::{
    Api,
    api::{DeleteParams, ListParams, PostParams},
};
use sealant_api::contract::{ACTIVE_CERT_KEY, ALL_CERTS_KEY, CERTIFICATES_CONFIGMAP};
use sealant_controller::{keys::REASON_CERTIFICATES_REPAIRED, metrics::KeySnapshot};
use sealant_keys::{CertificateOptions, self_signed_certificate};
use std::{collections::BTreeMap, time::Duration};
use time::macros::datetime;

/// The controller's writes to the certificate ConfigMap so far, by verb, in order.
fn controller_writes(fake: &fakekube::FakeKube) -> Vec<String> {
    fake.request_log()
        .into_iter()
        .filter(|r| {
            r.user.is_empty()
                && r.resource == "configmaps"
                && ["create", "update", "patch", "delete"].contains(&r.verb.as_str())
        })
        .map(|r| r.verb)
        .collect()
}

/// A sample's value in the controller's metrics exposition.
fn metric(running: &sealant_controller::Running, series: &str) -> Option<f64> {
    let text = running
        .context
        .metrics
        .encode(&KeySnapshot::default())
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn repairs(running: &sealant_controller::Running, change: &str) -> Option<f64> {
    metric(
        running,
        &format!("sealant_certificate_configmap_repairs_total{{change=\"{change}\"}}"),
    )
}

/// Warning Events about the ConfigMap being repaired, counting repeats of one Event.
async fn repair_events(h: &Harness) -> u64 {
    let events: Api<Event> = Api::namespaced(h.client.clone(), CONTROLLER_NS);
    events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter(|e| {
            e.reason.as_deref() == Some(REASON_CERTIFICATES_REPAIRED)
                && e.type_.as_deref() == Some("Warning")
                && e.regarding.as_ref().and_then(|r| r.name.as_deref())
                    == Some(CERTIFICATES_CONFIGMAP)
                && e.regarding.as_ref().and_then(|r| r.kind.as_deref()) == Some("ConfigMap")
        })
        .map(|e| {
            e.series
                .as_ref()
                .map_or(1, |s| u64::try_from(s.count).unwrap())
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_or_deleted_certificate_configmap_is_restored_once_with_an_event() {
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&[]).await;
    let configmaps: Api<ConfigMap> = Api::namespaced(h.driver(), CONTROLLER_NS);
    let data = || async {
        configmaps
            .get_opt(CERTIFICATES_CONFIGMAP)
            .await
            .unwrap()
            .and_then(|cm| cm.data)
    };
    eventually(&running, "certificates published", || async {
        data().await.is_some()
    })
    .await;
    let published = data().await.unwrap();
    let genuine = newest_cert_pem(&running);
    assert_eq!(published[ACTIVE_CERT_KEY], genuine);
    assert_eq!(controller_writes(&h.fake.fake), ["create"]);
    assert_eq!(repairs(&running, "modified"), Some(0.0));
    assert_eq!(repairs(&running, "deleted"), Some(0.0));

    // The attacker's certificate, for a key the controller does not hold.
    let attacker = self_signed_certificate(
        &test_key('c'),
        &CertificateOptions::new(datetime!(2026-01-01 0:00 UTC)),
    )
    .unwrap()
    .to_pem();
    let restored = || async {
        configmaps
            .get_opt(CERTIFICATES_CONFIGMAP)
            .await
            .unwrap()
            .is_some_and(|cm| cm.data.as_ref() == Some(&published) && cm.immutable != Some(true))
    };

    // 1. cert.pem replaced.
    let mut cm = configmaps.get(CERTIFICATES_CONFIGMAP).await.unwrap();
    cm.data
        .get_or_insert_with(BTreeMap::new)
        .insert(ACTIVE_CERT_KEY.to_owned(), attacker.clone());
    configmaps
        .replace(CERTIFICATES_CONFIGMAP, &PostParams::default(), &cm)
        .await
        .unwrap();
    eventually(&running, "restored after cert.pem was replaced", restored).await;
    eventually(&running, "counted as modified", || async {
        repairs(&running, "modified") == Some(1.0)
    })
    .await;

    // 2. Deleted.
    configmaps
        .delete(CERTIFICATES_CONFIGMAP, &DeleteParams::default())
        .await
        .unwrap();
    eventually(&running, "recreated after deletion", restored).await;
    eventually(&running, "counted as deleted", || async {
        repairs(&running, "deleted") == Some(1.0)
    })
    .await;

    // 3. Replaced and made immutable, so it can no longer be updated: deleted and recreated.
    let mut cm = configmaps.get(CERTIFICATES_CONFIGMAP).await.unwrap();
    cm.data
        .get_or_insert_with(BTreeMap::new)
        .insert(ACTIVE_CERT_KEY.to_owned(), attacker);
    cm.immutable = Some(true);
    configmaps
        .replace(CERTIFICATES_CONFIGMAP, &PostParams::default(), &cm)
        .await
        .unwrap();
    eventually(&running, "restored after being frozen", restored).await;
    eventually(&running, "counted as modified", || async {
        repairs(&running, "modified") == Some(2.0)
    })
    .await;
    eventually(&running, "a Warning Event per repair", || async {
        repair_events(&h).await == 3
    })
    .await;

    // One write per repair (the frozen one takes a delete and a create), and nothing after:
    // the controller's own writes come back through its watch and must not cause more.
    let expected = ["create", "update", "create", "delete", "create"];
    assert_eq!(controller_writes(&h.fake.fake), expected);
    let fake = h.fake.fake.clone();
    // Longer than the pacing between repairs in a row, so a loop would show.
    let writes = expected.len();
    let more = fake
        .wait_until(Duration::from_secs(5), move |f| {
            controller_writes(f).len() > writes
        })
        .await;
    assert!(!more, "{:?}", controller_writes(&h.fake.fake));
    assert_eq!(repairs(&running, "modified"), Some(2.0));
    assert_eq!(repairs(&running, "deleted"), Some(1.0));
    assert_eq!(repair_events(&h).await, 3);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_changes_by_others_and_new_keys_are_not_repairs() {
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&[]).await;
    let configmaps: Api<ConfigMap> = Api::namespaced(h.driver(), CONTROLLER_NS);

    // Another tool labels it: the certificates are intact, so nothing is written.
    let mut cm = published_certificates(&running, &configmaps).await;
    cm.metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert("team".to_owned(), "platform".to_owned());
    configmaps
        .replace(CERTIFICATES_CONFIGMAP, &PostParams::default(), &cm)
        .await
        .unwrap();
    // A new key: the ConfigMap is rewritten, as a publication, not a repair.
    h.add_key_secret('b', datetime!(2026-01-01 0:00 UTC)).await;
    eventually(&running, "both certificates published", || async {
        configmaps
            .get(CERTIFICATES_CONFIGMAP)
            .await
            .unwrap()
            .data
            .is_some_and(|d| d[ALL_CERTS_KEY].matches("BEGIN CERTIFICATE").count() == 2)
    })
    .await;
    assert_eq!(controller_writes(&h.fake.fake), ["create", "update"]);
    assert_eq!(repairs(&running, "modified"), Some(0.0));
    assert_eq!(repairs(&running, "deleted"), Some(0.0));
    assert_eq!(repair_events(&h).await, 0);
    running.shutdown().await;
}
