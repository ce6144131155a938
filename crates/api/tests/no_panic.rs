//! Nothing panics on input: arbitrary text through the manifest parser and the
//! Secret/SealedSecret conversions yields values or typed errors, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use sealant_api::parse_documents;

/// Fragments that steer random input towards the interesting parts of the grammar.
fn manifest_like() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("apiVersion: v1\n".to_owned()),
        Just("kind: Secret\n".to_owned()),
        Just("kind: SealedSecret\n".to_owned()),
        Just("kind: List\nitems:\n- ".to_owned()),
        Just("metadata: {name: x, namespace: y}\n".to_owned()),
        Just("data: {k: '***'}\n".to_owned()),
        Just("stringData:\n  k: [1, {a: b}]\n".to_owned()),
        Just("spec:\n  encryptedData: {k: AgA=}\n  template: {data: {k: '{{ .k }}'}}\n".to_owned()),
        Just("---\n".to_owned()),
        Just("{\"kind\": \"Secret\", \"data\": {\"k\": 1}}".to_owned()),
        "[ -~\n]{0,40}",
    ];
    proptest::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsing_and_conversion_never_panic(text in manifest_like()) {
        if let Ok(documents) = parse_documents(&text) {
            for document in &documents {
                let _ = document.to_plain_secret();
                let _ = document.to_sealed_secret();
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse_documents(&text);
    }
}
