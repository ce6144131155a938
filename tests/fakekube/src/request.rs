//! Request decoding: resource paths, query strings and `Accept` negotiation.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, Uri, header};

use crate::request_log::{LoggedRequest, user};
use crate::resources::{ResourceType, find_resource};
use crate::store::ObjKey;

/// A parsed resource path.
pub(crate) struct Target {
    pub res: &'static ResourceType,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// The request addresses the `/status` subresource.
    pub status: bool,
}

impl Target {
    /// How the request log records a request for this target.
    pub fn logged(&self, verb: &str, q: Option<&Query>, headers: &HeaderMap) -> LoggedRequest {
        let name = match &self.name {
            Some(n) => n.clone(),
            None => q
                .and_then(|q| q.get("fieldSelector"))
                .and_then(|fs| {
                    fs.split(',')
                        .find_map(|term| term.strip_prefix("metadata.name="))
                        .map(str::to_string)
                })
                .unwrap_or_default(),
        };
        LoggedRequest {
            verb: verb.to_string(),
            group: self.res.group.to_string(),
            resource: self.res.plural.to_string(),
            subresource: if self.status {
                "status".into()
            } else {
                String::new()
            },
            namespace: self.ns().to_string(),
            name,
            user: user(headers),
        }
    }

    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
    pub fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or("")
    }
    pub fn key(&self, name: &str) -> ObjKey {
        (self.res.store, self.ns().to_string(), name.to_string())
    }
    /// Resource name as the write log and fault matching spell it ("secrets", "sealedsecrets/status").
    pub fn log_resource(&self) -> String {
        if self.status {
            format!("{}/status", self.res.plural)
        } else {
            self.res.plural.to_string()
        }
    }
}

/// Parse `/api/v1/...` and `/apis/{group}/{version}/...`. Paths for resources we do not serve,
/// cluster-scoped names of namespaced resources and unknown subresources give `None` (404).
pub(crate) fn parse_path(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", v, rest),
        ["apis", g, v, rest @ ..] => (g, v, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
        _ => (None, rest),
    };
    let (plural, name, status) = match rest {
        [p] => (*p, None, false),
        [p, n] => (*p, Some(n.to_string()), false),
        [p, n, "status"] => (*p, Some(n.to_string()), true),
        _ => return None,
    };
    let res = find_resource(group, version, plural)?;
    if (status && !res.has_status) || (res.namespaced && namespace.is_none() && name.is_some()) {
        return None;
    }
    Some(Target {
        res,
        namespace,
        name,
        status,
    })
}

pub(crate) type Query = BTreeMap<String, String>;

pub(crate) fn parse_query(uri: &Uri) -> Query {
    let mut m = BTreeMap::new();
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        m.insert(decode(k), decode(v));
    }
    m
}

/// `application/x-www-form-urlencoded` decoding (`%XX` and `+`).
pub(crate) fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn flag(q: &Query, key: &str) -> bool {
    matches!(q.get(key).map(String::as_str), Some("true" | "1"))
}

/// How an object reply is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    /// The full object as JSON.
    Full,
    /// `meta.k8s.io/v1` `PartialObjectMetadata` (or `...List`): only `metadata`.
    Meta,
}

pub(crate) const META_MIME: &str = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
pub(crate) const META_LIST_MIME: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/// Pick the first media type in `Accept` we can produce. `list` says whether the reply is a
/// list: like the real server, a list must be asked for as `PartialObjectMetadataList` and a
/// single object (get, watch event, write reply) as `PartialObjectMetadata`. Types we cannot
/// produce (protobuf, `as=Table`, the other metadata form) are skipped; if none is left the
/// caller answers 406. No `Accept` at all means JSON.
pub(crate) fn negotiate(headers: &HeaderMap, list: bool) -> Option<Output> {
    let Some(accept) = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.trim().is_empty())
    else {
        return Some(Output::Full);
    };
    accept.split(',').find_map(|mt| {
        let mut parts = mt.split(';').map(str::trim);
        let base = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: BTreeMap<String, String> = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        if !matches!(base.as_str(), "application/json" | "application/*" | "*/*") {
            return None;
        }
        match params.get("as").map(String::as_str) {
            None => Some(Output::Full),
            Some(kind) => {
                let meta_group = params.get("g").map(String::as_str) == Some("meta.k8s.io")
                    && params.get("v").map(String::as_str) == Some("v1");
                let wanted = if list {
                    "PartialObjectMetadataList"
                } else {
                    "PartialObjectMetadata"
                };
                (meta_group && kind == wanted).then_some(Output::Meta)
            }
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn path_parsing() {
        let t = parse_path("/api/v1/namespaces/ns/secrets/x")
            .map(|t| (t.res.plural, t.namespace, t.name, t.status));
        assert_eq!(
            t,
            Some(("secrets", Some("ns".into()), Some("x".into()), false))
        );
        assert!(parse_path("/apis/bitnami.com/v1alpha1/sealedsecrets").is_some());
        assert!(
            parse_path("/apis/bitnami.com/v1alpha1/namespaces/n/sealedsecrets/x/status")
                .is_some_and(|t| t.status)
        );
        // secrets have no status subresource; names need a namespace
        assert!(parse_path("/api/v1/namespaces/n/secrets/x/status").is_none());
        assert!(parse_path("/api/v1/secrets/x").is_none());
        assert!(parse_path("/apis/events.k8s.io/v1/namespaces/n/events").is_some());
        assert_eq!(decode("a%3Db+c"), "a=b c");
        assert_eq!(decode("100%"), "100%");
    }

    #[test]
    fn accept_negotiation() {
        let h = |s: &'static str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT, HeaderValue::from_static(s));
            m
        };
        assert_eq!(negotiate(&HeaderMap::new(), true), Some(Output::Full));
        assert_eq!(negotiate(&h(META_LIST_MIME), true), Some(Output::Meta));
        assert_eq!(negotiate(&h(META_MIME), false), Some(Output::Meta));
        // wrong form for the request kind: not acceptable
        assert_eq!(negotiate(&h(META_MIME), true), None);
        // kubectl: Table first (unsupported), then plain JSON
        assert_eq!(
            negotiate(
                &h("application/json;as=Table;v=v1;g=meta.k8s.io,application/json"),
                true
            ),
            Some(Output::Full)
        );
        assert_eq!(
            negotiate(
                &h(
                    "application/vnd.kubernetes.protobuf, application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
                ),
                true
            ),
            Some(Output::Meta)
        );
        assert_eq!(
            negotiate(&h("application/vnd.kubernetes.protobuf"), true),
            None
        );
    }
}
