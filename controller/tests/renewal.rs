//! Key renewal: on schedule from the newest key's age, at a cutoff, on an RBAC-governed
//! request annotation (once per request), and on the SIGUSR1 trigger.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kube::api::{ListParams, Patch, PatchParams};
use sealant_api::contract::ROTATE_REQUESTED_AT;
use sealant_controller::Running;
use time::{OffsetDateTime, format_description::well_known::Rfc3339, macros::datetime};

async fn key_secret_names(h: &Harness) -> Vec<String> {
    let list = h
        .secrets(CONTROLLER_NS)
        .list(&ListParams::default().labels(&sealant_api::contract::KeyLabel::active_selector()))
        .await
        .unwrap();
    list.items
        .into_iter()
        .filter_map(|s| s.metadata.name)
        .collect()
}

async fn wait_for_keys(h: &Harness, running: &Running, n: usize) {
    let keys = running.keys().clone();
    eventually(running, &format!("{n} keys"), || {
        let in_ring = keys.ring().len();
        async move { in_ring == n && key_secret_names(h).await.len() == n }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_key_is_renewed_once_on_start_from_its_age() {
    let h = Harness::new().await;
    // 2025-01-01 is more than 720h ago: the schedule, computed from the key's age, is due.
    h.add_key_secret('a', datetime!(2025-01-01 0:00 UTC)).await;
    let running = h.start_controller(&["--key-renew-period=720h"]).await;
    wait_for_keys(&h, &running, 2).await;
    let newest = running
        .keys()
        .ring()
        .newest()
        .unwrap()
        .not_before()
        .unwrap();
    assert!(OffsetDateTime::now_utc() - newest < time::Duration::minutes(5));
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cutoff_forces_a_key_only_when_the_newest_predates_it() {
    let h = Harness::new().await;
    h.add_key_secret('a', datetime!(2025-01-01 0:00 UTC)).await;
    let running = h
        .start_controller(&[
            "--key-renew-period=0",
            "--key-cutoff-time=Thu, 01 Jan 2026 00:00:00 +0000",
        ])
        .await;
    wait_for_keys(&h, &running, 2).await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_request_makes_exactly_one_key_and_its_repeat_none() {
    let h = Harness::new().await;
    let first = h.add_key_secret('a', datetime!(2025-01-01 0:00 UTC)).await;
    let running = h.start_controller(&["--key-renew-period=0"]).await;
    assert_eq!(running.keys().ring().len(), 1);

    let request = |at: OffsetDateTime| serde_json::json!({ "metadata": { "annotations": { ROTATE_REQUESTED_AT: at.format(&Rfc3339).unwrap() } } });
    let asked = OffsetDateTime::now_utc();
    let patch = |name: String, body: serde_json::Value| {
        let api = h.secrets(CONTROLLER_NS);
        async move {
            api.patch(&name, &PatchParams::default(), &Patch::Merge(&body))
                .await
                .unwrap()
        }
    };
    patch(first.clone(), request(asked)).await;
    wait_for_keys(&h, &running, 2).await;

    // The same request, now also on the new key Secret: already satisfied.
    let second = key_secret_names(&h)
        .await
        .into_iter()
        .find(|n| *n != first)
        .unwrap();
    patch(second, request(asked)).await;
    let keys = running.keys().clone();
    eventually(&running, "repeat seen by the key watch", || {
        let seen = keys.latest_rotation_request().is_some();
        async move { seen }
    })
    .await;
    // A later request makes exactly one more: 3 in all, not 4.
    patch(
        first,
        request(OffsetDateTime::now_utc() + time::Duration::seconds(1)),
    )
    .await;
    wait_for_keys(&h, &running, 3).await;
    running.shutdown().await;
    assert_eq!(key_secret_names(&h).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manual_trigger_makes_one_key() {
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&["--key-renew-period=0"]).await;
    running.renewal_trigger().rotate_now();
    wait_for_keys(&h, &running, 2).await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_are_published_in_a_configmap_and_follow_new_keys() {
    use k8s_openapi::api::core::v1::ConfigMap;
    use sealant_api::contract::{ACTIVE_CERT_KEY, ALL_CERTS_KEY, CERTIFICATES_CONFIGMAP};
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&[]).await;
    let configmaps: kube::Api<ConfigMap> = kube::Api::namespaced(h.client.clone(), CONTROLLER_NS);
    let newest_pem = |running: &Running| {
        running
            .keys()
            .ring()
            .newest()
            .unwrap()
            .certificate()
            .unwrap()
            .to_pem()
    };
    let published = |n: usize, active: String| {
        let configmaps = configmaps.clone();
        async move {
            let Some(cm) = configmaps.get_opt(CERTIFICATES_CONFIGMAP).await.unwrap() else {
                return false;
            };
            let data = cm.data.unwrap_or_default();
            data.get(ACTIVE_CERT_KEY) == Some(&active)
                && data
                    .get(ALL_CERTS_KEY)
                    .is_some_and(|all| all.matches("BEGIN CERTIFICATE").count() == n)
        }
    };
    let active = newest_pem(&running);
    eventually(&running, "one certificate published", || {
        published(1, active.clone())
    })
    .await;

    running.renewal_trigger().rotate_now();
    wait_for_keys(&h, &running, 2).await;
    let active = newest_pem(&running);
    eventually(&running, "the new certificate published first", || {
        published(2, active.clone())
    })
    .await;
    running.shutdown().await;
}
