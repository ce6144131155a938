//! Differential test of sprig (share A) through whole templates: `render_template` against
//! Go's `text/template` with Bitnami's function map (sprig minus env, expandenv,
//! getHostByName), built from `tests/sprig_call_oracle/main.go` against Debian's sprig. Identical
//! bytes where Go renders, failure exactly where Go fails: a hand-written corpus of
//! pipelines and control flow using sprig, and at least 2,000 generated pipelines per run.
//!
//! Skips (saying so on stderr) only when `go` or Debian's sprig source is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use sealant_api::{SecretBytes, render_template};
use sealant_test_support::go_program::{GoImports, GoProgram};
use std::collections::BTreeMap;
use std::path::PathBuf;

type Data = Vec<(String, Vec<u8>)>;

/// The Go oracle (Bitnami's function map over Debian's sprig); `None`, with the reason
/// printed, without Go or sprig.
fn oracle() -> Option<GoProgram> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sprig_call_oracle/main.go");
    GoProgram::build(&src, GoImports::Sprig)
}

fn go(oracle: &GoProgram, cases: &[(String, Data)]) -> Vec<Option<Vec<u8>>> {
    let mut input = Vec::new();
    for (t, data) in cases {
        let d: serde_json::Map<_, _> = data
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(STANDARD.encode(v))))
            .collect();
        input.extend(serde_json::json!({ "t": t, "d": d }).to_string().as_bytes());
        input.push(b'\n');
    }
    String::from_utf8(oracle.run(input))
        .unwrap()
        .lines()
        .map(|l| l.strip_prefix("OK ").map(|b| STANDARD.decode(b).unwrap()))
        .collect()
}

fn ours(template: &str, data: &Data) -> Option<Vec<u8>> {
    let values: BTreeMap<String, SecretBytes> = data
        .iter()
        .map(|(k, v)| (k.clone(), SecretBytes::copy_from_slice(v)))
        .collect();
    render_template("k", template, &values)
        .ok()
        .map(|v| v.as_bytes().to_vec())
}

fn compare(cases: &[(String, Data)]) {
    let Some(oracle) = oracle() else {
        return;
    };
    let want = go(&oracle, cases);
    assert_eq!(want.len(), cases.len());
    let show = |r: &Option<Vec<u8>>| match r {
        Some(b) => format!("{:?}", String::from_utf8_lossy(b)),
        None => "ERR".to_owned(),
    };
    let diffs: Vec<String> = cases
        .iter()
        .zip(&want)
        .filter_map(|((t, d), w)| {
            let got = ours(t, d);
            (got != *w).then(|| {
                format!(
                    "{t}\n  data: {d:?}\n  go:   {}\n  ours: {}",
                    show(w),
                    show(&got)
                )
            })
        })
        .collect();
    assert!(
        diffs.is_empty(),
        "{} of {} templates differ from Go:\n{}",
        diffs.len(),
        cases.len(),
        diffs
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn data() -> Data {
    [
        ("user", &b"Admin User"[..]),
        ("pass", b"s3cr\"t<&>'= x"),
        ("empty", b""),
        ("csv", b"a,b,,c"),
        ("json", b"{\"a\":{\"b\":[1,2.5,\"x\"]},\"n\":null}"),
        (
            "url",
            b"https://bob:pw@db.example.com:5432/app?sslmode=require#x",
        ),
        ("bin", b"\xff\x00a"),
        ("uni", "Ǆemal ß İ 日本 ᾳ".as_bytes()),
        ("b64", b"aGVsbG8="),
        ("num", b"0777"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_vec()))
    .collect()
}

const CORPUS: &[&str] = &[
    "{{ .user | upper | quote }}",
    "{{ .pass | b64enc }}:{{ .b64 | b64dec }}",
    "{{ .bin | b64enc | b64dec | toJson }}",
    "{{ .user | snakecase }} {{ .user | camelcase }} {{ .user | kebabcase }} {{ .user | swapcase }}",
    "{{ .uni | upper }}|{{ .uni | lower }}|{{ .uni | title }}",
    "{{ default \"none\" .empty }} {{ default \"none\" .missing }} {{ .missing | default \"d\" }}",
    "{{ coalesce .empty .missing .user }}",
    "{{ if contains \"Admin\" .user }}yes{{ else }}no{{ end }}",
    "{{ range splitList \",\" .csv }}[{{ . | upper }}]{{ end }}",
    "{{ $parts := split \",\" .csv }}{{ $parts._0 }}-{{ $parts._3 }}",
    "{{ splitList \",\" .csv | join \";\" }}",
    "{{ splitList \",\" .csv | sortAlpha | toJson }}",
    "{{ $u := urlParse .url }}{{ $u.scheme }} {{ $u.host }} {{ $u.hostname }} {{ $u.path }} {{ $u.query }} {{ $u.userinfo }}",
    "{{ (urlParse .url).hostname }}",
    "{{ urlJoin (urlParse .url) }}",
    "{{ $j := fromJson .json }}{{ $j.a.b }} {{ index $j.a.b 1 }} {{ $j.n }} {{ toJson $j }}",
    "{{ fromJson .json | toPrettyJson }}",
    "{{ .json | fromJson | toRawJson }}",
    "{{ .pass | mustToJson }} {{ .pass | toRawJson }}",
    "{{ mustFromJson .user }}",
    "{{ fromJson .user }}",
    "{{ regexReplaceAll \"(\\\\w+) (\\\\w+)\" .user \"${2}, ${1}\" }}",
    "{{ regexFindAll \"[a-z]+\" .user -1 | toJson }}",
    "{{ regexMatch \"^[A-Z]\" .user }} {{ mustRegexMatch \"(\" .user }}",
    "{{ regexSplit \",+\" .csv -1 | toJson }}",
    "{{ .user | trunc 3 }}|{{ .user | abbrev 6 }}|{{ .user | repeat 2 }}|{{ .user | nospace }}|{{ .user | initials }}",
    "{{ .user | indent 2 }}{{ .pass | nindent 4 }}",
    "{{ .user | wrap 5 }}|{{ .user | wrapWith 5 \"<br>\" }}",
    "{{ .num | atoi }} {{ .num | int }} {{ .num | int64 }} {{ .num | float64 }} {{ .num | toDecimal }}",
    "{{ typeOf .user }} {{ kindOf (splitList \",\" .csv) }} {{ typeOf (fromJson .json) }} {{ typeIs \"string\" .user }}",
    "{{ deepEqual (splitList \",\" .csv) (splitList \",\" .csv) }}",
    "{{ ternary \"yes\" \"no\" (empty .empty) }}",
    "{{ all .user .pass }} {{ any .empty .missing }}",
    "{{ quote .user .missing 3 }} {{ squote .user }} {{ cat .user nil .pass }}",
    "{{ base .url }} {{ dir .url }} {{ ext .url }} {{ clean \"a/../b/./c\" }} {{ isAbs .url }}",
    "{{ fail \"stop\" }}",
    "{{ .user | b32enc }} {{ .user | b32enc | b32dec }} {{ \"!!\" | b32dec }}",
    "{{ hello }} {{ plural \"one\" \"many\" 2 }} {{ toString 42 }} {{ toStrings .missing }}",
    "{{ trimAll \"x\" \"xxaxx\" }}{{ trimPrefix \"A\" .user }}{{ trimSuffix \"r\" .user }}{{ trim \"  t  \" }}",
    "{{ replace \" \" \"_\" .user | lower }}",
    "{{ substr 0 5 .user }} {{ substr 3 1 .user }}",
    "{{ regexQuoteMeta .pass }}",
    "{{ toYaml .user }}",
    "{{ upper 3 }}",
    "{{ repeat -1 .user }}",
];

#[test]
fn corpus_matches_go() {
    let d = data();
    compare(
        &CORPUS
            .iter()
            .map(|t| ((*t).to_owned(), d.clone()))
            .collect::<Vec<_>>(),
    );
}

/// One stage of a pipeline on a string.
const STAGES: &[&str] = &[
    "upper",
    "lower",
    "title",
    "untitle",
    "swapcase",
    "snakecase",
    "camelcase",
    "kebabcase",
    "trim",
    "nospace",
    "initials",
    "b64enc",
    "b64dec",
    "b32enc",
    "b32dec",
    "quote",
    "squote",
    "toString",
    "toJson",
    "toRawJson",
    "base",
    "dir",
    "clean",
    "ext",
    "regexQuoteMeta",
    "trunc 3",
    "trunc -2",
    "abbrev 5",
    "repeat 2",
    "indent 2",
    "nindent 1",
    "wrap 4",
    "wrapWith 3 \"|\"",
    "trimAll \"a\"",
    "trimPrefix \"a\"",
    "trimSuffix \"=\"",
    "replace \"a\" \"bb\"",
    "replace \"\" \"-\"",
    "splitList \",\" | join \"+\"",
    "regexReplaceAll \"[aeiou]\" \"_\"",
    "regexReplaceAllLiteral \"a*\" \"$0\"",
    "regexFind \"[0-9]+\"",
    "substr 1 3",
    "cat \"x\"",
    "default \"d\"",
    "atoi",
    "int64",
    "float64",
    "toDecimal",
    "fromJson",
    "toStrings",
    "sortAlpha",
    "typeOf",
    "kindOf",
    "empty",
];

fn generated() -> impl Strategy<Value = (String, Data)> {
    let value = prop_oneof![
        "[a-zA-Z0-9 ,_=./:-]{0,12}".prop_map(String::into_bytes),
        // No \x08 or \x0c: the oracle's Go 1.19 writes them in JSON as \u0008 and \u000c,
        // Bitnami's Go 1.26 (and Sealant) as \b and \f.
        prop::collection::vec(
            any::<u8>().prop_filter("no \\b or \\f", |b| *b != 8 && *b != 12),
            0..8
        ),
        prop::sample::select(vec![
            "{\"a\":1}",
            "[1,2]",
            "aGk=",
            "MFRGG===",
            "0x1F",
            "Ǆ ß İ",
            "http://h/p?q"
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ];
    let data = prop::collection::vec(value, 3);
    let stages = prop::collection::vec(prop::sample::select(STAGES), 1..4);
    (data, 0..3usize, stages).prop_map(|(values, key, stages)| {
        let data: Data = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (format!("k{i}"), v))
            .collect();
        (format!("{{{{ .k{key} | {} }}}}", stages.join(" | ")), data)
    })
}

#[test]
fn generated_pipelines_match_go() {
    let mut runner = TestRunner::default();
    let strategy = generated();
    let cases: Vec<_> = (0..2_500)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    compare(&cases);
}
