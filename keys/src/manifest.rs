//! Just enough of the Kubernetes Secret shape to find key Secrets in YAML or JSON, without
//! depending on k8s-openapi.
//!
//! Parsing is lenient: a kubectl dump may hold other kinds of objects, and fields we do not
//! read are ignored whatever their type. Parser messages are never shown (they may quote
//! the input, i.e. a key); only the line and column are.

use crate::KeysError;
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{
    Deserialize, Deserializer,
    de::{IgnoredAny, MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer},
};
use std::{collections::BTreeMap, fmt};
use zeroize::Zeroizing;

const TLS_KEY: &str = "tls.key";
const TLS_CRT: &str = "tls.crt";

/// A Secret that has a `tls.key`, with both values decoded to PEM bytes.
pub(crate) struct TlsSecret {
    pub source: String,
    pub tls_key: Zeroizing<Vec<u8>>,
    pub tls_crt: Option<Vec<u8>>,
}

/// Every Secret with a `tls.key` in a YAML multi-document file or a JSON stream, in order,
/// looking inside `List` objects.
pub(crate) fn tls_secrets(text: &str) -> Result<Vec<TlsSecret>, KeysError> {
    let docs = if text.trim_start().starts_with('{') {
        parse_json_stream(text)?
    } else {
        parse_yaml(text)?
    };
    let mut out = Vec::new();
    for doc in docs.iter().filter_map(|d| d.0.as_ref()) {
        collect(doc, &mut out)?;
    }
    Ok(out)
}

fn parse_json_stream(text: &str) -> Result<Vec<AnyDoc>, KeysError> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<AnyDoc>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| KeysError::Manifest {
            format: "JSON",
            location: format!(" (line {}, column {})", e.line(), e.column()),
        })
}

fn parse_yaml(text: &str) -> Result<Vec<AnyDoc>, KeysError> {
    serde_saphyr::from_multiple::<AnyDoc>(text).map_err(|e| KeysError::Manifest {
        format: "YAML",
        location: e
            .location()
            .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
            .unwrap_or_default(),
    })
}

fn collect(doc: &Doc, out: &mut Vec<TlsSecret>) -> Result<(), KeysError> {
    for item in doc.items.iter().flatten().filter_map(|d| d.0.as_ref()) {
        collect(item, out)?;
    }
    if doc.kind.as_str() != Some("Secret") {
        return Ok(());
    }
    let source = doc.metadata.source_name();
    let tls_key = match (
        lookup(&doc.data, TLS_KEY),
        lookup(&doc.string_data, TLS_KEY),
    ) {
        (Some(b64), _) => decode_data_value(b64, &source, TLS_KEY)?,
        (None, Some(plain)) => Zeroizing::new(plain.as_bytes().to_vec()),
        // Not a key Secret (e.g. `kubectl get secrets -o yaml` of a whole namespace).
        (None, None) => return Ok(()),
    };
    let tls_crt = match (
        lookup(&doc.data, TLS_CRT),
        lookup(&doc.string_data, TLS_CRT),
    ) {
        (Some(b64), _) => Some(decode_data_value(b64, &source, TLS_CRT)?.to_vec()),
        (None, Some(plain)) => Some(plain.as_bytes().to_vec()),
        (None, None) => None,
    };
    out.push(TlsSecret {
        source,
        tls_key,
        tls_crt,
    });
    Ok(())
}

fn lookup<'a>(map: &'a Option<BTreeMap<String, Text>>, key: &str) -> Option<&'a str> {
    map.as_ref()?.get(key)?.as_str()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Doc {
    kind: Text,
    metadata: Meta,
    data: Option<BTreeMap<String, Text>>,
    #[serde(rename = "stringData")]
    string_data: Option<BTreeMap<String, Text>>,
    items: Option<Vec<AnyDoc>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Meta {
    name: Text,
    namespace: Text,
}

impl Meta {
    fn source_name(&self) -> String {
        let name = self.name.as_str().unwrap_or("(unnamed)");
        match self.namespace.as_str() {
            Some(ns) if !ns.is_empty() => format!("Secret {ns}/{name}"),
            _ => format!("Secret {name}"),
        }
    }
}

/// A document or list item: an object is read as a [`Doc`]; anything else (an empty
/// document, a scalar, a sequence) is not a Secret and is ignored.
struct AnyDoc(Option<Doc>);

impl<'de> Deserialize<'de> for AnyDoc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnyDocVisitor)
    }
}

struct AnyDocVisitor;

impl<'de> Visitor<'de> for AnyDocVisitor {
    type Value = AnyDoc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AnyDoc, A::Error> {
        Doc::deserialize(MapAccessDeserializer::new(map)).map(|d| AnyDoc(Some(d)))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<AnyDoc, D::Error> {
        AnyDoc::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyDoc, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(AnyDoc(None))
    }

    fn visit_str<E>(self, _: &str) -> Result<AnyDoc, E> {
        Ok(AnyDoc(None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<AnyDoc, E> {
        Ok(AnyDoc(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<AnyDoc, E> {
        Ok(AnyDoc(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<AnyDoc, E> {
        Ok(AnyDoc(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<AnyDoc, E> {
        Ok(AnyDoc(None))
    }

    fn visit_bytes<E>(self, _: &[u8]) -> Result<AnyDoc, E> {
        Ok(AnyDoc(None))
    }

    fn visit_unit<E>(self) -> Result<AnyDoc, E> {
        Ok(AnyDoc(None))
    }

    fn visit_none<E>(self) -> Result<AnyDoc, E> {
        Ok(AnyDoc(None))
    }
}

/// A scalar kept as text when it is one, and ignored (whatever its shape) otherwise. Held
/// in a zeroizing buffer because `data` values are base64 of private keys.
#[derive(Default)]
struct Text(Option<Zeroizing<String>>);

impl Text {
    fn as_str(&self) -> Option<&str> {
        self.0.as_deref().map(String::as_str)
    }

    fn some(text: String) -> Self {
        Self(Some(Zeroizing::new(text)))
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_str<E>(self, v: &str) -> Result<Text, E> {
        Ok(Text::some(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Text, E> {
        Ok(Text::some(v))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Text, E> {
        Ok(Text::some(v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Text, E> {
        Ok(Text::some(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Text, E> {
        Ok(Text::some(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Text, E> {
        Ok(Text::some(v.to_string()))
    }

    fn visit_bytes<E>(self, _: &[u8]) -> Result<Text, E> {
        Ok(Text(None))
    }

    fn visit_unit<E>(self) -> Result<Text, E> {
        Ok(Text(None))
    }

    fn visit_none<E>(self) -> Result<Text, E> {
        Ok(Text(None))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text, D::Error> {
        Text::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
}

/// Base64-decode a Secret `data` value into a zeroizing buffer.
fn decode_data_value(
    value: &str,
    source: &str,
    field: &'static str,
) -> Result<Zeroizing<Vec<u8>>, KeysError> {
    let mut compact = Zeroizing::new(String::with_capacity(value.len()));
    compact.extend(value.chars().filter(|c| !c.is_ascii_whitespace()));
    STANDARD
        .decode(compact.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| KeysError::Base64 {
            source_name: source.to_owned(),
            field,
        })
}
