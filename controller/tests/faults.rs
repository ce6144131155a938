//! Convergence under faults: 200 objects while the fake answers with 500s, 409s and 429s
//! and drops every watch — every object ends up right, once, with nothing lost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kube::api::ListParams;
use sealant_crypto::Scope;

const N: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_objects_converge_through_errors_and_watch_drops() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    let fake = &h.fake.fake;
    let running = h.start_controller(&[]).await;

    fake.inject_fault("create", "secrets", 500, 15);
    fake.inject_fault("get", "secrets", 500, 10);
    fake.inject_fault("patch", "sealedsecrets", 500, 10);
    fake.inject_fault("create", "secrets", 409, 5);
    fake.inject_fault("get", "secrets", 429, 5);
    for i in 0..N {
        let name = format!("f{i:03}");
        h.create_sealed(&seal(&key, "faults", &name, Scope::Strict, &[("v", &name)]))
            .await;
        if i % 50 == 25 {
            fake.drop_watches();
        }
        if i == 150 {
            // Force the watchers through a relist (410 Gone on resume).
            fake.compact();
            fake.drop_watches();
        }
    }

    eventually(&running, "all objects Synced", || h.all_synced("faults", N)).await;

    // Nothing lost, nothing duplicated, every value right, one owner each.
    let secrets = h
        .secrets("faults")
        .list(&ListParams::default())
        .await
        .unwrap()
        .items;
    assert_eq!(secrets.len(), N);
    for secret in &secrets {
        let name = secret.metadata.name.clone().unwrap();
        let value = &secret.data.as_ref().unwrap()["v"].0;
        assert_eq!(String::from_utf8_lossy(value), name);
        assert_eq!(secret.metadata.owner_references.as_ref().unwrap().len(), 1);
    }
    let creates = fake
        .writes()
        .iter()
        .filter(|w| w.verb == "create" && w.resource == "secrets" && w.namespace == "faults")
        .count();
    assert_eq!(creates, N, "each Secret created exactly once");
    running.shutdown().await;
}
