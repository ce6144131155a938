//! Patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic merge patch
//! (approximated) and server-side apply bodies (approximated).

use serde_json::{Map, Value};

/// The patch types of `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PatchType {
    Merge,
    /// Applied as a merge patch after dropping `$`-directives: for the kinds we serve the only
    /// lists are ownerReferences/finalizers, which a strategic patch would merge by key and we
    /// replace whole.
    Strategic,
    Json,
    /// Server-side apply. Approximated as a merge patch of the applied configuration (fields
    /// the manager stops applying are not removed); conflicts with other managers' fields
    /// are detected in `fields.rs`.
    Apply,
}

pub(crate) fn patch_type(content_type: &str) -> Option<PatchType> {
    let base = content_type.split(';').next().unwrap_or("").trim();
    Some(match base {
        "application/merge-patch+json" => PatchType::Merge,
        "application/strategic-merge-patch+json" => PatchType::Strategic,
        "application/json-patch+json" => PatchType::Json,
        "application/apply-patch+yaml" | "application/apply-patch+cbor" => PatchType::Apply,
        _ => return None,
    })
}

/// Decode a patch body: JSON, or for apply also YAML (kube-rs sends JSON, kubectl YAML).
pub(crate) fn decode(pt: PatchType, body: &[u8]) -> Result<Value, String> {
    let v = match serde_json::from_slice::<Value>(body) {
        Ok(v) => v,
        Err(e) if pt != PatchType::Apply => return Err(format!("invalid JSON patch body: {e}")),
        Err(_) => serde_saphyr::from_slice::<Value>(body)
            .map_err(|e| format!("error decoding YAML: {e}"))?,
    };
    match (pt, &v) {
        (PatchType::Json, Value::Array(_)) => Ok(v),
        (PatchType::Json, _) => Err("a JSON patch must be an array of operations".into()),
        (_, Value::Object(_)) => Ok(v),
        _ => Err("the patch body must be a JSON object".into()),
    }
}

/// Apply `patch` of type `pt` to `target`. Errors are messages for a 422.
pub(crate) fn apply(pt: PatchType, target: &mut Value, patch: &Value) -> Result<(), String> {
    match pt {
        PatchType::Merge | PatchType::Apply => merge_patch(target, patch),
        PatchType::Strategic => merge_patch(target, &strip_directives(patch)),
        PatchType::Json => json_patch(target, patch)?,
    }
    Ok(())
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

/// Drop strategic-merge directives (`$patch`, `$retainKeys`, `$setElementOrder/...`,
/// `$deleteFromPrimitiveList/...`) so they are not stored as fields.
fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// RFC 6901 pointer → unescaped tokens.
fn tokens(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("invalid JSON pointer {path:?}"));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn parent_mut<'a>(
    doc: &'a mut Value,
    toks: &[String],
    path: &str,
) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for t in toks {
        cur = match cur {
            Value::Object(m) => m.get_mut(t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| format!("path {path:?} does not exist"))?;
    }
    Ok(cur)
}

fn get(doc: &Value, path: &str) -> Result<Value, String> {
    doc.pointer(path)
        .cloned()
        .ok_or_else(|| format!("path {path:?} does not exist"))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let toks = tokens(path)?;
    let Some((last, parents)) = toks.split_last() else {
        *doc = value;
        return Ok(());
    };
    match parent_mut(doc, parents, path)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            let i = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>()
                    .ok()
                    .filter(|i| *i <= a.len())
                    .ok_or_else(|| format!("invalid array index in {path:?}"))?
            };
            a.insert(i, value);
            Ok(())
        }
        _ => Err(format!("path {path:?} does not exist")),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let toks = tokens(path)?;
    let Some((last, parents)) = toks.split_last() else {
        return Err("cannot remove the whole document".into());
    };
    match parent_mut(doc, parents, path)? {
        Value::Object(m) => m.remove(last),
        Value::Array(a) => last
            .parse::<usize>()
            .ok()
            .filter(|i| *i < a.len())
            .map(|i| a.remove(i)),
        _ => None,
    }
    .ok_or_else(|| format!("path {path:?} does not exist"))
}

/// RFC 6902 JSON patch: add, remove, replace, move, copy, test. All or nothing.
pub fn json_patch(target: &mut Value, ops: &Value) -> Result<(), String> {
    let Some(ops) = ops.as_array() else {
        return Err("a JSON patch must be an array".into());
    };
    let mut doc = target.clone();
    for op in ops {
        let field = |k: &str| {
            op.get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("operation {op} has no {k:?}"))
        };
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("operation {op} has no \"value\""))
        };
        let path = field("path")?;
        match field("op")? {
            "add" => add(&mut doc, path, value()?)?,
            "remove" => {
                remove(&mut doc, path)?;
            }
            "replace" => {
                remove(&mut doc, path)?;
                add(&mut doc, path, value()?)?;
            }
            "move" => {
                let v = remove(&mut doc, field("from")?)?;
                add(&mut doc, path, v)?;
            }
            "copy" => {
                let v = get(&doc, field("from")?)?;
                add(&mut doc, path, v)?;
            }
            "test" => {
                if get(&doc, path)? != value()? {
                    return Err(format!("testing value {path} failed"));
                }
            }
            other => return Err(format!("unknown JSON patch operation {other:?}")),
        }
    }
    *target = doc;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_rfc7386() {
        let mut t = json!({"a":"b","c":{"d":"e","f":"g"}});
        merge_patch(&mut t, &json!({"a":"z","c":{"f":null}}));
        assert_eq!(t, json!({"a":"z","c":{"d":"e"}}));
    }

    #[test]
    fn json_patch_rfc6902() {
        let mut t = json!({"a":{"b":[1,2]},"x/y":1});
        let ops = json!([
            {"op":"add","path":"/a/b/-","value":3},
            {"op":"add","path":"/a/b/0","value":0},
            {"op":"replace","path":"/x~1y","value":2},
            {"op":"copy","from":"/x~1y","path":"/c"},
            {"op":"move","from":"/c","path":"/d"},
            {"op":"remove","path":"/a/b/1"},
            {"op":"test","path":"/d","value":2}
        ]);
        assert_eq!(json_patch(&mut t, &ops), Ok(()));
        assert_eq!(t, json!({"a":{"b":[0,2,3]},"x/y":2,"d":2}));
        // failed test leaves the document untouched
        let before = t.clone();
        let bad = json!([{"op":"remove","path":"/d"},{"op":"test","path":"/d","value":1}]);
        assert!(json_patch(&mut t, &bad).is_err());
        assert_eq!(t, before);
        assert!(json_patch(&mut t, &json!([{"op":"replace","path":"/nope","value":1}])).is_err());
    }

    #[test]
    fn decodes_yaml_for_apply_only() {
        let y = b"metadata:\n  name: x\ndata:\n  k: dg==\n";
        assert_eq!(
            decode(PatchType::Apply, y).ok(),
            Some(json!({"metadata":{"name":"x"},"data":{"k":"dg=="}}))
        );
        assert!(decode(PatchType::Merge, y).is_err());
        let mut t = json!({"metadata":{"name":"x"}});
        assert!(
            apply(
                PatchType::Strategic,
                &mut t,
                &json!({"$setElementOrder/x":[],"a":1})
            )
            .is_ok()
        );
        assert_eq!(t, json!({"metadata":{"name":"x"},"a":1}));
    }
}
