//! Restart costs O(changed): 500 unchanged SealedSecrets, a restarted controller, and the
//! fake's write log and the key ring's RSA counter as witnesses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use sealant_crypto::Scope;

const N: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_500_unchanged_objects_does_no_rsa_work_and_no_writes() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    for i in 0..N {
        let name = format!("s{i:03}");
        h.create_sealed(&seal(&key, "bulk", &name, Scope::Strict, &[("v", &name)]))
            .await;
    }

    let first = h.start_controller(&[]).await;
    eventually(&first, "all 500 unsealed and Synced", || {
        h.all_synced("bulk", N)
    })
    .await;
    assert_eq!(stats(&first).written, N as u64);
    assert!(first.keys().rsa_operations() >= N as u64);
    first.shutdown().await;

    h.fake.fake.reset_writes();
    let second = h.start_controller(&[]).await;
    eventually(&second, "every object reconciled once", || async {
        stats(&second).objects == N as u64
    })
    .await;
    let s = stats(&second);
    assert_eq!(
        s.unchanged, s.reconciles,
        "every reconcile found its Secret current: {s:?}"
    );
    assert_eq!(s.written, 0);
    assert_eq!(s.status_writes, 0);
    assert_eq!(
        second.keys().rsa_operations(),
        0,
        "no RSA work after restart"
    );
    let writes: Vec<_> = h
        .fake
        .fake
        .writes()
        .into_iter()
        .filter(|w| w.resource != "leases")
        .collect();
    assert_eq!(
        writes,
        vec![],
        "nothing but the leader Lease written after restart"
    );
    // And the Secrets are still right.
    assert_eq!(h.secret_data("bulk", "s123").await.unwrap()["v"], "s123");
    second.shutdown().await;
}
