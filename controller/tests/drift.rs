//! Drift made while no controller runs does not survive a restart: an edited Secret is
//! written back (with an Event) by the next controller, which still spends no RSA work and
//! no write on the Secrets nobody touched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kube::api::{ListParams, Patch, PatchParams};
use sealant_crypto::Scope;
use std::collections::BTreeMap;

const NS: &str = "drift";
const N: usize = 30;

fn name(i: usize) -> String {
    format!("s{i:02}")
}

async fn patch_secret(h: &Harness, name: &str, patch: serde_json::Value) {
    h.secrets(NS)
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
}

/// Names of the Secrets written since the fake's write log was last reset, in order.
fn secret_writes(h: &Harness) -> Vec<String> {
    h.fake
        .fake
        .writes()
        .into_iter()
        .filter(|w| w.resource == "secrets")
        .map(|w| w.name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_edited_during_downtime_are_restored_and_the_rest_cost_nothing() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    for i in 0..N {
        let mut ss = seal(
            &key,
            NS,
            &name(i),
            Scope::Strict,
            &[("user", "app"), ("password", &format!("pw-{i}"))],
        );
        ss.spec.template.metadata.labels =
            Some(BTreeMap::from([("tier".to_owned(), "db".to_owned())]));
        h.create_sealed(&ss).await;
    }
    let first = h.start_controller(&[]).await;
    eventually(&first, "all Synced", || h.all_synced(NS, N)).await;
    first.shutdown().await;

    // While no controller runs: one value changed, one value added, one value removed, a
    // template label removed, and — harmless — a label of someone else's added.
    patch_secret(
        &h,
        "s03",
        serde_json::json!({ "data": { "password": "aGFja2Vk" } }),
    )
    .await;
    patch_secret(
        &h,
        "s07",
        serde_json::json!({ "data": { "extra": "aGFja2Vk" } }),
    )
    .await;
    patch_secret(&h, "s11", serde_json::json!({ "data": { "user": null } })).await;
    patch_secret(
        &h,
        "s13",
        serde_json::json!({ "metadata": { "labels": { "tier": null } } }),
    )
    .await;
    patch_secret(
        &h,
        "s17",
        serde_json::json!({ "metadata": { "labels": { "backup": "nightly" } } }),
    )
    .await;
    let edited = ["s03", "s07", "s11", "s13"];

    h.fake.fake.reset_writes();
    let second = h.start_controller(&[]).await;
    eventually(&second, "every object reconciled", || async {
        stats(&second).objects == N as u64
    })
    .await;
    eventually(&second, "the edits undone", || async {
        let mut all = true;
        for name in edited {
            let secret = h.secret(NS, name).await.unwrap();
            let data = h.secret_data(NS, name).await.unwrap();
            all &= data.get("user").map(String::as_str) == Some("app")
                && data["password"] == format!("pw-{}", &name[1..].parse::<usize>().unwrap())
                && !data.contains_key("extra")
                && secret
                    .metadata
                    .labels
                    .unwrap_or_default()
                    .get("tier")
                    .map(String::as_str)
                    == Some("db");
        }
        all
    })
    .await;

    // Each restore is an Event on its SealedSecret.
    let events: kube::Api<k8s_openapi::api::events::v1::Event> =
        kube::Api::namespaced(h.client.clone(), NS);
    let events = events.list(&ListParams::default()).await.unwrap().items;
    for name in edited {
        assert!(
            events.iter().any(|e| {
                e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name)
                    && e.reason.as_deref() == Some("SecretRestored")
                    && e.type_.as_deref() == Some("Warning")
            }),
            "a SecretRestored Event for {name}"
        );
    }

    // Only the edited Secrets cost RSA work (two values each) and writes.
    assert_eq!(second.keys().rsa_operations(), 2 * edited.len() as u64);
    second.shutdown().await;
    let mut written = secret_writes(&h);
    written.sort();
    assert_eq!(written, edited, "only the edited Secrets were written");
    assert_eq!(
        h.fake.fake.count_writes("patch", "sealedsecrets/status"),
        0,
        "no status changed"
    );
    // s17's foreign label stays: it is not the controller's to remove.
    let s17 = h.secret(NS, "s17").await.unwrap();
    assert_eq!(s17.metadata.labels.unwrap()["backup"], "nightly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_restart_costs_no_rsa_work_for_untouched_secrets() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    for i in 0..N {
        h.create_sealed(&seal(&key, NS, &name(i), Scope::Strict, &[("v", &name(i))]))
            .await;
    }
    let first = h.start_controller(&[]).await;
    eventually(&first, "all Synced", || h.all_synced(NS, N)).await;
    first.shutdown().await;
    patch_secret(
        &h,
        "s05",
        serde_json::json!({ "data": { "v": "aGFja2Vk" } }),
    )
    .await;

    let second = h.start_controller(&[]).await;
    eventually(&second, "s05 restored", || async {
        h.secret_data(NS, "s05")
            .await
            .is_some_and(|d| d["v"] == "s05")
    })
    .await;
    eventually(&second, "every object reconciled", || async {
        stats(&second).objects == N as u64
    })
    .await;
    assert_eq!(
        second.keys().rsa_operations(),
        1,
        "one value of one edited Secret decrypted, nothing else"
    );
    let s = stats(&second);
    assert_eq!(s.written, 1, "{s:?}");
    second.shutdown().await;
}

/// A `patch` Secret (someone else's, merged into) is sealed over the keys its SealedSecret
/// defines only, which the controller's cache does not keep (issue 18's reduced copy). After
/// a restart the first look must still judge it against those keys: an untouched one costs
/// no write and no Event, and one whose merged value was changed meanwhile is restored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_secrets_are_judged_on_their_own_keys_after_a_restart() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    for name in ["kept", "edited"] {
        let mut secret = k8s_openapi::api::core::v1::Secret::default();
        secret.metadata.name = Some(name.to_owned());
        secret.metadata.annotations = Some(BTreeMap::from([(
            sealant_api::annotations::PATCH.to_owned(),
            "true".to_owned(),
        )]));
        secret.data = Some(BTreeMap::from([("theirs".to_owned(), bytes("x"))]));
        h.secrets(NS)
            .create(&kube::api::PostParams::default(), &secret)
            .await
            .unwrap();
        h.create_sealed(&seal(&key, NS, name, Scope::Strict, &[("ours", "v")]))
            .await;
    }
    let first = h.start_controller(&[]).await;
    eventually(&first, "both Synced", || h.all_synced(NS, 2)).await;
    first.shutdown().await;
    patch_secret(
        &h,
        "edited",
        serde_json::json!({ "data": { "ours": "aGFja2Vk" } }),
    )
    .await;

    h.fake.fake.reset_writes();
    let second = h.start_controller(&[]).await;
    eventually(&second, "the edit undone", || async {
        h.secret_data(NS, "edited").await.unwrap()["ours"] == "v"
    })
    .await;
    eventually(&second, "both reconciled", || async {
        stats(&second).objects == 2
    })
    .await;
    second.shutdown().await;
    assert_eq!(
        secret_writes(&h),
        ["edited"],
        "only the edited Secret was written"
    );
    assert_eq!(h.secret_data(NS, "kept").await.unwrap()["theirs"], "x");
}
