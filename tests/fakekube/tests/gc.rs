//! ownerReference garbage collection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{code, sealed_secret, sealed_secrets, secret, setup};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{DeleteParams, DynamicObject, PostParams, Preconditions, PropagationPolicy};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

fn owner_ref(api_version: &str, kind: &str, name: &str, uid: &str) -> OwnerReference {
    OwnerReference {
        api_version: api_version.into(),
        kind: kind.into(),
        name: name.into(),
        uid: uid.into(),
        controller: Some(true),
        block_owner_deletion: None,
    }
}

fn ss_ref(o: &DynamicObject) -> OwnerReference {
    owner_ref(
        "bitnami.com/v1alpha1",
        "SealedSecret",
        &o.name_any(),
        &o.uid().unwrap(),
    )
}

async fn owned_secret(api: &Api<Secret>, name: &str, owners: Vec<OwnerReference>) -> Secret {
    let mut s = secret(name, &[]);
    s.metadata.owner_references = Some(owners);
    api.create(&PostParams::default(), &s).await.unwrap()
}

async fn owner(client: &Client, name: &str) -> DynamicObject {
    sealed_secrets(client, "ns")
        .create(
            &PostParams::default(),
            &sealed_secret(name, json!({"encryptedData": {}})),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn deleting_an_owner_collects_dependents() {
    let (fk, client) = setup().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "ns");
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "ns");
    let o1 = owner(&client, "o1").await;
    let o2 = owner(&client, "o2").await;
    let child = owned_secret(&secrets, "child", vec![ss_ref(&o1)]).await;
    let mut gc_cm = ConfigMap::default();
    gc_cm.metadata.name = Some("grandchild".into());
    gc_cm.metadata.owner_references = Some(vec![owner_ref(
        "v1",
        "Secret",
        "child",
        &child.uid().unwrap(),
    )]);
    cms.create(&PostParams::default(), &gc_cm).await.unwrap();
    owned_secret(&secrets, "shared", vec![ss_ref(&o1), ss_ref(&o2)]).await;
    owned_secret(&secrets, "other", vec![ss_ref(&o2)]).await;
    fk.fake.reset_writes();

    sealed_secrets(&client, "ns")
        .delete("o1", &DeleteParams::default())
        .await
        .unwrap();
    assert_eq!(code(secrets.get("child").await), 404);
    assert_eq!(code(cms.get("grandchild").await), 404);
    let shared = secrets.get("shared").await.unwrap();
    let refs: Vec<String> = shared
        .owner_references()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    assert_eq!(refs, ["o2"], "only the dangling reference is removed");
    secrets.get("other").await.unwrap();

    let mut writes: Vec<String> = fk
        .fake
        .writes()
        .iter()
        .map(|w| format!("{} {}/{}", w.verb, w.resource, w.name))
        .collect();
    writes.sort();
    assert_eq!(
        writes,
        [
            "delete sealedsecrets/o1",
            "gc-delete configmaps/grandchild",
            "gc-delete secrets/child",
            "gc-patch secrets/shared"
        ]
    );
}

#[tokio::test]
async fn orphan_propagation_and_preconditions() {
    let (fk, client) = setup().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "ns");
    let o = owner(&client, "o").await;
    owned_secret(&secrets, "kept", vec![ss_ref(&o)]).await;
    let ss = sealed_secrets(&client, "ns");

    // Preconditions: a wrong uid is a 409 and deletes nothing.
    let wrong = DeleteParams {
        preconditions: Some(Preconditions {
            uid: Some("nope".into()),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    assert_eq!(code(ss.delete("o", &wrong).await), 409);

    ss.delete(
        "o",
        &DeleteParams {
            propagation_policy: Some(PropagationPolicy::Orphan),
            ..DeleteParams::default()
        },
    )
    .await
    .unwrap();
    let kept = secrets.get("kept").await.unwrap();
    assert!(
        kept.owner_references().is_empty(),
        "orphaned dependents lose the reference"
    );
    assert_eq!(fk.fake.count_writes("gc-patch", "secrets"), 1);
    assert_eq!(fk.fake.count_writes("gc-delete", "*"), 0);
}

#[tokio::test]
async fn dangling_owner_references_are_collected() {
    let (fk, client) = setup().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "ns");
    // The owner does not exist: the real collector deletes such an object; the fake does it
    // before the create returns.
    let gone = owner_ref(
        "bitnami.com/v1alpha1",
        "SealedSecret",
        "ghost",
        "00000000-dead-beef-0000-000000000000",
    );
    owned_secret(&secrets, "orphan", vec![gone.clone()]).await;
    assert_eq!(code(secrets.get("orphan").await), 404);
    assert_eq!(fk.fake.count_writes("gc-delete", "secrets"), 1);
    // Owners of kinds the fake does not serve are assumed to exist.
    owned_secret(
        &secrets,
        "by-deployment",
        vec![owner_ref("apps/v1", "Deployment", "d", "u-1")],
    )
    .await;
    secrets.get("by-deployment").await.unwrap();
    // An owner with the right uid but the wrong name is dangling too.
    let o = owner(&client, "real").await;
    let mut misnamed = ss_ref(&o);
    misnamed.name = "other".into();
    owned_secret(&secrets, "misnamed", vec![misnamed]).await;
    assert_eq!(code(secrets.get("misnamed").await), 404);
    // Owners are looked up in the dependent's namespace: a reference to an owner in another
    // namespace dangles.
    let elsewhere: Api<Secret> = Api::namespaced(client.clone(), "elsewhere");
    owned_secret(&elsewhere, "cross", vec![ss_ref(&o)]).await;
    assert_eq!(code(elsewhere.get("cross").await), 404);
    assert_eq!(fk.fake.count_writes("gc-delete", "secrets"), 3);
}
