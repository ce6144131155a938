//! Inputs the fuzzer (fuzz/, target named on each test) found, kept as ordinary tests so the
//! stable suite guards them without the nightly toolchain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sealant_api::{Document, OutputFormat, parse_documents, write_documents};
use serde_json::Value;

fn values(text: &str) -> Vec<Value> {
    parse_documents(text)
        .unwrap()
        .iter()
        .map(Document::as_value)
        .cloned()
        .collect()
}

/// manifests target: a JSON number that is not exactly representable came back as a different
/// float after write → read, because serde_json's default float parser may be off by one ulp.
/// Manifests we pass through (e.g. a Service next to a Secret) must keep their numbers.
#[test]
fn json_floats_survive_write_and_read() {
    let text = r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"},
                   "x": [444444444444444444444444444444444444444, 0.1, 1.7976931348623157e308]}"#;
    let first = values(text);
    for format in [OutputFormat::Json, OutputFormat::Yaml] {
        let written = write_documents(&first, format).unwrap();
        assert_eq!(values(&written), first, "{format} round trip:\n{written}");
    }
}
