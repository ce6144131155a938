//! Differential test of sprig share B (lists, dicts, math, hashes, sequences) at the
//! template level: whole templates rendered by `sealant_api::render_template` and by Go's
//! text/template with sprig's function map as Bitnami installs it (sprig's
//! `GenericFuncMap` minus `env`, `expandenv`, `getHostByName`), built from
//! `tests/sprig_oracle/main.go` against Debian's sprig sources with no download.
//! Identical bytes where Go renders, failure exactly where Go fails: over a hand-written
//! corpus and over generated templates that nest calls, pipe and range over results.
//!
//! Skips, saying why, when `go` or Debian's sprig sources are absent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use sealant_api::{SecretBytes, render_template};
use sealant_test_support::go_program::{GoImports, GoProgram};
use std::collections::BTreeMap;
use std::path::Path;

/// The data both sides render against (Go's oracle has the same map built in).
fn data() -> BTreeMap<String, SecretBytes> {
    [("a", "alpha"), ("n", "42")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), SecretBytes::copy_from_slice(v.as_bytes())))
        .collect()
}

/// The Go oracle (Bitnami's function map over Debian's sprig); `None`, with the reason
/// printed, without Go or sprig.
fn oracle() -> Option<GoProgram> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sprig_oracle/main.go");
    GoProgram::build(&src, GoImports::Sprig)
}

fn compare(templates: &[String]) {
    let Some(oracle) = oracle() else {
        return;
    };
    let go = oracle.render_hex_lines(templates);
    let values = data();
    let rendered = go.iter().filter(|v| v.is_some()).count();
    eprintln!(
        "{} templates: Go rendered {rendered}, refused {}",
        templates.len(),
        templates.len() - rendered
    );
    let diffs: Vec<String> = templates
        .iter()
        .zip(go)
        .filter_map(|(t, go)| {
            let ours = render_template("k", t, &values)
                .ok()
                .map(|b| b.as_bytes().to_vec());
            (ours != go).then(|| {
                format!(
                    "{t}\n    go:   {:?}\n    ours: {:?}",
                    go.as_deref().map(String::from_utf8_lossy),
                    ours.as_deref().map(String::from_utf8_lossy)
                )
            })
        })
        .collect();
    sealant_test_support::go_program::assert_no_differences(&diffs, templates.len(), "templates");
}

#[test]
fn corpus_matches_go() {
    let corpus = [
        // sprig's slice shadows Go's builtin: lists only.
        r#"{{ slice "abc" 1 2 }}"#,
        r#"{{ slice (list 1 2 3) 1 2 }}"#,
        r#"{{ list 1 2 3 | slice }}"#,
        r#"{{ $l := list 1 "a" 2.5 nil true }}{{ range $i, $e := $l }}{{ $i }}={{ $e }};{{ end }}"#,
        r#"{{ range until 3 }}[{{ . }}]{{ end }}"#,
        r#"{{ range untilStep 10 0 -3 }}{{ . }},{{ end }}"#,
        r#"{{ seq 1 2 10 }}|{{ seq 3 }}|{{ seq }}"#,
        r#"{{ $d := dict "a" 1 "b" (list 2 3) }}{{ $d.a }} {{ $d.b }} {{ index $d "b" }} {{ get $d "a" }}"#,
        r#"{{ get . "a" }}"#,
        r#"{{ hasKey . "a" }}"#,
        r#"{{ $d := dict "x" .a }}{{ $d = set $d "y" .n }}{{ $d }}"#,
        r#"{{ (dict "a" (dict "b" (dict "c" .a))) | dig "a" "b" "c" "none" }}"#,
        r#"{{ dig "a" "zz" "none" (dict "a" (dict "b" 1)) }}"#,
        r#"{{ merge (dict "a" 1) (dict "a" 2 "b" 3) }} {{ mergeOverwrite (dict "a" 1) (dict "a" 2 "b" 3) }}"#,
        r#"{{ pick (dict "a" 1 "b" 2) "a" }} {{ omit (dict "a" 1 "b" 2) "a" }}"#,
        r#"{{ keys (dict "b" 1) }} {{ values (dict "b" (list 1)) }}"#,
        r#"{{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) }}"#,
        r#"{{ first (list) }}|{{ last (list 1 2) }}|{{ rest (list 1 2 3) }}|{{ initial (list 1 2 3) }}"#,
        r#"{{ if has 2 (list 1 2) }}yes{{ else }}no{{ end }}"#,
        r#"{{ without (list 1 2 3 2) 2 | len }}"#,
        r#"{{ uniq (list 1 1 "1" 2) }} {{ compact (list 0 "" 1 "x" nil) }} {{ reverse (list 1 2 3) }}"#,
        r#"{{ chunk 2 (list 1 2 3 4 5) }}"#,
        r#"{{ concat (list 1) (list 2 3) (keys (dict "a" 1)) }}"#,
        r#"{{ append (list 1) 2 | prepend 0 }}"#,
        r#"{{ add 1 2 "3" .n }} {{ sub .n 2 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 2 }} {{ add1 .n }}"#,
        r#"{{ div 1 0 }}"#,
        r#"{{ mod .n 0 }}"#,
        r#"{{ addf 1.5 2 }} {{ subf 1 0.1 }} {{ mulf 1.1 3 }} {{ divf 1 3 }} {{ add1f .n }}"#,
        r#"{{ max 1 5 .n }} {{ min 1 5 .n }} {{ biggest 3 9 }} {{ maxf 1.5 2 }} {{ minf 1.5 2 }}"#,
        r#"{{ ceil 1.2 }} {{ floor 1.8 }} {{ round 1.2345 2 }} {{ round .n 0 }}"#,
        r#"{{ sha1sum .a }} {{ sha256sum .a }} {{ adler32sum .a }}"#,
        r#"{{ .a | sha256sum | sha1sum }}"#,
        r#"{{ len (randAlphaNum 12) }} {{ len (randNumeric 0) }}"#,
        r#"{{ printf "%T %T %T" (add 1 2) (addf 1 2) (list 1) }}"#,
        r#"{{ printf "%T %T" (dict) (keys (dict "a" 1)) }}"#,
        r#"{{ tuple 1 2 | len }}"#,
        r#"{{ deepCopy (dict "a" (list 1 2)) }}"#,
        r#"{{ $x := list }}{{ range $i := until 3 }}{{ $x = append $x $i }}{{ end }}{{ $x }}"#,
        // decryptAES of what Go's sprig encrypted, and malformed ciphertexts.
        r#"{{ decryptAES "password" "dcUKL4hx1hA8RqGSxoftGWWw4Udcssh9TY7FrHmWKTU=" }}"#,
        "{{ decryptAES \"password\" \"dcUKL4hx1hA8RqGSxoftGW\nWw4Udcssh9TY7FrHmWKTU=\" }}",
        r#"{{ decryptAES "password" "dcUKL4hx1hA8RqGSxoftGWWw4Udcssh9TY7FrHmWKTU" }}"#,
        r#"{{ decryptAES "wrong" "dcUKL4hx1hA8RqGSxoftGWWw4Udcssh9TY7FrHmWKTU=" | len }}"#,
        r#"{{ decryptAES "k" "AAAAAAAAAAAAAAAAAAAAAA==" }}"#,
        r#"{{ decryptAES "k" "AAAAAAAAAAAAAAAAAAAAAAAA" }}"#,
        r#"{{ decryptAES "k" "" }}|{{ encryptAES "k" "" }}"#,
        r#"{{ decryptAES "k" "%%%%" }}"#,
        r#"{{ encryptAES "k" .a | decryptAES "k" }}"#,
        r#"{{ encryptAES .n .a | decryptAES .n }}"#,
        r#"{{ htpasswd "a:b" .a }}|{{ len (bcrypt .a) }}|{{ htpasswd .a "x" | len }}"#,
        r#"{{ derivePassword 1 "long" "password" "user" "example.com" }}"#,
        r#"{{ duration "90" }} {{ duration (add 3661) }} {{ duration 30 }} {{ duration "x" }} {{ duration "-61" }}"#,
        r#"{{ duration (mul 9223372036 10) }} {{ duration "9223372036854775807" }} {{ duration .n }}"#,
        r#"{{ durationRound "2h10m" }} {{ durationRound "1.5h" }} {{ durationRound "400h" }} {{ durationRound "9000h" }}"#,
        r#"{{ durationRound (mul 1000000000 59) }} {{ durationRound "" }} {{ durationRound 5 }} {{ durationRound "-49h" }}"#,
        r#"{{ durationRound "1h0.5m" }} {{ durationRound "1e3s" }} {{ durationRound ".5s" }} {{ durationRound "3µs" }} {{ durationRound "61s" }}"#,
        r#"{{ derivePassword 2 "basic" .a .n "site" }}|{{ derivePassword 0 "maximum" "" "" "" }}"#,
        r#"{{ derivePassword 1 "nope" .a "u" "s" }}|{{ derivePassword 1 "pin" "p" "u" 3 }}"#,
    ];
    compare(&corpus.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
}

/// bcrypt and derivePassword's scrypt cost tens of milliseconds (and 32 MiB) a call: a loop
/// of them stops at the work cap, with an
/// error about the cap and nothing of the data.
#[test]
fn bcrypt_and_scrypt_loops_stop_at_the_work_cap() {
    let err = render_template(
        "k",
        r#"{{ range until 100 }}{{ bcrypt $.a }}{{ end }}"#,
        &data(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("stopped at"), "{err}");
    assert!(!err.contains("alpha"), "{err}");
    let ok = render_template(
        "k",
        r#"{{ range until 4 }}{{ htpasswd "u" $.a }}{{ end }}"#,
        &data(),
    );
    assert!(ok.is_ok());
}

/// Key and certificate generation is refused (a CPU amplifier; Go renders a fresh key):
/// the error names the function, and nothing of the data.
#[test]
fn key_generators_are_refused() {
    for t in [
        r#"{{ genPrivateKey "rsa" }}"#,
        r#"{{ genCA .a 365 }}"#,
        r#"{{ $ca := genCA "x" 1 }}{{ genSignedCert .a nil nil 1 $ca }}"#,
    ] {
        let err = render_template("k", t, &data()).unwrap_err().to_string();
        assert!(err.contains("refused by Sealant"), "{t}: {err}");
        assert!(!err.contains("alpha"), "{t}: {err}");
    }
}

/// Functions with deterministic results (not `keys`/`values`: Go's map order is random), with the argument counts sprig accepts (most
/// generated calls should be well-formed, or the test would mostly compare errors).
const FUNCS: &[(&str, usize, usize)] = &[
    ("list", 0, 4),
    ("append", 2, 2),
    ("prepend", 2, 2),
    ("first", 1, 1),
    ("rest", 1, 1),
    ("last", 1, 1),
    ("initial", 1, 1),
    ("reverse", 1, 1),
    ("uniq", 1, 1),
    ("without", 1, 3),
    ("has", 2, 2),
    ("slice", 1, 3),
    ("concat", 0, 3),
    ("compact", 1, 1),
    ("chunk", 2, 2),
    ("until", 1, 1),
    ("untilStep", 3, 3),
    ("seq", 0, 3),
    ("dict", 0, 4),
    ("get", 2, 2),
    ("set", 3, 3),
    ("unset", 2, 2),
    ("hasKey", 2, 2),
    ("pluck", 1, 3),
    ("pick", 1, 3),
    ("omit", 1, 3),
    ("dig", 3, 4),
    ("merge", 1, 3),
    ("mergeOverwrite", 1, 3),
    ("add1", 1, 1),
    ("add", 0, 3),
    ("sub", 2, 2),
    ("div", 2, 2),
    ("mod", 2, 2),
    ("mul", 1, 3),
    ("add1f", 1, 1),
    ("addf", 0, 3),
    ("subf", 1, 3),
    ("divf", 1, 3),
    ("mulf", 1, 3),
    ("max", 1, 3),
    ("min", 1, 3),
    ("maxf", 1, 3),
    ("minf", 1, 3),
    ("ceil", 1, 1),
    ("floor", 1, 1),
    ("round", 2, 3),
    ("sha1sum", 1, 1),
    ("sha256sum", 1, 1),
    ("adler32sum", 1, 1),
    ("mustFirst", 1, 1),
    ("mustHas", 2, 2),
    ("mustSlice", 1, 3),
    ("mustChunk", 2, 2),
    ("tuple", 0, 3),
    ("duration", 1, 1),
    ("durationRound", 1, 1),
];

/// A function and a list of `n` arguments it accepts in count (not always in type).
fn call_of<S: Strategy<Value = String> + Clone>(
    arg: S,
) -> impl Strategy<Value = (&'static str, Vec<String>)> {
    prop::sample::select(FUNCS)
        .prop_flat_map(move |(f, lo, hi)| (Just(f), prop::collection::vec(arg.clone(), lo..=hi)))
}

fn leaf() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (-5i64..12).prop_map(|i| i.to_string()),
        1 => any::<i64>().prop_map(|i| i.to_string()),
        // No integral float literals: Go takes `until 3.0` (a literal) but not a computed
        // 3.0, and a function cannot tell the two apart; we follow the computed case.
        2 => prop::sample::select(vec!["0.5", "1.5", "-2.5", "0.1", "2.25", "1e21"])
            .prop_map(str::to_owned),
        3 => prop::sample::select(vec![
            r#""""#, r#""a""#, r#""b""#, r#""1""#, r#""-2""#, r#""0x10""#, r#""2.50""#,
            r#""x y""#, r#""h\u00e9""#, r#""\xff""#,
        ])
        .prop_map(str::to_owned),
        2 => prop::sample::select(vec![".a", ".n", "nil", "true", "false", ".a", ".n", "."])
            .prop_map(str::to_owned),
    ]
    .boxed()
}

/// An argument: a literal, or a parenthesized call of one of the functions.
fn expr() -> BoxedStrategy<String> {
    leaf().prop_recursive(3, 16, 4, |inner| {
        let key = prop::sample::select(vec![r#""a""#, r#""b""#, r#""c""#]);
        prop_oneof![
            // Lists and dicts are what most of these functions take: build them often.
            2 => prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("(list {})", items.join(" "))),
            2 => prop::collection::vec((key, inner.clone()), 0..3).prop_map(|pairs| {
                let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k} {v}")).collect();
                format!("(dict {})", parts.join(" "))
            }),
            3 => call_of(inner).prop_map(|(f, args)| format!("({f} {})", args.join(" "))),
        ]
    })
    .boxed()
}

/// A template around one call: printed, piped, assigned, ranged over, or tested.
fn template() -> impl Strategy<Value = String> {
    (call_of(expr()), 0u8..5).prop_map(|((f, args), shape)| {
        let call = format!("{f} {}", args.join(" "));
        match shape {
            0 => format!("{{{{ {call} }}}}"),
            1 => format!("{{{{ $v := {call} }}}}<{{{{ $v }}}}>"),
            2 => format!("{{{{ range $i, $e := {call} }}}}{{{{ $i }}}}:{{{{ $e }}}} {{{{ end }}}}"),
            3 => format!("{{{{ if {call} }}}}T{{{{ else }}}}F{{{{ end }}}}"),
            _ => match args.split_last() {
                Some((last, rest)) => format!("{{{{ {last} | {f} {} }}}}", rest.join(" ")),
                None => format!("{{{{ {f} }}}}"),
            },
        }
    })
}

#[test]
fn generated_templates_match_go() {
    let mut runner = TestRunner::default();
    let strategy = template();
    let mut cases = Vec::new();
    while cases.len() < 5000 {
        let t = strategy.new_tree(&mut runner).expect("generate").current();
        // Go builds whole ranges (and loops forever on a wrapping one): keep them small.
        let big_range = ["until", "untilStep", "seq", "chunk"]
            .iter()
            .any(|f| t.contains(f))
            && (t.contains("mul") || t.split(|c: char| !c.is_ascii_digit()).any(|d| d.len() > 3));
        if !big_range {
            cases.push(t);
        }
    }
    compare(&cases);
}

/// Values nest as deep as a loop makes them (`$l = list $l`), far deeper than the template's
/// own nesting: comparing, merging or printing them must fail or finish, never overflow the
/// stack (a crash of the controller on a hostile SealedSecret).
#[test]
fn deeply_nested_values_do_not_overflow_the_stack() {
    for t in [
        r#"{{ $l := list }}{{ range until 20000 }}{{ $l = list $l }}{{ end }}{{ len $l }}"#,
        r#"{{ $l := list }}{{ range until 20000 }}{{ $l = list $l }}{{ end }}{{ has $l (list $l) }}"#,
        r#"{{ $l := list }}{{ range until 20000 }}{{ $l = list $l }}{{ end }}{{ uniq (list $l $l) | len }}"#,
        r#"{{ $d := dict }}{{ range until 20000 }}{{ $d = dict "a" $d }}{{ end }}{{ merge $d $d | len }}"#,
        r#"{{ $d := dict }}{{ range until 20000 }}{{ $d = dict "a" $d }}{{ end }}{{ dict $d 1 | len }}"#,
    ] {
        // Either result is acceptable; returning at all is the test.
        let _ = render_template("k", t, &data());
    }
    // 150 levels are fine (the cap is 200), and compare, print and merge.
    let ok = render_template(
        "k",
        r#"{{ $l := list }}{{ range until 150 }}{{ $l = list $l }}{{ end }}{{ has $l (list $l) }} {{ len (dict "a" $l) }}"#,
        &data(),
    );
    assert_eq!(ok.unwrap().as_bytes(), b"true 1");
    let err = render_template(
        "k",
        r#"{{ $d := dict }}{{ range until 300 }}{{ $d = dict "a" $d }}{{ end }}"#,
        &data(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("nested more than 200"), "{err}");
}
