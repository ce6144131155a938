//! Field ownership for server-side apply.
//!
//! The real server records, per object, which field manager set each field, and refuses an
//! apply (409 `Conflict`, causes `FieldManagerConflict`) that would change a field another
//! manager set, unless the apply is forced. Lease-based leader election (kube-lease-manager)
//! relies on exactly this to make two contenders' "take the free lease" applies mutually
//! exclusive, so the fake models it.
//!
//! Approximations: each field has one owner (the last manager to set it; the real server
//! lets several managers share a field they set to the same value, which never conflicts
//! here either because only a *different* value conflicts), lists are atomic leaves, and
//! owners are not shown as `metadata.managedFields`.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Field path (`.spec.holderIdentity`) → the manager that last set it.
pub(crate) type Owners = BTreeMap<String, String>;

/// Fields the server sets or that identify the object; nobody owns them.
const SYSTEM_FIELDS: &[&str] = &[
    ".apiVersion",
    ".kind",
    ".metadata.name",
    ".metadata.namespace",
    ".metadata.uid",
    ".metadata.resourceVersion",
    ".metadata.generation",
    ".metadata.creationTimestamp",
    ".metadata.deletionTimestamp",
    ".metadata.managedFields",
];

/// The leaf fields of `v` (objects are walked, everything else is a leaf), without nulls.
fn leaves(v: &Value) -> BTreeMap<String, &Value> {
    fn walk<'a>(prefix: String, v: &'a Value, out: &mut BTreeMap<String, &'a Value>) {
        match v {
            Value::Null => {}
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    walk(format!("{prefix}.{k}"), child, out);
                }
            }
            _ => {
                out.insert(prefix, v);
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Value::Object(m) = v {
        for (k, child) in m {
            walk(format!(".{k}"), child, &mut out);
        }
    }
    out.retain(|path, _| !SYSTEM_FIELDS.iter().any(|s| is_within(path, s)));
    out
}

fn is_within(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The fields an apply of `applied` by `manager` would take from another manager by
/// changing their value: `(path, owner)` pairs, empty when the apply may go ahead.
pub(crate) fn apply_conflicts(
    owners: &Owners,
    current: &Value,
    applied: &Value,
    manager: &str,
) -> Vec<(String, String)> {
    let now = leaves(current);
    leaves(applied)
        .into_iter()
        .filter_map(|(path, value)| {
            let owner = owners.get(&path)?;
            let differs = now.get(&path).is_some_and(|cur| *cur != value);
            (owner != manager && differs).then(|| (path, owner.clone()))
        })
        .collect()
}

/// Record a write by `manager` that turned `old` into `new`: changed and added fields become
/// its own, removed fields lose their owner. An apply also claims every field it names,
/// changed or not.
pub(crate) fn record_write(
    owners: &mut Owners,
    old: &Value,
    new: &Value,
    manager: &str,
    applied: Option<&Value>,
) {
    let before = leaves(old);
    let after = leaves(new);
    owners.retain(|path, _| after.contains_key(path));
    for (path, value) in &after {
        if before.get(path) != Some(value) {
            owners.insert(path.clone(), manager.to_owned());
        }
    }
    if let Some(applied) = applied {
        for path in leaves(applied).into_keys() {
            if after.contains_key(&path) {
                owners.insert(path, manager.to_owned());
            }
        }
    }
}

/// The real server's 409 message for an apply conflict.
pub(crate) fn conflict_message(conflicts: &[(String, String)], api_version: &str) -> String {
    let n = conflicts.len();
    let list = conflicts
        .iter()
        .map(|(path, owner)| format!("conflict with \"{owner}\" using {api_version}: {path}"))
        .collect::<Vec<_>>()
        .join("\n- ");
    let noun = if n == 1 { "conflict" } else { "conflicts" };
    format!("Apply failed with {n} {noun}: {list}")
}

/// The `details.causes` entries of that 409.
pub(crate) fn conflict_causes(conflicts: &[(String, String)], api_version: &str) -> Vec<Value> {
    conflicts
        .iter()
        .map(|(path, owner)| {
            let mut m = Map::new();
            m.insert("reason".into(), "FieldManagerConflict".into());
            m.insert(
                "message".into(),
                format!("conflict with \"{owner}\" using {api_version}").into(),
            );
            m.insert("field".into(), path.clone().into());
            Value::Object(m)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lease(holder: &str) -> Value {
        json!({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
            "metadata":{"name":"l","resourceVersion":"7"},
            "spec":{"holderIdentity":holder,"leaseDurationSeconds":15}})
    }

    #[test]
    fn another_managers_different_value_conflicts() {
        let mut owners = Owners::new();
        let empty = json!({"metadata":{"name":"l"}});
        record_write(&mut owners, &empty, &lease("a"), "ma", Some(&lease("a")));
        let c = apply_conflicts(&owners, &lease("a"), &lease("b"), "mb");
        assert_eq!(c, vec![(".spec.holderIdentity".into(), "ma".into())]);
        // The same value, or the same manager, does not conflict.
        assert!(apply_conflicts(&owners, &lease("a"), &lease("a"), "mb").is_empty());
        assert!(apply_conflicts(&owners, &lease("a"), &lease("b"), "ma").is_empty());
    }

    #[test]
    fn removed_fields_lose_their_owner() {
        let mut owners = Owners::new();
        let empty = json!({"metadata":{"name":"l"}});
        record_write(&mut owners, &empty, &lease("a"), "ma", Some(&lease("a")));
        let released = json!({"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":15}});
        record_write(&mut owners, &lease("a"), &released, "mb", None);
        assert!(!owners.contains_key(".spec.holderIdentity"));
        assert!(apply_conflicts(&owners, &released, &lease("b"), "mb").is_empty());
    }

    #[test]
    fn an_update_takes_over_the_fields_it_changes() {
        let mut owners = Owners::new();
        let empty = json!({"metadata":{"name":"l"}});
        record_write(&mut owners, &empty, &lease("a"), "ma", Some(&lease("a")));
        record_write(&mut owners, &lease("a"), &lease("b"), "mb", None);
        assert_eq!(owners[".spec.holderIdentity"], "mb");
        assert_eq!(owners[".spec.leaseDurationSeconds"], "ma");
        assert!(!owners.contains_key(".metadata.resourceVersion"));
    }
}
