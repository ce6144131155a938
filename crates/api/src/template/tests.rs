#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use proptest::prelude::*;

fn map(pairs: &[(&str, &[u8])]) -> BTreeMap<String, SecretBytes> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), SecretBytes::copy_from_slice(v)))
        .collect()
}

fn values() -> BTreeMap<String, SecretBytes> {
    map(&[
        ("user", b"admin"),
        ("pass", b"s3cr\"t<&>"),
        ("tls.crt", b"CERT"),
        ("pad", b"  x \n"),
        ("bin", b"\xff\x00a"),
        ("uni", "é\u{200b}".as_bytes()),
    ])
}

fn render_with(
    t: &str,
    values: &BTreeMap<String, SecretBytes>,
    limits: &RenderLimits,
) -> Result<SecretBytes, TemplateError> {
    render(t, values, &Meter::new(limits, 0))
}

fn ok(t: &str) -> String {
    let out = render_with(t, &values(), &RenderLimits::default())
        .unwrap_or_else(|e| panic!("{t:?}: {e}"));
    String::from_utf8_lossy(out.as_bytes()).into_owned()
}

fn err(t: &str) -> TemplateError {
    match render_with(t, &values(), &RenderLimits::default()) {
        Ok(v) => panic!("{t:?} rendered {:?}", v.as_bytes()),
        Err(e) => e,
    }
}

fn msg(t: &str) -> String {
    err(t).to_string()
}

#[test]
fn fields_index_and_text() {
    assert_eq!(ok("plain text"), "plain text");
    assert_eq!(ok("u={{ .user }};"), "u=admin;");
    assert_eq!(ok("{{ index . \"tls.crt\" }}"), "CERT");
    assert_eq!(ok("{{ \"tls.crt\" | index . }}"), "CERT");
    assert_eq!(ok("{{ `raw\\n` }}"), "raw\\n");
    assert_eq!(ok("{{ \"a\\tb\\x41\\u00e9\" }}"), "a\tbAé");
    assert_eq!(ok("a {{/* note */}} b"), "a  b");
    assert_eq!(ok("a {{- /* note */ -}} b"), "ab");
    assert_eq!(ok("a  {{- .user -}}  \n"), "aadmin");
    assert_eq!(ok("a {{ .user -}}\n\n"), "a admin");
    assert_eq!(ok("\n {{- .user }} "), "admin ");
}

#[test]
fn functions() {
    assert_eq!(ok("{{ .user | upper }}"), "ADMIN");
    assert_eq!(ok("{{ upper .user | lower }}"), "admin");
    // Rune by rune, as Go: ß has no single-rune upper case and stays; ǅ maps to Ǆ.
    assert_eq!(ok("{{ \"aé ß ǅ x\" | upper }}"), "AÉ ß Ǆ X");
    assert_eq!(ok("{{ \"AÉ Ǆ\" | lower }}"), "aé ǆ");
    assert_eq!(ok("{{ .pad | trim }}"), "x");
    assert_eq!(ok("{{ .pad | quote | trim }}"), "\"  x \\n\"");
    assert_eq!(ok("{{ .pad | upper | trim }}"), "X");
    assert_eq!(ok("{{ \" y \" | trim }}"), "y");
    assert_eq!(ok("{{ .user | quote }}"), "\"admin\"");
    assert_eq!(ok("{{ quote .pass }}"), r#""s3cr\"t<&>""#);
    assert_eq!(ok("{{ quote .user .user }}"), "\"admin\" \"admin\"");
    assert_eq!(ok("{{ quote }}"), "");
    assert_eq!(ok("{{ .bin | quote }}"), r#""\xff\x00a""#);
    assert_eq!(ok("{{ .uni | quote }}"), "\"é\\u200b\"");
    assert_eq!(
        ok("{{ \"\\U0001F600\\U000E0001\" | quote }}"),
        "\"😀\\U000e0001\""
    );
    assert_eq!(ok("{{ squote .user }}"), "'admin'");
    assert_eq!(ok("{{ .user | b64enc }}"), "YWRtaW4=");
    assert_eq!(ok("{{ .user | b64enc | b64dec }}"), "admin");
    assert_eq!(ok("{{ toJson .pass }}"), r#""s3cr\"t\u003c\u0026\u003e""#);
    assert_eq!(ok("{{ .bin | toJson }}"), "\"\u{fffd}\\u0000a\"");
    assert_eq!(
        ok(r#"{{ printf "%s:%s %%" .user .user }}"#),
        "admin:admin %"
    );
    assert_eq!(ok(r#"{{ .user | printf "<%v>" }}"#), "<admin>");
    assert_eq!(ok(r#"{{ printf "%q" .user }}"#), "\"admin\"");
    assert_eq!(ok(r#"{{ "x%%y" | printf }}"#), "x%y");
    assert_eq!(ok(r#"{{ .user | printf }}"#), "admin");
}

#[test]
fn unsupported_and_bad_input_are_errors() {
    assert!(msg("{{ .missing }}").contains("\"missing\""));
    assert!(msg("{{ index . \"nope\" }}").contains("\"nope\""));
    assert!(msg("{{ if .user }}x{{ end }}").contains("`if`"));
    assert!(msg("{{ range . }}{{ end }}").contains("`range`"));
    assert!(msg("{{ sha256sum .user }}").contains("\"sha256sum\""));
    assert!(msg("{{ $x := .user }}").contains("variables"));
    assert!(msg("{{ .user").contains("unclosed"));
    assert!(msg("{{ \"abc }}").contains("unterminated"));
    assert!(msg("{{ . }}").contains("whole data map"));
    assert!(msg("{{ .a.b }}").contains("chained"));
    assert!(msg("{{ upper (lower .user) }}").contains("parenthesized"));
    assert!(msg("{{ .user .user }}").contains("only functions"));
    assert!(msg("{{ .user | .user }}").contains("non-function"));
    assert!(msg("{{ printf \"%d\" .user }}").contains("%d"));
    assert!(msg("{{ printf \"%s\" }}").contains("1 verb(s) but 0 argument(s)"));
    assert!(msg("{{ printf \"x\" .user }}").contains("0 verb(s) but 1 argument(s)"));
    assert!(msg("{{ .user | printf \"%s%s\" }}").contains("2 verb(s) but 1 argument(s)"));
    assert!(msg("{{ \"%\" | printf }}").contains("lone %"));
    assert!(msg("{{ printf }}").contains("format string"));
    assert!(msg("{{ .user | b64dec }}").contains("base64"));
    assert!(msg("{{ upper .user .user }}").contains("one argument"));
    assert!(msg("{{ 3 }}").contains("number"));
    assert!(msg("{{ | upper }}").contains("missing command"));
    assert!(msg("{{ index .user \"x\" }}").contains("index"));
    assert!(msg("{{ quote . }}").contains("`.` is only allowed"));
    assert!(msg("{{ . | upper }}").contains("`.` is only allowed"));
    assert!(msg("{{ \"\\q\" }}").contains("`\\q`"));
    assert!(msg("{{ ~ }}").contains("\"~\""));
    assert_eq!(
        err("{{ .bin | upper }}"),
        TemplateError::NotUtf8(Function::Upper)
    );
    assert_eq!(
        err("{{ .user | index . }}"),
        TemplateError::NoSuchComputedKey
    );
    assert_eq!(
        err("{{ .bin | index . }}"),
        TemplateError::NoSuchComputedKey
    );
}

#[test]
fn shape_errors_show_before_any_value_is_needed() {
    // Everything that does not depend on the values fails in check_template too, so an
    // offline check or the HTTP API refuses it with no plaintext at hand.
    for t in [
        "{{ printf \"%d\" .x }}",
        "{{ printf \"%s\" }}",
        "{{ .x | printf \"%s%s\" }}",
        "{{ \"%\" | printf }}",
        "{{ printf }}",
        "{{ upper .x .y }}",
        "{{ trim }}",
        "{{ index . }}",
        "{{ index .x \"k\" }}",
        "{{ index . . }}",
        "{{ quote . }}",
        "{{ . }}",
        "{{ . | quote }}",
    ] {
        assert!(check_template("k", t).is_err(), "{t:?} passed the check");
    }
    for t in [
        "{{ printf .x }}",
        "{{ .x | printf }}",
        "{{ index . .x }}",
        "{{ .x | b64dec }}",
    ] {
        assert!(
            check_template("k", t).is_ok(),
            "{t:?}: value errors show only when rendering"
        );
    }
}

#[test]
fn value_dependent_errors_are_fixed() {
    let v = map(&[
        ("f", b"%Z"),
        ("g", b"100%"),
        ("h", b"%s%s"),
        ("i", b"plain"),
    ]);
    for t in [
        "{{ printf .f }}",
        "{{ printf .g }}",
        "{{ printf .h .f }}",
        "{{ printf .i .f }}",
    ] {
        let e = render_with(t, &v, &RenderLimits::default()).unwrap_err();
        assert_eq!(e, TemplateError::PrintfValueFormat, "{t:?}");
        assert!(!e.to_string().contains('Z'), "{e}");
    }
}

const KIB: usize = 1024;

#[test]
fn the_issue_reproduction_never_allocates_past_the_caps() {
    // 106 KB of template repeating `{{.v}}` 4,000 times against a 50 KB value: about 200 MB
    // if nothing stopped it.
    let value = vec![b'v'; 50 * KIB];
    let v = map(&[("v", &value)]);
    let template = "{{.v}}".repeat(4_000);
    let base = value.len();

    // The default limits refuse it while parsing: not one byte is rendered.
    let limits = RenderLimits::default();
    let meter = Meter::new(&limits, base);
    let e = render(&template, &v, &meter).unwrap_err();
    assert_eq!(e.cap(), Some(RenderCap::Actions));
    assert_eq!(meter.peak_live(), 0);

    // With room for the actions, the byte cap stops it, before allocating past it.
    let limits = RenderLimits {
        max_actions: 10_000,
        ..RenderLimits::default()
    };
    let meter = Meter::new(&limits, base);
    let e = render(&template, &v, &meter).unwrap_err();
    assert_eq!(e.cap(), Some(RenderCap::SecretBytes));
    assert!(meter.peak_buffer() <= limits.max_secret_bytes - base);
    // The output, plus the old buffer while it moved into a larger one.
    assert!(
        meter.peak_live() <= 2 * (limits.max_secret_bytes - base),
        "{}",
        meter.peak_live()
    );

    // Through the path unseal takes.
    let templates: BTreeMap<String, String> = [("leak".to_owned(), template)].into();
    let (key, e) = render_all(&templates, &v, &limits).unwrap_err();
    assert_eq!((key, e.cap()), ("leak", Some(RenderCap::SecretBytes)));
}

#[test]
fn intermediate_values_are_capped_too() {
    // Each `quote` doubles a run of backslashes.
    let value = vec![b'\\'; 4 * KIB];
    let v = map(&[("v", &value)]);
    let limits = RenderLimits::default();
    let meter = Meter::new(&limits, 0);
    let t = format!("{{{{ .v{} }}}}", " | quote".repeat(30));
    let e = render(&t, &v, &meter).unwrap_err();
    assert_eq!(e.cap(), Some(RenderCap::KeyBytes));
    assert!(meter.peak_buffer() <= limits.max_key_bytes);
    // The piped value, and the one being built with its old buffer while it grows: each at
    // most one key's worth.
    assert!(
        meter.peak_live() <= 3 * limits.max_key_bytes,
        "{}",
        meter.peak_live()
    );
}

#[test]
fn work_cap_stops_long_pipelines() {
    // Each stage stays small enough for the byte caps, but a thousand of them on a big value
    // would cost seconds of CPU.
    let value = vec![b'a'; 256 * KIB];
    let v = map(&[("v", &value)]);
    let t = format!("{{{{ .v{} | trim }}}}", " | upper | lower".repeat(400));
    let e = render_with(&t, &v, &RenderLimits::default()).unwrap_err();
    assert_eq!(e.cap(), Some(RenderCap::WorkBytes));
    assert!(e.to_string().contains("max_work_bytes"), "{e}");

    // Mapping the case of non-ASCII runes is slower per byte, and charged so.
    let t = format!("{{{{ .v{} }}}}", " | upper | lower".repeat(40));
    let ascii = map(&[("v", &[b'a'; 64 * KIB][..])]);
    assert!(render_with(&t, &ascii, &RenderLimits::default()).is_ok());
    let accented = map(&[("v", "é".repeat(32 * KIB).as_bytes())]);
    let e = render_with(&t, &accented, &RenderLimits::default()).unwrap_err();
    assert_eq!(e.cap(), Some(RenderCap::WorkBytes));
}

#[test]
fn caps_are_exact() {
    let limits = RenderLimits {
        max_key_bytes: 10,
        max_secret_bytes: 15,
        max_actions: 2,
        max_work_bytes: 1_000,
    };
    let v = map(&[("user", b"admin")]);
    let one = |t: &str| render_with(t, &v, &limits).map(|s| s.len());
    assert_eq!(one("{{ .user }}{{ .user }}"), Ok(10));
    assert_eq!(
        one("{{ .user }}{{ .user }}x").map_err(|e| e.cap()),
        Err(Some(RenderCap::KeyBytes))
    );
    assert_eq!(
        one("{{ .user }}{{ .user }}{{/* */}}").map_err(|e| e.cap()),
        Err(Some(RenderCap::Actions))
    );
    assert_eq!(
        check_template_with_limits("k", "{{ .a }}{{ .b }}{{ .c }}", &limits)
            .map_err(|e| e.to_string().contains("2 actions")),
        Err(true)
    );
    // An intermediate value past the per-key cap: "admin" quoted twice is 11 bytes.
    assert_eq!(
        one("{{ .user | quote | quote | trim }}").map_err(|e| e.cap()),
        Err(Some(RenderCap::KeyBytes))
    );

    // The Secret: 5 bytes of "user" stay, so 10 are left for all templates together.
    let templates: BTreeMap<String, String> = [
        ("a".to_owned(), "{{ .user }}".to_owned()),
        ("b".to_owned(), "{{ .user }}".to_owned()),
    ]
    .into();
    let rendered = render_all(&templates, &v, &limits).unwrap();
    assert_eq!(rendered.len(), 2);
    let mut three = templates.clone();
    three.insert("c".to_owned(), "x".to_owned());
    let (key, e) = render_all(&three, &v, &limits).unwrap_err();
    assert_eq!((key, e.cap()), ("c", Some(RenderCap::SecretBytes)));
    // A template that replaces "user" frees its bytes.
    let mut replacing = three.clone();
    replacing.insert("user".to_owned(), String::new());
    assert!(render_all(&replacing, &v, &limits).is_ok());
}

#[test]
fn limit_messages_name_the_cap() {
    for (cap, words) in [
        (
            RenderCap::KeyBytes,
            "per-key cap of 7 bytes (max_key_bytes)",
        ),
        (RenderCap::SecretBytes, "per-Secret cap of 7 bytes"),
        (
            RenderCap::Actions,
            "cap of 7 actions per template (max_actions)",
        ),
        (RenderCap::WorkBytes, "cap of 7 bytes processed per Secret"),
    ] {
        let shown = TemplateError::Limit { cap, limit: 7 }.to_string();
        assert!(shown.contains(words), "{shown}");
    }
}

/// Values of the same shape and different bytes: every template must fail or succeed alike
/// on both, with the same message.
fn twin_values() -> [BTreeMap<String, SecretBytes>; 2] {
    [
        map(&[
            ("user", b"admin"),
            ("pass", b"s3cr3t%Q"),
            ("b", b"YWRtaW4="),
        ]),
        map(&[
            ("user", b"bdmjo"),
            ("pass", b"t4ds4u%R"),
            ("b", b"YmRtam8="),
        ]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_templates_never_panic(t in r#"[{}\-. a-z"`|$()/*\\%:=0-9\n\t'é]{0,48}"#) {
        let _ = render_with(&t, &values(), &RenderLimits::default());
        let _ = check_template("k", &t);
    }

    #[test]
    fn token_soup_never_panics_nor_tells_values_apart(parts in proptest::collection::vec(prop_oneof![
        Just("{{"), Just("}}"), Just("{{- "), Just(" -}}"), Just(".user"), Just(".pass"),
        Just(".b"), Just("."), Just("|"), Just(" "), Just("\""), Just("`"), Just("index"),
        Just("quote"), Just("squote"), Just("upper"), Just("lower"), Just("trim"),
        Just("b64enc"), Just("printf"), Just("\"%s\""), Just("\"%q\""), Just("/*"), Just("*/"),
        Just("toJson"), Just("b64dec"), Just("\\"), Just("\\u12"), Just("x"),
    ], 0..24)) {
        let t: String = parts.concat();
        let [a, b] = twin_values();
        let limits = RenderLimits { max_key_bytes: 64, max_secret_bytes: 96, ..RenderLimits::default() };
        let meter = Meter::new(&limits, 0);
        let ra = render(&t, &a, &meter).map(|v| v.len());
        prop_assert!(meter.peak_buffer() <= limits.max_key_bytes);
        let rb = render_with(&t, &b, &limits).map(|v| v.len());
        match (ra, rb) {
            (Ok(x), Ok(y)) => prop_assert_eq!(x, y),
            (Err(x), Err(y)) => prop_assert_eq!(x.to_string(), y.to_string()),
            (x, y) => prop_assert!(false, "{t:?}: {x:?} vs {y:?}"),
        }
    }
}
