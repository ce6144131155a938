//! Namespaces are implicit: every namespace exists and is Active, nothing is stored. Served
//! read-only because kubectl looks a namespace up to word its NotFound errors.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::FakeKube;
use crate::reply::{json_reply, status};

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
}

impl FakeKube {
    /// `/api/v1/namespaces` and `/api/v1/namespaces/{name}`; `None` for other paths.
    pub(crate) fn namespaces(&self, method: &Method, path: &str) -> Option<Response> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let name = match segs.as_slice() {
            ["api", "v1", "namespaces"] => None,
            ["api", "v1", "namespaces", name] => Some(*name),
            _ => return None,
        };
        if method != Method::GET {
            return Some(
                status(
                    405,
                    "MethodNotAllowed",
                    "namespaces are read-only in the fake",
                )
                .into_response(),
            );
        }
        let v = match name {
            Some(n) => namespace(n),
            None => {
                let s = self.lock();
                let mut names: BTreeSet<&str> = ["default", "kube-system"].into();
                names.extend(s.objects.keys().map(|(_, ns, _)| ns.as_str()));
                let items: Vec<Value> = names.into_iter().map(namespace).collect();
                json!({"apiVersion": "v1", "kind": "NamespaceList",
                    "metadata": {"resourceVersion": s.rv.to_string()}, "items": items})
            }
        };
        Some(json_reply(StatusCode::OK, "application/json", &v))
    }
}
