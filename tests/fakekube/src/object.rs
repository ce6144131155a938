//! Server-side rules for object bodies: defaults and server-owned metadata on create, what an
//! update may change (status isolation, generation, immutability), and Secret specifics
//! (`stringData`, validation).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::reply::{Cause, Reply, bad_request, invalid};
use crate::resources::ResourceType;

pub(crate) fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Metadata only the server sets; client values are ignored on update.
const SERVER_OWNED: &[&str] = &[
    "uid",
    "creationTimestamp",
    "name",
    "namespace",
    "generation",
    "resourceVersion",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Checks and normalisation for any body about to be stored (create, update, patch result).
pub(crate) fn normalize(res: &ResourceType, name: &str, obj: &mut Value) -> Reply<()> {
    let Some(o) = obj.as_object_mut() else {
        return Err(bad_request("the body must be a JSON object"));
    };
    if !o.get("metadata").is_some_and(Value::is_object) {
        o.insert("metadata".into(), json!({}));
    }
    if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        // selfLink is no longer served by the real server.
        m.remove("selfLink");
    }
    if res.store == "secrets" {
        secret_normalize(res, name, o)?;
    }
    if res.store == crate::resources::NAMESPACES {
        namespace_normalize(name, o);
    }
    Ok(())
}

/// A DNS-1123 subdomain, which the real server requires of the names of every kind we serve.
pub(crate) fn validate_name(res: &ResourceType, name: &str) -> Reply<()> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b.first().is_some_and(u8::is_ascii_alphanumeric)
                && b.last().is_some_and(u8::is_ascii_alphanumeric)
        });
    if ok {
        return Ok(());
    }
    Err(invalid(
        res,
        name,
        &[Cause {
            reason: "FieldValueInvalid",
            field: "metadata.name".into(),
            message: format!(
                "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            ),
        }],
    ))
}

/// The stored form of a new object: type meta, server-owned metadata, no status for types with
/// a status subresource (the real server drops it on create). resourceVersion is set by the
/// store.
pub(crate) fn prepare_create(
    res: &ResourceType,
    storage: &ResourceType,
    namespace: &str,
    name: &str,
    uid: String,
    mut obj: Value,
) -> Value {
    obj["apiVersion"] = json!(storage.api_version());
    obj["kind"] = json!(storage.kind);
    let m = &mut obj["metadata"];
    m["name"] = json!(name);
    if res.namespaced {
        m["namespace"] = json!(namespace);
    }
    m["uid"] = json!(uid);
    m["creationTimestamp"] = json!(now_rfc3339());
    m["generation"] = json!(1);
    if let Some(m) = m.as_object_mut() {
        m.remove("deletionTimestamp");
        m.remove("deletionGracePeriodSeconds");
    }
    if res.has_status
        && let Some(o) = obj.as_object_mut()
    {
        o.remove("status");
    }
    obj
}

fn without(v: &Value, keys: &[&str]) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
    v
}

/// The object an update of `old` with body `new` stores. A `/status` write takes only
/// `.status` from `new` (a body without status clears it, as the real CRD status strategy
/// does); a main-resource write keeps the stored `.status`. Server-owned metadata comes from
/// `old`; `generation` is bumped when anything but metadata (and status) changed. The
/// resourceVersion stays `old`'s — if the result equals `old` the write is a no-op.
pub(crate) fn prepare_update(
    res: &ResourceType,
    old: &Value,
    mut new: Value,
    status_only: bool,
) -> Reply<Value> {
    if status_only {
        let mut out = old.clone();
        match new.get_mut("status").map(Value::take) {
            Some(s) if !s.is_null() => out["status"] = s,
            _ => {
                if let Some(o) = out.as_object_mut() {
                    o.remove("status");
                }
            }
        }
        return Ok(out);
    }
    new["apiVersion"] = old["apiVersion"].clone();
    new["kind"] = old["kind"].clone();
    for f in SERVER_OWNED {
        match old["metadata"].get(*f) {
            Some(v) => new["metadata"][*f] = v.clone(),
            None => {
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove(*f);
                }
            }
        }
    }
    if res.has_status {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(o) = new.as_object_mut() {
                    o.remove("status");
                }
            }
        }
    }
    check_immutable(res, old, &new)?;
    let ignored: &[&str] = if res.has_status {
        &["metadata", "status"]
    } else {
        &["metadata"]
    };
    if without(&new, ignored) != without(old, ignored) {
        let gen_ = old["metadata"]["generation"].as_i64().unwrap_or(1);
        new["metadata"]["generation"] = json!(gen_ + 1);
    }
    Ok(new)
}

fn non_empty<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key)
        .filter(|x| !x.is_null() && x.as_object().is_none_or(|m| !m.is_empty()))
}

/// `immutable: true` Secrets and ConfigMaps reject changes to their payload and to the flag;
/// a Secret's `type` never changes. Messages match the real server's.
fn check_immutable(res: &ResourceType, old: &Value, new: &Value) -> Reply<()> {
    let payload: &[&str] = match res.store {
        "secrets" => &["data"],
        "configmaps" => &["data", "binaryData"],
        _ => return Ok(()),
    };
    let name = meta_str(old, "name");
    let mut causes = Vec::new();
    if old.get("immutable") == Some(&Value::Bool(true)) {
        for f in payload {
            if non_empty(old, f) != non_empty(new, f) {
                causes.push(Cause {
                    reason: "FieldValueForbidden",
                    field: (*f).into(),
                    message: "Forbidden: field is immutable when `immutable` is set".into(),
                });
            }
        }
        if new.get("immutable") != Some(&Value::Bool(true)) {
            causes.push(Cause {
                reason: "FieldValueForbidden",
                field: "immutable".into(),
                message: "Forbidden: field is immutable when `immutable` is set".into(),
            });
        }
    }
    if res.store == "secrets" && old.get("type") != new.get("type") {
        causes.push(Cause {
            reason: "FieldValueInvalid",
            field: "type".into(),
            message: format!(
                "Invalid value: {}: field is immutable",
                new.get("type").unwrap_or(&Value::Null)
            ),
        });
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(invalid(res, name, &causes))
    }
}

/// The label the real server puts on every namespace, always equal to its name.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// What the real server sets on every namespace write: its name label, the `kubernetes`
/// finalizer in `spec` and phase `Active` (no namespace ever terminates here).
pub(crate) fn namespace_normalize(name: &str, o: &mut serde_json::Map<String, Value>) {
    let metadata = o.entry("metadata").or_insert_with(|| json!({}));
    if !metadata.get("labels").is_some_and(Value::is_object) {
        metadata["labels"] = json!({});
    }
    metadata["labels"][NAMESPACE_NAME_LABEL] = json!(name);
    let spec = o.entry("spec").or_insert_with(|| json!({}));
    if !spec.get("finalizers").is_some_and(Value::is_array) {
        spec["finalizers"] = json!(["kubernetes"]);
    }
    o.insert("status".into(), json!({"phase": "Active"}));
}

/// Secrets: `stringData` is merged into base64 `data` and dropped; `type` defaults to Opaque;
/// `data` must be base64, keys valid, total ≤ 1 MiB, and typed Secrets carry their required keys.
fn secret_normalize(res: &ResourceType, name: &str, o: &mut Map<String, Value>) -> Reply<()> {
    let mut data = match o.remove("data") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(bad_request("Secret.data must be an object")),
    };
    let mut size = 0usize;
    for (k, v) in &data {
        let decoded = v.as_str().and_then(|s| STANDARD.decode(s).ok());
        let Some(decoded) = decoded else {
            return Err(bad_request(&format!(
                "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data in data[{k}]"
            )));
        };
        size += decoded.len();
    }
    match o.remove("stringData") {
        None | Some(Value::Null) => {}
        Some(Value::Object(sd)) => {
            for (k, v) in sd {
                let Some(s) = v.as_str() else {
                    return Err(bad_request(&format!(
                        "Secret in version \"v1\" cannot be handled as a Secret: stringData[{k}] must be a string"
                    )));
                };
                if let Some(prev) = data.get(&k).and_then(Value::as_str) {
                    size -= STANDARD.decode(prev).map(|d| d.len()).unwrap_or(0);
                }
                size += s.len();
                data.insert(k, json!(STANDARD.encode(s)));
            }
        }
        Some(_) => return Err(bad_request("Secret.stringData must be an object")),
    }
    let ty = o
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .unwrap_or("Opaque")
        .to_string();
    o.insert("type".into(), json!(ty));

    let mut causes = Vec::new();
    for k in data.keys() {
        if !valid_config_key(k) {
            causes.push(Cause {
                reason: "FieldValueInvalid",
                field: format!("data[{k}]"),
                message: format!(
                    "Invalid value: \"{k}\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
                ),
            });
        }
    }
    if size > 1024 * 1024 {
        causes.push(Cause {
            reason: "FieldValueTooLong",
            field: "data".into(),
            message: "Too long: must have at most 1048576 bytes".into(),
        });
    }
    let required: &[&str] = match ty.as_str() {
        "kubernetes.io/tls" => &["tls.crt", "tls.key"],
        "kubernetes.io/ssh-auth" => &["ssh-privatekey"],
        "kubernetes.io/dockercfg" => &[".dockercfg"],
        "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
        _ => &[],
    };
    for k in required {
        if !data.contains_key(*k) {
            causes.push(Cause {
                reason: "FieldValueRequired",
                field: format!("data[{k}]"),
                message: "Required value".into(),
            });
        }
    }
    if ty == "kubernetes.io/basic-auth"
        && !data.contains_key("username")
        && !data.contains_key("password")
    {
        causes.push(Cause {
            reason: "FieldValueRequired",
            field: "data[username]".into(),
            message: "Required value".into(),
        });
    }
    if !causes.is_empty() {
        return Err(invalid(res, name, &causes));
    }
    if !data.is_empty() {
        o.insert("data".into(), Value::Object(data));
    }
    Ok(())
}

fn valid_config_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k != "."
        && k != ".."
        && !k.starts_with("..")
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::resources::RESOURCES;

    fn secrets() -> &'static ResourceType {
        &RESOURCES[0]
    }

    #[test]
    fn string_data_becomes_data() {
        let mut o = json!({"metadata":{},"data":{"a":"YQ=="},"stringData":{"b":"bee","a":"x"}});
        assert!(normalize(secrets(), "s", &mut o).is_ok());
        assert_eq!(o["data"], json!({"a":"eA==","b":"YmVl"}));
        assert!(o.get("stringData").is_none());
        assert_eq!(o["type"], "Opaque");
    }

    #[test]
    fn secret_validation() {
        let mut bad = json!({"data":{"a":"!!"}});
        assert!(normalize(secrets(), "s", &mut bad).is_err());
        let mut bad_key = json!({"stringData":{"a/b":"x"}});
        assert!(normalize(secrets(), "s", &mut bad_key).is_err());
        let mut tls = json!({"type":"kubernetes.io/tls","stringData":{"tls.crt":"x"}});
        assert!(normalize(secrets(), "s", &mut tls).is_err());
    }

    #[test]
    fn immutable_secret() {
        let old = json!({"metadata":{"name":"s","generation":1},"immutable":true,"type":"Opaque","data":{"a":"YQ=="}});
        let same = old.clone();
        assert!(prepare_update(secrets(), &old, same, false).is_ok());
        let mut changed = old.clone();
        changed["data"]["a"] = json!("Yg==");
        assert!(prepare_update(secrets(), &old, changed, false).is_err());
        let mut flag = old.clone();
        flag["immutable"] = json!(false);
        assert!(prepare_update(secrets(), &old, flag, false).is_err());
        let mut labels = old.clone();
        labels["metadata"]["labels"] = json!({"x":"y"});
        assert!(prepare_update(secrets(), &old, labels, false).is_ok());
    }

    #[test]
    fn names() {
        for ok in ["a", "a-b.c1", "0x"] {
            assert!(validate_name(secrets(), ok).is_ok(), "{ok}");
        }
        for bad in ["", "A", "-a", "a-", "a..b", "a_b"] {
            assert!(validate_name(secrets(), bad).is_err(), "{bad}");
        }
    }
}
