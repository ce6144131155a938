//! Namespaces: stored, cluster-scoped objects (`/api/v1/namespaces[/{name}]`) that can be
//! listed, watched (with label selectors), created, updated and patched like the real ones,
//! so a client can follow namespaces as their labels change.
//!
//! Two departures, both to keep tests short: a namespace springs into existence (unlogged,
//! as if an administrator had made it) when the first object is created in it, and
//! `default`, `kube-system` and `kube-public` exist from the start. Namespaces cannot be
//! deleted (their lifecycle, termination and finalizers are not modeled): 405.

use serde_json::json;

use crate::object::{namespace_normalize, prepare_create};
use crate::resources::{NAMESPACES as STORE, by_store};
use crate::store::{ObjKey, State};

/// The namespaces a new cluster has.
const INITIAL: [&str; 3] = ["default", "kube-public", "kube-system"];

fn key(name: &str) -> ObjKey {
    (STORE, String::new(), name.to_owned())
}

/// Store namespace `name` unless it exists. Not a request: nothing in the write log.
pub(crate) fn ensure(s: &mut State, name: &str) {
    if name.is_empty() || s.objects.contains_key(&key(name)) {
        return;
    }
    let Some(res) = by_store(STORE) else {
        return;
    };
    let mut obj = json!({"metadata": {"name": name}});
    if let Some(o) = obj.as_object_mut() {
        namespace_normalize(name, o);
    }
    let uid = s.new_uid();
    let obj = prepare_create(res, res, "", name, uid, obj);
    s.insert(key(name), obj);
}

/// The namespaces every fake starts with.
pub(crate) fn seed(s: &mut State) {
    for name in INITIAL {
        ensure(s, name);
    }
}
