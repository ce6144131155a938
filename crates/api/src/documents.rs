//! Reading manifests: multi-document YAML or a JSON stream, as kubeseal's
//! `NewYAMLOrJSONDecoder` accepts, into [`Document`]s that know where they came from.
//!
//! Each document is first parsed into a `serde_json::Value`, because its `kind` decides what
//! type it becomes and may come after the data. So the base64 `data` of a Secret sits briefly
//! in ordinary strings: [`Document`] wipes every string it holds when dropped, and
//! [`PlainSecret`] copies values straight into zeroizing buffers. What cannot be wiped are the
//! parsers' own transient buffers and the caller's input text (keep that in a `Zeroizing` if
//! it holds plaintext).

use crate::{ApiError, PlainSecret, SealedSecret, crd::describe_names, plain::json_type};
use serde::Deserialize;
use serde_json::Value;
use zeroize::Zeroize;

/// `apiVersion` of SealedSecrets.
pub const SEALED_SECRET_API_VERSION: &str = "bitnami.com/v1alpha1";

/// One object of the input, with its position for error messages.
pub struct Document {
    index: usize,
    item: Option<usize>,
    line: Option<u64>,
    value: Value,
}

impl Document {
    /// 1-based number of the document in the input.
    pub fn index(&self) -> usize {
        self.index
    }

    /// 1-based position inside a `List` document, if it came from one.
    pub fn item(&self) -> Option<usize> {
        self.item
    }

    /// Line where the document starts, when the parser reports it.
    pub fn line(&self) -> Option<u64> {
        self.line
    }

    pub fn kind(&self) -> Option<&str> {
        self.value.get("kind").and_then(Value::as_str)
    }

    pub fn api_version(&self) -> Option<&str> {
        self.value.get("apiVersion").and_then(Value::as_str)
    }

    pub fn name(&self) -> Option<&str> {
        self.meta_str("name")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.meta_str("namespace")
    }

    fn meta_str(&self, field: &str) -> Option<&str> {
        self.value.get("metadata")?.get(field)?.as_str()
    }

    /// The parsed object. It may hold Secret data: do not log it.
    pub fn as_value(&self) -> &Value {
        &self.value
    }

    pub fn is_secret(&self) -> bool {
        self.kind() == Some("Secret") && matches!(self.api_version(), None | Some("v1"))
    }

    pub fn is_sealed_secret(&self) -> bool {
        self.kind() == Some("SealedSecret") && self.api_version() == Some(SEALED_SECRET_API_VERSION)
    }

    /// `document 2 (line 7, Secret ns/name)`, or `document 1, item 3 (...)` inside a List.
    pub fn describe(&self) -> String {
        let mut s = format!("document {}", self.index);
        if let Some(item) = self.item {
            s.push_str(&format!(", item {item}"));
        }
        let mut details = Vec::new();
        if let Some(line) = self.line {
            details.push(format!("line {line}"));
        }
        let kind = self.kind().unwrap_or("<no kind>");
        details.push(format!(
            "{kind} {}",
            describe_names(self.namespace(), self.name())
        ));
        s.push_str(&format!(" ({})", details.join(", ")));
        s
    }

    /// This document as a Secret; errors name the document, never a value.
    pub fn to_plain_secret(&self) -> Result<PlainSecret, ApiError> {
        PlainSecret::from_value(&self.value, &self.describe())
    }

    /// This document as a SealedSecret.
    pub fn to_sealed_secret(&self) -> Result<SealedSecret, ApiError> {
        let doc = self.describe();
        match self.kind() {
            Some("SealedSecret") => {}
            other => {
                return Err(ApiError::WrongKind {
                    doc,
                    expected: "SealedSecret",
                    found: other.unwrap_or("<none>").to_owned(),
                });
            }
        }
        if self.api_version() != Some(SEALED_SECRET_API_VERSION) {
            return Err(ApiError::WrongApiVersion {
                doc,
                expected: SEALED_SECRET_API_VERSION,
                found: self.api_version().unwrap_or("<none>").to_owned(),
            });
        }
        // Ciphertexts and templates are not secret, so serde's messages may quote them.
        SealedSecret::deserialize(&self.value).map_err(|e| ApiError::InvalidField {
            doc,
            field: "SealedSecret".to_owned(),
            reason: e.to_string(),
        })
    }
}

impl Drop for Document {
    fn drop(&mut self) {
        zeroize_value(&mut self.value);
    }
}

/// Wipe every string in `value` (Secret data arrives as strings).
pub(crate) fn zeroize_value(value: &mut Value) {
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(zeroize_value),
        Value::Object(map) => map.values_mut().for_each(zeroize_value),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Parse raw input bytes: refuses binary data (NUL bytes, invalid UTF-8) with a clear error.
pub fn parse_bytes(bytes: &[u8]) -> Result<Vec<Document>, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ApiError::Binary("not valid UTF-8"))?;
    parse_documents(text)
}

/// Parse multi-document YAML (`---` separators, comments; empty documents are skipped) or a
/// JSON stream (concatenated objects, or a top-level array), detected by the first
/// non-blank character being `{` or `[`. `List` documents are expanded into their items.
pub fn parse_documents(text: &str) -> Result<Vec<Document>, ApiError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\0') {
        return Err(ApiError::Binary("contains NUL bytes"));
    }
    let trimmed = text.trim_start();
    let raw = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        parse_json_stream(text)?
    } else {
        parse_yaml_stream(text)?
    };

    let mut docs = Vec::new();
    for (i, (line, value)) in raw.into_iter().enumerate() {
        let index = i + 1;
        if value.is_null() {
            continue;
        }
        let doc = Document {
            index,
            item: None,
            line,
            value,
        };
        if !doc.value.is_object() {
            return Err(ApiError::NotAnObject {
                doc: format!("document {index}"),
                found: json_type(&doc.value),
            });
        }
        if is_list(&doc.value) {
            expand_list(doc, &mut docs)?;
        } else {
            docs.push(doc);
        }
    }
    if docs.is_empty() {
        return Err(ApiError::NoDocuments);
    }
    Ok(docs)
}

/// The only document of a parsed input (after `List`s are expanded), for the inputs that
/// must hold exactly one: a file rewritten in place, the Secret `merge-into` takes, the body
/// of an HTTP request. Use after [`parse_documents`] or [`parse_bytes`], which already
/// refuse an input with none ([`ApiError::NoDocuments`]); more is
/// [`ApiError::DocumentCount`].
pub fn exactly_one(mut documents: Vec<Document>) -> Result<Document, ApiError> {
    match documents.len() {
        1 => Ok(documents.remove(0)),
        0 => Err(ApiError::NoDocuments),
        found => Err(ApiError::DocumentCount { found }),
    }
}

/// `v1.List` (and `SecretList`/`SealedSecretList`, which kubectl prints for `get -o yaml`).
fn is_list(value: &Value) -> bool {
    value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && value.get("items").is_some_and(Value::is_array)
}

fn expand_list(mut list: Document, docs: &mut Vec<Document>) -> Result<(), ApiError> {
    let items = match list.value.get_mut("items").map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    for (j, value) in items.into_iter().enumerate() {
        let doc = Document {
            index: list.index,
            item: Some(j + 1),
            line: list.line,
            value,
        };
        if !doc.value.is_object() {
            return Err(ApiError::NotAnObject {
                doc: format!("document {}, item {}", list.index, j + 1),
                found: json_type(&doc.value),
            });
        }
        docs.push(doc);
    }
    Ok(())
}

fn parse_yaml_stream(text: &str) -> Result<Vec<(Option<u64>, Value)>, ApiError> {
    // No source snippets in errors: they would print lines of the input, i.e. Secret data.
    // YAML 1.2 booleans only: under YAML 1.1 rules `namespace: n` or `flag: yes` would turn
    // into booleans (kubectl then fails on them); here they stay the strings users meant.
    let options = serde_saphyr::options! { with_snippet: false, strict_booleans: true };
    let docs: Vec<serde_saphyr::Spanned<Value>> =
        serde_saphyr::from_multiple_with_options(text, options).map_err(|e| {
            let location = e.location();
            ApiError::Yaml {
                line: location.map(|l| l.line()).filter(|l| *l > 0),
                column: location.map(|l| l.column()).filter(|c| *c > 0),
                message: strip_position(e.without_snippet().to_string()),
            }
        })?;
    Ok(docs
        .into_iter()
        .map(|s| {
            let line = s.referenced.line();
            ((line > 0).then_some(line), s.value)
        })
        .collect())
}

/// Both parsers append " at line L, column C" (or "column C") themselves; the error type
/// carries the position separately.
fn strip_position(message: String) -> String {
    match message.rsplit_once(" at line ") {
        Some((m, _)) => m.to_owned(),
        None => message,
    }
}

fn parse_json_stream(text: &str) -> Result<Vec<(Option<u64>, Value)>, ApiError> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let offset = stream.byte_offset();
        let Some(next) = stream.next() else { break };
        let value = next.map_err(|e| ApiError::Json {
            line: e.line(),
            column: e.column(),
            // serde_json's messages never quote the input.
            message: strip_position(e.to_string()),
        })?;
        let start = offset + (text[offset..].len() - text[offset..].trim_start().len());
        let line = text[..start].matches('\n').count() as u64 + 1;
        match value {
            // A top-level array is a stream of objects too.
            Value::Array(items) => out.extend(items.into_iter().map(|v| (Some(line), v))),
            v => out.push((Some(line), v)),
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const TWO_SECRETS: &str = "\
# leading comment
---
apiVersion: v1
kind: Secret
metadata:
  name: a
  namespace: ns
stringData:
  flag: yes
---
---
# empty document above and here
apiVersion: v1
kind: Secret
metadata: {name: b}
data:
  k: aHVudGVyMg==
";

    #[test]
    fn multi_document_yaml() {
        let docs = parse_documents(TWO_SECRETS).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].name(), Some("a"));
        assert_eq!(docs[0].namespace(), Some("ns"));
        assert!(docs[0].is_secret());
        assert_eq!(docs[0].line(), Some(3));
        // YAML 1.2: `yes` is a string, not a boolean.
        let s = docs[0].to_plain_secret().unwrap();
        assert_eq!(s.string_data["flag"].as_bytes(), b"yes");
        let b = docs[1].to_plain_secret().unwrap();
        assert_eq!(b.data["k"].as_bytes(), b"hunter2");
        assert!(
            docs[1].describe().starts_with("document "),
            "{}",
            docs[1].describe()
        );
    }

    #[test]
    fn json_stream_and_array() {
        let text = "{\"kind\":\"Secret\",\"metadata\":{\"name\":\"a\"}}\n{\n \"kind\": \"Secret\",\n \"metadata\": {\"name\": \"b\"}\n}\n";
        let docs = parse_documents(text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].name(), Some("b"));
        assert_eq!(docs[1].line(), Some(2));
        let arr = parse_documents(r#"[{"kind":"Secret"},{"kind":"Secret"}]"#).unwrap();
        assert_eq!(arr.len(), 2);
    }

    #[test]
    fn exactly_one_counts_after_lists_are_expanded() {
        let one = parse_documents("kind: Secret\nmetadata: {name: a}\n").and_then(exactly_one);
        assert_eq!(one.unwrap().name(), Some("a"));
        let two = parse_documents("kind: Secret\n---\nkind: Secret\n").and_then(exactly_one);
        assert!(matches!(two, Err(ApiError::DocumentCount { found: 2 })));
        let list = "kind: List\nitems:\n- kind: Secret\n- kind: Secret\n- kind: Secret\n";
        let three = parse_documents(list).and_then(exactly_one);
        assert!(matches!(three, Err(ApiError::DocumentCount { found: 3 })));
        assert!(matches!(
            exactly_one(Vec::new()),
            Err(ApiError::NoDocuments)
        ));
    }

    #[test]
    fn list_is_expanded() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- kind: Secret\n  metadata: {name: a}\n- kind: Secret\n  metadata: {name: b}\n";
        let docs = parse_documents(text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].item(), Some(2));
        assert!(docs[1].describe().contains("item 2"));
    }

    #[test]
    fn bad_inputs() {
        assert!(matches!(parse_documents(""), Err(ApiError::NoDocuments)));
        assert!(matches!(
            parse_documents("# only a comment\n---\n"),
            Err(ApiError::NoDocuments)
        ));
        assert!(matches!(
            parse_bytes(b"\xff\xfe\x00"),
            Err(ApiError::Binary(_))
        ));
        assert!(matches!(
            parse_bytes(b"kind: Secret\0"),
            Err(ApiError::Binary(_))
        ));
        match parse_documents("kind: Secret\nmetadata:\n  name: [unclosed\n") {
            Err(ApiError::Yaml { line, .. }) => assert!(line.is_some()),
            other => panic!("{:?}", other.map(|d| d.len())),
        }
        let e = parse_documents("kind: Secret\ndata:\n  k: hunter2secret\n    bad: indent\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!e.contains("hunter2secret"), "{e}");
        match parse_documents("{\"kind\": \"Secret\",\n \"data\": }") {
            Err(ApiError::Json { line: 2, .. }) => {}
            other => panic!("{:?}", other.map(|d| d.len())),
        }
        assert!(matches!(
            parse_documents("just a string"),
            Err(ApiError::NotAnObject { .. })
        ));
    }

    #[test]
    fn wrong_kind_and_missing_fields() {
        let docs = parse_documents("kind: ConfigMap\nmetadata: {name: c, namespace: n}\n").unwrap();
        let e = docs[0].to_plain_secret().unwrap_err().to_string();
        assert!(
            e.contains("ConfigMap") && e.contains("n/c") && e.contains("document 1"),
            "{e}"
        );
        let e = docs[0].to_sealed_secret().unwrap_err().to_string();
        assert!(e.contains("SealedSecret"), "{e}");
    }
}
