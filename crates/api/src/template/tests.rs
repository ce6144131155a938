#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Caps, hostile templates and the no-plaintext rule. That the language itself matches Go
//! is the differential test's job (`tests/go_template.rs`).

use super::*;
use proptest::prelude::*;

fn map(pairs: &[(&str, &[u8])]) -> BTreeMap<String, SecretBytes> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), SecretBytes::copy_from_slice(v)))
        .collect()
}

fn render_with(
    t: &str,
    values: &BTreeMap<String, SecretBytes>,
    limits: &RenderLimits,
) -> Result<SecretBytes, TemplateError> {
    render("k", t, values, &Meter::new(limits, 0))
}

fn ok(t: &str, values: &BTreeMap<String, SecretBytes>) -> String {
    let out =
        render_with(t, values, &RenderLimits::default()).unwrap_or_else(|e| panic!("{t:?}: {e}"));
    String::from_utf8_lossy(out.as_bytes()).into_owned()
}

const KIB: usize = 1024;

/// A Secret of `n` keys `k00`, `k01`, … with short values.
fn many_keys(n: usize) -> BTreeMap<String, SecretBytes> {
    (0..n)
        .map(|i| (format!("k{i:02}"), SecretBytes::copy_from_slice(b"v")))
        .collect()
}

#[test]
fn the_language_renders() {
    let v = map(&[("user", b"admin"), ("pass", b"s3cr3t")]);
    assert_eq!(
        ok(
            "{{ range $k, $v := . }}{{ if eq $k \"user\" }}{{ continue }}{{ end }}{{ $k }}={{ printf \"%q\" $v }};{{ end }}",
            &v
        ),
        "pass=\"s3cr3t\";"
    );
    assert_eq!(
        ok(
            "{{ define \"t\" }}[{{ . }}]{{ end }}{{ template \"t\" .user }}{{ .missing }}",
            &v
        ),
        "[admin]<no value>"
    );
    assert_eq!(
        ok(
            "{{ with $x := .user }}{{ len $x | printf \"%03d\" }}{{ end }}",
            &v
        ),
        "005"
    );
}

#[test]
fn a_later_registration_shadows_a_builtin() {
    // Bitnami hands sprig's FuncMap to Go's `Funcs`: a sprig name wins over a builtin.
    fn refuse<'c, 'v>(
        call: &func::Call<'c, 'v>,
        _: Vec<value::Value<'v>>,
    ) -> Result<value::Value<'v>, TemplateError> {
        Err(call.error(CallError::Reason("lists only")))
    }
    // Whether `slice "abc" 1` succeeds with the table's `slice`.
    fn slice_of_string(table: &func::FuncTable) -> bool {
        let Some((name, func::Entry::Func(f))) = table.get("slice") else {
            return false;
        };
        let meter = Meter::new(&RenderLimits::default(), 0);
        let call = func::Call::new(&meter, name);
        f(
            &call,
            vec![value::Value::borrowed(b"abc"), value::Value::Int(1)],
        )
        .is_ok()
    }
    let mut table = func::FuncTable::empty();
    builtins::register(&mut table);
    assert!(slice_of_string(&table), "Go's builtin slice takes strings");
    table.register("slice", refuse);
    assert!(!slice_of_string(&table), "the later registration wins");
}

#[test]
fn what_go_has_and_we_refuse() {
    let v = map(&[("user", b"admin")]);
    for t in ["{{ 1i }}", "{{ call .user }}", "{{ printf \"%#v\" . }}"] {
        let e = render_with(t, &v, &RenderLimits::default()).unwrap_err();
        assert!(e.cap().is_none(), "{t}: {e}");
    }
}

#[test]
fn nested_ranges_stop_at_the_work_cap() {
    // 20^5 = 3.2 million iterations that print nothing: only the work budget stops them.
    let v = many_keys(20);
    let t = "{{ range . }}{{ range $ }}{{ range $ }}{{ range $ }}{{ range $ }}\
             {{ end }}{{ end }}{{ end }}{{ end }}{{ end }}";
    let e = render_with(t, &v, &RenderLimits::default()).unwrap_err();
    assert_eq!(e.cap(), Some(RenderCap::WorkBytes), "{e}");
}

#[test]
fn recursion_stops_at_the_depth_cap() {
    let v = many_keys(2);
    for t in [
        "{{ define \"t\" }}{{ template \"t\" . }}{{ end }}{{ template \"t\" . }}",
        "{{ define \"a\" }}{{ template \"b\" }}{{ end }}{{ define \"b\" }}{{ template \"a\" }}{{ end }}{{ template \"a\" }}",
        "{{ block \"t\" . }}{{ range . }}{{ template \"t\" $ }}{{ end }}{{ end }}",
    ] {
        let e = render_with(t, &v, &RenderLimits::default()).unwrap_err();
        assert_eq!(
            e,
            TemplateError::TooDeep {
                limit: MAX_EXEC_DEPTH
            },
            "{t}"
        );
    }
}

#[test]
fn branching_recursion_stops_at_the_work_cap() {
    // Two calls per level, 60 levels deep (within the depth cap): 2^60 calls.
    let t = "{{ define \"t\" }}{{ if lt (len .) 60 }}{{ template \"t\" (print . \"x\") }}\
             {{ template \"t\" (print . \"y\") }}{{ end }}{{ end }}{{ template \"t\" \"\" }}";
    let e = render_with(t, &many_keys(1), &RenderLimits::default()).unwrap_err();
    assert_eq!(e.cap(), Some(RenderCap::WorkBytes), "{e}");
}

#[test]
fn deep_nesting_in_the_text_is_refused_before_rendering() {
    let parens = format!("{{{{ {}1{} }}}}", "(".repeat(5_000), ")".repeat(5_000));
    let ifs = format!("{}x{}", "{{ if 1 }}".repeat(300), "{{ end }}".repeat(300));
    let limits = RenderLimits {
        max_actions: 10_000,
        ..RenderLimits::default()
    };
    for t in [parens, ifs] {
        let e = render_with(&t, &many_keys(1), &limits).unwrap_err();
        assert_eq!(e, TemplateError::TooDeep { limit: MAX_NESTING });
        assert!(check_template_with_limits("k", &t, &limits).is_err());
    }
    // Just under the cap is fine.
    let ok_ifs = format!("{}x{}", "{{ if 1 }}".repeat(90), "{{ end }}".repeat(90));
    assert_eq!(ok(&ok_ifs, &many_keys(1)), "x");
}

#[test]
fn loops_that_print_stop_at_the_byte_caps_without_allocating_past_them() {
    let big = vec![b'b'; 64 * KIB];
    let mut v = many_keys(30);
    v.insert("big".to_owned(), SecretBytes::copy_from_slice(&big));
    let limits = RenderLimits::default();
    for (t, cap) in [
        // 31 × 31 × 64 KiB ≈ 60 MiB if nothing stopped it.
        (
            "{{ range . }}{{ range $ }}{{ $.big }}{{ end }}{{ end }}",
            RenderCap::KeyBytes,
        ),
        // Go allows widths up to a million: 31 of them.
        (
            "{{ range . }}{{ printf \"%1000000d\" 1 }}{{ end }}",
            RenderCap::KeyBytes,
        ),
        // An intermediate value past the per-key cap.
        (
            "{{ $x := printf \"%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s\" .big .big .big .big .big .big .big .big .big .big .big .big .big .big .big .big .big .big }}",
            RenderCap::KeyBytes,
        ),
    ] {
        let meter = Meter::new(&limits, 0);
        let e = render("k", t, &v, &meter).unwrap_err();
        assert_eq!(e.cap(), Some(cap), "{t}: {e}");
        assert!(meter.peak_buffer() <= limits.max_key_bytes, "{t}");
        // Strings a function made stay counted until the render ends, so this over-counts.
        assert!(
            meter.peak_live() <= 4 * limits.max_key_bytes,
            "{t}: {}",
            meter.peak_live()
        );
    }
}

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
    let e = render("k", &template, &v, &meter).unwrap_err();
    assert_eq!(e.cap(), Some(RenderCap::Actions));
    assert_eq!(meter.peak_live(), 0);

    // With room for the actions, the byte cap stops it, before allocating past it.
    let limits = RenderLimits {
        max_actions: 10_000,
        ..RenderLimits::default()
    };
    let meter = Meter::new(&limits, base);
    let e = render("k", &template, &v, &meter).unwrap_err();
    assert_eq!(e.cap(), Some(RenderCap::SecretBytes));
    assert!(meter.peak_buffer() <= limits.max_secret_bytes - base);
    assert!(
        meter.peak_live() <= 2 * (limits.max_secret_bytes - base),
        "{}",
        meter.peak_live()
    );

    // Through the path unseal takes.
    let templates: BTreeMap<String, String> = [("leak".to_owned(), template)].into();
    let errors = render_all(&templates, &v, &limits).unwrap_err();
    let [(key, e)] = errors.as_slice() else {
        panic!("one error: {errors:?}")
    };
    assert_eq!((*key, e.cap()), ("leak", Some(RenderCap::SecretBytes)));
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
    // An intermediate value past the per-key cap: "admin" quoted is 7 bytes, twice 11.
    assert_eq!(
        one("{{ printf \"%q%q\" .user .user | len }}").map_err(|e| e.cap()),
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
    let errors = render_all(&three, &v, &limits).unwrap_err();
    let [(key, e)] = errors.as_slice() else {
        panic!("one error: {errors:?}")
    };
    assert_eq!((*key, e.cap()), ("c", Some(RenderCap::SecretBytes)));
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

#[test]
fn parse_errors_show_before_any_value_is_needed() {
    for t in [
        "{{ if .a }}",
        "{{ nosuch }}",
        "{{ $x }}",
        "{{ break }}",
        "{{ 08 }}",
        "{{ define \"t\" }}a{{ end }}{{ define \"t\" }}b{{ end }}",
        "{{ \"\\q\" }}",
        "{{ .a | 1 }}",
    ] {
        assert!(check_template("k", t).is_err(), "{t}");
    }
    assert!(check_template("k", "{{ range $k, $v := . }}{{ $k }}{{ end }}").is_ok());
}

/// Values of the same shape and different bytes: every template must fail or succeed alike
/// on both, with the same message, and no message may hold a value.
fn twin_values() -> [BTreeMap<String, SecretBytes>; 2] {
    [
        map(&[("user", b"admin"), ("pass", b"s3cr3t%Q"), ("n", b"user")]),
        map(&[("user", b"bdmjo"), ("pass", b"t4ds4u%R"), ("n", b"vtfs")]),
    ]
}

const SECRETS: &[&str] = &["admin", "s3cr3t", "bdmjo", "t4ds4u", "vtfs"];

#[test]
fn value_dependent_errors_hold_no_value() {
    let [a, b] = twin_values();
    for t in [
        // Go quotes the value in each of these messages.
        "{{ range .pass }}{{ end }}",
        "{{ .pass.x }}",
        "{{ .pass 1 }}",
        "{{ eq .pass 1 }}",
        "{{ lt .pass 1 }}",
        "{{ index .pass 100 }}",
        "{{ index .pass .user }}",
        "{{ index . .pass .user }}",
        "{{ len (index .pass 0) }}",
        "{{ template \"x\" .pass }}",
        "{{ if eq (index . .n) 1 }}{{ end }}",
        "{{ with $x := .pass }}{{ $x.y }}{{ end }}",
        "{{ not .pass .user }}",
    ] {
        let ea = render_with(t, &a, &RenderLimits::default()).unwrap_err();
        let eb = render_with(t, &b, &RenderLimits::default()).unwrap_err();
        let (sa, sb) = (format!("{ea}|{ea:?}"), format!("{eb}|{eb:?}"));
        assert_eq!(sa, sb, "{t}");
        for s in SECRETS {
            assert!(!sa.contains(s), "{t}: {sa}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_templates_never_panic(t in r#"[{}\-. a-z"`|$()/*\\%:=0-9\n\t'é]{0,48}"#) {
        let _ = render_with(&t, &twin_values()[0], &RenderLimits::default());
        let _ = check_template("k", &t);
    }

    #[test]
    fn token_soup_never_panics_nor_tells_values_apart(parts in proptest::collection::vec(prop_oneof![
        Just("{{"), Just("}}"), Just("{{- "), Just(" -}}"), Just(".user"), Just(".pass"),
        Just(".n"), Just("."), Just("$"), Just("|"), Just(" "), Just("\""), Just("`"),
        Just("index"), Just("printf"), Just("len"), Just("eq"), Just("lt"), Just("range"),
        Just("if"), Just("with"), Just("end"), Just("else"), Just("$x :="), Just("$x"),
        Just("\"%s\""), Just("\"%q\""), Just("\"%d\""), Just("/*"), Just("*/"), Just("("),
        Just(")"), Just("1"), Just("\\"), Just("x"), Just("template \"t\""),
        Just("define \"t\""), Just("html"), Just("js"), Just("urlquery"), Just("print"),
    ], 0..24)) {
        let t: String = parts.concat();
        let [a, b] = twin_values();
        let limits = RenderLimits { max_key_bytes: 64, max_secret_bytes: 96, ..RenderLimits::default() };
        let meter = Meter::new(&limits, 0);
        let ra = render("k", &t, &a, &meter).map(|v| v.len());
        prop_assert!(meter.peak_buffer() <= limits.max_key_bytes);
        let rb = render_with(&t, &b, &limits).map(|v| v.len());
        match (ra, rb) {
            (Ok(x), Ok(y)) => prop_assert_eq!(x, y),
            (Err(x), Err(y)) => {
                let shown = x.to_string();
                prop_assert_eq!(&shown, &y.to_string());
                for s in SECRETS {
                    prop_assert!(!shown.contains(s) || t.contains(s), "{}: {}", t, shown);
                }
            }
            (x, y) => prop_assert!(false, "{t:?}: {x:?} vs {y:?}"),
        }
    }
}
