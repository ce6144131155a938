//! `sealant unseal` never prints plaintext in an error (issue 12, section 1): hostile
//! templates, a legacy blob with trailing garbage, and decrypt failures, through the real
//! binary. stdout and stderr are searched for the canary, its base64 and hex, and every
//! substring of 4 characters or more.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::{Engine, engine::general_purpose::STANDARD};
use common::*;
use serde_json::{Value, json};

/// The canary password; `%Q` is an invalid URL escape, so `urlParse .password` fails.
const CANARY: &str = "CANARY-7f3a9c%Q";

fn canary_secret() -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: leaky, namespace: prod}}\n\
         stringData:\n  password: '{CANARY}'\n  b64: '{}'\n",
        STANDARD.encode(CANARY)
    )
}

/// The canary sealed with the test key, as JSON.
fn sealed() -> Value {
    let cert = path_str(&keypair().cert);
    let out = run(
        &["seal", "--cert", cert, "-o", "json"],
        Some(canary_secret().as_bytes()),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    documents(&stdout(&out)).remove(0)
}

/// Run `sealant unseal` on `ss`; it must fail with exit 1. Returns stdout and stderr together.
fn unseal_fails(ss: &Value) -> String {
    let key = path_str(&keypair().key);
    let out = run(
        &["unseal", "--private-key", key],
        Some(ss.to_string().as_bytes()),
    );
    let printed = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{printed}");
    printed
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn assert_no_canary(context: &str, printed: &str) {
    let mut traces = vec![STANDARD.encode(CANARY), hex(CANARY.as_bytes())];
    for start in 0..CANARY.len() {
        for end in start + 4..=CANARY.len() {
            traces.push(CANARY[start..end].to_owned());
        }
    }
    for trace in traces {
        assert!(
            !printed.contains(&trace),
            "{context}: printed {trace:?}, a trace of the canary:\n{printed}"
        );
    }
}

#[test]
fn hostile_templates_print_no_value() {
    let base = sealed();
    for template in [
        // Go's own message would quote the value ("range can't iterate over …").
        "{{ range .password }}{{ end }}",
        "{{ .password.x }}",
        "{{ index .password 99 }}",
        "{{ lt .password 1 }}",
        // Parsers fed a value (Go's errors quote the text).
        "{{ urlParse .password }}",
        "{{ .b64 | b64dec | mustFromJson }}",
        "{{ mustRegexFind (printf \"%s[\" .password) .password }}",
        "{{ fail .password }}",
        "{{ .password | upper .password }}",
    ] {
        let mut ss = base.clone();
        ss["spec"]["template"]["data"] = json!({ "leak": template });
        let printed = unseal_fails(&ss);
        assert_no_canary(template, &printed);
        assert!(
            printed.contains("prod/leaky") && printed.contains("\"leak\""),
            "{template}: names the object and the key: {printed}"
        );
    }
}

#[test]
fn legacy_blob_with_trailing_garbage_prints_no_value() {
    let mut ss = sealed();
    ss["spec"]["encryptedData"] = json!({});
    ss["spec"]["data"] = json!(seal_raw(
        &format!("{{\"kind\":\"Secret\"}}{CANARY}"),
        "prod",
        "leaky"
    ));
    let printed = unseal_fails(&ss);
    assert_no_canary("legacy blob", &printed);
    assert!(
        !printed.contains("column"),
        "no position inside plaintext: {printed}"
    );
}

#[test]
fn rsa_and_aes_gcm_failures_print_the_same() {
    let base = sealed();
    let mut rsa = base.clone();
    rsa["spec"]["encryptedData"]["password"] = json!(seal_raw(CANARY, "prod", "other"));
    let mut gcm = base.clone();
    let value = base["spec"]["encryptedData"]["password"].as_str().unwrap();
    let mut bytes = STANDARD.decode(value).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    gcm["spec"]["encryptedData"]["password"] = json!(STANDARD.encode(bytes));
    let (rsa, gcm) = (unseal_fails(&rsa), unseal_fails(&gcm));
    assert_eq!(rsa, gcm, "the two failures must read the same");
    assert_no_canary("decrypt failure", &rsa);
}
