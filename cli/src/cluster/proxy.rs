//! Raw requests to the API server, and the controller's HTTP API through the API server's
//! service proxy: `/api/v1/namespaces/<ns>/services/http:<svc>:<port-name>/proxy/<path>`,
//! the path kubeseal builds (it reads the port name from the Service's first port).

use super::{ClusterArgs, Connection};
use http::{Method, Request, StatusCode, header};
use serde_json::Value;

/// Largest reply body accepted from the API server or the controller.
pub const MAX_REPLY_BYTES: usize = 4 << 20;

/// Port name used when the Service cannot be read (no `get services` permission): the name
/// of the controller's port in Bitnami's chart and manifests, and in sealant's.
pub const FALLBACK_PORT_NAME: &str = "http";

/// A reply: status and body.
pub struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Reply {
    /// `403 Forbidden: <the Status message>` (the API server's words; no values in them).
    pub fn describe(&self) -> String {
        let message = serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| {
                String::from_utf8_lossy(&self.body[..self.body.len().min(200)])
                    .trim()
                    .to_owned()
            });
        if message.is_empty() {
            self.status.to_string()
        } else {
            format!("{}: {message}", self.status)
        }
    }
}

/// Send one request; `Err` is a transport failure (connection refused, timeout, TLS, auth
/// plugin), worded by kube.
pub async fn call(
    conn: &Connection,
    method: Method,
    path: &str,
    body: Option<Vec<u8>>,
) -> Result<Reply, String> {
    let mut builder = Request::builder().method(method).uri(path);
    builder = builder.header(header::ACCEPT, "application/json, */*");
    if body.is_some() {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    let request = builder
        .body(kube::client::Body::from(body.unwrap_or_default()))
        .map_err(|e| format!("building request {path}: {e}"))?;
    let response = conn.client.send(request).await.map_err(|e| chain(&e))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect_bytes()
        .await
        .map_err(|e| chain(&e))?;
    if body.len() > MAX_REPLY_BYTES {
        return Err(format!("reply larger than {MAX_REPLY_BYTES} bytes"));
    }
    Ok(Reply {
        status,
        body: body.to_vec(),
    })
}

/// An error and its causes, `: `-joined ("client error (Connect): tcp connect error: ...").
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

/// Percent-encode a query or path value (unreserved characters stay).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The controller Service the proxy path goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTarget {
    pub namespace: String,
    pub name: String,
    pub port_name: String,
    /// Why the port name is a guess, when it is.
    pub note: Option<String>,
}

impl ServiceTarget {
    /// `/api/v1/namespaces/<ns>/services/http:<svc>:<port>/proxy<suffix>`.
    pub fn proxy_path(&self, suffix: &str) -> String {
        format!(
            "/api/v1/namespaces/{}/services/http:{}:{}/proxy{suffix}",
            encode(&self.namespace),
            encode(&self.name),
            encode(&self.port_name)
        )
    }

    pub fn describe(&self) -> String {
        format!(
            "service proxy {}/http:{}:{}",
            self.namespace, self.name, self.port_name
        )
    }
}

/// Find the controller's Service: by `--controller-selector` (exactly one match), else by
/// `--controller-name`. The port name is the Service's first port's, as kubeseal reads it;
/// when the Service cannot be read by name, [`FALLBACK_PORT_NAME`] is tried (so
/// `services/proxy` alone is enough).
pub async fn resolve_service(
    conn: &Connection,
    args: &ClusterArgs,
) -> Result<ServiceTarget, String> {
    let ns = &args.controller_namespace;
    if let Some(selector) = &args.controller_selector {
        let path = format!(
            "/api/v1/namespaces/{}/services?labelSelector={}",
            encode(ns),
            encode(selector)
        );
        let reply = call(conn, Method::GET, &path, None)
            .await
            .map_err(|e| format!("listing Services in {ns} by label {selector}: {e}"))?;
        if !reply.status.is_success() {
            return Err(format!(
                "listing Services in {ns} by label {selector}: {} (needs RBAC `list services` in {ns})",
                reply.describe()
            ));
        }
        let list: Value = serde_json::from_slice(&reply.body)
            .map_err(|e| format!("listing Services in {ns}: unreadable reply: {e}"))?;
        return pick_service(ns, selector, &list);
    }
    let name = &args.controller_name;
    let path = format!(
        "/api/v1/namespaces/{}/services/{}",
        encode(ns),
        encode(name)
    );
    let guess = |why: String| ServiceTarget {
        namespace: ns.clone(),
        name: name.clone(),
        port_name: FALLBACK_PORT_NAME.to_owned(),
        note: Some(why),
    };
    match call(conn, Method::GET, &path, None).await {
        Ok(reply) if reply.status.is_success() => {
            let service: Value = serde_json::from_slice(&reply.body)
                .map_err(|e| format!("reading Service {ns}/{name}: {e}"))?;
            Ok(ServiceTarget {
                namespace: ns.clone(),
                name: name.clone(),
                port_name: first_port_name(&service),
                note: None,
            })
        }
        Ok(reply) => Ok(guess(format!(
            "reading Service {ns}/{name} for its port name: {}; tried port name {FALLBACK_PORT_NAME:?}",
            reply.describe()
        ))),
        Err(e) => Err(format!("reading Service {ns}/{name}: {e}")),
    }
}

fn first_port_name(service: &Value) -> String {
    service
        .pointer("/spec/ports/0/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The one Service a selector matched.
pub fn pick_service(ns: &str, selector: &str, list: &Value) -> Result<ServiceTarget, String> {
    let items = list
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let names: Vec<String> = items
        .iter()
        .filter_map(|s| s.pointer("/metadata/name").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    match (items.as_slice(), names.as_slice()) {
        ([service], [name]) => Ok(ServiceTarget {
            namespace: ns.to_owned(),
            name: name.clone(),
            port_name: first_port_name(service),
            note: None,
        }),
        ([], _) => Err(format!(
            "no Service in namespace {ns} matches label selector {selector} \
             (check --controller-selector and --controller-namespace)"
        )),
        _ => Err(format!(
            "{} Services in namespace {ns} match label selector {selector} ({}); \
             narrow the selector or use --controller-name",
            items.len(),
            names.join(", ")
        )),
    }
}

/// The controller could not be reached through the services proxy: the error, with the RBAC
/// permission and the flags that decide where the proxy points.
pub fn controller_unreachable(cluster: &ClusterArgs, reason: String) -> crate::error::CliError {
    crate::error::CliError::Controller {
        controller: cluster.controller_label(),
        reason: format!(
            "{reason}; needs RBAC `create` on services/proxy in namespace {} (check \
             --controller-name, --controller-namespace or --controller-selector)",
            cluster.controller_namespace
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(name: &str, port: Option<&str>) -> Value {
        let ports = match port {
            Some(p) => json!([{"name": p, "port": 8080}, {"name": "metrics", "port": 8081}]),
            None => json!([{"port": 8080}]),
        };
        json!({"metadata": {"name": name}, "spec": {"ports": ports}})
    }

    #[test]
    fn proxy_path_matches_kubeseal() {
        let target = ServiceTarget {
            namespace: "kube-system".into(),
            name: "sealed-secrets-controller".into(),
            port_name: "http".into(),
            note: None,
        };
        assert_eq!(
            target.proxy_path("/v1/cert.pem"),
            "/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/cert.pem"
        );
        // An unnamed port gives kubeseal's `http:<svc>:` form.
        let unnamed = ServiceTarget {
            port_name: String::new(),
            ..target
        };
        assert!(
            unnamed
                .proxy_path("/x")
                .contains("/services/http:sealed-secrets-controller:/proxy/x")
        );
    }

    #[test]
    fn selector_picks_exactly_one_service() {
        let one = json!({"items": [service("release-sealed-secrets", Some("http"))]});
        let picked = pick_service("ops", "app=ss", &one).unwrap();
        assert_eq!(picked.name, "release-sealed-secrets");
        assert_eq!(picked.port_name, "http");
        let unnamed = json!({"items": [service("x", None)]});
        assert_eq!(pick_service("ops", "a=b", &unnamed).unwrap().port_name, "");

        let none = json!({"items": []});
        let err = pick_service("ops", "app=ss", &none).unwrap_err();
        assert!(err.contains("no Service in namespace ops matches label selector app=ss"));
        let two = json!({"items": [service("a", Some("http")), service("b", Some("http"))]});
        let err = pick_service("ops", "app=ss", &two).unwrap_err();
        assert!(err.contains("2 Services") && err.contains("a, b"), "{err}");
    }

    #[test]
    fn encoding_and_status_messages() {
        assert_eq!(
            encode("app.kubernetes.io/name=x,y"),
            "app.kubernetes.io%2Fname%3Dx%2Cy"
        );
        let reply = Reply {
            status: StatusCode::FORBIDDEN,
            body: br#"{"kind":"Status","message":"configmaps is forbidden"}"#.to_vec(),
        };
        assert_eq!(reply.describe(), "403 Forbidden: configmaps is forbidden");
    }
}
