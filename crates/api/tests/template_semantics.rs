//! Template semantics of Bitnami v0.40, one row per rule, each citing the upstream change:
//!
//! * bitnami-labs/sealed-secrets#1940 (v0.37, fixing #1607): plaintext `template.data`
//!   values are in the render context as `{{ .key }}`; on a key collision the encryptedData
//!   value wins, in the context and in the Secret, and the colliding template still runs
//!   (its errors count).
//! * #1871 (v0.40, closing #1870): a `null` in `template.data` drops that key from the
//!   Secret; a dropped encryptedData key stays visible to templates (it is their input).
//! * Bitnami reports every decrypt and template error at once; ours are in a fixed order:
//!   decrypt errors by key, then template errors by key, naming keys and never values.
//!
//! Rows are written as JSON, as a manifest would carry them, so `null` goes through the
//! real deserializer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_no_trace, opener, sealed_with};
use sealant_api::{PlainSecret, SealOptions, SealedSecret, seal_secret, unseal};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What a row expects.
enum Expect {
    /// The Secret's data, exactly.
    Data(&'static [(&'static str, &'static str)]),
    /// An error whose message names these places, in this order.
    Errors(&'static [&'static str]),
}

struct Row {
    rule: &'static str,
    encrypted: &'static [(&'static str, &'static str)],
    /// encryptedData entries that do not open (sealed for another name) or are not base64.
    broken: &'static [(&'static str, Broken)],
    template: Value,
    expect: Expect,
}

#[derive(Clone, Copy)]
enum Broken {
    OtherTarget,
    NotBase64,
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            rule: "#1940 (#1607): a plaintext sibling is in the context as {{ .key }}",
            encrypted: &[("password", "s3cret-pw")],
            broken: &[],
            template: json!({"username": "admin", "dsn": "{{ .username }}:{{ .password }}"}),
            expect: Expect::Data(&[
                ("dsn", "admin:s3cret-pw"),
                ("password", "s3cret-pw"),
                ("username", "admin"),
            ]),
        },
        Row {
            rule: "#1940: the context holds a sibling's raw text, not its rendered value",
            encrypted: &[("password", "s3cret-pw")],
            broken: &[],
            template: json!({"inner": "<{{ .password }}>", "outer": "[{{ .inner }}]"}),
            expect: Expect::Data(&[
                ("inner", "<s3cret-pw>"),
                ("outer", "[<{{ .password }}>]"),
                ("password", "s3cret-pw"),
            ]),
        },
        Row {
            rule: "#1940: on a collision the encrypted value wins in the context",
            encrypted: &[("user", "from-encrypted")],
            broken: &[],
            template: json!({"user": "from-template", "copy": "{{ .user }}"}),
            expect: Expect::Data(&[("copy", "from-encrypted"), ("user", "from-encrypted")]),
        },
        Row {
            rule: "#1940: on a collision the encrypted value wins in the Secret",
            encrypted: &[("token", "from-encrypted")],
            broken: &[],
            template: json!({"token": "{{ .token }}-decorated"}),
            expect: Expect::Data(&[("token", "from-encrypted")]),
        },
        Row {
            rule: "#1940: a colliding template still runs, and its error counts",
            encrypted: &[("token", "from-encrypted")],
            broken: &[],
            template: json!({"token": "{{ .token"}),
            expect: Expect::Errors(&["template for key \"token\""]),
        },
        Row {
            rule: "#1871 (#1870): null drops a decrypted key, which templates still read",
            encrypted: &[("host", "db.internal"), ("password", "s3cret-pw")],
            broken: &[],
            template: json!({"password": null, "config": "{{ .host }}/{{ .password }}"}),
            expect: Expect::Data(&[("config", "db.internal/s3cret-pw"), ("host", "db.internal")]),
        },
        Row {
            rule: "#1871: null for a key that is nowhere else adds nothing",
            encrypted: &[("password", "s3cret-pw")],
            broken: &[],
            template: json!({"absent": null}),
            expect: Expect::Data(&[("password", "s3cret-pw")]),
        },
        Row {
            rule: "#1871: null on every key leaves an empty Secret",
            encrypted: &[("a", "value-a"), ("b", "value-b")],
            broken: &[],
            template: json!({"a": null, "b": null}),
            expect: Expect::Data(&[]),
        },
        Row {
            rule: "error order: decrypt errors by key, then template errors by key",
            encrypted: &[("fine", "value-fine")],
            broken: &[("zeta", Broken::OtherTarget), ("alpha", Broken::NotBase64)],
            template: json!({"tpl-z": "{{ .fine", "tpl-a": "{{", "ok": "{{ .fine }}"}),
            expect: Expect::Errors(&[
                "encryptedData key \"alpha\"",
                "key \"zeta\"",
                "template for key \"tpl-a\"",
                "template for key \"tpl-z\"",
            ]),
        },
        Row {
            rule: "error order: a null key's decrypt error still counts",
            encrypted: &[],
            broken: &[("hidden", Broken::OtherTarget)],
            template: json!({"hidden": null}),
            expect: Expect::Errors(&["key \"hidden\""]),
        },
    ]
}

/// The row's SealedSecret, built through JSON so `null` meets the real deserializer.
fn sealed_secret(row: &Row) -> Result<SealedSecret, String> {
    let values: Vec<(&str, &[u8])> = row
        .encrypted
        .iter()
        .map(|(k, v)| (*k, v.as_bytes()))
        .collect();
    // Sealing refuses an empty Secret; a row without good values starts from a placeholder.
    let mut ss = if values.is_empty() {
        let mut ss = sealed_with(&[("placeholder", b"placeholder")]);
        ss.spec.encrypted_data.clear();
        ss
    } else {
        sealed_with(&values)
    };
    // Sealed for prod/another: under prod/leaky its label does not match, so it never opens.
    let elsewhere = seal_secret(
        &PlainSecret::from_literals("prod", "another", &[("x", "sealed-elsewhere")]),
        common::key().public_key(),
        &SealOptions::default(),
    )
    .unwrap()
    .spec
    .encrypted_data["x"]
        .clone();
    for (key, how) in row.broken {
        let value = match how {
            Broken::OtherTarget => elsewhere.clone(),
            Broken::NotBase64 => "!!not base64!!".to_owned(),
        };
        ss.spec.encrypted_data.insert((*key).to_owned(), value);
    }
    let mut doc = serde_json::to_value(&ss).unwrap();
    doc["spec"]["template"]["data"] = row.template.clone();
    serde_json::from_value(doc).map_err(|e| format!("does not parse: {e}"))
}

#[test]
fn bitnami_v040_template_semantics() {
    let mut failures = Vec::new();
    for row in rows() {
        let ss = match sealed_secret(&row) {
            Ok(ss) => ss,
            Err(problem) => {
                failures.push(format!("{}: {problem}", row.rule));
                continue;
            }
        };
        let got = unseal(&ss, &mut opener());
        let problem = match (&row.expect, got) {
            (Expect::Data(want), Ok(secret)) => {
                let got: BTreeMap<String, String> = secret
                    .data
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let want: BTreeMap<String, String> = want
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect();
                (got != want).then(|| format!("data {got:?}, want {want:?}"))
            }
            (Expect::Data(_), Err(e)) => Some(format!("failed: {e}")),
            (Expect::Errors(_), Ok(_)) => Some("unsealed, want an error".to_owned()),
            (Expect::Errors(places), Err(e)) => {
                let shown = e.to_string();
                let values: Vec<&[u8]> = row.encrypted.iter().map(|(_, v)| v.as_bytes()).collect();
                assert_no_trace(row.rule, &shown, &values);
                in_order(&shown, places).err()
            }
        };
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", row.rule));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// `Ok` when `shown` names every place, each after the one before, and no place twice.
fn in_order(shown: &str, places: &[&str]) -> Result<(), String> {
    let mut from = 0;
    for place in places {
        let Some(at) = shown[from..].find(place) else {
            return Err(format!("{place:?} missing or out of order in: {shown}"));
        };
        from += at + place.len();
        if shown[from..].contains(place) {
            return Err(format!("{place:?} reported twice in: {shown}"));
        }
    }
    Ok(())
}

/// `null` survives a read and a write, as Bitnami's `map[string]*string` does, so `sealant`
/// tools that rewrite a manifest keep the drop instruction.
#[test]
fn null_template_value_round_trips() {
    let mut ss = sealed_with(&[("password", b"s3cret-pw")]);
    let mut doc = serde_json::to_value(&ss).unwrap();
    doc["spec"]["template"]["data"] = json!({"password": null, "user": "admin"});
    ss = serde_json::from_value(doc).unwrap();
    let back = serde_json::to_value(&ss).unwrap();
    assert_eq!(
        back["spec"]["template"]["data"],
        json!({"password": null, "user": "admin"})
    );
}

/// Reporting every failure (the v0.40 order) must not buy more rendering than one Secret's
/// budget: after one template fails, the others are still rendered from the same
/// `max_work_bytes`, never each from a fresh one. Here each of `b`, `c`, `d` fits the budget
/// alone but not all three together, so the third must stop at the cap.
#[test]
fn collecting_every_error_spends_one_budget() {
    let value = vec![b'v'; 4_000];
    let mut ss = sealed_with(&[("v", &value)]);
    for (key, template) in [
        ("a", "{{"),
        ("b", "{{ .v }}"),
        ("c", "{{ .v }}"),
        ("d", "{{ .v }}"),
    ] {
        ss.spec
            .template
            .data
            .insert(key.to_owned(), Some(template.to_owned()));
    }
    let limits = sealant_api::RenderLimits {
        max_work_bytes: 10_000,
        ..sealant_api::RenderLimits::default()
    };
    let e = sealant_api::unseal_with_limits(&ss, &mut opener(), &limits).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("\"a\""),
        "the parse error is reported: {shown}"
    );
    assert!(
        shown.contains("max_work_bytes"),
        "rendering after a failure must spend the same budget: {shown}"
    );
}
