//! SealedSecret and Secret manifests (YAML, JSON stream, top-level array, multi-document,
//! `v1.List`), as `sealant` and the controller read them.
//!
//! * parsing never panics;
//! * where it succeeds, writing the documents back (JSON and YAML, kubeseal's writers) and
//!   parsing again gives the same documents;
//! * a Secret that converts to a `PlainSecret` survives write → parse → convert unchanged,
//!   and so does a `SealedSecret`;
//! * when converting a Secret fails, the error text holds none of its `data`/`stringData`
//!   values (they are plaintext).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealant_api::{
    Document, OutputFormat, parse_bytes, parse_documents, write_document, write_documents,
};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(docs) = parse_bytes(data) else { return };
    let values: Vec<&Value> = docs.iter().map(Document::as_value).collect();

    // A List nested in a List is expanded again on the second read: the format, not a bug.
    let nested_list = values.iter().any(|v| {
        v.get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
            && v.get("items").is_some_and(Value::is_array)
    });
    if !nested_list {
        for format in [OutputFormat::Json, OutputFormat::Yaml] {
            let text = match write_documents(&values, format) {
                Ok(t) => t,
                Err(e) => panic!("parsed documents do not serialize as {format}: {e}"),
            };
            let again = match parse_documents(&text) {
                Ok(d) => d,
                Err(e) => panic!("{format} written by us does not parse back: {e}\n{text}"),
            };
            let again: Vec<&Value> = again.iter().map(Document::as_value).collect();
            assert_eq!(
                values, again,
                "{format} round trip changed the documents\n{text}"
            );
        }
    }

    for doc in &docs {
        if doc.is_secret() {
            check_secret(doc);
        } else if doc.is_sealed_secret() {
            check_sealed_secret(doc);
        }
    }
});

fn check_secret(doc: &Document) {
    match doc.to_plain_secret() {
        Ok(secret) => {
            let text = write_document(&secret, OutputFormat::Json)
                .unwrap_or_else(|e| panic!("PlainSecret does not serialize: {e}"));
            let again = parse_documents(&text)
                .ok()
                .and_then(|d| d.first().map(Document::to_plain_secret))
                .unwrap_or_else(|| panic!("PlainSecret written by us does not parse: {text}"))
                .unwrap_or_else(|e| panic!("PlainSecret written by us does not convert: {e}"));
            assert_eq!(secret.metadata, again.metadata);
            assert_eq!(secret.type_, again.type_);
            assert_eq!(secret.immutable, again.immutable);
            assert_eq!(bytes(&secret.data), bytes(&again.data), "data changed");
            assert_eq!(
                bytes(&secret.string_data),
                bytes(&again.string_data),
                "stringData changed"
            );
        }
        Err(e) => {
            // The object's description and the key names are meant to be shown (they are not
            // values), so a value that equals one of them is no finding.
            let mut shown = format!("{e} {e:?}").replace(&doc.describe(), "");
            for field in ["data", "stringData"] {
                if let Some(Value::Object(map)) = doc.as_value().get(field) {
                    for key in map.keys() {
                        shown = shown.replace(&format!("{key:?}"), "");
                    }
                }
            }
            // The same document with every value replaced by a neutral one: a value that shows
            // in that message too came from elsewhere (the kind, a name, the message's own
            // words), not from the value.
            let neutral = message_with_neutral_values(doc);
            for field in ["data", "stringData"] {
                let Some(Value::Object(map)) = doc.as_value().get(field) else {
                    continue;
                };
                for value in map.values().filter_map(Value::as_str) {
                    // Short values occur in any message by chance ("a", "ok").
                    if value.len() >= 6 {
                        assert!(
                            !shown.contains(value) || neutral.contains(value),
                            "Secret error quotes a {field} value: {shown}"
                        );
                    }
                }
            }
        }
    }
}

fn bytes(map: &std::collections::BTreeMap<String, sealant_api::SecretBytes>) -> Vec<(&str, &[u8])> {
    map.iter()
        .map(|(k, v)| (k.as_str(), v.as_bytes()))
        .collect()
}

fn check_sealed_secret(doc: &Document) {
    let Ok(sealed) = doc.to_sealed_secret() else {
        return;
    };
    let text = write_document(&sealed, OutputFormat::Yaml)
        .unwrap_or_else(|e| panic!("SealedSecret does not serialize: {e}"));
    let again = parse_documents(&text)
        .ok()
        .and_then(|d| d.first().map(Document::to_sealed_secret))
        .unwrap_or_else(|| panic!("SealedSecret written by us does not parse: {text}"))
        .unwrap_or_else(|e| panic!("SealedSecret written by us does not convert: {e}"));
    assert_eq!(sealed, again, "SealedSecret round trip changed it\n{text}");
}

/// The conversion error of `doc` with every `data`/`stringData` value replaced by `AAAA`
/// (valid base64 and a valid string, so the same checks fail), or "" when it converts.
fn message_with_neutral_values(doc: &Document) -> String {
    let mut value = doc.as_value().clone();
    for field in ["data", "stringData"] {
        if let Some(Value::Object(map)) = value.get_mut(field) {
            for v in map.values_mut().filter(|v| v.is_string()) {
                *v = Value::String("AAAA".to_owned());
            }
        }
    }
    serde_json::to_vec(&value)
        .ok()
        .and_then(|bytes| parse_bytes(&bytes).ok())
        .and_then(|docs| docs.first().and_then(|d| d.to_plain_secret().err()))
        .map(|e| format!("{e} {e:?}"))
        .unwrap_or_default()
}
