//! [`PlainSecret`]: a core/v1 Secret whose values live in zeroizing buffers.
//!
//! We do not use `k8s_openapi::api::core::v1::Secret`: its `ByteString` values are plain
//! `Vec<u8>`s that are neither zeroized nor redacted in `Debug`.

use crate::{
    ApiError, SecretBytes, describe_meta,
    secret_bytes::{decode_base64_zeroizing, encode_base64_zeroizing},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{
    Deserialize, Serialize, Serializer,
    ser::{Error as _, SerializeMap, SerializeStruct},
};
use serde_json::Value;
use std::{collections::BTreeMap, fmt};

/// A Kubernetes Secret with plaintext values. Not `Clone`; `Debug` lists keys, never values.
#[derive(Default)]
pub struct PlainSecret {
    pub metadata: ObjectMeta,
    /// `type`, e.g. `Opaque` or `kubernetes.io/tls`.
    pub type_: Option<String>,
    pub immutable: Option<bool>,
    /// Decoded `data`.
    pub data: BTreeMap<String, SecretBytes>,
    /// `stringData`; on sealing it wins over `data` for the same key, as in the API server.
    pub string_data: BTreeMap<String, SecretBytes>,
}

impl PlainSecret {
    /// Secret `namespace/name` holding `pairs` as UTF-8 values, like
    /// `kubectl create secret generic --from-literal` (tests and benchmarks build these).
    pub fn from_literals(namespace: &str, name: &str, pairs: &[(&str, &str)]) -> Self {
        Self {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some(namespace.to_owned()),
                ..ObjectMeta::default()
            },
            data: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), SecretBytes::copy_from_slice(v.as_bytes())))
                .collect(),
            ..Self::default()
        }
    }

    /// `namespace/name`, for messages.
    pub fn describe(&self) -> String {
        format!("Secret {}", describe_meta(&self.metadata))
    }

    /// Read a Secret from a parsed document. `doc` names the document in errors.
    ///
    /// Hand-written rather than derived so that no error message can quote a value: serde's
    /// type errors print the offending string, which here would be a secret.
    pub fn from_value(value: &Value, doc: &str) -> Result<Self, ApiError> {
        let obj = value.as_object().ok_or_else(|| ApiError::NotAnObject {
            doc: doc.to_owned(),
            found: json_type(value),
        })?;
        let invalid = |field: &str, reason: &str| ApiError::InvalidField {
            doc: doc.to_owned(),
            field: field.to_owned(),
            reason: reason.to_owned(),
        };

        match obj.get("kind") {
            Some(Value::String(k)) if k == "Secret" => {}
            Some(Value::String(k)) => {
                return Err(ApiError::WrongKind {
                    doc: doc.to_owned(),
                    expected: "Secret",
                    found: k.clone(),
                });
            }
            Some(_) => return Err(invalid("kind", "must be a string")),
            None => return Err(invalid("kind", "missing (expected kind: Secret)")),
        }
        match obj.get("apiVersion") {
            None | Some(Value::Null) => {}
            Some(Value::String(v)) if v == "v1" => {}
            Some(Value::String(v)) => {
                return Err(ApiError::WrongApiVersion {
                    doc: doc.to_owned(),
                    expected: "v1",
                    found: v.clone(),
                });
            }
            Some(_) => return Err(invalid("apiVersion", "must be a string")),
        }

        let metadata = match obj.get("metadata") {
            None | Some(Value::Null) => ObjectMeta::default(),
            // serde's message quotes the offending value, and annotations may hold the whole
            // Secret (last-applied-configuration): a fixed reason only.
            Some(m) => ObjectMeta::deserialize(m).map_err(|_| {
                invalid(
                    "metadata",
                    "is not valid object metadata (names, labels and annotations are strings)",
                )
            })?,
        };
        let type_ = match obj.get("type") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) => Some(t.clone()),
            Some(_) => return Err(invalid("type", "must be a string")),
        };
        let immutable = match obj.get("immutable") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err(invalid("immutable", "must be true or false")),
        };

        let mut data = BTreeMap::new();
        for (key, v) in string_map(obj.get("data"), "data", doc)? {
            let bytes = decode_base64_zeroizing(v).ok_or_else(|| ApiError::InvalidBase64 {
                doc: doc.to_owned(),
                key: key.clone(),
            })?;
            data.insert(key.clone(), SecretBytes::new(bytes));
        }
        let mut string_data = BTreeMap::new();
        for (key, v) in string_map(obj.get("stringData"), "stringData", doc)? {
            string_data.insert(key.clone(), SecretBytes::copy_from_slice(v.as_bytes()));
        }

        Ok(Self {
            metadata,
            type_,
            immutable,
            data,
            string_data,
        })
    }
}

/// The string values of `data`/`stringData`, refusing anything else without quoting it.
fn string_map<'a>(
    value: Option<&'a Value>,
    field: &str,
    doc: &str,
) -> Result<Vec<(&'a String, &'a str)>, ApiError> {
    let map = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(ApiError::InvalidField {
                doc: doc.to_owned(),
                field: field.to_owned(),
                reason: format!("must be a map of strings, found {}", json_type(other)),
            });
        }
    };
    map.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s.as_str())),
            other => Err(ApiError::InvalidField {
                doc: doc.to_owned(),
                field: format!("{field}.{k}"),
                reason: format!(
                    "must be a string, found {} (quote the value in YAML)",
                    json_type(other)
                ),
            }),
        })
        .collect()
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

impl fmt::Debug for PlainSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys and sizes only. Annotations are left out too: last-applied-configuration holds
        // the whole Secret in clear text.
        f.debug_struct("PlainSecret")
            .field("namespace", &self.metadata.namespace)
            .field("name", &self.metadata.name)
            .field("type", &self.type_)
            .field("immutable", &self.immutable)
            .field("data", &self.data)
            .field("string_data", &self.string_data)
            .finish_non_exhaustive()
    }
}

/// Written as kubectl writes a Secret: `data` base64-encoded, `stringData` as text.
impl Serialize for PlainSecret {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut fields = 3;
        fields += usize::from(self.immutable.is_some())
            + usize::from(!self.data.is_empty())
            + usize::from(!self.string_data.is_empty())
            + usize::from(self.type_.is_some());
        let mut s = ser.serialize_struct("Secret", fields)?;
        s.serialize_field("apiVersion", "v1")?;
        s.serialize_field("kind", "Secret")?;
        s.serialize_field("metadata", &self.metadata)?;
        if let Some(immutable) = self.immutable {
            s.serialize_field("immutable", &immutable)?;
        }
        if !self.data.is_empty() {
            s.serialize_field("data", &Base64Map(&self.data))?;
        }
        if !self.string_data.is_empty() {
            s.serialize_field("stringData", &TextMap(&self.string_data))?;
        }
        if let Some(t) = &self.type_ {
            s.serialize_field("type", t)?;
        }
        s.end()
    }
}

struct Base64Map<'a>(&'a BTreeMap<String, SecretBytes>);

impl Serialize for Base64Map<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut m = ser.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, encode_base64_zeroizing(v.as_bytes()).as_str())?;
        }
        m.end()
    }
}

struct TextMap<'a>(&'a BTreeMap<String, SecretBytes>);

impl Serialize for TextMap<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut m = ser.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            let text = std::str::from_utf8(v.as_bytes())
                .map_err(|_| S::Error::custom(format!("stringData key {k:?} is not UTF-8 text")))?;
            m.serialize_entry(k, text)?;
        }
        m.end()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_data_and_string_data() {
        let v = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": "ns"},
            "type": "Opaque", "immutable": true,
            "data": {"a": "aHVudGVyMg=="},
            "stringData": {"b": "swordfish"}
        });
        let s = PlainSecret::from_value(&v, "document 1").unwrap();
        assert_eq!(s.data["a"].as_bytes(), b"hunter2");
        assert_eq!(s.string_data["b"].as_bytes(), b"swordfish");
        assert_eq!(s.type_.as_deref(), Some("Opaque"));
        assert_eq!(s.immutable, Some(true));
    }

    #[test]
    fn debug_never_shows_values() {
        let v = json!({
            "kind": "Secret",
            "metadata": {"name": "s", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "swordfish"}},
            "data": {"a": "aHVudGVyMg=="}, "stringData": {"b": "swordfish"}
        });
        let s = PlainSecret::from_value(&v, "document 1").unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("aHVudGVyMg"));
        assert!(!shown.contains("swordfish"));
        assert!(shown.contains("\"a\"") && shown.contains("7 bytes"));
    }

    #[test]
    fn errors_name_the_problem_not_the_value() {
        let wrong_kind = json!({"kind": "ConfigMap", "metadata": {"name": "c"}});
        let e = PlainSecret::from_value(&wrong_kind, "document 2").unwrap_err();
        assert!(e.to_string().contains("ConfigMap") && e.to_string().contains("document 2"));

        let bad_b64 = json!({"kind": "Secret", "data": {"k": "hunter2!"}});
        let e = PlainSecret::from_value(&bad_b64, "document 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"k\"") && !e.contains("hunter2"), "{e}");

        let number = json!({"kind": "Secret", "stringData": {"port": 8080}});
        let e = PlainSecret::from_value(&number, "d")
            .unwrap_err()
            .to_string();
        assert!(e.contains("stringData.port") && !e.contains("8080"), "{e}");

        let not_map = json!({"kind": "Secret", "data": "c2VjcmV0"});
        let e = PlainSecret::from_value(&not_map, "d")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("c2VjcmV0"), "{e}");

        let leaky_meta = json!({"kind": "Secret", "metadata": {"annotations": "hunter2-in-meta"}});
        let e = PlainSecret::from_value(&leaky_meta, "d")
            .unwrap_err()
            .to_string();
        assert!(e.contains("metadata") && !e.contains("hunter2"), "{e}");

        let v2 = json!({"kind": "Secret", "apiVersion": "v2"});
        assert!(matches!(
            PlainSecret::from_value(&v2, "d"),
            Err(ApiError::WrongApiVersion { .. })
        ));
    }

    #[test]
    fn serializes_like_kubectl() {
        let mut s = PlainSecret::default();
        s.metadata.name = Some("s".into());
        s.type_ = Some("Opaque".into());
        s.data
            .insert("a".into(), SecretBytes::copy_from_slice(b"hunter2"));
        let out = serde_json::to_string(&s).unwrap();
        assert_eq!(
            out,
            r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"a":"aHVudGVyMg=="},"type":"Opaque"}"#
        );
    }
}
