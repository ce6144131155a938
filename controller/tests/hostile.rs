//! No plaintext in any message: hostile templates (every function and error path) and
//! hostile legacy `spec.data` payloads, rendered against canary values by the real binary
//! at trace level. Every sink anyone without `get secrets` can read is searched: SealedSecret
//! status, Events (core/v1 and events.k8s.io/v1), the captured logs and `/metrics`.
//!
//! Two checks, because a leak need not quote the whole value:
//! * grep: each object's canary, in any case, as base64 (at every alignment) and as hex;
//! * differential: each case runs twice, with values of different content and length; what
//!   the sinks say about the two objects must be identical once their names are aligned
//!   (so a character, a length or a position taken from the value shows up too).
//!
//! Decrypt failures are covered the same way: a value no key opens and a value whose RSA
//! part opens but whose AES-GCM tag fails must read identically.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use k8s_openapi::api::{core::v1::Event as CoreEvent, events::v1::Event};
use kube::api::ListParams;
use sealant_api::{SealedSecret, SecretBytes};
use sealant_crypto::{Scope, encode_base64, seal as seal_value};
use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

const NS: &str = "hostile";

/// Templates for `spec.template.data["leak"]`, each against values `password` (the canary),
/// `user` ("admin") and `bin` (invalid UTF-8, then the canary).
const TEMPLATES: &[&str] = &[
    // A value used as a key: the lookup error would quote it.
    "{{ index . .password }}",
    "{{ index . \"password\" | b64enc | index . }}",
    "{{ .password | index . }}",
    "{{ printf \"%s\" .password | index . }}",
    "{{ printf \"%q\" .password | index . }}",
    "{{ printf \"%v-x\" .password | index . }}",
    "{{ .password | upper | index . }}",
    "{{ .password | lower | index . }}",
    "{{ .password | quote | index . }}",
    "{{ .password | squote | index . }}",
    "{{ .password | toJson | index . }}",
    "{{ .password | trim | index . }}",
    "{{ .password | b64enc | b64dec | index . }}",
    "{{ index . (printf \"%s\" .password) }}",
    // A value used as a format: the verb error would quote a character of it.
    "{{ printf .password }}",
    "{{ .password | printf }}",
    "{{ printf .password .user }}",
    "{{ printf .password .user .user }}",
    "{{ printf \"%s %s\" .password }}",
    "{{ printf \"%s\" .password .user }}",
    "{{ printf \"%d\" .password }}",
    "{{ printf \"%\" .password }}",
    "{{ printf }}",
    // Decoding and text functions on values they reject.
    "{{ .password | b64dec }}",
    "{{ b64dec .password }}",
    "{{ .password | b64dec | upper }}",
    "{{ .bin | upper }}",
    "{{ .bin | lower }}",
    "{{ lower .bin | index . }}",
    // Arity and operand errors of every function.
    "{{ index .password \"x\" }}",
    "{{ index . .password .user }}",
    "{{ upper .password .user }}",
    "{{ lower .password .user }}",
    "{{ trim .password .user }}",
    "{{ b64enc .password .user }}",
    "{{ b64dec .password .user }}",
    "{{ toJson .password .user }}",
    "{{ quote . }}",
    "{{ squote . }}",
    "{{ upper . }}",
    "{{ . }}",
    // Parse errors and unknown names.
    "{{ .password .user }}",
    "{{ .password | .user }}",
    "{{ .password | nosuchfunction }}",
    "{{ .nosuchkey }}",
    "{{ index . \"nosuchkey\" }}",
    "{{ if .password }}x{{ end }}",
    "{{ .password",
    "{{ \"unterminated }}",
    "{{ .password.user }}",
    // Rendered fine: the value reaches the Secret and nothing else.
    "u={{ .user }}:{{ .password }}",
    "{{ .password | b64enc | quote }}",
];

/// Legacy `spec.data` payloads (the whole Secret as JSON, decrypted: all of it plaintext,
/// key names included), given the canary and a number derived from the case.
fn legacy_payloads(canary: &str, number: u64) -> Vec<Vec<u8>> {
    let b64 = encode_base64(canary.as_bytes());
    let secret = |extra: &str| {
        format!(r#"{{"apiVersion":"v1","kind":"Secret","data":{{"v":"{b64}"}}{extra}}}"#)
    };
    vec![
        // Trailing garbage after a valid Secret (a parser's position is derived from it).
        format!("{}{canary}", secret("")).into_bytes(),
        format!("{} {number}", secret("")).into_bytes(),
        // Not JSON, or not an object.
        canary.as_bytes().to_vec(),
        format!("\"{canary}\"").into_bytes(),
        number.to_string().into_bytes(),
        // Wrong kind and apiVersion, holding the canary.
        format!(r#"{{"apiVersion":"v1","kind":"{canary}"}}"#).into_bytes(),
        format!(r#"{{"apiVersion":"{canary}","kind":"Secret"}}"#).into_bytes(),
        // Fields of the wrong type (a parser would quote the number).
        secret(&format!(r#","metadata":{{"name":{number}}}"#)).into_bytes(),
        secret(&format!(
            r#","metadata":{{"labels":{{"{canary}":{number}}}}}"#
        ))
        .into_bytes(),
        secret(&format!(r#","type":{number}"#)).into_bytes(),
        secret(&format!(r#","immutable":"{canary}""#)).into_bytes(),
        // Data keys from the plaintext: invalid base64, non-strings.
        format!(r#"{{"kind":"Secret","data":{{"{canary}":"!{canary}!"}}}}"#).into_bytes(),
        format!(r#"{{"kind":"Secret","data":{{"{canary}":{number}}}}}"#).into_bytes(),
        format!(r#"{{"kind":"Secret","stringData":{{"{canary}":[{number}]}}}}"#).into_bytes(),
        format!(r#"{{"kind":"Secret","data":"{canary}"}}"#).into_bytes(),
        // Truncated and malformed JSON around the value.
        format!(r#"{{"kind":"Secret","data":{{"v":"{canary}"#).into_bytes(),
        format!(r#"{{"kind":"Secret","data":{{"v":"{canary}\q"}}}}"#).into_bytes(),
        // Invalid UTF-8 after the value.
        [
            format!(r#"{{"kind":"Secret","data":{{"v":"{canary}"#).as_bytes(),
            b"\xff\"}}",
        ]
        .concat(),
    ]
}

/// One side of a case: its canary core, the value holding it, and a number.
struct Side {
    core: String,
    value: String,
    number: u64,
}

fn side(case: usize, x: bool) -> Side {
    // Different content and length per side; the `%` verb differs too. No base64 alphabet
    // only (so `b64dec` fails on both), no characters JSON or Go would escape.
    let core = if x {
        format!("CANARYx{case:03}q7Rk2vX9mZ")
    } else {
        format!("CANARYy{case:03}w3Lp8nT5hJyd")
    };
    let value = if x {
        format!("{core}-%Z")
    } else {
        format!("{core}-%Yw")
    };
    let number = if x {
        31_337 + case as u64
    } else {
        2_718_281 + case as u64
    };
    Side {
        core,
        value,
        number,
    }
}

fn name(case: usize, x: bool) -> String {
    format!("c{case:03}-{}", if x { "x" } else { "y" })
}

/// Every string that would betray `core`: itself (any case), its base64 at each of the three
/// alignments it can have inside a longer encoded string, and its hex.
fn needles(core: &str) -> Vec<String> {
    let mut out = vec![core.to_ascii_lowercase(), hex::encode(core)];
    for offset in 0..3 {
        let encoded = encode_base64(&[&b"xx"[..offset], core.as_bytes()].concat());
        // Drop the characters that mix in the neighbours' bits.
        let inner = &encoded[4..encoded.len() - 4];
        out.push(inner.to_owned());
    }
    out
}

fn template_object(case: usize, x: bool, template: &str) -> SealedSecret {
    let s = side(case, x);
    let mut plain = plain(
        NS,
        &name(case, x),
        &[("password", &s.value), ("user", "admin")],
    );
    plain.data.insert(
        "bin".to_owned(),
        SecretBytes::copy_from_slice(&[b"\xff\xfe".as_slice(), s.value.as_bytes()].concat()),
    );
    let mut ss = seal_plain(&test_key('a'), &plain, Scope::Strict);
    ss.spec
        .template
        .data
        .insert("leak".to_owned(), Some(template.to_owned()));
    ss
}

fn legacy_object(case: usize, x: bool, payload: &[u8]) -> SealedSecret {
    let n = name(case, x);
    let label = Scope::Strict.label(NS, &n).unwrap();
    let mut ss = seal(&test_key('a'), NS, &n, Scope::Strict, &[("unused", "x")]);
    ss.spec.encrypted_data.clear();
    ss.spec.data = Some(encode_base64(
        &seal_value(&public_key(&test_key('a')), &label, payload).unwrap(),
    ));
    ss
}

/// Two objects whose one value does not decrypt: sealed for a key the controller lacks
/// (the RSA part fails), and sealed for its key with the AES-GCM tag broken.
fn decrypt_failures() -> [SealedSecret; 2] {
    let no_key = seal(
        &test_key('b'),
        NS,
        "dec-rsa",
        Scope::Strict,
        &[("password", "p")],
    );
    let mut bad_tag = seal(
        &test_key('a'),
        NS,
        "dec-gcm",
        Scope::Strict,
        &[("password", "p")],
    );
    let value = bad_tag.spec.encrypted_data.get_mut("password").unwrap();
    let mut raw = sealant_crypto::decode_base64(value).unwrap();
    *raw.last_mut().unwrap() ^= 1;
    *value = encode_base64(&raw);
    [no_key, bad_tag]
}

/// What the readable sinks say about one object, with its name replaced by `?`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Said {
    status: String,
    events: BTreeSet<String>,
    logs: BTreeSet<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_message_anyone_can_read_carries_plaintext() {
    let h = Harness::with_key('a').await;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stderr.log");
    let metrics_port = free_port();
    let mut child = h.spawn_binary(
        dir.path(),
        &[
            "--controller-namespace=kube-system",
            "--key-renew-period=0",
            "--accept-deprecated-v1-data",
            "--log-level=trace",
            "--log-format=json",
            // Every Event written: the pairs are compared on whether one was, and a budget
            // spent by the other cases would make that differ for no reason of theirs.
            "--event-budget=false",
            "--listen-addr=127.0.0.1:0",
            &format!("--listen-metrics-addr=127.0.0.1:{metrics_port}"),
        ],
        &log_path,
    );

    // Pairs of objects, one case each.
    let mut cases: Vec<[SealedSecret; 2]> = Vec::new();
    for (i, template) in TEMPLATES.iter().enumerate() {
        cases.push([true, false].map(|x| template_object(i, x, template)));
    }
    let legacy_from = cases.len();
    let count = legacy_payloads("", 0).len();
    for j in 0..count {
        let case = legacy_from + j;
        cases.push([true, false].map(|x| {
            let s = side(case, x);
            legacy_object(case, x, &legacy_payloads(&s.value, s.number)[j])
        }));
    }
    let decrypt = decrypt_failures();
    for ss in cases.iter().flatten().chain(&decrypt) {
        h.create_sealed(ss).await;
    }
    let total = cases.len() * 2 + decrypt.len();

    // Every object has a verdict for its generation (polled: the controller runs in its own
    // process; bounded).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let list = h.sealed(NS).list(&ListParams::default()).await.unwrap();
        let done = list
            .items
            .iter()
            .filter(|ss| {
                ss.status.as_ref().is_some_and(|s| {
                    s.observed_generation == ss.metadata.generation
                        && s.conditions.iter().any(|c| c.type_ == "Synced")
                })
            })
            .count();
        if done == total {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {done} of {total} objects got a verdict"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = ureq::get(&format!("http://127.0.0.1:{metrics_port}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(logs.contains("\"level\":\"TRACE\""), "trace level was on");

    let sealed = h
        .sealed(NS)
        .list(&ListParams::default())
        .await
        .unwrap()
        .items;
    let events = h_list::<Event>(&h).await;
    let core_events = h_list::<CoreEvent>(&h).await;

    // 1. grep every sink for every object's canary.
    let sinks = [
        (
            "status",
            serde_json::to_string(&sealed.iter().map(|s| &s.status).collect::<Vec<_>>()).unwrap(),
        ),
        (
            "events.k8s.io Events",
            serde_json::to_string(&events).unwrap(),
        ),
        (
            "core/v1 Events",
            serde_json::to_string(&core_events).unwrap(),
        ),
        ("logs", logs.clone()),
        ("/metrics", metrics),
    ];
    let sinks = sinks.map(|(sink, text)| (sink, text.to_ascii_lowercase()));
    let mut leaks = Vec::new();
    for case in 0..cases.len() {
        for x in [true, false] {
            let needles = needles(&side(case, x).core);
            for (sink, text) in &sinks {
                if needles
                    .iter()
                    .any(|n| text.contains(&n.to_ascii_lowercase()))
                {
                    leaks.push(format!(
                        "{sink}: {} ({})",
                        name(case, x),
                        describe(&cases, case)
                    ));
                }
            }
        }
    }

    // 2. The two sides of each case read the same.
    let said = |object: &str| said_about(object, &sealed, &events, &logs);
    for case in 0..cases.len() {
        let (x, y) = (said(&name(case, true)), said(&name(case, false)));
        if x != y {
            leaks.push(format!(
                "{} reads differently for different values ({}):\n  {x:?}\n  {y:?}",
                name(case, true),
                describe(&cases, case)
            ));
        }
    }
    // 3. A failed RSA part and a failed GCM tag read the same.
    let (rsa, gcm) = (said("dec-rsa"), said("dec-gcm"));
    assert!(
        rsa.status.contains("False"),
        "the decrypt failures failed: {rsa:?}"
    );
    if rsa != gcm {
        leaks.push(format!(
            "an RSA failure and a GCM tag failure read differently:\n  {rsa:?}\n  {gcm:?}"
        ));
    }
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

fn describe(cases: &[[SealedSecret; 2]], case: usize) -> String {
    let ss = &cases[case][0];
    match ss.spec.template.data.get("leak") {
        Some(Some(t)) => format!("template {t:?}"),
        Some(None) => "null template".to_owned(),
        None => format!("legacy payload #{}", case - TEMPLATES.len()),
    }
}

async fn h_list<K>(h: &Harness) -> Vec<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    kube::Api::<K>::namespaced(h.client.clone(), NS)
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
}

/// What the sinks say about `object`: its status conditions (without timestamps), the
/// notes of its Events, and the controller's own log lines on why it failed, all with the
/// name replaced.
fn said_about(object: &str, sealed: &[SealedSecret], events: &[Event], logs: &str) -> Said {
    let anonymous = |text: &str| text.replace(object, "?");
    let status = sealed
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some(object))
        .and_then(|s| s.status.as_ref())
        .map(|s| {
            s.conditions
                .iter()
                .map(|c| format!("{} {} {:?} {:?}", c.type_, c.status, c.reason, c.message))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let events = events
        .iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(object))
        .map(|e| anonymous(&format!("{:?} {:?} {:?}", e.type_, e.reason, e.note)))
        .collect();
    let described = format!("{NS}/{object}");
    let logs = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| {
            line["target"]
                .as_str()
                .is_some_and(|t| t.starts_with("sealant_controller"))
                && line["fields"]["object"].as_str() == Some(described.as_str())
        })
        // Only the lines that say why something failed: how many other lines an object
        // gets (a follow-up reconcile, say) depends on timing, not on its values.
        .filter(|line| line["fields"]["error"].is_string())
        .map(|line| {
            let mut fields: BTreeMap<String, serde_json::Value> =
                serde_json::from_value(line["fields"].clone()).unwrap_or_default();
            fields.remove("object");
            anonymous(&serde_json::to_string(&fields).unwrap())
        })
        .collect();
    Said {
        status: anonymous(&status),
        events,
        logs,
    }
}

#[test]
fn the_needles_find_the_canary_in_every_form() {
    let core = "CANARYx001q7Rk2vX9mZ";
    let hay = [
        format!("no data key \"{}-%Z\"", core.to_uppercase()),
        encode_base64(format!("a{core}").as_bytes()),
        encode_base64(format!("ab{core}b").as_bytes()),
        encode_base64(format!("\"{core}\"").as_bytes()),
        hex::encode_upper(format!("..{core}..")),
    ];
    for text in hay {
        assert!(
            needles(core)
                .iter()
                .any(|n| text.to_ascii_lowercase().contains(&n.to_ascii_lowercase())),
            "{text}"
        );
    }
}
