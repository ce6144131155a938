//! Writing manifests exactly as kubeseal does.
//!
//! * JSON: each object pretty-printed with two-space indents and a trailing newline,
//!   concatenated (kubeseal's default format). Keys follow Go's struct order (`kind`,
//!   `apiVersion`, `metadata`, `spec`, ...) and `<`, `>`, `&`, U+2028, U+2029 are escaped as
//!   Go's `encoding/json` does.
//! * YAML: `---\n` before each object and keys sorted at every level, as `sigs.k8s.io/yaml`
//!   writes them. serde-saphyr quotes YAML 1.1 look-alikes (`yes`, `on`, `0755`) so older
//!   readers keep them strings.
//!
//! Objects go through a `serde_json::Value` to be reordered; its strings are wiped afterwards.
//! The returned text is an ordinary `String`: for unsealed output it holds plaintext, which
//! the caller writes out and drops.

use crate::{ApiError, documents::zeroize_value};
use serde::{Serialize, Serializer, ser::SerializeMap, ser::SerializeSeq};
use serde_json::Value;
use std::{fmt, str::FromStr};

/// `-o/--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// kubeseal's default.
    #[default]
    Json,
    Yaml,
}

impl FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "json" | "" => Ok(Self::Json),
            "yaml" | "yml" => Ok(Self::Yaml),
            other => Err(format!(
                "unsupported output format: {other} (expected json or yaml)"
            )),
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Json => "json",
            Self::Yaml => "yaml",
        })
    }
}

/// Serialize `docs` one after another in `format`.
pub fn write_documents<T: Serialize>(docs: &[T], format: OutputFormat) -> Result<String, ApiError> {
    let mut out = String::new();
    for doc in docs {
        out.push_str(&write_document(doc, format)?);
    }
    Ok(out)
}

/// Serialize one object in `format`, with kubeseal's separators.
pub fn write_document<T: Serialize>(doc: &T, format: OutputFormat) -> Result<String, ApiError> {
    let fail = |reason: String| ApiError::Serialize {
        what: "document".to_owned(),
        reason,
    };
    let mut value = serde_json::to_value(doc).map_err(|e| fail(e.to_string()))?;
    let result = match format {
        OutputFormat::Json => serde_json::to_string_pretty(&Ordered {
            value: &value,
            shape: Shape::Root,
        })
        .map(|s| {
            let mut s = go_html_escape(s);
            s.push('\n');
            s
        })
        .map_err(|e| fail(e.to_string())),
        OutputFormat::Yaml => serde_saphyr::to_string_with_options(
            &Ordered {
                value: &value,
                shape: Shape::Sorted,
            },
            yaml_options(),
        )
        .map(|s| {
            let mut out = String::with_capacity(s.len() + 5);
            out.push_str("---\n");
            out.push_str(&s);
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out
        })
        .map_err(|e| fail(e.to_string())),
    };
    zeroize_value(&mut value);
    result
}

fn yaml_options() -> serde_saphyr::SerializerOptions {
    // Multi-line strings as literal blocks (as go-yaml does); long single-line strings such
    // as ciphertexts stay plain scalars on one line instead of folded blocks.
    serde_saphyr::ser_options! {
        indent_step: 2,
        compact_list_indent: true,
        prefer_block_scalars: true,
        folded_wrap_chars: usize::MAX,
    }
}

/// Go's `encoding/json` escapes these for safe embedding in HTML. They can only occur inside
/// strings in JSON text, so replacing them everywhere is exact.
fn go_html_escape(s: String) -> String {
    if !s.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Where in a Secret/SealedSecret a map sits, which decides its key order in JSON.
#[derive(Clone, Copy)]
enum Shape {
    Root,
    Meta,
    Spec,
    Template,
    Status,
    Condition,
    /// Plain maps (Go maps are written sorted) and everything in YAML.
    Sorted,
}

impl Shape {
    /// Go struct field order (k8s.io/api core/v1 Secret, metav1.ObjectMeta, Bitnami types).
    fn order(self) -> &'static [&'static str] {
        match self {
            // Secret and SealedSecret fields never clash, so one list serves both.
            Shape::Root => &[
                "kind",
                "apiVersion",
                "metadata",
                "spec",
                "immutable",
                "data",
                "stringData",
                "type",
                "status",
                "items",
            ],
            Shape::Meta => &[
                "name",
                "generateName",
                "namespace",
                "selfLink",
                "uid",
                "resourceVersion",
                "generation",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "labels",
                "annotations",
                "ownerReferences",
                "finalizers",
                "managedFields",
            ],
            Shape::Spec => &["template", "data", "encryptedData"],
            Shape::Template => &["metadata", "type", "immutable", "data"],
            Shape::Status => &["observedGeneration", "conditions"],
            Shape::Condition => &[
                "type",
                "status",
                "lastUpdateTime",
                "lastTransitionTime",
                "reason",
                "message",
            ],
            Shape::Sorted => &[],
        }
    }

    fn child(self, key: &str) -> Shape {
        match (self, key) {
            (Shape::Root, "metadata") | (Shape::Template, "metadata") => Shape::Meta,
            (Shape::Root, "spec") => Shape::Spec,
            (Shape::Root, "status") => Shape::Status,
            (Shape::Root, "items") => Shape::Root,
            (Shape::Spec, "template") => Shape::Template,
            (Shape::Status, "conditions") => Shape::Condition,
            _ => Shape::Sorted,
        }
    }
}

struct Ordered<'a> {
    value: &'a Value,
    shape: Shape,
}

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Object(map) => {
                let order = self.shape.order();
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by_key(|k| {
                    (
                        order.iter().position(|o| o == k).unwrap_or(order.len()),
                        k.as_str(),
                    )
                });
                let mut m = ser.serialize_map(Some(keys.len()))?;
                for k in keys {
                    if let Some(v) = map.get(k) {
                        let shape = match self.shape {
                            Shape::Sorted => Shape::Sorted,
                            s => s.child(k),
                        };
                        m.serialize_entry(k, &Ordered { value: v, shape })?;
                    }
                }
                m.end()
            }
            Value::Array(items) => {
                let mut s = ser.serialize_seq(Some(items.len()))?;
                for v in items {
                    s.serialize_element(&Ordered {
                        value: v,
                        shape: self.shape,
                    })?;
                }
                s.end()
            }
            other => other.serialize(ser),
        }
    }
}
