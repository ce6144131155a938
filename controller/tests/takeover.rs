//! No takeover of an existing Secret: `managed` and `patch` count only on the existing
//! Secret's own annotations (Bitnami's `isAnnotatedToBeManaged(secret)`). Placed on a
//! SealedSecret's template or its own metadata they are the writer's claim over someone
//! else's Secret: the Secret stays byte-identical, gets no ownerReference (so deleting the
//! SealedSecret cannot garbage-collect it), and the SealedSecret says why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, ListParams, PostParams};
use sealant_api::{SealedSecret, annotations};
use sealant_controller::Running;
use sealant_crypto::Scope;
use std::collections::BTreeMap;

const NS: &str = "prod";

fn victim(name: &str) -> Secret {
    let mut s = Secret::default();
    s.metadata.name = Some(name.to_owned());
    s.metadata.namespace = Some(NS.to_owned());
    s.metadata.labels = Some(BTreeMap::from([("team".to_owned(), "db".to_owned())]));
    s.data = Some(BTreeMap::from([(
        "password".to_owned(),
        bytes("the-real-password"),
    )]));
    s
}

/// A SealedSecret for prod/`name` that claims the Secret with `annotation`, on its template
/// or on itself.
fn claim(name: &str, annotation: &str, on_template: bool) -> SealedSecret {
    let mut ss = seal(
        &test_key('a'),
        NS,
        name,
        Scope::Strict,
        &[("password", "attacker-chosen")],
    );
    let claim = BTreeMap::from([(annotation.to_owned(), "true".to_owned())]);
    if on_template {
        ss.spec.template.metadata.annotations = Some(claim);
    } else {
        ss.metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .extend(claim);
    }
    ss
}

/// A Secret prod/`name` that says, on itself, that it may be taken over (`annotation`).
fn victim_allowing(name: &str, annotation: &str) -> Secret {
    let mut secret = victim(name);
    secret.metadata.annotations =
        Some(BTreeMap::from([(annotation.to_owned(), "true".to_owned())]));
    secret
}

/// Create a Secret straight through the API (not through the controller).
async fn create_secret(h: &Harness, secret: &Secret) -> Secret {
    h.secrets(NS)
        .create(&PostParams::default(), secret)
        .await
        .unwrap()
}

/// Seal prod/`name` with the password "new" and create it.
async fn create_sealed_new_password(h: &Harness, name: &str) {
    h.create_sealed(&seal(
        &test_key('a'),
        NS,
        name,
        Scope::Strict,
        &[("password", "new")],
    ))
    .await;
}

/// Wait until the controller has written the password "new" into Secret prod/`name`.
async fn wait_for_new_password(h: &Harness, running: &Running, name: &str) {
    eventually(running, &format!("{name} written"), || async {
        h.secret_data(NS, name)
            .await
            .is_some_and(|d| d["password"] == "new")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_on_the_sealed_secret_never_take_over_an_existing_secret() {
    let h = Harness::with_key('a').await;
    let cases = [
        ("managed-template", annotations::MANAGED, true),
        ("managed-object", annotations::MANAGED, false),
        ("patch-template", annotations::PATCH, true),
        ("patch-object", annotations::PATCH, false),
    ];
    let mut before = BTreeMap::new();
    for (name, _, _) in cases {
        let created = create_secret(&h, &victim(name)).await;
        before.insert(name, serde_json::to_value(&created).unwrap());
    }

    let running = h.start_controller(&[]).await;
    for (name, annotation, on_template) in cases {
        h.create_sealed(&claim(name, annotation, on_template)).await;
    }
    for (name, _, _) in cases {
        eventually(&running, &format!("{name} refused"), || async {
            h.synced(NS, name)
                .await
                .is_some_and(|(s, _, _)| s == "False")
        })
        .await;
        let (_, reason, message) = h.synced(NS, name).await.unwrap();
        assert_eq!(reason, "ErrUpdateFailed", "{name}");
        assert!(
            message.contains(&format!("Secret {NS}/{name}")),
            "the message names the Secret: {message}"
        );
        let now = serde_json::to_value(h.secret(NS, name).await.unwrap()).unwrap();
        assert_eq!(now, before[name], "{name}: the Secret is byte-identical");
    }

    // Each refusal is an Event on the SealedSecret, naming the Secret.
    let events: kube::Api<k8s_openapi::api::events::v1::Event> =
        kube::Api::namespaced(h.client.clone(), NS);
    let events = events.list(&ListParams::default()).await.unwrap().items;
    for (name, _, _) in cases {
        assert!(
            events.iter().any(|e| {
                e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name)
                    && e.reason.as_deref() == Some("ErrUpdateFailed")
                    && e.type_.as_deref() == Some("Warning")
                    && e.note
                        .as_deref()
                        .is_some_and(|n| n.contains(&format!("Secret {NS}/{name}")))
            }),
            "a Warning Event for {name}: {events:?}"
        );
    }

    // Deleting the SealedSecrets garbage-collects nothing.
    for (name, _, _) in cases {
        h.sealed(NS)
            .delete(name, &DeleteParams::default())
            .await
            .unwrap();
    }
    h.fake
        .fake
        .wait_until(std::time::Duration::from_secs(10), |f| {
            f.count("sealedsecrets") == 0
        })
        .await;
    for (name, _, _) in cases {
        let now = serde_json::to_value(h.secret(NS, name).await.unwrap()).unwrap();
        assert_eq!(now, before[name], "{name} survives its claimant's deletion");
    }
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secrets_own_annotation_still_lets_it_be_taken_over() {
    let h = Harness::with_key('a').await;
    for (name, annotation) in [
        ("adopt", annotations::MANAGED),
        ("merge", annotations::PATCH),
    ] {
        create_secret(&h, &victim_allowing(name, annotation)).await;
    }
    let running = h.start_controller(&[]).await;
    for name in ["adopt", "merge"] {
        create_sealed_new_password(&h, name).await;
    }
    for name in ["adopt", "merge"] {
        wait_for_new_password(&h, &running, name).await;
    }
    running.shutdown().await;
}

/// A Secret created after the controller's Secret watch last looked (its events held back,
/// as behind a lagging watch cache) defeats the "surely absent" shortcut of
/// `reconcile::secret_names`: the create without a read meets 409, and the reconcile
/// decides again on a read, exactly as if it had seen the Secret first. The unmanaged one is
/// refused and stays byte-identical; the one whose own annotation allows it is taken over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_the_watch_has_not_shown_yet_is_still_never_taken_over() {
    let h = Harness::with_key('a').await;
    let running = h.start_controller(&[]).await;
    h.wait_for_secret_watch(&running).await;
    h.fake.fake.hold_watches("secrets", true);
    let creates_before = h.requests("create", "secrets", NS);
    let before = create_secret(&h, &victim("late")).await;
    create_secret(&h, &victim_allowing("late-managed", annotations::MANAGED)).await;
    for name in ["late", "late-managed"] {
        create_sealed_new_password(&h, name).await;
    }

    eventually(&running, "late refused", || async {
        h.synced(NS, "late")
            .await
            .is_some_and(|(s, _, _)| s == "False")
    })
    .await;
    let (_, reason, message) = h.synced(NS, "late").await.unwrap();
    let refusal = sealant_controller::ControllerError::Unmanaged {
        secret: format!("{NS}/late"),
        sealed: format!("{NS}/late"),
    };
    assert_eq!(
        (reason.as_str(), message),
        ("ErrUpdateFailed", refusal.to_string())
    );
    assert_eq!(
        serde_json::to_value(h.secret(NS, "late").await.unwrap()).unwrap(),
        serde_json::to_value(&before).unwrap(),
        "the Secret is byte-identical"
    );
    wait_for_new_password(&h, &running, "late-managed").await;
    // The shortcut was taken for both (and met the Secret already there), besides this
    // test's own two creates.
    assert_eq!(h.requests("create", "secrets", NS) - creates_before, 4);
    h.fake.fake.hold_watches("secrets", false);
    running.shutdown().await;
}
