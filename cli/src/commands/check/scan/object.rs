//! One parsed object, whichever reader read it: the full parser (`sealant_api`), or the
//! fast reader for plain block YAML ([`super::fast_yaml`]). Both wipe their strings on drop.

use super::fast_yaml;
use serde_json::Value;
use zeroize::Zeroize;

pub enum Object {
    Full(sealant_api::Document),
    Fast(Fast),
}

/// What the fast reader built; Secret data sits in its strings.
pub struct Fast {
    value: Value,
    line: u64,
}

impl Drop for Fast {
    fn drop(&mut self) {
        wipe(&mut self.value);
    }
}

impl From<fast_yaml::Parsed> for Object {
    fn from(parsed: fast_yaml::Parsed) -> Self {
        Object::Fast(Fast {
            value: parsed.value,
            line: parsed.line,
        })
    }
}

impl Object {
    /// The parsed object. It may hold Secret data: do not log it.
    pub fn as_value(&self) -> &Value {
        match self {
            Object::Full(doc) => doc.as_value(),
            Object::Fast(fast) => &fast.value,
        }
    }

    /// Line where the document starts, when known.
    pub fn line(&self) -> Option<u64> {
        match self {
            Object::Full(doc) => doc.line(),
            Object::Fast(fast) => Some(fast.line),
        }
    }

    /// 1-based position inside a `List` document, if it came from one.
    pub fn item(&self) -> Option<usize> {
        match self {
            Object::Full(doc) => doc.item(),
            Object::Fast(_) => None,
        }
    }

    pub fn kind(&self) -> Option<&str> {
        self.as_value().get("kind").and_then(Value::as_str)
    }

    pub fn api_version(&self) -> Option<&str> {
        self.as_value().get("apiVersion").and_then(Value::as_str)
    }

    pub fn name(&self) -> Option<&str> {
        self.meta_str("name")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.meta_str("namespace")
    }

    fn meta_str(&self, field: &str) -> Option<&str> {
        self.as_value().get("metadata")?.get(field)?.as_str()
    }

    /// A core `v1` Secret (`apiVersion` may be left out), as `sealant_api::Document`
    /// decides it.
    pub fn is_secret(&self) -> bool {
        match self {
            Object::Full(doc) => doc.is_secret(),
            Object::Fast(_) => {
                self.kind() == Some("Secret") && matches!(self.api_version(), None | Some("v1"))
            }
        }
    }
}

/// Wipe every string in `value` before it is freed (Secret data arrives as strings).
pub fn wipe(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}
