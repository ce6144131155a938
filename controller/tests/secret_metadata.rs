//! Controller-wide labels and annotations on every generated Secret (Bitnami #2059,
//! `--additional-secret-labels` / `--additional-secret-annotations`): the template's own keys
//! win, a restart with the same flags writes nothing, and changed flags reach every existing
//! Secret once, by a metadata patch, without decrypting anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use sealant_crypto::Scope;
use std::collections::BTreeMap;

const VELERO: &str = "velero.io/exclude-from-backup";
const NOTE: &str = "example.com/note";

fn labels_of(secret: &k8s_openapi::api::core::v1::Secret) -> BTreeMap<String, String> {
    secret.metadata.labels.clone().unwrap_or_default()
}

/// Writes to Secrets in the fake's log, as (verb, namespace/name), sorted.
fn secret_writes(h: &Harness) -> Vec<(String, String)> {
    let mut writes: Vec<(String, String)> = h
        .fake
        .fake
        .writes()
        .into_iter()
        .filter(|w| w.resource == "secrets" && w.namespace == "app")
        .map(|w| (w.verb, format!("{}/{}", w.namespace, w.name)))
        .collect();
    writes.sort();
    writes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_metadata_reaches_every_secret_and_converges_once() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    h.create_sealed(&seal(&key, "app", "plain", Scope::Strict, &[("v", "1")]))
        .await;
    let mut own = seal(&key, "app", "own", Scope::Strict, &[("v", "2")]);
    own.spec.template.metadata.labels = Some(BTreeMap::from([("team".into(), "db".into())]));
    h.create_sealed(&own).await;

    let flags = [
        "--additional-secret-labels=velero.io/exclude-from-backup=true,team=ops",
        "--additional-secret-annotations=example.com/note=controller",
    ];
    let first = h.start_controller(&flags).await;
    eventually(&first, "both unsealed", || h.all_synced("app", 2)).await;
    let plain = h.secret("app", "plain").await.unwrap();
    assert_eq!(labels_of(&plain)[VELERO], "true");
    assert_eq!(labels_of(&plain)["team"], "ops");
    assert_eq!(plain.metadata.annotations.unwrap()[NOTE], "controller");
    let owned = h.secret("app", "own").await.unwrap();
    assert_eq!(labels_of(&owned)[VELERO], "true");
    assert_eq!(labels_of(&owned)["team"], "db", "the template's key wins");
    first.shutdown().await;

    // Same flags: the Secrets are current, nothing is written or decrypted.
    h.fake.fake.reset_writes();
    let second = h.start_controller(&flags).await;
    eventually(&second, "both reconciled", || async {
        stats(&second).objects == 2
    })
    .await;
    assert_eq!(secret_writes(&h), vec![]);
    assert_eq!(second.keys().rsa_operations(), 0);
    second.shutdown().await;

    // A new label: one metadata patch per Secret, no decryption, data untouched.
    h.fake.fake.reset_writes();
    let changed = [
        "--additional-secret-labels=velero.io/exclude-from-backup=true,team=ops,tier=gold",
        "--additional-secret-annotations=example.com/note=controller",
    ];
    let third = h.start_controller(&changed).await;
    eventually(&third, "the new label on both Secrets", || async {
        let mut both = true;
        for name in ["plain", "own"] {
            let secret = h.secret("app", name).await.unwrap();
            both &= labels_of(&secret).get("tier").map(String::as_str) == Some("gold");
        }
        both && stats(&third).objects == 2
    })
    .await;
    assert_eq!(
        secret_writes(&h),
        vec![
            ("patch".to_owned(), "app/own".to_owned()),
            ("patch".to_owned(), "app/plain".to_owned()),
        ]
    );
    assert_eq!(third.keys().rsa_operations(), 0);
    assert_eq!(h.secret_data("app", "plain").await.unwrap()["v"], "1");
    assert_eq!(
        labels_of(&h.secret("app", "own").await.unwrap())["team"],
        "db"
    );
    third.shutdown().await;

    // Converged: the next start with these flags is quiet again.
    h.fake.fake.reset_writes();
    let fourth = h.start_controller(&changed).await;
    eventually(&fourth, "both reconciled", || async {
        stats(&fourth).objects == 2
    })
    .await;
    assert_eq!(secret_writes(&h), vec![]);
    fourth.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_keys_are_refused_at_start() {
    let h = Harness::with_key('a').await;
    for flag in [
        "--additional-secret-annotations=sealedsecrets.bitnami.com/patch=true",
        "--additional-secret-labels=sealant.dev/anything=x",
    ] {
        let flags = test_flags(&[flag]);
        let error = sealant_controller::start(h.client.clone(), &flags)
            .await
            .err()
            .unwrap_or_else(|| panic!("{flag} was accepted"));
        assert_eq!(error.exit_code(), 1, "{flag}: {error}");
        assert!(error.to_string().contains("reserved"), "{error}");
    }
}
