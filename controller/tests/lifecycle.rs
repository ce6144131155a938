//! The basic life of a SealedSecret against the fake API server: create, update, drift
//! correction (deletion and edits of the Secret), status, and Events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use sealant_crypto::Scope;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_delete_and_edit_converge() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    let running = h.start_controller(&[]).await;

    let ss = h
        .create_sealed(&seal(
            &key,
            "app",
            "db",
            Scope::Strict,
            &[("user", "admin"), ("password", "s3cret-1")],
        ))
        .await;
    eventually(&running, "Secret app/db created", || async {
        h.secret_data("app", "db").await.is_some()
    })
    .await;
    let secret = h.secret("app", "db").await.unwrap();
    let data = h.secret_data("app", "db").await.unwrap();
    assert_eq!(data["user"], "admin");
    assert_eq!(data["password"], "s3cret-1");
    let owner = &secret.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(owner.kind, "SealedSecret");
    assert_eq!(owner.api_version, "bitnami.com/v1alpha1");
    assert_eq!(Some(&owner.uid), ss.metadata.uid.as_ref());
    assert_eq!(owner.controller, Some(true));
    eventually(&running, "Synced=True", || async {
        h.synced("app", "db")
            .await
            .is_some_and(|(s, _, _)| s == "True")
    })
    .await;
    let status = h.sealed("app").get("db").await.unwrap().status.unwrap();
    assert_eq!(status.observed_generation, Some(1));
    assert!(
        status
            .conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")
    );

    // Update: new ciphertexts → Secret follows, observedGeneration follows.
    let mut updated = seal(
        &key,
        "app",
        "db",
        Scope::Strict,
        &[("password", "s3cret-2")],
    );
    updated.metadata.resource_version = None;
    h.sealed("app")
        .patch("db", &PatchParams::default(), &Patch::Merge(&serde_json::json!({
            "spec": { "encryptedData": { "user": null, "password": updated.spec.encrypted_data["password"] } }
        })))
        .await
        .unwrap();
    eventually(&running, "Secret updated", || async {
        h.secret_data("app", "db").await.is_some_and(|d| {
            d.get("password").map(String::as_str) == Some("s3cret-2") && !d.contains_key("user")
        })
    })
    .await;
    eventually(&running, "observedGeneration 2", || async {
        h.sealed("app")
            .get("db")
            .await
            .unwrap()
            .status
            .and_then(|s| s.observed_generation)
            == Some(2)
    })
    .await;

    // Someone deletes the Secret: it comes back.
    h.secrets("app")
        .delete("db", &DeleteParams::default())
        .await
        .unwrap();
    eventually(&running, "Secret re-created", || async {
        h.secret_data("app", "db")
            .await
            .is_some_and(|d| d["password"] == "s3cret-2")
    })
    .await;

    // Someone edits the data: the edit is reverted.
    h.secrets("app")
        .patch(
            "db",
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({
                "data": { "password": "aGFja2Vk" }
            })),
        )
        .await
        .unwrap();
    eventually(&running, "edit reverted", || async {
        h.secret_data("app", "db")
            .await
            .is_some_and(|d| d["password"] == "s3cret-2")
    })
    .await;

    // Status goes through the status subresource only; the object itself is never written.
    let fake = &h.fake.fake;
    assert!(fake.count_writes("patch", "sealedsecrets/status") >= 2);
    assert_eq!(
        fake.writes()
            .iter()
            .filter(|w| w.resource == "sealedsecrets" && w.verb != "create")
            .count(),
        1,
        "only the test's own spec patch wrote the object"
    );

    // Bitnami's success Event was published for the object.
    let events: kube::Api<k8s_openapi::api::events::v1::Event> =
        kube::Api::namespaced(h.client.clone(), "app");
    let list = events.list(&ListParams::default()).await.unwrap();
    assert!(
        list.items
            .iter()
            .any(|e| e.reason.as_deref() == Some("Unsealed"))
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_input_costs_nothing_but_metadata_changes_reconcile() {
    let h = Harness::with_key('a').await;
    let key = test_key('a');
    let running = h.start_controller(&[]).await;
    h.create_sealed(&seal(
        &key,
        "app",
        "api",
        Scope::Strict,
        &[("token", "t0k3n")],
    ))
    .await;
    eventually(&running, "Synced", || async {
        h.synced("app", "api")
            .await
            .is_some_and(|(s, _, _)| s == "True")
    })
    .await;
    let rsa_before = running.keys().rsa_operations();
    let before = stats(&running);
    h.fake.fake.reset_writes();

    // A label on the SealedSecret itself triggers a reconcile but changes no input.
    h.sealed("app")
        .patch(
            "api",
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({
                "metadata": { "labels": { "team": "payments" } }
            })),
        )
        .await
        .unwrap();
    h.fake.fake.reset_writes();
    eventually(&running, "another reconcile", || async {
        stats(&running).reconciles > before.reconciles
    })
    .await;
    let after = stats(&running);
    assert_eq!(after.written, before.written, "no Secret write");
    assert_eq!(after.status_writes, before.status_writes, "no status write");
    assert_eq!(running.keys().rsa_operations(), rsa_before, "no RSA work");
    assert!(
        h.fake.fake.writes().is_empty(),
        "writes: {:?}",
        h.fake.fake.writes()
    );

    // A template label is input: the Secret gets it.
    h.sealed("app")
        .patch(
            "api",
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({
                "spec": { "template": { "metadata": { "labels": { "tier": "backend" } } } }
            })),
        )
        .await
        .unwrap();
    eventually(&running, "template label applied", || async {
        h.secret("app", "api").await.is_some_and(|s| {
            s.metadata
                .labels
                .unwrap_or_default()
                .get("tier")
                .map(String::as_str)
                == Some("backend")
        })
    })
    .await;
    running.shutdown().await;
}

/// Issue 18: the controller's own writes (each Secret it creates, each status it writes)
/// come back through its watches and must cost nothing more: a cold start reads each
/// target Secret once (and finds it missing). An echo that races the write's reply may
/// still wake the object, but its reconcile knows from the watch that the Secret is the
/// version it wrote, without a request. Measured up to a marker: after convergence someone
/// else labels one Secret, and that event reaches the controller through the same Secret
/// watch after every echo of the controller's own writes, so once its reconcile is seen,
/// every echo has been handled. The marker's own reconcile reads its Secret twice
/// (metadata, then the data whose seal it checks). Without the filters every echo costs
/// a read: about twice as many.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_writes_cost_no_further_reads() {
    const OBJECTS: usize = 20;
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&[]).await;
    h.wait_for_secret_watch(&running).await;
    h.create_numbered('a', "app", OBJECTS).await;
    eventually(&running, "every object Synced", || {
        h.all_synced("app", OBJECTS)
    })
    .await;
    // A new object costs one create and one status write, and no read: the watch event's
    // ciphertexts are parked for the reconcile, and the Secret watch had never shown its
    // Secret (see `reconcile::pending` and `reconcile::secret_names`).
    assert_eq!(
        h.requests("get", "secrets", "app"),
        0,
        "target Secret reads"
    );
    assert_eq!(
        h.requests("get", "sealedsecrets", "app"),
        0,
        "SealedSecret reads"
    );
    assert_eq!(h.requests("create", "secrets", "app"), OBJECTS, "creates");
    let converged = stats(&running).reconciles;
    h.secrets("app")
        .patch(
            "s0",
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({ "metadata": { "labels": { "marker": "1" } } })),
        )
        .await
        .unwrap();
    // Waited for by its reads, not by the reconcile count: an echo that raced its write's
    // reply may still be reconciled around now, at no request, and would satisfy a count.
    eventually(&running, "the marker's reads", || async {
        stats(&running).reconciles > converged && h.requests("get", "secrets", "app") >= 2
    })
    .await;
    // The marker: its metadata, then its data for the seal; our writes' echoes cost none.
    assert_eq!(
        h.requests("get", "secrets", "app"),
        2,
        "target Secret reads for {OBJECTS} objects"
    );
    running.shutdown().await;
}

/// Issue 18: a change of status alone wakes no reconcile (another tool adding a condition,
/// or the echo of the controller's own status write). The cache judges each event against
/// the copy it holds (`reconcile::cached::slim_event`) instead of kube-runtime's predicate
/// filter, which kept a second map of every object.
///
/// A reconcile of `s1` is seen through its condition gauge, which carries the object's
/// `app.kubernetes.io/instance` label: relabelling `s1` is a change that wakes it and shows
/// when its reconcile is done, without any write. The status change of `s0` reaches the
/// controller through the same SealedSecret watch before the marker, so a reconcile it
/// woke would have been started first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_alone_wakes_nothing() {
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&[]).await;
    h.create_numbered('a', "app", 2).await;
    eventually(&running, "both objects Synced", || h.all_synced("app", 2)).await;
    // A first marker lets every reconcile of the start (echoes of our own writes) finish.
    relabel_and_wait(&h, &running, "s1", "barrier").await;
    let converged = stats(&running).reconciles;

    let mut status = h
        .sealed("app")
        .get_status("s0")
        .await
        .unwrap()
        .status
        .unwrap();
    status.conditions.push(sealant_api::SealedSecretCondition {
        type_: "Audited".to_owned(),
        status: "True".to_owned(),
        ..Default::default()
    });
    h.sealed("app")
        .patch_status(
            "s0",
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({ "status": status })),
        )
        .await
        .unwrap();
    relabel_and_wait(&h, &running, "s1", "marker").await;
    assert_eq!(
        stats(&running).reconciles,
        converged + 1,
        "only the relabelled object was reconciled"
    );
    running.shutdown().await;
}

/// Set `name`'s `app.kubernetes.io/instance` label to `instance`, and wait until its
/// reconcile has recorded its conditions under that label.
async fn relabel_and_wait(
    h: &Harness,
    running: &sealant_controller::Running,
    name: &str,
    instance: &str,
) {
    h.sealed("app")
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(&serde_json::json!({
                "metadata": { "labels": { "app.kubernetes.io/instance": instance } }
            })),
        )
        .await
        .unwrap();
    let series =
        format!("name=\"{name}\",condition=\"Ready\",ss_app_kubernetes_io_instance=\"{instance}\"");
    eventually(running, "the relabelled object's reconcile", || async {
        running
            .context
            .metrics
            .encode(&Default::default())
            .unwrap()
            .contains(&series)
    })
    .await;
}
