//! Discovery documents (`/version`, `/api`, `/apis`, group and group-version resource lists),
//! derived from [`RESOURCES`] — enough for kube-rs and kubectl. Aggregated discovery
//! (`apidiscovery.k8s.io/v2`) is not served; kubectl falls back to these.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::reply::json_reply;
use crate::resources::RESOURCES;

fn resource_list(group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .flat_map(|r| {
            let mut v = vec![json!({"name": r.plural, "singularName": r.kind.to_lowercase(),
                "namespaced": r.namespaced, "kind": r.kind, "shortNames": r.short_names,
                "verbs": ["create","delete","deletecollection","get","list","patch","update","watch"]})];
            if r.has_status {
                v.push(json!({"name": format!("{}/status", r.plural), "singularName": "",
                    "namespaced": r.namespaced, "kind": r.kind, "verbs": ["get","patch","update"]}));
            }
            v
        })
        .collect();
    if resources.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

/// The named API groups, in table order, one version each.
fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

fn api_group(group: &str, version: &str) -> Value {
    let gv = format!("{group}/{version}");
    json!({"name": group, "versions": [{"groupVersion": gv, "version": version}],
        "preferredVersion": {"groupVersion": gv, "version": version}})
}

/// The discovery reply for `path`, if it is a discovery path.
pub(crate) fn serve(path: &str) -> Option<Response> {
    let p = path.trim_end_matches('/');
    let segs: Vec<&str> = p.trim_start_matches('/').split('/').collect();
    let v = match segs.as_slice() {
        ["version"] => {
            json!({"major":"1","minor":"33","gitVersion":"v1.33.0-fakekube","platform":"linux/amd64"})
        }
        ["api"] => {
            json!({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]})
        }
        ["api", "v1"] => resource_list("", "v1")?,
        ["apis"] => {
            let groups: Vec<Value> = groups().into_iter().map(|(g, v)| api_group(g, v)).collect();
            json!({"kind":"APIGroupList","apiVersion":"v1","groups":groups})
        }
        ["apis", g] => {
            let (g, v) = groups().into_iter().find(|(name, _)| name == g)?;
            let mut v = api_group(g, v);
            v["kind"] = json!("APIGroup");
            v["apiVersion"] = json!("v1");
            v
        }
        ["apis", g, v] => resource_list(g, v)?,
        _ => return None,
    };
    Some(json_reply(StatusCode::OK, "application/json", &v))
}
