//! A stateful fake Kubernetes API server for tests. See README.md.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

/// A served resource type.
#[derive(Clone, Debug)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub has_status: bool,
}

impl ResourceType {
    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    /// Key "group/version/plural".
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.group, self.version, self.plural)
    }
}

/// The resource types this fake serves.
pub const RESOURCES: &[ResourceType] = &[
    ResourceType {
        group: "",
        version: "v1",
        plural: "secrets",
        kind: "Secret",
        namespaced: true,
        has_status: false,
    },
    ResourceType {
        group: "",
        version: "v1",
        plural: "configmaps",
        kind: "ConfigMap",
        namespaced: true,
        has_status: false,
    },
    ResourceType {
        group: "",
        version: "v1",
        plural: "events",
        kind: "Event",
        namespaced: true,
        has_status: false,
    },
    ResourceType {
        group: "coordination.k8s.io",
        version: "v1",
        plural: "leases",
        kind: "Lease",
        namespaced: true,
        has_status: false,
    },
    ResourceType {
        group: "bitnami.com",
        version: "v1alpha1",
        plural: "sealedsecrets",
        kind: "SealedSecret",
        namespaced: true,
        has_status: true,
    },
];

fn find_resource(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// One entry of the write log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub verb: String,
    pub resource: String,
    pub namespace: String,
    pub name: String,
}

#[derive(Clone, Debug)]
struct Fault {
    verb: String,
    resource: String,
    status: u16,
    remaining: usize,
}

#[derive(Clone, Debug)]
struct Event {
    rv: u64,
    resource: String,
    namespace: String,
    kind: &'static str,
    object: Value,
}

type ObjKey = (String, String, String);

struct State {
    objects: BTreeMap<ObjKey, Value>,
    rv: u64,
    uid_counter: u64,
    events: Vec<Event>,
    compacted_rv: u64,
    writes: Vec<Write>,
    faults: Vec<Fault>,
}

/// Shared handle to the fake's state.
#[derive(Clone)]
pub struct FakeKube {
    state: Arc<Mutex<State>>,
    tx: broadcast::Sender<Event>,
}

impl Default for FakeKube {
    fn default() -> Self {
        Self::new()
    }
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub fake: FakeKube,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Error reply with a metav1.Status body.
fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = status_value(code, reason, message);
    let sc = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        sc,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn status_value(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":message,"reason":reason,"code":code})
}

fn reason_for(code: u16) -> &'static str {
    match code {
        404 => "NotFound",
        409 => "Conflict",
        410 => "Expired",
        429 => "TooManyRequests",
        _ => "InternalError",
    }
}

fn ok_json(code: StatusCode, v: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    if let Value::Object(p) = patch {
        if !target.is_object() {
            *target = Value::Object(Map::new());
        }
        if let Value::Object(t) = target {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
    } else {
        *target = patch.clone();
    }
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Label selector requirement.
#[derive(Debug)]
enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

fn parse_set(s: &str) -> Vec<String> {
    s.trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn parse_selector(s: &str) -> Vec<Req> {
    split_top(s)
        .into_iter()
        .filter_map(|part| {
            let p = part.trim();
            if let Some((k, v)) = p.split_once(" notin ") {
                Some(Req::NotIn(k.trim().into(), parse_set(v)))
            } else if let Some((k, v)) = p.split_once(" in ") {
                Some(Req::In(k.trim().into(), parse_set(v)))
            } else if let Some((k, v)) = p.split_once("!=") {
                Some(Req::Ne(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = p.split_once("==") {
                Some(Req::Eq(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = p.split_once('=') {
                Some(Req::Eq(k.trim().into(), v.trim().into()))
            } else if let Some(k) = p.strip_prefix('!') {
                Some(Req::NotExists(k.trim().into()))
            } else if p.is_empty() {
                None
            } else {
                Some(Req::Exists(p.into()))
            }
        })
        .collect()
}

fn matches(reqs: &[Req], get: &dyn Fn(&str) -> Option<String>) -> bool {
    reqs.iter().all(|r| match r {
        Req::Eq(k, v) => get(k).as_deref() == Some(v.as_str()),
        Req::Ne(k, v) => get(k).as_deref() != Some(v.as_str()),
        Req::In(k, vs) => get(k).is_some_and(|x| vs.contains(&x)),
        Req::NotIn(k, vs) => get(k).is_none_or(|x| !vs.contains(&x)),
        Req::Exists(k) => get(k).is_some(),
        Req::NotExists(k) => get(k).is_none(),
    })
}

struct Filter {
    labels: Vec<Req>,
    fields: Vec<Req>,
}

impl Filter {
    fn new(q: &BTreeMap<String, String>) -> Self {
        Filter {
            labels: q
                .get("labelSelector")
                .map(|s| parse_selector(s))
                .unwrap_or_default(),
            fields: q
                .get("fieldSelector")
                .map(|s| parse_selector(s))
                .unwrap_or_default(),
        }
    }
    fn accepts(&self, obj: &Value) -> bool {
        let labels = obj.get("metadata").and_then(|m| m.get("labels"));
        let lget = |k: &str| {
            labels
                .and_then(|l| l.get(k))
                .and_then(Value::as_str)
                .map(String::from)
        };
        let fget = |k: &str| match k {
            "metadata.name" => Some(meta_str(obj, "name").to_string()),
            "metadata.namespace" => Some(meta_str(obj, "namespace").to_string()),
            _ => None,
        };
        matches(&self.labels, &lget) && matches(&self.fields, &fget)
    }
}

fn parse_query(uri: &Uri) -> BTreeMap<String, String> {
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

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
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

/// Parsed resource path.
struct Target {
    res: &'static ResourceType,
    namespace: Option<String>,
    name: Option<String>,
}

fn parse_path(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", v, rest),
        ["apis", g, v, rest @ ..] => (g, v, rest),
        _ => return None,
    };
    let (ns, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
        _ => (None, rest),
    };
    let (plural, name) = match rest {
        [p] => (*p, None),
        [p, n] => (*p, Some(n.to_string())),
        _ => return None,
    };
    let res = find_resource(group, version, plural)?;
    Some(Target {
        res,
        namespace: ns,
        name,
    })
}

impl FakeKube {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        FakeKube {
            state: Arc::new(Mutex::new(State {
                objects: BTreeMap::new(),
                rv: 1,
                uid_counter: 0,
                events: Vec::new(),
                compacted_rv: 0,
                writes: Vec::new(),
                faults: Vec::new(),
            })),
            tx,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bind 127.0.0.1 on `port` (0 = ephemeral) and serve in the background.
    pub async fn start(port: u16) -> std::io::Result<Running> {
        let fake = FakeKube::new();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let f = fake.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let f = f.clone();
                async move { f.handle(method, uri, headers, body) }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Running { addr, fake })
    }

    /// The write log so far.
    pub fn writes(&self) -> Vec<Write> {
        self.lock().writes.clone()
    }
    /// Clear the write log.
    pub fn reset_writes(&self) {
        self.lock().writes.clear();
    }
    /// Reply `status` to the next `count` requests with `verb` (get, list, watch, create, update, patch, delete)
    /// on `resource` (plural, e.g. "secrets"; "*" for any).
    pub fn inject_fault(&self, verb: &str, resource: &str, status: u16, count: usize) {
        self.lock().faults.push(Fault {
            verb: verb.into(),
            resource: resource.into(),
            status,
            remaining: count,
        });
    }
    /// Drop the event log: watches from a resourceVersion older than now get 410.
    pub fn compact(&self) {
        let mut s = self.lock();
        s.events.clear();
        s.compacted_rv = s.rv;
    }
    /// Current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }
    /// Number of stored objects of a resource plural.
    pub fn count(&self, plural: &str) -> usize {
        self.lock()
            .objects
            .keys()
            .filter(|(r, _, _)| r.ends_with(&format!("/{plural}")))
            .count()
    }

    fn take_fault(&self, verb: &str, plural: &str) -> Option<u16> {
        let mut s = self.lock();
        let f = s.faults.iter_mut().find(|f| {
            f.remaining > 0 && f.verb == verb && (f.resource == "*" || f.resource == plural)
        })?;
        f.remaining -= 1;
        let code = f.status;
        s.faults.retain(|f| f.remaining > 0);
        Some(code)
    }

    fn handle(&self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let path = uri.path();
        if let Some(r) = discovery(path) {
            return r;
        }
        let Some(t) = parse_path(path) else {
            return status(
                404,
                "NotFound",
                &format!("the server could not find the requested resource ({path})"),
            );
        };
        let q = parse_query(&uri);
        let watch = matches!(q.get("watch").map(String::as_str), Some("true" | "1"));
        let verb = match (&method, t.name.is_some()) {
            (&Method::GET, true) => "get",
            (&Method::GET, false) if watch => "watch",
            (&Method::GET, false) => "list",
            (&Method::POST, false) => "create",
            (&Method::PUT, true) => "update",
            (&Method::PATCH, true) => "patch",
            (&Method::DELETE, true) => "delete",
            _ => return status(405, "MethodNotAllowed", "method not allowed"),
        };
        if let Some(code) = self.take_fault(verb, t.res.plural) {
            return status(code, reason_for(code), "injected fault");
        }
        match verb {
            "get" => self.get(&t),
            "list" => self.list(&t, &q),
            "watch" => self.watch(&t, &q),
            "create" => self.create(&t, &body),
            "update" => self.replace(&t, &body),
            "patch" => self.patch(&t, &headers, &body),
            _ => self.delete(&t),
        }
    }

    fn key(t: &Target, name: &str) -> ObjKey {
        (
            t.res.key(),
            t.namespace.clone().unwrap_or_default(),
            name.to_string(),
        )
    }

    fn get(&self, t: &Target) -> Response {
        let name = t.name.clone().unwrap_or_default();
        match self.lock().objects.get(&Self::key(t, &name)) {
            Some(o) => ok_json(StatusCode::OK, o),
            None => not_found(t, &name),
        }
    }

    fn list(&self, t: &Target, q: &BTreeMap<String, String>) -> Response {
        let f = Filter::new(q);
        let s = self.lock();
        let key = t.res.key();
        let items: Vec<Value> = s
            .objects
            .iter()
            .filter(|((r, ns, _), o)| {
                *r == key && t.namespace.as_ref().is_none_or(|n| n == ns) && f.accepts(o)
            })
            .map(|(_, o)| o.clone())
            .collect();
        let v = json!({"kind": format!("{}List", t.res.kind), "apiVersion": t.res.api_version(),
            "metadata": {"resourceVersion": s.rv.to_string()}, "items": items});
        ok_json(StatusCode::OK, &v)
    }

    fn record(
        &self,
        s: &mut State,
        verb: &str,
        t: &Target,
        name: &str,
        kind: &'static str,
        object: Value,
    ) {
        s.writes.push(Write {
            verb: verb.into(),
            resource: t.res.plural.into(),
            namespace: t.namespace.clone().unwrap_or_default(),
            name: name.into(),
        });
        let ev = Event {
            rv: s.rv,
            resource: t.res.key(),
            namespace: t.namespace.clone().unwrap_or_default(),
            kind,
            object,
        };
        s.events.push(ev.clone());
        let _ = self.tx.send(ev);
    }

    fn create(&self, t: &Target, body: &[u8]) -> Response {
        let Ok(mut obj) = serde_json::from_slice::<Value>(body) else {
            return status(400, "BadRequest", "invalid JSON body");
        };
        let mut s = self.lock();
        let mut name = meta_str(&obj, "name").to_string();
        if name.is_empty() {
            let prefix = meta_str(&obj, "generateName").to_string();
            if prefix.is_empty() {
                return status(422, "Invalid", "metadata.name: Required value");
            }
            s.uid_counter += 1;
            name = format!(
                "{prefix}{:05x}",
                s.uid_counter.wrapping_mul(0x9e37) % 0xfffff
            );
        }
        if s.objects.contains_key(&Self::key(t, &name)) {
            return status(
                409,
                "AlreadyExists",
                &format!("{} \"{name}\" already exists", t.res.plural),
            );
        }
        s.rv += 1;
        s.uid_counter += 1;
        let uid = format!("00000000-0000-4000-8000-{:012x}", s.uid_counter);
        obj["apiVersion"] = json!(t.res.api_version());
        obj["kind"] = json!(t.res.kind);
        let m = &mut obj["metadata"];
        if !m.is_object() {
            *m = json!({});
        }
        m["name"] = json!(name);
        if let Some(ns) = &t.namespace {
            m["namespace"] = json!(ns);
        }
        m["uid"] = json!(uid);
        m["resourceVersion"] = json!(s.rv.to_string());
        m["creationTimestamp"] = json!(now_rfc3339());
        m["generation"] = json!(1);
        if t.res.has_status
            && let Some(o) = obj.as_object_mut()
        {
            o.remove("status");
        }
        s.objects.insert(Self::key(t, &name), obj.clone());
        self.record(&mut s, "create", t, &name, "ADDED", obj.clone());
        ok_json(StatusCode::CREATED, &obj)
    }

    /// Store `new` replacing `old`: keep server-owned fields, bump rv and generation.
    fn store_update(
        &self,
        s: &mut State,
        t: &Target,
        name: &str,
        old: &Value,
        mut new: Value,
        verb: &str,
    ) -> Value {
        s.rv += 1;
        new["apiVersion"] = json!(t.res.api_version());
        new["kind"] = json!(t.res.kind);
        if !new["metadata"].is_object() {
            new["metadata"] = json!({});
        }
        for f in ["uid", "creationTimestamp", "name", "namespace"] {
            new["metadata"][f] = old["metadata"][f].clone();
        }
        let old_gen = old["metadata"]["generation"].as_i64().unwrap_or(1);
        let changed = if t.res.has_status {
            new.get("spec") != old.get("spec")
        } else {
            let strip = |v: &Value| {
                let mut v = v.clone();
                if let Some(o) = v.as_object_mut() {
                    o.remove("metadata");
                }
                v
            };
            strip(&new) != strip(old)
        };
        new["metadata"]["generation"] = json!(if changed { old_gen + 1 } else { old_gen });
        if t.res.has_status {
            new["status"] = old.get("status").cloned().unwrap_or(Value::Null);
            if new["status"].is_null()
                && let Some(o) = new.as_object_mut()
            {
                o.remove("status");
            }
        }
        new["metadata"]["resourceVersion"] = json!(s.rv.to_string());
        s.objects.insert(Self::key(t, name), new.clone());
        self.record(s, verb, t, name, "MODIFIED", new.clone());
        new
    }

    fn replace(&self, t: &Target, body: &[u8]) -> Response {
        let Ok(obj) = serde_json::from_slice::<Value>(body) else {
            return status(400, "BadRequest", "invalid JSON body");
        };
        let name = t.name.clone().unwrap_or_default();
        let mut s = self.lock();
        let Some(old) = s.objects.get(&Self::key(t, &name)).cloned() else {
            return not_found(t, &name);
        };
        let want = meta_str(&obj, "resourceVersion");
        if !want.is_empty() && want != meta_str(&old, "resourceVersion") {
            return status(
                409,
                "Conflict",
                &format!(
                    "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                    t.res.plural
                ),
            );
        }
        let new = self.store_update(&mut s, t, &name, &old, obj, "update");
        ok_json(StatusCode::OK, &new)
    }

    fn patch(&self, t: &Target, headers: &HeaderMap, body: &[u8]) -> Response {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/merge-patch+json") {
            return status(
                415,
                "UnsupportedMediaType",
                &format!("patch type {ct} not supported by the fake"),
            );
        }
        let Ok(p) = serde_json::from_slice::<Value>(body) else {
            return status(400, "BadRequest", "invalid JSON body");
        };
        let name = t.name.clone().unwrap_or_default();
        let mut s = self.lock();
        let Some(old) = s.objects.get(&Self::key(t, &name)).cloned() else {
            return not_found(t, &name);
        };
        let want = meta_str(&p, "resourceVersion");
        if !want.is_empty() && want != meta_str(&old, "resourceVersion") {
            return status(409, "Conflict", "the object has been modified");
        }
        let mut new = old.clone();
        merge_patch(&mut new, &p);
        let new = self.store_update(&mut s, t, &name, &old, new, "patch");
        ok_json(StatusCode::OK, &new)
    }

    fn delete(&self, t: &Target) -> Response {
        let name = t.name.clone().unwrap_or_default();
        let mut s = self.lock();
        let Some(mut old) = s.objects.remove(&Self::key(t, &name)) else {
            return not_found(t, &name);
        };
        s.rv += 1;
        old["metadata"]["resourceVersion"] = json!(s.rv.to_string());
        self.record(&mut s, "delete", t, &name, "DELETED", old.clone());
        ok_json(StatusCode::OK, &old)
    }

    fn watch(&self, t: &Target, q: &BTreeMap<String, String>) -> Response {
        let f = Filter::new(q);
        let key = t.res.key();
        let ns = t.namespace.clone();
        let from: Option<u64> = q
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .filter(|v| *v != 0);
        let timeout = q
            .get("timeoutSeconds")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1800);
        let wanted = Arc::new(move |e: &Event| {
            e.resource == key
                && ns.as_ref().is_none_or(|n| *n == e.namespace)
                && f.accepts(&e.object)
        });
        let (initial, rx) = {
            let s = self.lock();
            let rx = self.tx.subscribe();
            let mut initial: Vec<Value> = Vec::new();
            match from {
                Some(rv) if rv < s.compacted_rv => {
                    let st = status_value(
                        410,
                        "Expired",
                        &format!("too old resource version: {rv} ({})", s.compacted_rv),
                    );
                    initial.push(json!({"type": "ERROR", "object": st}));
                    let body = initial.iter().map(|v| format!("{v}\n")).collect::<String>();
                    return (
                        StatusCode::OK,
                        [(header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                        .into_response();
                }
                Some(rv) => {
                    for e in s.events.iter().filter(|e| e.rv > rv && wanted(e)) {
                        initial.push(json!({"type": e.kind, "object": e.object}));
                    }
                }
                None => {
                    let key = t.res.key();
                    for ((r, n, _), o) in &s.objects {
                        let ev = Event {
                            rv: 0,
                            resource: r.clone(),
                            namespace: n.clone(),
                            kind: "ADDED",
                            object: o.clone(),
                        };
                        if *r == key && wanted(&ev) {
                            initial.push(json!({"type": "ADDED", "object": o}));
                        }
                    }
                }
            }
            (initial, rx)
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        let head = futures::stream::iter(
            initial
                .into_iter()
                .map(|v| Ok::<_, std::io::Error>(Bytes::from(format!("{v}\n")))),
        );
        let tail = futures::stream::unfold(rx, move |mut rx| {
            let wanted = wanted.clone();
            async move {
                loop {
                    match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Ok(e)) if wanted(&e) => {
                            let v = json!({"type": e.kind, "object": e.object});
                            return Some((Ok(Bytes::from(format!("{v}\n"))), rx));
                        }
                        Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
                        _ => return None,
                    }
                }
            }
        });
        let body = Body::from_stream(futures::StreamExt::chain(head, tail));
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}

fn not_found(t: &Target, name: &str) -> Response {
    let group = if t.res.group.is_empty() {
        String::new()
    } else {
        format!(".{}", t.res.group)
    };
    status(
        404,
        "NotFound",
        &format!("{}{group} \"{name}\" not found", t.res.plural),
    )
}

fn resource_list(group: &str, version: &str) -> Value {
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    let resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .flat_map(|r| {
            let mut v = vec![json!({"name": r.plural, "singularName": r.kind.to_lowercase(), "namespaced": r.namespaced, "kind": r.kind,
                "verbs": ["create","delete","get","list","patch","update","watch"]})];
            if r.has_status {
                v.push(json!({"name": format!("{}/status", r.plural), "singularName": "", "namespaced": r.namespaced, "kind": r.kind, "verbs": ["get","patch","update"]}));
            }
            v
        })
        .collect();
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}

fn discovery(path: &str) -> Option<Response> {
    let p = path.trim_end_matches('/');
    let v = match p {
        "/version" => {
            json!({"major":"1","minor":"33","gitVersion":"v1.33.0-fakekube","platform":"linux/amd64"})
        }
        "/api" => {
            json!({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]})
        }
        "/api/v1" => resource_list("", "v1"),
        "/apis" => {
            let groups: Vec<Value> = ["coordination.k8s.io/v1", "bitnami.com/v1alpha1"]
                .iter()
                .map(|gv| {
                    let (g, v) = gv.split_once('/').unwrap_or((gv, ""));
                    json!({"name": g, "versions": [{"groupVersion": gv, "version": v}], "preferredVersion": {"groupVersion": gv, "version": v}})
                })
                .collect();
            json!({"kind":"APIGroupList","apiVersion":"v1","groups":groups})
        }
        "/apis/coordination.k8s.io/v1" => resource_list("coordination.k8s.io", "v1"),
        "/apis/bitnami.com/v1alpha1" => resource_list("bitnami.com", "v1alpha1"),
        _ => return None,
    };
    Some(ok_json(StatusCode::OK, &v))
}

/// A kubeconfig pointing at `url`.
pub fn kubeconfig(url: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fakekube\n  cluster:\n    server: {url}\n    insecure-skip-tls-verify: true\nusers:\n- name: fakekube\n  user:\n    token: fakekube-dummy-token\ncontexts:\n- name: fakekube\n  context:\n    cluster: fakekube\n    user: fakekube\n    namespace: default\ncurrent-context: fakekube\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        let o = json!({"metadata":{"name":"a","namespace":"ns","labels":{"app":"x","tier":"web"}}});
        let ok = |s: &str| {
            Filter {
                labels: parse_selector(s),
                fields: vec![],
            }
            .accepts(&o)
        };
        assert!(ok("app=x"));
        assert!(ok("app==x,tier!=db"));
        assert!(ok("app in (x, y)"));
        assert!(!ok("app notin (x,y)"));
        assert!(ok("tier"));
        assert!(ok("!missing"));
        assert!(!ok("missing"));
        let f = Filter {
            labels: vec![],
            fields: parse_selector("metadata.name=a,metadata.namespace!=other"),
        };
        assert!(f.accepts(&o));
    }

    #[test]
    fn merge_patch_rfc7386() {
        let mut t = json!({"a":"b","c":{"d":"e","f":"g"}});
        merge_patch(&mut t, &json!({"a":"z","c":{"f":null}}));
        assert_eq!(t, json!({"a":"z","c":{"d":"e"}}));
    }

    #[test]
    fn path_parsing() {
        let t = parse_path("/api/v1/namespaces/ns/secrets/x")
            .map(|t| (t.res.plural, t.namespace, t.name));
        assert_eq!(t, Some(("secrets", Some("ns".into()), Some("x".into()))));
        assert!(parse_path("/apis/bitnami.com/v1alpha1/sealedsecrets").is_some());
        assert_eq!(decode("a%3Db+c"), "a=b c");
    }
}
