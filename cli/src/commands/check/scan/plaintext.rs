//! `kind: Secret` with values in it: the thing that must never be committed.

use super::{
    Ctx,
    object::{Object, wipe},
    template::is_template_only,
};
use crate::commands::check::report::{Finding, Rule};
use sealant_api::annotations::ALLOW_PLAINTEXT;
use serde_json::Value;
use std::collections::BTreeSet;

/// kubectl's copy of the object as last applied: a Secret's values are in it too.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

pub fn check(doc: &Object, ctx: &Ctx, out: &mut Vec<Finding>) {
    let object = doc.as_value();
    let mut keys: BTreeSet<String> = plaintext_keys(object).into_iter().collect();
    // Values of a Secret applied once with kubectl stay in this annotation even after
    // its data was emptied or templated.
    keys.extend(last_applied_keys(annotations_of(object)));
    if keys.is_empty() {
        return;
    }
    let keys: Vec<String> = keys.into_iter().collect();
    if ctx.opted_out(is_allowed(object), &keys, "plaintext Secret", out) {
        return;
    }
    let message = format!(
        "plaintext Secret with data keys {}; seal it with `sealant seal`, or annotate it \
         {ALLOW_PLAINTEXT}: \"true\" if it holds no real secret",
        keys.join(", ")
    );
    out.push(ctx.finding(Rule::PlaintextSecret, keys, message));
}

/// `metadata.annotations` (read in place: a copy would be a copy of plaintext).
pub fn annotations_of(object: &Value) -> Option<&serde_json::Map<String, Value>> {
    object
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object)
}

/// The object carries `sealant.dev/allow-plaintext: "true"`.
pub fn is_allowed(object: &Value) -> bool {
    annotations_of(object)
        .and_then(|a| a.get(ALLOW_PLAINTEXT))
        .and_then(Value::as_str)
        == Some("true")
}

/// Data keys of a Secret object whose values are in the clear: everything in `data` and
/// `stringData` but empty values and values made only of template actions.
pub fn plaintext_keys(object: &Value) -> Vec<String> {
    let mut keys = Vec::new();
    for field in ["data", "stringData"] {
        match object.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => keys.extend(
                map.iter()
                    .filter(|(_, v)| in_clear(v))
                    .map(|(k, _)| k.clone()),
            ),
            Some(v) if !in_clear(v) => {}
            // Not a map: invalid for Kubernetes, but whatever it holds is in the clear.
            Some(_) => keys.push(format!("({field})")),
        }
    }
    keys
}

/// Whether a value would put something in the Secret as written. Collections never are
/// valid values, but their contents are still in the clear.
pub fn in_clear(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty() && !is_template_only(s),
        Value::Array(items) => items.iter().any(in_clear),
        Value::Object(map) => map.iter().any(|(k, v)| !is_template_only(k) || in_clear(v)),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Data keys in the clear in a `last-applied-configuration` annotation that holds a Secret.
pub fn last_applied_keys(annotations: Option<&serde_json::Map<String, Value>>) -> Vec<String> {
    let Some(text) = annotations
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(Value::as_str)
    else {
        return Vec::new();
    };
    let Ok(mut applied) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let is_secret = applied.get("kind").and_then(Value::as_str) == Some("Secret");
    let keys = if is_secret {
        plaintext_keys(&applied)
    } else {
        Vec::new()
    };
    wipe(&mut applied);
    keys
}
