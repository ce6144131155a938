//! The deployment manifests in deploy/, rendered with `kubectl kustomize` as CI and users
//! render them:
//! - the Pod meets the restricted Pod Security Standard in the base and every overlay;
//! - the RBAC rules allow every API request the real controller makes in a scenario that
//!   walks every path (reconcile, drift, status, Events, keys, renewal, rotation, retirement, the
//!   certificate ConfigMap and its repair, leader election, and --old-gc-behavior deletes
//!   where the overlay sets that flag), and grant nothing that scenario does not use;
//! - the NetworkPolicy lets anyone reach the API (8080) and only the monitoring namespace
//!   reach the metrics (8081), which name every SealedSecret.
//!
//! Tests that render need kubectl; they fail without it unless SEALANT_SKIP_KUBECTL=1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use fakekube::LoggedRequest;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use sealant_api::contract::{RETIRE_REQUESTED_AT, ROTATE_REQUESTED_AT};
use sealant_api::{SealOptions, SealedSecret, seal_secret};
use sealant_controller::keys::build_key_secret;
use sealant_crypto::{PublicKey, Scope};
use sealant_keys::{CertificateOptions, parse_certificates, self_signed_certificate};
use serde_json::{Value, json};
use time::{OffsetDateTime, format_description::well_known::Rfc3339, macros::datetime};

const SA_NAME: &str = "sealed-secrets-controller";
const SA_NAMESPACE: &str = "kube-system";
/// The base and each overlay.
const VARIANTS: [&str; 6] = [
    "deploy",
    "deploy/overlays/ha",
    "deploy/overlays/namespaced",
    "deploy/overlays/old-gc",
    "deploy/overlays/monitoring",
    "deploy/overlays/namespace-selector",
];
/// The controller flag that needs `delete` on Secrets, and the only overlay that sets it.
const OLD_GC_FLAG: &str = "--old-gc-behavior";
const OLD_GC_OVERLAY: &str = "deploy/overlays/old-gc";
/// The flag that needs `list`/`watch` on Namespaces, and the only overlay that sets it.
const NAMESPACE_SELECTOR_FLAG: &str = "--namespace-selector=";
const NAMESPACE_SELECTOR_OVERLAY: &str = "deploy/overlays/namespace-selector";

/// Granted verbs the scenario cannot reach, each with the reason it is still granted.
/// (group, resource, verb, reason). Empty today: every granted verb is exercised.
const UNUSED_ALLOWED: &[(&str, &str, &str, &str)] = &[];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn skip_kubectl() -> bool {
    std::env::var("SEALANT_SKIP_KUBECTL").as_deref() == Ok("1")
}

/// `kubectl kustomize <dir>` parsed into objects; None when SEALANT_SKIP_KUBECTL=1.
fn render(dir: &str) -> Option<Vec<Value>> {
    if skip_kubectl() {
        eprintln!("SEALANT_SKIP_KUBECTL=1: not rendering {dir}");
        return None;
    }
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(repo_root().join(dir))
        .output()
        .unwrap_or_else(|e| {
            panic!("kubectl is required to render {dir} (SEALANT_SKIP_KUBECTL=1 skips): {e}")
        });
    assert!(
        out.status.success(),
        "kubectl kustomize {dir} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
    Some(docs.into_iter().filter(|d| !d.is_null()).collect())
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The UID the Dockerfile's final stage runs as (`USER uid[:gid]`).
fn dockerfile_user() -> i64 {
    let text = std::fs::read_to_string(repo_root().join("Dockerfile")).unwrap();
    let user = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("USER "))
        .next_back()
        .expect("the Dockerfile sets USER");
    user.split(':').next().unwrap().trim().parse().unwrap()
}

// ---------------------------------------------------------------------------------------
// Pod Security

#[test]
fn pods_meet_the_restricted_pod_security_standard() {
    let image_uid = dockerfile_user();
    for dir in VARIANTS {
        let Some(objects) = render(dir) else { return };
        let deployments = of_kind(&objects, "Deployment");
        assert_eq!(deployments.len(), 1, "{dir}: one Deployment");
        let pod = &deployments[0]["spec"]["template"]["spec"];
        let psc = &pod["securityContext"];
        for host in ["hostNetwork", "hostPID", "hostIPC"] {
            assert_ne!(pod[host], true, "{dir}: {host}");
        }
        for v in pod["volumes"].as_array().into_iter().flatten() {
            assert!(v.get("hostPath").is_none(), "{dir}: hostPath volume");
        }
        assert_eq!(
            pod["automountServiceAccountToken"], true,
            "{dir}: only the controller Pod mounts the token"
        );
        let sa = of_kind(&objects, "ServiceAccount");
        assert_eq!(sa.len(), 1);
        assert_eq!(
            sa[0]["automountServiceAccountToken"], false,
            "{dir}: the ServiceAccount does not mount its token by default"
        );

        let containers: Vec<&Value> = ["initContainers", "containers"]
            .iter()
            .flat_map(|k| pod[*k].as_array().into_iter().flatten())
            .collect();
        assert!(!containers.is_empty());
        for c in containers {
            let name = c["name"].as_str().unwrap_or("?");
            let csc = &c["securityContext"];
            let field = |k: &str| {
                if csc[k].is_null() {
                    psc[k].clone()
                } else {
                    csc[k].clone()
                }
            };
            assert_eq!(field("runAsNonRoot"), true, "{dir}/{name}: runAsNonRoot");
            let uid = field("runAsUser")
                .as_i64()
                .unwrap_or_else(|| panic!("{dir}/{name}: a fixed runAsUser"));
            assert!(
                uid >= 10000,
                "{dir}/{name}: runAsUser {uid} is a high non-root UID"
            );
            assert_eq!(
                uid, image_uid,
                "{dir}/{name}: runAsUser matches the image's USER"
            );
            assert_eq!(
                field("seccompProfile")["type"],
                "RuntimeDefault",
                "{dir}/{name}: seccompProfile RuntimeDefault"
            );
            assert_eq!(
                csc["readOnlyRootFilesystem"], true,
                "{dir}/{name}: readOnlyRootFilesystem"
            );
            assert_eq!(
                csc["allowPrivilegeEscalation"], false,
                "{dir}/{name}: allowPrivilegeEscalation false"
            );
            assert_ne!(csc["privileged"], true, "{dir}/{name}: privileged");
            assert!(
                strs(&csc["capabilities"]["drop"]).contains(&"ALL".to_string()),
                "{dir}/{name}: capabilities drop ALL"
            );
            assert!(
                strs(&csc["capabilities"]["add"]).is_empty(),
                "{dir}/{name}: no capability added"
            );
            for (kind, what) in [("requests", "cpu"), ("requests", "memory")]
                .into_iter()
                .chain([("limits", "cpu"), ("limits", "memory")])
            {
                assert!(
                    c["resources"][kind][what].is_string()
                        || c["resources"][kind][what].is_number(),
                    "{dir}/{name}: resources.{kind}.{what}"
                );
            }
            let http_port = c["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == "http")
                .map(|p| p["containerPort"].clone());
            assert_eq!(
                http_port,
                Some(json!(8080)),
                "{dir}/{name}: port http is 8080"
            );
            for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
                let get = &c[probe]["httpGet"];
                assert_eq!(get["path"], path, "{dir}/{name}: {probe} on {path}");
                assert!(
                    get["port"] == "http" || get["port"] == 8080,
                    "{dir}/{name}: {probe} on the API port"
                );
            }
        }
    }
}

#[test]
fn manifests_have_the_promised_shape() {
    let committed = std::fs::read_to_string(repo_root().join("deploy/crd.yaml")).unwrap();
    let copy = std::fs::read_to_string(repo_root().join("deploy/base/crd.yaml")).unwrap();
    assert_eq!(
        committed, copy,
        "deploy/base/crd.yaml must be a copy of deploy/crd.yaml (cp deploy/crd.yaml deploy/base/)"
    );
    for dir in VARIANTS {
        let Some(objects) = render(dir) else { return };
        // The CRD: generated, plus the keep annotation.
        let crds = of_kind(&objects, "CustomResourceDefinition");
        assert_eq!(crds.len(), 1, "{dir}: the CRD is installed");
        assert_eq!(
            crds[0]["metadata"]["annotations"]["helm.sh/resource-policy"], "keep",
            "{dir}: the CRD carries helm.sh/resource-policy: keep"
        );
        let generated: Value = serde_saphyr::from_str(&committed).unwrap();
        assert_eq!(
            crds[0]["spec"], generated["spec"],
            "{dir}: CRD spec as generated"
        );
        // kubeseal's defaults.
        let services = of_kind(&objects, "Service");
        let api = services
            .iter()
            .find(|s| s["metadata"]["name"] == "sealed-secrets-controller")
            .expect("Service sealed-secrets-controller");
        assert_eq!(api["metadata"]["namespace"], "kube-system");
        assert!(
            api["spec"]["ports"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "http" && p["port"] == 8080)
        );
        assert!(services.iter().any(|s| {
            s["spec"]["ports"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["port"] == 8081)
        }));
        // NetworkPolicy: both directions restricted; the API open, metrics to monitoring only.
        let nps = of_kind(&objects, "NetworkPolicy");
        assert_eq!(nps.len(), 1, "{dir}: a NetworkPolicy");
        assert_eq!(strs(&nps[0]["spec"]["policyTypes"]), ["Ingress", "Egress"]);
        let app = Peer::in_namespace("app");
        let monitoring = Peer::in_namespace("monitoring");
        assert!(
            app.may_reach(nps[0], 8080),
            "{dir}: kubeseal's path to the API"
        );
        assert!(
            monitoring.may_reach(nps[0], 8081),
            "{dir}: Prometheus scrapes"
        );
        assert!(
            !app.may_reach(nps[0], 8081),
            "{dir}: any pod can read /metrics (every SealedSecret's namespace and name)"
        );
        assert!(!app.may_reach(nps[0], 9999), "{dir}: only the two ports");
        // --old-gc-behavior (and with it `delete` on Secrets) only where the overlay opts in.
        let args = deployment_args(&objects);
        assert_eq!(
            args.iter().any(|a| a == OLD_GC_FLAG),
            dir == OLD_GC_OVERLAY,
            "{dir}: {OLD_GC_FLAG} only in {OLD_GC_OVERLAY}: {args:?}"
        );
        // The alerts only where the monitoring overlay opts in (their content:
        // tests/prometheus_rule.rs).
        let rules = of_kind(&objects, "PrometheusRule");
        assert_eq!(
            rules.len(),
            usize::from(dir == "deploy/overlays/monitoring"),
            "{dir}: PrometheusRule only in deploy/overlays/monitoring"
        );
        if let Some(rule) = rules.first() {
            assert_eq!(rule["metadata"]["namespace"], "kube-system", "{dir}");
        }
        assert_eq!(
            args.iter().any(|a| a.starts_with(NAMESPACE_SELECTOR_FLAG)),
            dir == NAMESPACE_SELECTOR_OVERLAY,
            "{dir}: {NAMESPACE_SELECTOR_FLAG} only in {NAMESPACE_SELECTOR_OVERLAY}: {args:?}"
        );
        let replicas = of_kind(&objects, "Deployment")[0]["spec"]["replicas"].clone();
        let pdbs = of_kind(&objects, "PodDisruptionBudget");
        match dir {
            "deploy/overlays/ha" => {
                assert_eq!(replicas, 2);
                assert_eq!(pdbs.len(), 1);
                assert_eq!(pdbs[0]["spec"]["minAvailable"], 1);
            }
            "deploy/overlays/namespaced" => {
                assert!(of_kind(&objects, "ClusterRole").is_empty(), "Roles only");
                assert!(of_kind(&objects, "ClusterRoleBinding").is_empty());
            }
            _ => assert_eq!(replicas, 1),
        }
    }
}

// ---------------------------------------------------------------------------------------
// RBAC: a small evaluator of the rendered rules

/// One rule granted to a subject, with where it applies (None = cluster-wide).
#[derive(Debug, Clone)]
struct Grant {
    /// "ClusterRole/x" or "Role/ns/x": rules with the same origin and index count as one
    /// rule for coverage (the namespaced overlay binds one Role per namespace).
    origin: String,
    index: usize,
    scope: Option<String>,
    groups: Vec<String>,
    resources: Vec<String>,
    verbs: Vec<String>,
    names: Vec<String>,
    /// Bound to the controller's ServiceAccount itself (not through a group).
    direct: bool,
}

fn matches(list: &[String], value: &str) -> bool {
    list.iter().any(|v| v == "*" || v == value)
}

impl Grant {
    fn allows(&self, r: &LoggedRequest) -> bool {
        let resource = if r.subresource.is_empty() {
            r.resource.clone()
        } else {
            format!("{}/{}", r.resource, r.subresource)
        };
        let in_scope = match &self.scope {
            None => true,
            // A Role never covers a cluster-wide request.
            Some(ns) => !r.namespace.is_empty() && *ns == r.namespace,
        };
        // resourceNames only match requests that carry a name (create never does).
        let named = self.names.is_empty()
            || (!r.name.is_empty() && r.verb != "create" && self.names.contains(&r.name));
        in_scope
            && named
            && matches(&self.groups, &r.group)
            && matches(&self.resources, &resource)
            && matches(&self.verbs, &r.verb)
    }
}

/// Every rule that applies to the controller's ServiceAccount, directly or through the
/// groups it belongs to.
fn grants(objects: &[Value]) -> Vec<Grant> {
    let sa_groups = [
        "system:authenticated".to_string(),
        "system:serviceaccounts".to_string(),
        format!("system:serviceaccounts:{SA_NAMESPACE}"),
    ];
    let role = |kind: &str, ns: Option<&str>, name: &str| {
        objects
            .iter()
            .find(|o| {
                o["kind"] == kind
                    && o["metadata"]["name"] == name
                    && (ns.is_none() || o["metadata"]["namespace"] == ns.unwrap())
            })
            .unwrap_or_else(|| panic!("{kind} {ns:?}/{name} is bound but not rendered"))
    };
    let mut out = Vec::new();
    for binding in objects
        .iter()
        .filter(|o| o["kind"] == "RoleBinding" || o["kind"] == "ClusterRoleBinding")
    {
        let subjects = binding["subjects"].as_array().cloned().unwrap_or_default();
        let direct = subjects.iter().any(|s| {
            s["kind"] == "ServiceAccount" && s["name"] == SA_NAME && s["namespace"] == SA_NAMESPACE
        });
        let via_group = subjects
            .iter()
            .any(|s| s["kind"] == "Group" && sa_groups.iter().any(|g| s["name"] == g.as_str()));
        if !direct && !via_group {
            continue;
        }
        let binding_ns = binding["metadata"]["namespace"].as_str();
        let scope = (binding["kind"] == "RoleBinding").then(|| binding_ns.unwrap().to_string());
        let ref_kind = binding["roleRef"]["kind"].as_str().unwrap();
        let ref_name = binding["roleRef"]["name"].as_str().unwrap();
        let role = if ref_kind == "Role" {
            role("Role", binding_ns, ref_name)
        } else {
            role("ClusterRole", None, ref_name)
        };
        let origin = match role["metadata"]["namespace"].as_str() {
            Some(_) => format!("Role/{ref_name}"),
            None => format!("ClusterRole/{ref_name}"),
        };
        for (index, rule) in role["rules"].as_array().unwrap().iter().enumerate() {
            out.push(Grant {
                origin: origin.clone(),
                index,
                scope: scope.clone(),
                groups: strs(&rule["apiGroups"]),
                resources: strs(&rule["resources"]),
                verbs: strs(&rule["verbs"]),
                names: strs(&rule["resourceNames"]),
                direct,
            });
        }
    }
    out
}

/// The controller's container args from the rendered Deployment (minus the log format,
/// which belongs to the binary's own start-up, not to `start`).
fn deployment_args(objects: &[Value]) -> Vec<String> {
    strs(&of_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["args"])
        .into_iter()
        .filter(|a| !a.starts_with("--log-"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// The scenario

fn sealed_with(cert: &PublicKey, ns: &str, name: &str, value: &str) -> SealedSecret {
    let opts = SealOptions {
        scope: Some(Scope::Strict),
        ..SealOptions::default()
    };
    seal_secret(&plain(ns, name, &[("v", value)]), cert, &opts).unwrap()
}

fn annotate(mut ss: SealedSecret, key: &str) -> SealedSecret {
    ss.metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(key.to_string(), "true".to_string());
    ss
}

async fn secret_value(api: &Api<Secret>, name: &str, key: &str) -> Option<String> {
    let s = api.get_opt(name).await.unwrap()?;
    let v = s.data?.get(key)?.0.clone();
    Some(String::from_utf8(v).unwrap())
}

/// Run the controller with `args` through every path; return the requests it made.
async fn scenario(args: &[String], app_ns: &str) -> Vec<LoggedRequest> {
    let h = Harness::new().await;
    let d = h.driver();
    let flags: Vec<&str> = args.iter().map(String::as_str).collect();
    let old_gc = flags.contains(&OLD_GC_FLAG);
    // With --namespace-selector, the app namespace carries the selected label (`k=v`).
    if let Some((k, v)) = flags
        .iter()
        .find_map(|f| f.strip_prefix(NAMESPACE_SELECTOR_FLAG))
        .and_then(|selector| selector.split_once('='))
    {
        let mut ns = k8s_openapi::api::core::v1::Namespace::default();
        ns.metadata.name = Some(app_ns.to_owned());
        ns.metadata.labels = Some(BTreeMap::from([(k.to_owned(), v.to_owned())]));
        Api::all(d.clone())
            .create(&PostParams::default(), &ns)
            .await
            .unwrap();
    }
    // An empty cluster: the controller makes its first key, takes the Lease, publishes.
    let running = h.start_controller(&flags).await;

    let key_secrets: Api<Secret> = Api::namespaced(d.clone(), CONTROLLER_NS);
    let configmaps: Api<ConfigMap> = Api::namespaced(d.clone(), CONTROLLER_NS);
    let sealed: Api<SealedSecret> = Api::namespaced(d.clone(), app_ns);
    let secrets: Api<Secret> = Api::namespaced(d.clone(), app_ns);

    let cert_pem = || async {
        configmaps
            .get_opt("sealant-certificates")
            .await
            .unwrap()
            .and_then(|cm| cm.data?.get("cert.pem").cloned())
    };
    eventually(&running, "the certificate ConfigMap", || async {
        cert_pem().await.is_some()
    })
    .await;
    let cert_pem = cert_pem().await.unwrap();

    // Someone replaces the certificate and makes the ConfigMap immutable: the leader's watch
    // sees it, and it deletes and recreates the ConfigMap.
    let mut frozen = configmaps.get("sealant-certificates").await.unwrap();
    frozen
        .data
        .get_or_insert_with(BTreeMap::new)
        .insert("cert.pem".to_string(), "tampered".to_string());
    frozen.immutable = Some(true);
    configmaps
        .replace("sealant-certificates", &PostParams::default(), &frozen)
        .await
        .unwrap();
    eventually(&running, "the certificate ConfigMap restored", || async {
        configmaps
            .get_opt("sealant-certificates")
            .await
            .unwrap()
            .is_some_and(|cm| {
                cm.immutable != Some(true)
                    && cm.data.and_then(|d| d.get("cert.pem").cloned()).as_ref() == Some(&cert_pem)
            })
    })
    .await;
    let cert = parse_certificates(cert_pem.as_bytes()).unwrap().remove(0);
    let public = cert.public_key();

    // Create: a Secret, a status, an Unsealed Event.
    let pp = PostParams::default();
    sealed
        .create(&pp, &sealed_with(public, app_ns, "plain", "one"))
        .await
        .unwrap();
    eventually(&running, "plain unsealed", || async {
        secret_value(&secrets, "plain", "v").await.as_deref() == Some("one")
    })
    .await;
    eventually(&running, "plain synced", || async {
        sealed
            .get("plain")
            .await
            .unwrap()
            .status
            .is_some_and(|s| s.conditions.iter().any(|c| c.type_ == "Synced"))
    })
    .await;

    // Update: the Secret is replaced.
    let mut current = sealed.get("plain").await.unwrap();
    current.spec = sealed_with(public, app_ns, "plain", "two").spec;
    sealed.replace("plain", &pp, &current).await.unwrap();
    eventually(&running, "plain updated", || async {
        secret_value(&secrets, "plain", "v").await.as_deref() == Some("two")
    })
    .await;

    // Drift: a deleted Secret comes back.
    secrets
        .delete("plain", &DeleteParams::default())
        .await
        .unwrap();
    eventually(&running, "plain restored", || async {
        secret_value(&secrets, "plain", "v").await.as_deref() == Some("two")
    })
    .await;

    // patch: "true": merged into an existing Secret (merge patch).
    let mut existing = Secret::default();
    existing.metadata.name = Some("merged".into());
    existing.metadata.annotations = Some(BTreeMap::from([(
        "sealedsecrets.bitnami.com/patch".to_string(),
        "true".to_string(),
    )]));
    existing.data = Some(BTreeMap::from([("other".to_string(), bytes("kept"))]));
    secrets.create(&pp, &existing).await.unwrap();
    sealed
        .create(&pp, &sealed_with(public, app_ns, "merged", "m"))
        .await
        .unwrap();
    eventually(&running, "merged", || async {
        secret_value(&secrets, "merged", "v").await.as_deref() == Some("m")
            && secret_value(&secrets, "merged", "other").await.as_deref() == Some("kept")
    })
    .await;

    // A Secret without an ownerReference: with --old-gc-behavior the controller deletes it
    // when its SealedSecret goes (the one path that uses `delete` on Secrets); without, it
    // stays (checked at the end, after everything else had time to act).
    let orphan = annotate(
        sealed_with(public, app_ns, "orphan", "o"),
        "sealedsecrets.bitnami.com/skip-set-owner-references",
    );
    sealed.create(&pp, &orphan).await.unwrap();
    eventually(&running, "orphan unsealed", || async {
        secret_value(&secrets, "orphan", "v").await.is_some()
    })
    .await;
    sealed
        .delete("orphan", &DeleteParams::default())
        .await
        .unwrap();
    if old_gc {
        eventually(&running, "orphan's Secret deleted", || async {
            secrets.get_opt("orphan").await.unwrap().is_none()
        })
        .await;
    }

    // A failure that repeats: ErrUnsealFailed, then the Recorder patches the same Event.
    let foreign = seal(
        &test_key('c'),
        app_ns,
        "foreign",
        Scope::Strict,
        &[("v", "x")],
    );
    sealed.create(&pp, &foreign).await.unwrap();
    let fake = h.fake.fake.clone();
    eventually(&running, "a repeated Event is patched", || {
        let fake = fake.clone();
        async move {
            fake.request_log()
                .iter()
                .any(|r| r.user.is_empty() && r.resource == "events" && r.verb == "patch")
        }
    })
    .await;

    // Rotation on request: annotate the key Secret; one new key, the ConfigMap rewritten.
    let active = ListParams::default().labels(&sealant_api::contract::KeyLabel::active_selector());
    let first = key_secrets.list(&active).await.unwrap().items[0]
        .metadata
        .name
        .clone()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let at = OffsetDateTime::now_utc().format(&Rfc3339).unwrap();
    let request = json!({ "metadata": { "annotations": { ROTATE_REQUESTED_AT: at } } });
    key_secrets
        .patch(&first, &PatchParams::default(), &Patch::Merge(&request))
        .await
        .unwrap();
    eventually(&running, "a second key", || async {
        running.keys().ring().len() == 2
    })
    .await;
    eventually(
        &running,
        "the ConfigMap lists both certificates",
        || async {
            configmaps
                .get("sealant-certificates")
                .await
                .unwrap()
                .data
                .and_then(|d| d.get("certificates.pem").cloned())
                .is_some_and(|pem| parse_certificates(pem.as_bytes()).unwrap().len() == 2)
        },
    )
    .await;

    // Renewal (the scheduled path, triggered now as SIGUSR1 does): one more key.
    running.renewal_trigger().rotate_now();
    eventually(&running, "a renewed key", || async {
        running.keys().ring().len() == 3
    })
    .await;

    // Retirement: an old, unused key is relabelled retired.
    let old = test_key('a');
    let old_cert = self_signed_certificate(
        &old,
        &CertificateOptions::new(datetime!(2020-01-01 0:00 UTC)),
    )
    .unwrap();
    let old_secret =
        build_key_secret(CONTROLLER_NS, "sealed-secrets-key", &old, &old_cert).unwrap();
    let old_name = key_secrets
        .create(&pp, &old_secret)
        .await
        .unwrap()
        .metadata
        .name
        .unwrap();
    eventually(&running, "a fourth key", || async {
        running.keys().ring().len() == 4
    })
    .await;
    let at = OffsetDateTime::now_utc().format(&Rfc3339).unwrap();
    let request = json!({ "metadata": { "annotations": { RETIRE_REQUESTED_AT: at } } });
    key_secrets
        .patch(&old_name, &PatchParams::default(), &Patch::Merge(&request))
        .await
        .unwrap();
    eventually(&running, "the old key retired", || async {
        key_secrets
            .get(&old_name)
            .await
            .unwrap()
            .metadata
            .labels
            .unwrap_or_default()
            .get("sealedsecrets.bitnami.com/sealed-secrets-key")
            .map(String::as_str)
            == Some(sealant_api::contract::KeyLabel::Retired.as_str())
    })
    .await;

    if !old_gc {
        assert!(
            secrets.get_opt("orphan").await.unwrap().is_some(),
            "without {OLD_GC_FLAG} the controller deletes no Secret"
        );
    }

    // A clean stop releases the Lease.
    running.shutdown().await;
    h.fake
        .fake
        .request_log()
        .into_iter()
        .filter(|r| r.user.is_empty())
        .collect()
}

/// (a) every controller request is allowed; (b) every granted verb was used.
fn check_rbac(dir: &str, objects: &[Value], requests: &[LoggedRequest]) {
    let grants = grants(objects);
    let denied: BTreeSet<String> = requests
        .iter()
        .filter(|r| !grants.iter().any(|g| g.allows(r)))
        .map(|r| format!("{r:?}"))
        .collect();
    assert!(
        denied.is_empty(),
        "{dir}: the RBAC rules do not allow these controller requests:\n{}",
        denied.into_iter().collect::<Vec<_>>().join("\n")
    );

    let mut unused = BTreeSet::new();
    let mut by_rule: BTreeMap<(String, usize), Vec<&Grant>> = BTreeMap::new();
    for g in grants.iter().filter(|g| g.direct) {
        by_rule
            .entry((g.origin.clone(), g.index))
            .or_default()
            .push(g);
    }
    for ((origin, index), instances) in &by_rule {
        let rule = instances[0];
        for group in &rule.groups {
            for resource in &rule.resources {
                for verb in &rule.verbs {
                    let used = requests.iter().any(|r| {
                        let res = if r.subresource.is_empty() {
                            r.resource.clone()
                        } else {
                            format!("{}/{}", r.resource, r.subresource)
                        };
                        r.group == *group
                            && res == *resource
                            && r.verb == *verb
                            && instances.iter().any(|g| g.allows(r))
                    });
                    let excused = UNUSED_ALLOWED
                        .iter()
                        .any(|(g, res, v, _)| g == group && res == resource && v == verb);
                    if !used && !excused {
                        unused.insert(format!("{origin} rule {index}: {verb} {group}/{resource}"));
                    }
                }
            }
        }
    }
    assert!(
        unused.is_empty(),
        "{dir}: granted but never used by the controller (remove, or list in UNUSED_ALLOWED \
         with a reason):\n{}",
        unused.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_covers_every_call_and_no_more_cluster_wide() {
    let Some(objects) = render("deploy") else {
        return;
    };
    let requests = scenario(&deployment_args(&objects), "app").await;
    let summary: BTreeSet<String> = requests
        .iter()
        .map(|r| {
            format!(
                "{} {}/{}/{} ns={} name={}",
                r.verb, r.group, r.resource, r.subresource, r.namespace, r.name
            )
        })
        .collect();
    eprintln!(
        "controller requests:\n{}",
        summary.into_iter().collect::<Vec<_>>().join("\n")
    );
    check_rbac("deploy", &objects, &requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_covers_every_call_and_no_more_namespaced() {
    let dir = "deploy/overlays/namespaced";
    let Some(objects) = render(dir) else { return };
    let args = deployment_args(&objects);
    let watched = args
        .iter()
        .find_map(|a| a.strip_prefix("--additional-namespaces="))
        .expect("the namespaced overlay lists namespaces");
    let app_ns = watched.split(',').next().unwrap().to_string();
    let requests = scenario(&args, &app_ns).await;
    assert!(
        requests.iter().all(|r| !r.namespace.is_empty()),
        "{dir}: the namespaced controller makes no cluster-wide request"
    );
    check_rbac(dir, &objects, &requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_covers_every_call_and_no_more_old_gc() {
    let Some(objects) = render(OLD_GC_OVERLAY) else {
        return;
    };
    let requests = scenario(&deployment_args(&objects), "app").await;
    assert!(
        requests
            .iter()
            .any(|r| r.resource == "secrets" && r.verb == "delete"),
        "{OLD_GC_OVERLAY}: the scenario deleted a Secret"
    );
    check_rbac(OLD_GC_OVERLAY, &objects, &requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_covers_every_call_and_no_more_namespace_selector() {
    let dir = NAMESPACE_SELECTOR_OVERLAY;
    let Some(objects) = render(dir) else { return };
    let requests = scenario(&deployment_args(&objects), "app").await;
    assert!(
        requests
            .iter()
            .any(|r| r.resource == "namespaces" && r.verb == "watch"),
        "{dir}: the controller follows the selected namespaces"
    );
    check_rbac(dir, &objects, &requests);
}

// ---------------------------------------------------------------------------------------
// NetworkPolicy: a small evaluator of ingress rules

/// A client pod: its namespace's labels (Kubernetes labels every namespace with
/// `kubernetes.io/metadata.name`) and its own labels.
struct Peer {
    namespace_labels: BTreeMap<String, String>,
    pod_labels: BTreeMap<String, String>,
}

impl Peer {
    fn in_namespace(ns: &str) -> Self {
        Self {
            namespace_labels: BTreeMap::from([(
                "kubernetes.io/metadata.name".to_owned(),
                ns.to_owned(),
            )]),
            pod_labels: BTreeMap::from([("app".to_owned(), "client".to_owned())]),
        }
    }

    /// Whether `policy`'s ingress admits this peer on TCP `port` (policies are additive:
    /// one matching rule is enough). Only the selector forms the manifests may use are
    /// understood (matchLabels); anything else fails the test rather than guess.
    fn may_reach(&self, policy: &Value, port: i64) -> bool {
        let Some(rules) = policy["spec"]["ingress"].as_array() else {
            return false;
        };
        rules.iter().any(|rule| {
            let port_ok = rule["ports"].as_array().is_none_or(|ports| {
                ports
                    .iter()
                    .any(|p| p["port"] == port && p["protocol"].as_str().unwrap_or("TCP") == "TCP")
            });
            let from_ok = rule["from"]
                .as_array()
                .is_none_or(|from| from.iter().any(|peer| self.matches(peer)));
            port_ok && from_ok
        })
    }

    fn matches(&self, peer: &Value) -> bool {
        assert!(
            peer.get("ipBlock").is_none(),
            "ipBlock not evaluated: {peer}"
        );
        let selects = |selector: &Value, labels: &BTreeMap<String, String>| {
            assert!(
                selector.get("matchExpressions").is_none(),
                "matchExpressions not evaluated: {selector}"
            );
            selector["matchLabels"]
                .as_object()
                .into_iter()
                .flatten()
                .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str())
        };
        match (peer.get("namespaceSelector"), peer.get("podSelector")) {
            // Pods selected in the policy's own namespace (never a client namespace here).
            (None, Some(_)) => false,
            (Some(ns), pods) => {
                selects(ns, &self.namespace_labels)
                    && pods.is_none_or(|p| selects(p, &self.pod_labels))
            }
            (None, None) => panic!("a peer without selectors: {peer}"),
        }
    }
}
