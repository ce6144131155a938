//! ownerReference garbage collection, done synchronously inside the write that triggers it
//! so tests see a deterministic result when the request returns.
//!
//! Like the real collector (background propagation): an object whose owners are all gone is
//! deleted ("gc-delete"), recursively; an object with some owners gone and some alive only loses
//! the dangling references ("gc-patch"). Owners are resolved by uid within the object's
//! namespace; references to kinds this fake does not serve are assumed alive.

use serde_json::Value;

use crate::object::meta_str;
use crate::resources::{by_api_version_kind, by_store};
use crate::store::{ObjKey, State};

fn is_dangling(state: &State, namespace: &str, r: &Value) -> bool {
    let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
    let Some(rt) = by_api_version_kind(s("apiVersion"), s("kind")) else {
        return false;
    };
    match state.key_of_uid(s("uid")) {
        Some(key) => key.0 != rt.store || key.1 != namespace || key.2 != s("name"),
        None => true,
    }
}

fn plural(key: &ObjKey) -> &'static str {
    by_store(key.0).map_or(key.0, |r| r.plural)
}

/// Re-examine `queue`'s objects (and, for every object deleted, its dependents).
pub(crate) fn collect(state: &mut State, mut queue: Vec<ObjKey>) {
    while let Some(key) = queue.pop() {
        let Some(obj) = state.get(&key) else {
            continue;
        };
        let Some(refs) = obj
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .filter(|r| !r.is_empty())
        else {
            continue;
        };
        let (dangling, alive): (Vec<&Value>, Vec<&Value>) =
            refs.iter().partition(|r| is_dangling(state, &key.1, r));
        if dangling.is_empty() {
            continue;
        }
        if alive.is_empty() {
            let uid = meta_str(&obj, "uid").to_string();
            state.remove(&key);
            state.record_write("gc-delete", plural(&key), &key.1, &key.2);
            queue.extend(state.dependents_of(&uid));
        } else {
            let mut new = (*obj).clone();
            new["metadata"]["ownerReferences"] = Value::Array(alive.into_iter().cloned().collect());
            state.update(key.clone(), new);
            state.record_write("gc-patch", plural(&key), &key.1, &key.2);
        }
    }
}

/// An owner was deleted with the given propagation policy.
pub(crate) fn owner_deleted(state: &mut State, owner_uid: &str, orphan: bool) {
    let dependents = state.dependents_of(owner_uid);
    if !orphan {
        collect(state, dependents);
        return;
    }
    // Orphan: the real server strips the reference to the deleted owner from each dependent.
    for key in dependents {
        let Some(obj) = state.get(&key) else {
            continue;
        };
        let mut new = (*obj).clone();
        if let Some(refs) = new
            .pointer_mut("/metadata/ownerReferences")
            .and_then(Value::as_array_mut)
        {
            refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid));
            if refs.is_empty()
                && let Some(m) = new["metadata"].as_object_mut()
            {
                m.remove("ownerReferences");
            }
        }
        state.update(key.clone(), new);
        state.record_write("gc-patch", plural(&key), &key.1, &key.2);
    }
}
