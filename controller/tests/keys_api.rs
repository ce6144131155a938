//! `GET /v1/keys` from real controllers (leader and standby) with their HTTP servers on
//! 127.0.0.1, against the fake API server: states, validity, holders and the usage the
//! leader counts; a standby says it does not know the usage rather than guessing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, eventually, seal, test_key};
use sealant_controller::{Running, Servers};
use sealant_crypto::Scope;
use serde_json::Value;
use time::macros::datetime;

async fn start_with_api(h: &Harness, id: &str) -> (Running, Servers) {
    let id = format!("--leader-elect-id={id}");
    h.start_with_servers(&[
        "--listen-metrics-addr=",
        "--leader-elect-lease-duration=2s",
        "--leader-elect-renew-grace=1s",
        &id,
    ])
    .await
}

async fn inventory(servers: &Servers) -> Value {
    let url = format!("http://{}/v1/keys", servers.api_addr.unwrap());
    tokio::task::spawn_blocking(move || {
        let mut resp = ureq::get(&url).call().unwrap();
        assert_eq!(resp.status(), 200);
        let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(ct, "application/json");
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
    })
    .await
    .unwrap()
}

fn key<'a>(inv: &'a Value, fingerprint: &str) -> &'a Value {
    inv["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["fingerprint"] == fingerprint)
        .unwrap_or_else(|| panic!("{fingerprint} not listed in {inv}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_lists_keys_with_usage_and_a_standby_without() {
    let h = Harness::new().await;
    let secret_a = h.add_key_secret('a', datetime!(2025-01-01 0:00 UTC)).await;
    let secret_b = h.add_key_secret('b', datetime!(2026-01-01 0:00 UTC)).await;
    let (leader, leader_api) = start_with_api(&h, "leader").await;
    leader.leadership().wait_for(|l| *l).await.unwrap();
    let (standby, standby_api) = start_with_api(&h, "standby").await;
    for (name, which) in [("one", 'a'), ("two", 'a'), ("three", 'b')] {
        h.create_sealed(&seal(
            &test_key(which),
            "app",
            name,
            Scope::Strict,
            &[("v", name)],
        ))
        .await;
    }
    eventually(&leader, "three synced", || h.all_synced("app", 3)).await;

    let (fa, fb) = (
        test_key('a').fingerprint().to_hex(),
        test_key('b').fingerprint().to_hex(),
    );
    // Usage is recorded as each reconcile ends; wait for the inventory to catch up.
    eventually(&leader, "usage counted", || async {
        let inv = inventory(&leader_api).await;
        inv["usage_counted"] == true && key(&inv, &fa)["usage"] == 2
    })
    .await;
    let inv = inventory(&leader_api).await;
    assert_eq!(inv["keys"].as_array().unwrap().len(), 2);
    let (a, b) = (key(&inv, &fa), key(&inv, &fb));
    assert_eq!(
        (&a["state"], &a["usage"], &a["secrets"]),
        (
            &"decrypt-only".into(),
            &2.into(),
            &serde_json::json!([secret_a])
        )
    );
    assert_eq!(
        (&b["state"], &b["usage"], &b["secrets"]),
        (&"active".into(), &1.into(), &serde_json::json!([secret_b]))
    );
    assert_eq!(a["not_before"], "2025-01-01T00:00:00Z");
    assert!(a["not_after"].as_str().unwrap() > "2030");
    // Public facts only: no field carries key material.
    let text = inv.to_string();
    assert!(
        !text.contains("PRIVATE") && !text.contains("BEGIN"),
        "{text}"
    );

    // The standby knows the keys (its own watch) but not the usage.
    let inv = inventory(&standby_api).await;
    assert_eq!(inv["usage_counted"], false, "{inv}");
    assert_eq!(key(&inv, &fb)["state"], "active");
    assert_eq!(key(&inv, &fa)["usage"], Value::Null);

    for (running, servers) in [(leader, leader_api), (standby, standby_api)] {
        running.shutdown().await;
        servers.shutdown().await;
    }
}
