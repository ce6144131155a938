//! `kind: Secret` with values in it: the thing that must never be committed.

use super::Ctx;
use crate::commands::check::report::{Finding, Rule};
use sealant_api::{Document, annotations::ALLOW_PLAINTEXT};
use serde_json::Value;
use std::collections::BTreeSet;

pub fn check(doc: &Document, ctx: &Ctx, out: &mut Vec<Finding>) {
    let object = doc.as_value();
    // Read in place: annotations of a plaintext Secret may hold a copy of it
    // (last-applied-configuration), so nothing here is copied out.
    let allowed = object
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(ALLOW_PLAINTEXT))
        .and_then(Value::as_str)
        == Some("true");
    if allowed {
        return;
    }
    let mut keys = BTreeSet::new();
    for field in ["data", "stringData"] {
        match object.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => keys.extend(
                map.iter()
                    .filter(|(_, v)| !templated(v))
                    .map(|(k, _)| k.clone()),
            ),
            Some(v) if templated(v) => {}
            // Not a map: invalid for Kubernetes, but whatever it holds is in the clear.
            Some(_) => {
                keys.insert(format!("({field})"));
            }
        }
    }
    if keys.is_empty() {
        return;
    }
    let keys: Vec<String> = keys.into_iter().collect();
    let message = format!(
        "plaintext Secret with data keys {}; seal it with `sealant seal`, or annotate it \
         {ALLOW_PLAINTEXT}: \"true\" if it holds no real secret",
        keys.join(", ")
    );
    out.push(ctx.finding(Rule::PlaintextSecret, keys, message));
}

/// A Helm expression rather than a value: `{{ ... }}` in a string, or the flow collection
/// YAML makes of an unquoted `{{ ... }}`. Real Secret values are never collections.
fn templated(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("{{"),
        Value::Object(_) | Value::Array(_) => true,
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}
