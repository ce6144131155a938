//! How stored objects look to a client: the API version's schema (core/v1 vs
//! events.k8s.io/v1 Events share storage) and the negotiated media type (full object or
//! `PartialObjectMetadata`).

use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::borrow::Cow;

use crate::request::{META_LIST_MIME, META_MIME, Output};
use crate::resources::ResourceType;

/// events.k8s.io/v1 field ↔ core/v1 field; the rest (metadata, action, reason, type,
/// eventTime, series, related, reportingInstance) have the same name in both.
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

fn is_events_v1(res: &ResourceType) -> bool {
    res.group == "events.k8s.io"
}

fn rename(obj: &Value, from_to: impl Fn(&str) -> Option<&'static str>, api_version: &str) -> Value {
    let Value::Object(m) = obj else {
        return obj.clone();
    };
    let mut out = Map::with_capacity(m.len());
    for (k, v) in m {
        let k = from_to(k).map(String::from).unwrap_or_else(|| k.clone());
        out.insert(k, v.clone());
    }
    out.insert("apiVersion".into(), json!(api_version));
    out.insert("kind".into(), json!("Event"));
    Value::Object(out)
}

/// A stored object as `res` presents it: borrowed when that is the stored form (every
/// write compares two views for field ownership, and a copy of each was a tenth of the
/// fake's CPU in a benchmark's cold start).
pub(crate) fn to_view<'a>(res: &ResourceType, stored: &'a Value) -> Cow<'a, Value> {
    if is_events_v1(res) {
        Cow::Owned(rename(
            stored,
            |k| EVENT_FIELDS.iter().find(|(_, c)| *c == k).map(|(v, _)| *v),
            "events.k8s.io/v1",
        ))
    } else {
        Cow::Borrowed(stored)
    }
}

/// A request body in `res`'s schema, converted to the stored schema.
pub(crate) fn from_view(res: &ResourceType, body: Value) -> Value {
    if is_events_v1(res) {
        rename(
            &body,
            |k| EVENT_FIELDS.iter().find(|(v, _)| *v == k).map(|(_, c)| *c),
            "v1",
        )
    } else {
        body
    }
}

/// Append the compact JSON text of `value` (the same text as its `Display`): serde_json's
/// writer into bytes. `Display` sends every token through `fmt::Write`, and rendering was the
/// largest share of the fake's CPU in a benchmark restart (perf, issue 18).
fn write_json(out: &mut Vec<u8>, value: &Value) {
    // Writing a `Value` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

fn text(bytes: Vec<u8>) -> String {
    // serde_json writes UTF-8, and so does everything around it here.
    String::from_utf8(bytes).unwrap_or_default()
}

/// Append the JSON text of a stored object as the client asked for it.
fn render_into(out: &mut Vec<u8>, res: &ResourceType, output: Output, stored: &Value) {
    match output {
        Output::Meta => {
            out.extend_from_slice(
                br#"{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":"#,
            );
            write_json(out, stored.get("metadata").unwrap_or(&Value::Null));
            out.push(b'}');
        }
        Output::Full if is_events_v1(res) => write_json(out, &to_view(res, stored)),
        Output::Full => write_json(out, stored),
    }
}

/// JSON text of a stored object as the client asked for it.
pub(crate) fn render(res: &ResourceType, out: Output, stored: &Value) -> String {
    let mut bytes = Vec::new();
    render_into(&mut bytes, res, out, stored);
    text(bytes)
}

/// JSON text of a list of stored objects as the client asked for it.
pub(crate) fn render_list<'a>(
    res: &ResourceType,
    out: Output,
    metadata: &Value,
    items: impl Iterator<Item = &'a Value>,
) -> String {
    let (kind, api_version) = match out {
        Output::Meta => (
            "PartialObjectMetadataList".to_string(),
            "meta.k8s.io/v1".to_string(),
        ),
        Output::Full => (format!("{}List", res.kind), res.api_version()),
    };
    let mut bytes =
        format!(r#"{{"kind":"{kind}","apiVersion":"{api_version}","metadata":"#).into_bytes();
    write_json(&mut bytes, metadata);
    bytes.extend_from_slice(br#","items":["#);
    for (i, item) in items.enumerate() {
        if i > 0 {
            bytes.push(b',');
        }
        render_into(&mut bytes, res, out, item);
    }
    bytes.extend_from_slice(b"]}");
    text(bytes)
}

fn content_type(out: Output, list: bool) -> &'static str {
    match (out, list) {
        (Output::Full, _) => "application/json",
        (Output::Meta, false) => META_MIME,
        (Output::Meta, true) => META_LIST_MIME,
    }
}

pub(crate) fn object_reply(
    code: StatusCode,
    res: &ResourceType,
    out: Output,
    stored: &Value,
) -> Response {
    text_reply(code, out, false, render(res, out, stored))
}

pub(crate) fn text_reply(code: StatusCode, out: Output, list: bool, body: String) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, content_type(out, list))],
        body,
    )
        .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::resources::RESOURCES;

    #[test]
    fn events_round_trip() {
        let v1 = RESOURCES
            .iter()
            .find(|r| r.group == "events.k8s.io")
            .unwrap_or(&RESOURCES[0]);
        let body = json!({"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e"},
            "note":"hello","regarding":{"kind":"Secret","name":"s"},"reportingController":"c","reason":"R"});
        let core = from_view(v1, body.clone());
        assert_eq!(core["message"], "hello");
        assert_eq!(core["involvedObject"]["name"], "s");
        assert_eq!(core["reportingComponent"], "c");
        assert_eq!(core["apiVersion"], "v1");
        assert_eq!(*to_view(v1, &core), body);
    }

    #[test]
    fn metadata_only() {
        let o = json!({"metadata":{"name":"x"},"data":{"k":"dg=="}});
        let s = render(&RESOURCES[0], Output::Meta, &o);
        let v: Value = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(v["kind"], "PartialObjectMetadata");
        assert!(v.get("data").is_none());
    }
}
