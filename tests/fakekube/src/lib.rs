//! A stateful fake Kubernetes API server for tests. See README.md for what it models.
//!
//! Layout: `server` routes requests; `handlers`, `list` and `watch` implement the verbs on a
//! `store::State` behind one mutex; `object` holds the server-side rules for object bodies,
//! `view` the schema/media-type presentation, `patch` the patch formats, `gc` ownerReference
//! garbage collection, `proxy` the service proxy, `faults` fault injection, `discovery` the
//! discovery documents, `namespaces` the stored namespaces and `request_log` the log of
//! requests as an RBAC authorizer sees them.

mod discovery;
mod faults;
mod fields;
mod gc;
mod handlers;
mod list;
mod namespaces;
mod object;
mod patch;
mod proxy;
mod reply;
mod request;
mod request_log;
mod resources;
mod selectors;
mod server;
mod store;
mod view;
mod watch;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use patch::{json_patch, merge_patch};
pub use request_log::LoggedRequest;
pub use resources::{RESOURCES, ResourceType};
pub use store::Write;

use serde_json::Value;
use store::State;

/// Shared handle to the fake's state. Cheap to clone.
#[derive(Clone)]
pub struct FakeKube {
    state: Arc<Mutex<State>>,
    /// Bumped on every change (writes, events, watch open/close, drops). Watch streams and
    /// [`FakeKube::wait_until`] wait on it instead of polling.
    signal: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for FakeKube {
    fn default() -> Self {
        Self::new()
    }
}

/// One entry of [`FakeKube::request_log_timed`].
#[derive(Clone, Debug)]
pub struct TimedRequest {
    pub at: std::time::Instant,
    pub request: LoggedRequest,
    /// The status of the injected fault it was answered with, if any.
    pub fault: Option<u16>,
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

impl FakeKube {
    /// A fake with an empty store, not yet serving (see [`FakeKube::start`]).
    pub fn new() -> Self {
        let mut state = State::new();
        namespaces::seed(&mut state);
        FakeKube {
            state: Arc::new(Mutex::new(state)),
            signal: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        self.signal.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// The write log so far: every successful write request (no-op writes included), then
    /// garbage-collector writes ("gc-delete", "gc-patch").
    pub fn writes(&self) -> Vec<Write> {
        self.lock().writes.clone()
    }

    /// Clear the write log.
    pub fn reset_writes(&self) {
        self.lock().writes.clear();
    }

    /// Number of logged writes with this verb on this resource (e.g. ("patch",
    /// "sealedsecrets/status")); "*" matches any.
    pub fn count_writes(&self, verb: &str, resource: &str) -> usize {
        self.lock()
            .writes
            .iter()
            .filter(|w| {
                (verb == "*" || w.verb == verb) && (resource == "*" || w.resource == resource)
            })
            .count()
    }

    /// Number of requests with `verb` (get, list, watch, create, update, patch, delete,
    /// deletecollection) on `resource` (plural, "plural/status", "services/proxy"; "*" = any)
    /// that reached the fake, failed ones and injected faults included.
    pub fn request_count(&self, verb: &str, resource: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|((v, r), _)| (verb == "*" || v == verb) && (resource == "*" || r == resource))
            .map(|(_, n)| n)
            .sum()
    }

    /// Reply `status` to the next `count` requests with `verb` (get, list, watch, create,
    /// update, patch, delete, deletecollection; "*" for any) on `resource` (as in
    /// [`FakeKube::request_count`]; "*" for any). A fault on a resource also hits its
    /// subresources: "sealedsecrets" matches status writes, "sealedsecrets/status" only those.
    pub fn inject_fault(&self, verb: &str, resource: &str, status: u16, count: usize) {
        self.lock().faults.push(verb, resource, status, count);
    }

    /// Send `Retry-After: seconds` with every injected 429 from now on (`None`: none, the
    /// default, so fault tests need not wait whole seconds).
    pub fn set_retry_after(&self, seconds: Option<u64>) {
        self.lock().faults.retry_after = seconds;
    }

    /// The request log with each request's arrival time and the injected fault it got.
    pub fn request_log_timed(&self) -> Vec<TimedRequest> {
        let s = self.lock();
        s.request_log
            .iter()
            .zip(&s.request_times)
            .map(|(request, &(at, fault))| TimedRequest {
                at,
                request: request.clone(),
                fault,
            })
            .collect()
    }

    /// Delay every request by `latency` before it is handled (zero turns it off).
    pub fn set_latency(&self, latency: Duration) {
        self.lock().faults.latency = latency;
    }

    /// End every open watch stream now (the client sees a clean end of stream and must
    /// re-watch from its last resourceVersion).
    pub fn drop_watches(&self) {
        self.lock().watch_epoch += 1;
        self.bump();
    }

    /// Hold (or release) the live events of every watch on `resource` ("secrets", ...):
    /// they wait in the log, as behind a lagging watch cache, and are delivered on release.
    pub fn hold_watches(&self, resource: &str, held: bool) {
        self.lock().faults.hold_watches(resource, held);
        self.bump();
    }

    /// The next `streams` watch requests end after delivering `events` events each.
    pub fn end_watches_after(&self, streams: usize, events: usize) {
        self.lock().faults.set_watch_limit(streams, events);
    }

    /// Number of watch streams currently open.
    pub fn open_watches(&self) -> usize {
        self.lock().open_watches
    }

    /// Drop the event log: watches (and list continuations) from a resourceVersion older than
    /// now get 410 Expired.
    pub fn compact(&self) {
        self.lock().compact();
        self.bump();
    }

    /// Current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }

    /// Number of stored objects of a resource ("secrets", "sealedsecrets", "leases", ...).
    pub fn count(&self, resource: &str) -> usize {
        let Some(r) = resources::by_name(resource) else {
            return 0;
        };
        self.lock().count(r.store)
    }

    /// A stored object, as its core/canonical API version shows it.
    pub fn object(&self, resource: &str, namespace: &str, name: &str) -> Option<Value> {
        let r = resources::by_name(resource)?;
        self.lock()
            .get(&(r.store, namespace.to_string(), name.to_string()))
            .map(|o| (*o).clone())
    }

    /// All stored objects of a resource (all namespaces), in (namespace, name) order.
    pub fn objects(&self, resource: &str) -> Vec<Value> {
        let Some(r) = resources::by_name(resource) else {
            return Vec::new();
        };
        self.lock()
            .objects
            .iter()
            .filter(|((st, _, _), _)| *st == r.store)
            .map(|(_, o)| (**o).clone())
            .collect()
    }

    /// Make `services/{name}/proxy/...` in `namespace` forward to `addr` (any port form).
    pub fn register_service(&self, namespace: &str, name: &str, addr: SocketAddr) {
        self.lock()
            .services
            .insert((namespace.to_string(), name.to_string()), addr);
    }

    /// Undo [`FakeKube::register_service`].
    pub fn unregister_service(&self, namespace: &str, name: &str) {
        self.lock()
            .services
            .remove(&(namespace.to_string(), name.to_string()));
    }

    /// Wait until `cond` holds, re-checking after every change to the fake (writes, watch
    /// streams opening or closing). `false` on timeout. Use it instead of sleeping.
    pub fn wait_until<F>(
        &self,
        timeout: Duration,
        cond: F,
    ) -> impl Future<Output = bool> + Send + 'static
    where
        F: Fn(&FakeKube) -> bool + Send + 'static,
    {
        let fake = self.clone();
        let mut rx = self.signal.subscribe();
        async move {
            let deadline = tokio::time::Instant::now() + timeout;
            loop {
                rx.borrow_and_update();
                if cond(&fake) {
                    return true;
                }
                match tokio::time::timeout_at(deadline, rx.changed()).await {
                    Ok(Ok(())) => {}
                    _ => return cond(&fake),
                }
            }
        }
    }
}

/// A kubeconfig pointing at `url` (http, dummy token, namespace "default").
pub fn kubeconfig(url: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fakekube\n  cluster:\n    server: {url}\n    insecure-skip-tls-verify: true\nusers:\n- name: fakekube\n  user:\n    token: fakekube-dummy-token\ncontexts:\n- name: fakekube\n  context:\n    cluster: fakekube\n    user: fakekube\n    namespace: default\ncurrent-context: fakekube\n"
    )
}
