//! No error text holds plaintext (issue 12, section 1): hostile templates, legacy `spec.data`
//! blobs and decrypt failures, each run against two sets of canary values of the same shape.
//! The error must hold no trace of either set, and must read the same for both: a text that
//! changes with the values is derived from them, whatever it looks like.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{find_trace, key, opener, sealed_with};
use sealant_api::{ApiError, SealedSecret, unseal};
use sealant_crypto::{Scope, decode_base64, encode_base64, seal};

/// One set of canary values. Both sets have the same keys, lengths and character classes,
/// so every template fails the same way on both; only the bytes differ.
struct Canaries {
    password: &'static str,
    b64: &'static str,
    bin: &'static [u8],
    pct: &'static str,
    fmt2: &'static str,
    ws: &'static str,
}

const A: Canaries = Canaries {
    // `%Q` is an invalid URL escape, so `urlParse .password` fails (Go would quote it).
    password: "CANARY-7f3a9c%Q",
    // base64 of "CANARY-7f3a9c".
    b64: "Q0FOQVJZLTdmM2E5Yw==",
    bin: b"\xffCANARY-7f3a9c",
    pct: "CANARY-7f3a9c%",
    fmt2: "CANARY-7f3a9c%s%s",
    ws: "  CANARY-7f3a9c  ",
};

const B: Canaries = Canaries {
    password: "CANARY-0b2e4d%R",
    // base64 of "CANARY-0b2e4d".
    b64: "Q0FOQVJZLTBiMmU0ZA==",
    bin: b"\xfeCANARY-0b2e4d",
    pct: "CANARY-0b2e4d%",
    fmt2: "CANARY-0b2e4d%v%v",
    ws: "  CANARY-0b2e4d  ",
};

impl Canaries {
    fn pairs(&self) -> Vec<(&'static str, &'static [u8])> {
        vec![
            ("password", self.password.as_bytes()),
            ("b64", self.b64.as_bytes()),
            ("bin", self.bin),
            ("pct", self.pct.as_bytes()),
            ("fmt2", self.fmt2.as_bytes()),
            ("ws", self.ws.as_bytes()),
        ]
    }

    fn values(&self) -> Vec<&'static [u8]> {
        let mut values: Vec<&[u8]> = self.pairs().into_iter().map(|(_, v)| v).collect();
        values.push(b"CANARY-7f3a9c");
        values.push(b"CANARY-0b2e4d");
        values
    }
}

/// Templates that fail under Go's text/template and sprig, as Bitnami renders them, and
/// whose Go error would be derived from a value: Go says "range can't iterate over <value>",
/// quotes a pattern, a URL or a JSON text taken from a value, names an index computed from a
/// value, or prints `fail`'s message. Each must fail here too, with none of that.
///
/// Templates that look hostile but render under Go (a key computed from a value looks up
/// `""`, `printf` with a format from a value writes `%!Q(MISSING)` into the output, sprig's
/// `b64dec` writes its error text into the output) render here as well: their output is the
/// Secret itself, and the Go differential tests hold them to Go's bytes.
const HOSTILE: &[&str] = &[
    // Iterating, indexing and slicing a value.
    "{{ range .password }}{{ end }}",
    "{{ range $i, $c := .password }}{{ end }}",
    "{{ index .password 99 }}",
    "{{ .password | len | index .password }}",
    "{{ index (splitList \"-\" .password) 5 }}",
    "{{ slice .password 1 2 }}",
    // Fields of a value.
    "{{ .password.field }}",
    "{{ $x := .password }}{{ $x.y }}",
    "{{ with .password }}{{ .foo }}{{ end }}",
    // Comparing a value.
    "{{ lt .password 1 }}",
    "{{ eq .password 1 }}",
    // Parsers fed a value: JSON, a regular expression, a URL.
    "{{ mustFromJson .password }}",
    "{{ .password | b64dec | mustFromJson }}",
    "{{ mustRegexFind (printf \"%s[\" .password) .password }}",
    "{{ urlParse .password }}",
    // Messages and arithmetic from a value.
    "{{ fail .password }}",
    "{{ div 1 (atoi .password) }}",
    "{{ mustChunk 0 (list .password) }}",
    "{{ semver .password }}",
    "{{ call .password }}",
    // Errors about the template's shape, with values around.
    "{{ template .password }}",
    "{{ .password | upper .password }}",
    "{{ trim }}",
    "{{ index .password \"x\" }}",
    "{{ index . \"a\" \"b\" }}",
    "{{ printf }}",
    "{{ .password | .password }}",
    "{{ .password",
];

fn render_error(values: &Canaries, template: &str) -> ApiError {
    let mut ss = sealed_with(&values.pairs());
    ss.spec
        .template
        .data
        .insert("leak".into(), Some(template.to_owned()));
    match unseal(&ss, &mut opener()) {
        Ok(secret) => panic!(
            "{template:?} rendered (expected an error): {:?}",
            secret.data.get("leak")
        ),
        Err(e) => e,
    }
}

/// What is wrong with the pair of errors `a` and `b` (the same failure on the two sets of
/// canaries), if anything: a trace of a value, or a text that changes with the values.
fn leak(a: &ApiError, b: &ApiError) -> Option<String> {
    let (shown_a, shown_b) = (a.to_string(), b.to_string());
    let (debug_a, debug_b) = (format!("{a:?}"), format!("{b:?}"));
    let all: Vec<&[u8]> = A.values().into_iter().chain(B.values()).collect();
    for shown in [&shown_a, &shown_b, &debug_a, &debug_b] {
        if let Some(trace) = find_trace(shown, &all) {
            return Some(format!("holds {trace:?}: {shown}"));
        }
    }
    if shown_a != shown_b {
        return Some(format!("changes with the values: {shown_a} / {shown_b}"));
    }
    if debug_a != debug_b {
        return Some(format!(
            "Debug changes with the values: {debug_a} / {debug_b}"
        ));
    }
    None
}

/// Panics listing every case that leaked.
fn assert_none_leaked(leaks: Vec<String>) {
    assert!(
        leaks.is_empty(),
        "{} case(s) leak:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

#[test]
fn hostile_templates_leak_no_value() {
    let mut leaks = Vec::new();
    for template in HOSTILE {
        let (a, b) = (render_error(&A, template), render_error(&B, template));
        if let Some(leak) = leak(&a, &b) {
            leaks.push(format!("{template}: {leak}"));
            continue;
        }
        assert!(matches!(a, ApiError::Template { .. }), "{template:?}: {a}");
        let shown = a.to_string();
        assert!(
            shown.contains("prod/leaky") && shown.contains("\"leak\""),
            "{template:?}: the message names the object and the key: {shown}"
        );
    }
    assert_none_leaked(leaks);
}

#[test]
fn literal_key_names_are_still_quoted() {
    // A key written in the template is not secret, and naming it is what makes the
    // message useful.
    for (template, name) in [
        ("{{ .password.field }}", "\"field\""),
        ("{{ $x := .password }}{{ $x.y }}", "\"y\""),
        ("{{ with .password }}{{ .foo }}{{ end }}", "\"foo\""),
    ] {
        let shown = render_error(&A, template).to_string();
        assert!(shown.contains(name), "{template:?}: {shown}");
    }
}

/// A legacy `spec.data` blob sealed for `prod/leaky`.
fn legacy(blob: &str) -> SealedSecret {
    let label = Scope::Strict.label("prod", "leaky").unwrap();
    let sealed = seal(key().public_key(), &label, blob.as_bytes()).unwrap();
    let mut ss = sealed_with(&[("unused", b"x")]);
    ss.spec.encrypted_data.clear();
    ss.spec.data = Some(encode_base64(&sealed));
    ss
}

#[test]
fn legacy_blobs_leak_no_value() {
    // Pairs of the same shape: the error must not change between them. The trailing-garbage
    // pair differs in length too, so a position inside the blob would show.
    let pairs: &[(&str, &str)] = &[
        ("CANARY-7f3a9c", "CANARY-0b2e4d"),
        (
            "{\"kind\":\"Secret\"}CANARY-7f3a9c",
            "{\"kind\":\"Secret\"}CANARY-0b2e4d",
        ),
        ("{\"kind\":\"Secret\"}   x", "{\"kind\":\"Secret\"}       x"),
        ("{\"kind\":\"Se", "{\"ki"),
        ("\"CANARY-7f3a9c\"", "\"CANARY-0b2e4d\""),
        ("[\"CANARY-7f3a9c\"]", "[\"CANARY-0b2e4d\"]"),
        (
            "{\"kind\":\"CANARY-7f3a9c\"}",
            "{\"kind\":\"CANARY-0b2e4d\"}",
        ),
        (
            "{\"kind\":[\"CANARY-7f3a9c\"]}",
            "{\"kind\":[\"CANARY-0b2e4d\"]}",
        ),
        (
            "{\"kind\":\"Secret\",\"apiVersion\":\"CANARY-7f3a9c\"}",
            "{\"kind\":\"Secret\",\"apiVersion\":\"CANARY-0b2e4d\"}",
        ),
        (
            "{\"kind\":\"Secret\",\"data\":{\"CANARY-7f3a9c\":\"!!\"}}",
            "{\"kind\":\"Secret\",\"data\":{\"CANARY-0b2e4d\":\"!!\"}}",
        ),
        (
            "{\"kind\":\"Secret\",\"data\":{\"CANARY-7f3a9c\":5}}",
            "{\"kind\":\"Secret\",\"data\":{\"CANARY-0b2e4d\":5}}",
        ),
        (
            "{\"kind\":\"Secret\",\"stringData\":{\"CANARY-7f3a9c\":true}}",
            "{\"kind\":\"Secret\",\"stringData\":{\"CANARY-0b2e4d\":true}}",
        ),
        (
            "{\"kind\":\"Secret\",\"data\":\"CANARY-7f3a9c\"}",
            "{\"kind\":\"Secret\",\"data\":\"CANARY-0b2e4d\"}",
        ),
        (
            "{\"kind\":\"Secret\",\"type\":[\"CANARY-7f3a9c\"]}",
            "{\"kind\":\"Secret\",\"type\":[\"CANARY-0b2e4d\"]}",
        ),
        (
            "{\"kind\":\"Secret\",\"metadata\":{\"name\":[\"CANARY-7f3a9c\"]}}",
            "{\"kind\":\"Secret\",\"metadata\":{\"name\":[\"CANARY-0b2e4d\"]}}",
        ),
        (
            "{\"kind\":\"Secret\",\"metadata\":{\"labels\":{\"CANARY-7f3a9c\":1}}}",
            "{\"kind\":\"Secret\",\"metadata\":{\"labels\":{\"CANARY-0b2e4d\":1}}}",
        ),
    ];
    let mut leaks = Vec::new();
    for (a, b) in pairs {
        let err = |blob: &str| match unseal(&legacy(blob), &mut opener()) {
            Ok(_) => panic!("legacy blob {blob:?} unsealed (expected an error)"),
            Err(e) => e,
        };
        let (ea, eb) = (err(a), err(b));
        assert!(matches!(ea, ApiError::LegacyPayload { .. }), "{a:?}: {ea}");
        // The canaries are among the values `leak` looks for; anything else read from the
        // blob (a position, a field) changes between the two blobs of a pair.
        if let Some(leak) = leak(&ea, &eb) {
            leaks.push(format!("{a}: {leak}"));
        }
    }
    assert_none_leaked(leaks);
}

#[test]
fn rsa_and_aes_gcm_failures_read_the_same() {
    let good = sealed_with(&[("password", b"CANARY-7f3a9c")]);
    // RSA-OAEP fails: sealed for another object, so the label differs.
    let label = Scope::Strict.label("prod", "other").unwrap();
    let wrong_label = encode_base64(&seal(key().public_key(), &label, b"CANARY-7f3a9c").unwrap());
    // AES-GCM fails: the session key opens, the tag does not verify.
    let mut tampered = decode_base64(&good.spec.encrypted_data["password"]).unwrap();
    *tampered.last_mut().unwrap() ^= 1;
    let tampered = encode_base64(&tampered);

    let err = |value: &str| {
        let mut ss = good.clone();
        ss.spec
            .encrypted_data
            .insert("password".into(), value.to_owned());
        unseal(&ss, &mut opener()).err().unwrap()
    };
    let (rsa, gcm) = (err(&wrong_label), err(&tampered));
    assert!(matches!(rsa, ApiError::Open { .. }), "{rsa}");
    assert_eq!(rsa.to_string(), gcm.to_string());
    assert_eq!(format!("{rsa:?}"), format!("{gcm:?}"));
    assert!(
        std::error::Error::source(&rsa).is_none() && std::error::Error::source(&gcm).is_none(),
        "the opener's own error (which tells RSA from AES-GCM) is not chained"
    );
    let shown = rsa.to_string();
    assert!(
        shown.contains("prod/leaky") && shown.contains("\"password\""),
        "{shown}"
    );

    // The same for the legacy blob.
    let legacy_rsa = {
        let mut ss = legacy("{\"kind\":\"Secret\"}");
        ss.spec.data = Some(wrong_label.clone());
        unseal(&ss, &mut opener()).err().unwrap()
    };
    let legacy_gcm = {
        let mut ss = legacy("{\"kind\":\"Secret\"}");
        let mut blob = decode_base64(ss.spec.data.as_deref().unwrap()).unwrap();
        *blob.last_mut().unwrap() ^= 1;
        ss.spec.data = Some(encode_base64(&blob));
        unseal(&ss, &mut opener()).err().unwrap()
    };
    assert_eq!(legacy_rsa.to_string(), legacy_gcm.to_string());
    assert_eq!(format!("{legacy_rsa:?}"), format!("{legacy_gcm:?}"));
}
