//! The Event budget (issue 18), end to end: a cold start of many SealedSecrets writes a
//! bounded number of `Unsealed` Events while every object is still unsealed and its status
//! written; `--event-budget=false` writes one per object.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use k8s_openapi::api::events::v1::Event;
use kube::{Api, api::ListParams};
use sealant_controller::{NORMAL_BURST, NORMAL_PER_SEC, REASON_UNSEALED};
use std::time::Instant;

const NS: &str = "budget";
/// Far more than the burst, so an unbudgeted controller cannot stay under it by chance.
const OBJECTS: usize = 100;

/// Seal `OBJECTS` objects, start a controller with `flags`, wait until all are Synced, and
/// return how many `Unsealed` Events were written and how long convergence took.
async fn unsealed_events(flags: &[&str]) -> (usize, f64) {
    let h = Harness::with_key('a').await;
    h.create_numbered('a', NS, OBJECTS).await;
    let started = Instant::now();
    let running = h.start_controller(flags).await;
    eventually(&running, "every object Synced", || {
        h.all_synced(NS, OBJECTS)
    })
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let events = Api::<Event>::namespaced(h.client.clone(), NS)
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter(|e| e.reason.as_deref() == Some(REASON_UNSEALED))
        .count();
    running.shutdown().await;
    (events, elapsed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_start_writes_a_bounded_number_of_events() {
    let (events, elapsed) = unsealed_events(&[]).await;
    // The burst, the sustained rate over the run, and one for the rounding of each.
    let allowed = f64::from(NORMAL_BURST) + (elapsed * NORMAL_PER_SEC).ceil() + 1.0;
    assert!(
        events as f64 <= allowed && events < OBJECTS,
        "{events} Unsealed Events for {OBJECTS} objects in {elapsed:.1} s (allowed {allowed})"
    );
    assert!(events > 0, "not even the burst was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_budget_every_object_gets_its_event() {
    let (events, _) = unsealed_events(&["--event-budget=false"]).await;
    assert_eq!(events, OBJECTS);
}
