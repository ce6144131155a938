//! Server-side apply, JSON patch, strategic merge patch, and Secret specifics
//! (`stringData`, immutability) through kube-rs and kubectl.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Request, header};
use common::{
    code, kubectl_available, kubectl_ok, manifest, sealed_secret, sealed_secrets, secret, setup,
};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

fn data(s: &Secret, k: &str) -> String {
    String::from_utf8(s.data.as_ref().unwrap()[k].0.clone()).unwrap()
}

async fn raw_patch(
    client: &Client,
    path: &str,
    ct: &str,
    body: &[u8],
) -> Result<Secret, kube::Error> {
    let req = Request::patch(path)
        .header(header::CONTENT_TYPE, ct)
        .body(body.to_vec())
        .unwrap();
    client.request::<Secret>(req).await
}

#[tokio::test]
async fn server_side_apply_creates_then_merges() {
    let (fk, client) = setup().await;
    let api: Api<Secret> = Api::namespaced(client.clone(), "ns");
    let first = json!({"apiVersion":"v1","kind":"Secret",
        "metadata":{"name":"a","labels":{"x":"1"}},"stringData":{"k":"v"}});
    let created = api
        .patch("a", &PatchParams::apply("mgr"), &Patch::Apply(&first))
        .await
        .unwrap();
    assert!(created.metadata.uid.is_some());
    assert_eq!(data(&created, "k"), "v");
    assert!(created.string_data.is_none());
    assert_eq!(created.type_.as_deref(), Some("Opaque"));

    // A second apply merges into the live object (force is accepted and ignored).
    let second =
        json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"a","labels":{"y":"2"}}});
    let merged = api
        .patch(
            "a",
            &PatchParams::apply("mgr").force(),
            &Patch::Apply(&second),
        )
        .await
        .unwrap();
    let labels = merged.metadata.labels.clone().unwrap();
    assert_eq!((labels["x"].as_str(), labels["y"].as_str()), ("1", "2"));
    assert_eq!(data(&merged, "k"), "v");

    // Re-applying the same configuration changes nothing: same resourceVersion.
    let again = api
        .patch("a", &PatchParams::apply("mgr"), &Patch::Apply(&second))
        .await
        .unwrap();
    assert_eq!(
        again.metadata.resource_version,
        merged.metadata.resource_version
    );

    // YAML bodies work too; a fieldManager is required (422, as the real server answers).
    let yaml = b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  labels:\n    z: \"3\"\n";
    let ct = "application/apply-patch+yaml";
    let s = raw_patch(
        &client,
        "/api/v1/namespaces/ns/secrets/a?fieldManager=m2",
        ct,
        yaml,
    )
    .await
    .unwrap();
    assert_eq!(s.metadata.labels.unwrap()["z"], "3");
    assert_eq!(
        code(raw_patch(&client, "/api/v1/namespaces/ns/secrets/a", ct, yaml).await),
        422
    );
    // apiVersion/kind must name the type
    let wrong = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}"#;
    assert_eq!(
        code(
            raw_patch(
                &client,
                "/api/v1/namespaces/ns/secrets/a?fieldManager=m",
                ct,
                wrong
            )
            .await
        ),
        400
    );

    let verbs: Vec<String> = fk.fake.writes().into_iter().map(|w| w.verb).collect();
    assert_eq!(verbs, ["patch", "patch", "patch", "patch"]);
}

#[tokio::test]
async fn json_patch_and_strategic_merge() {
    let (_fk, client) = setup().await;
    let api: Api<Secret> = Api::namespaced(client.clone(), "ns");
    let mut s = secret("a", &[("k", "v")]);
    s.metadata.labels = Some([("x".to_string(), "1".to_string()), ("y".into(), "2".into())].into());
    api.create(&PostParams::default(), &s).await.unwrap();

    let path = "/api/v1/namespaces/ns/secrets/a";
    let ct = "application/json-patch+json";
    let ops = json!([
        {"op":"test","path":"/metadata/labels/x","value":"1"},
        {"op":"add","path":"/metadata/labels/z","value":"3"},
        {"op":"remove","path":"/metadata/labels/y"},
        {"op":"replace","path":"/data/k","value":"dw=="}
    ]);
    let p = raw_patch(&client, path, ct, &serde_json::to_vec(&ops).unwrap())
        .await
        .unwrap();
    let labels = p.metadata.labels.clone().unwrap();
    assert_eq!(labels.keys().collect::<Vec<_>>(), ["x", "z"]);
    assert_eq!(data(&p, "k"), "w");
    // A failing test op rejects the whole patch.
    let failing = json!([{"op":"remove","path":"/metadata/labels/z"},{"op":"test","path":"/metadata/labels/x","value":"nope"}]);
    assert_eq!(
        code(raw_patch(&client, path, ct, &serde_json::to_vec(&failing).unwrap()).await),
        422
    );
    assert!(
        api.get("a")
            .await
            .unwrap()
            .metadata
            .labels
            .unwrap()
            .contains_key("z")
    );

    // Strategic merge patch: merge semantics for the kinds served…
    let sp = json!({"metadata":{"labels":{"s":"1","x":null}}});
    let p = api
        .patch("a", &PatchParams::default(), &Patch::Strategic(&sp))
        .await
        .unwrap();
    let labels = p.metadata.labels.unwrap();
    assert_eq!(labels.keys().collect::<Vec<_>>(), ["s", "z"]);
    // …but, as on the real server, not for custom resources.
    let ss = sealed_secrets(&client, "ns");
    ss.create(
        &PostParams::default(),
        &sealed_secret("x", json!({"encryptedData":{}})),
    )
    .await
    .unwrap();
    assert_eq!(
        code(
            ss.patch("x", &PatchParams::default(), &Patch::Strategic(&sp))
                .await
        ),
        415
    );
}

#[tokio::test]
async fn secret_string_data_and_immutability() {
    let (fk, client) = setup().await;
    let api: Api<Secret> = Api::namespaced(client.clone(), "ns");
    let mut s = Secret::default();
    s.metadata.name = Some("a".into());
    s.string_data = Some([("k".to_string(), "plain".to_string())].into());
    let c = api.create(&PostParams::default(), &s).await.unwrap();
    assert_eq!(data(&c, "k"), "plain");
    assert!(c.string_data.is_none());
    // stringData overrides data on update, and is converted in merge patches.
    let mut upd = c.clone();
    upd.string_data = Some([("k".to_string(), "new".to_string())].into());
    let u = api
        .replace("a", &PostParams::default(), &upd)
        .await
        .unwrap();
    assert_eq!(data(&u, "k"), "new");
    let p = api
        .patch(
            "a",
            &PatchParams::default(),
            &Patch::Merge(json!({"stringData":{"j":"jay"}})),
        )
        .await
        .unwrap();
    assert_eq!((data(&p, "k"), data(&p, "j")), ("new".into(), "jay".into()));
    assert!(
        fk.fake
            .object("secrets", "ns", "a")
            .unwrap()
            .get("stringData")
            .is_none()
    );

    // Immutable Secrets reject payload changes with 422 "field is immutable".
    let mut im = secret("im", &[("k", "v")]);
    im.immutable = Some(true);
    let im = api.create(&PostParams::default(), &im).await.unwrap();
    let mut changed = im.clone();
    changed.data = Some([("k".to_string(), k8s_openapi::ByteString(b"w".to_vec()))].into());
    match api.replace("im", &PostParams::default(), &changed).await {
        Err(kube::Error::Api(st)) => {
            assert_eq!((st.code, st.reason.as_str()), (422, "Invalid"));
            assert!(st.message.contains("field is immutable"), "{}", st.message);
        }
        other => panic!("expected 422, got {other:?}"),
    }
    let unfreeze = json!({"immutable": false});
    assert_eq!(
        code(
            api.patch("im", &PatchParams::default(), &Patch::Merge(&unfreeze))
                .await
        ),
        422
    );
    let sd = json!({"stringData": {"k": "x"}});
    assert_eq!(
        code(
            api.patch("im", &PatchParams::default(), &Patch::Merge(&sd))
                .await
        ),
        422
    );
    // Metadata may still change.
    let labels = json!({"metadata": {"labels": {"ok": "yes"}}});
    api.patch("im", &PatchParams::default(), &Patch::Merge(&labels))
        .await
        .unwrap();
    // Same for ConfigMaps.
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "ns");
    let mut cm = ConfigMap::default();
    cm.metadata.name = Some("cm".into());
    cm.data = Some([("a".to_string(), "1".to_string())].into());
    cm.immutable = Some(true);
    cms.create(&PostParams::default(), &cm).await.unwrap();
    let d = json!({"data": {"a": "2"}});
    assert_eq!(
        code(
            cms.patch("cm", &PatchParams::default(), &Patch::Merge(&d))
                .await
        ),
        422
    );

    // Typed Secrets need their keys; invalid keys and names are rejected like the real server.
    let mut tls = secret("tls", &[("tls.crt", "c")]);
    tls.type_ = Some("kubernetes.io/tls".into());
    assert_eq!(code(api.create(&PostParams::default(), &tls).await), 422);
    assert_eq!(
        code(
            api.create(&PostParams::default(), &secret("bad", &[("a/b", "c")]))
                .await
        ),
        422
    );
    assert_eq!(
        code(
            api.create(&PostParams::default(), &secret("Upper", &[]))
                .await
        ),
        422
    );
    // type is immutable
    let ty = json!({"type": "kubernetes.io/basic-auth", "stringData": {"username": "u"}});
    assert_eq!(
        code(
            api.patch("a", &PatchParams::default(), &Patch::Merge(&ty))
                .await
        ),
        422
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_server_side_apply_and_patch() {
    if !kubectl_available() {
        eprintln!("kubectl not installed; skipping");
        return;
    }
    let (fk, client) = setup().await;
    let file = manifest(
        &fk,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: ns\ndata:\n  a: \"1\"\n",
    );
    kubectl_ok(
        &fk,
        &[
            "apply",
            "--server-side",
            "--validate=false",
            "-f",
            file.to_str().unwrap(),
        ],
    )
    .await;
    kubectl_ok(
        &fk,
        &[
            "patch",
            "configmap",
            "applied",
            "-n",
            "ns",
            "--type=json",
            "-p",
            r#"[{"op":"add","path":"/data/b","value":"2"}]"#,
        ],
    )
    .await;
    let cm = Api::<ConfigMap>::namespaced(client, "ns")
        .get("applied")
        .await
        .unwrap();
    let data = cm.data.unwrap();
    assert_eq!((data["a"].as_str(), data["b"].as_str()), ("1", "2"));
    // Both were PATCHes: the apply created the object.
    assert_eq!(fk.fake.count_writes("patch", "configmaps"), 2);
    assert_eq!(fk.fake.writes().len(), 2);
}
