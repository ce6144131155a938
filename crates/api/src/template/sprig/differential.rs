//! The differential test of this share against Go itself: every case calls one sprig
//! function, in Go through a real `text/template` with Bitnami's function map
//! (crates/api/tests/sprig_call_oracle/main.go, built against Debian's sprig), and here through
//! the same function of our table. Results (`%T|value`) must be byte-identical, and Go
//! failing must mean we fail.
//!
//! The cases: a hand-written corpus (sprig's documented examples and edge cases) and at
//! least 2,000 generated calls per run (proptest strategies, random each run).
//!
//! This calls the functions directly rather than through `render_template`, because the
//! full evaluator lives on another branch; the template-level differential test belongs
//! with it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::super::value::{Elem, GoKey, GoStr, Value};
use super::harness;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use sealant_test_support::go_program::{GoImports, GoProgram};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use zeroize::Zeroizing;

/// One argument, as both sides build it.
#[derive(Clone, Debug)]
pub(super) enum Arg {
    S(Vec<u8>),
    I(i64),
    L(i64),
    X(f64),
    B(bool),
    N,
    La(Vec<Arg>),
    Ls(Vec<Vec<u8>>),
    M(BTreeMap<String, Arg>),
}

impl Arg {
    fn json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Arg::S(b) => json!({ "s": STANDARD.encode(b) }),
            Arg::I(i) => json!({ "i": i }),
            Arg::L(i) => json!({ "l": i }),
            Arg::X(f) => json!({ "x": f }),
            Arg::B(b) => json!({ "b": b }),
            Arg::N => json!({ "n": true }),
            Arg::La(items) => json!({ "la": items.iter().map(Arg::json).collect::<Vec<_>>() }),
            Arg::Ls(items) => {
                json!({ "ls": items.iter().map(|b| STANDARD.encode(b)).collect::<Vec<_>>() })
            }
            Arg::M(m) => {
                json!({ "m": m.iter().map(|(k, v)| (k.clone(), v.json())).collect::<serde_json::Map<_, _>>() })
            }
        }
    }

    fn value(&self) -> Value<'static> {
        let owned = |b: &[u8]| Value::Str(GoStr::Owned(Rc::new(Zeroizing::new(b.to_vec()))));
        match self {
            Arg::S(b) => owned(b),
            Arg::I(i) => Value::Int(*i),
            Arg::L(i) => Value::Int64(*i),
            Arg::X(f) => Value::Float(*f),
            Arg::B(b) => Value::Bool(*b),
            Arg::N => Value::Nil,
            Arg::La(items) => Value::list(Elem::Any, items.iter().map(Arg::value).collect()),
            Arg::Ls(items) => Value::list(Elem::Str, items.iter().map(|b| owned(b)).collect()),
            Arg::M(m) => Value::dict(
                m.iter()
                    .map(|(k, v)| (GoKey(k.as_bytes().to_vec()), v.value()))
                    .collect(),
            ),
        }
    }
}

pub(super) fn s(t: &str) -> Arg {
    Arg::S(t.as_bytes().to_vec())
}

/// The Go oracle (Bitnami's function map over Debian's sprig); `None`, with the reason
/// printed, without Go or sprig.
fn oracle() -> Option<GoProgram> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sprig_call_oracle/main.go");
    GoProgram::build(&src, GoImports::Sprig)
}

/// Run every case through Go; one "OK <bytes>" / "ERR" result each.
fn run_go(oracle: &GoProgram, cases: &[(&'static str, Vec<Arg>)]) -> Vec<Option<Vec<u8>>> {
    let mut input = Vec::new();
    for (f, args) in cases {
        let line =
            serde_json::json!({ "f": f, "a": args.iter().map(Arg::json).collect::<Vec<_>>() });
        input.extend(line.to_string().as_bytes());
        input.push(b'\n');
    }
    let text = String::from_utf8(oracle.run(input)).expect("oracle prints ASCII");
    let results: Vec<_> = text
        .lines()
        .map(|l| {
            l.strip_prefix("OK ")
                .map(|b| STANDARD.decode(b).expect("base64"))
        })
        .collect();
    assert_eq!(results.len(), cases.len(), "one oracle line per case");
    results
}

/// Our side, normalised where the engine's value model knowingly differs (documented):
/// `split`/`splitn` build a `map[string]interface {}` where sprig's is `map[string]string`.
fn run_rust(f: &str, args: &[Arg]) -> Option<Vec<u8>> {
    let out = harness::call(f, args.iter().map(Arg::value).collect()).ok()?;
    if matches!(f, "split" | "splitn")
        && let Some(rest) = out.strip_prefix(b"map[string]interface {}|".as_slice())
    {
        return Some([b"map[string]string|".as_slice(), rest].concat());
    }
    Some(out)
}

/// Compare both sides on `cases`; panics listing the first differences.
pub(super) fn compare(cases: &[(&'static str, Vec<Arg>)]) {
    let Some(oracle) = oracle() else {
        return;
    };
    let go = run_go(&oracle, cases);
    let mut diffs = Vec::new();
    for ((f, args), want) in cases.iter().zip(go) {
        let got = run_rust(f, args);
        if got != want {
            let show = |r: &Option<Vec<u8>>| match r {
                Some(b) => format!("{:?}", String::from_utf8_lossy(b)),
                None => "ERR".to_owned(),
            };
            diffs.push(format!(
                "{f} {args:?}\n   go:   {}\n   rust: {}",
                show(&want),
                show(&got)
            ));
        }
    }
    sealant_test_support::go_program::assert_no_differences(&diffs, cases.len(), "cases");
}

// ---- generated cases ------------------------------------------------------------------

/// The kind of each parameter, for generating well-typed calls (and some ill-typed ones).
#[derive(Clone, Copy, Debug)]
enum P {
    Str,
    Int,
    Any,
    Bool,
    Re,
    Url,
    UrlDict,
}

const SIGNATURES: &[(&str, &[P])] = &[
    ("hello", &[]),
    ("abbrev", &[P::Int, P::Str]),
    ("abbrevboth", &[P::Int, P::Int, P::Str]),
    ("trunc", &[P::Int, P::Str]),
    ("trim", &[P::Str]),
    ("trimAll", &[P::Str, P::Str]),
    ("trimall", &[P::Str, P::Str]),
    ("trimSuffix", &[P::Str, P::Str]),
    ("trimPrefix", &[P::Str, P::Str]),
    ("upper", &[P::Str]),
    ("lower", &[P::Str]),
    ("title", &[P::Str]),
    ("untitle", &[P::Str]),
    ("substr", &[P::Int, P::Int, P::Str]),
    ("repeat", &[P::Int, P::Str]),
    ("nospace", &[P::Str]),
    ("initials", &[P::Str]),
    ("swapcase", &[P::Str]),
    ("snakecase", &[P::Str]),
    ("camelcase", &[P::Str]),
    ("kebabcase", &[P::Str]),
    ("wrap", &[P::Int, P::Str]),
    ("wrapWith", &[P::Int, P::Str, P::Str]),
    ("contains", &[P::Str, P::Str]),
    ("hasPrefix", &[P::Str, P::Str]),
    ("hasSuffix", &[P::Str, P::Str]),
    ("quote", &[P::Any, P::Any]),
    ("squote", &[P::Any, P::Any]),
    ("cat", &[P::Any, P::Any, P::Any]),
    ("indent", &[P::Int, P::Str]),
    ("nindent", &[P::Int, P::Str]),
    ("replace", &[P::Str, P::Str, P::Str]),
    ("plural", &[P::Str, P::Str, P::Int]),
    ("toString", &[P::Any]),
    ("toStrings", &[P::Any]),
    ("split", &[P::Str, P::Str]),
    ("splitList", &[P::Str, P::Str]),
    ("splitn", &[P::Str, P::Int, P::Str]),
    ("join", &[P::Str, P::Any]),
    ("sortAlpha", &[P::Any]),
    ("atoi", &[P::Str]),
    ("int", &[P::Any]),
    ("int64", &[P::Any]),
    ("float64", &[P::Any]),
    ("toDecimal", &[P::Any]),
    ("b64enc", &[P::Str]),
    ("b64dec", &[P::Str]),
    ("b32enc", &[P::Str]),
    ("b32dec", &[P::Str]),
    ("toJson", &[P::Any]),
    ("toPrettyJson", &[P::Any]),
    ("toRawJson", &[P::Any]),
    ("mustToJson", &[P::Any]),
    ("mustToPrettyJson", &[P::Any]),
    ("mustToRawJson", &[P::Any]),
    ("fromJson", &[P::Str]),
    ("mustFromJson", &[P::Str]),
    ("default", &[P::Any, P::Any]),
    ("empty", &[P::Any]),
    ("coalesce", &[P::Any, P::Any, P::Any]),
    ("all", &[P::Any, P::Any]),
    ("any", &[P::Any, P::Any]),
    ("ternary", &[P::Any, P::Any, P::Bool]),
    ("fail", &[P::Str]),
    ("typeOf", &[P::Any]),
    ("typeIs", &[P::Str, P::Any]),
    ("typeIsLike", &[P::Str, P::Any]),
    ("kindOf", &[P::Any]),
    ("kindIs", &[P::Str, P::Any]),
    ("deepEqual", &[P::Any, P::Any]),
    ("base", &[P::Str]),
    ("dir", &[P::Str]),
    ("clean", &[P::Str]),
    ("ext", &[P::Str]),
    ("isAbs", &[P::Str]),
    ("osBase", &[P::Str]),
    ("osDir", &[P::Str]),
    ("osClean", &[P::Str]),
    ("osExt", &[P::Str]),
    ("osIsAbs", &[P::Str]),
    ("regexMatch", &[P::Re, P::Str]),
    ("mustRegexMatch", &[P::Re, P::Str]),
    ("regexFindAll", &[P::Re, P::Str, P::Int]),
    ("mustRegexFindAll", &[P::Re, P::Str, P::Int]),
    ("regexFind", &[P::Re, P::Str]),
    ("mustRegexFind", &[P::Re, P::Str]),
    ("regexReplaceAll", &[P::Re, P::Str, P::Str]),
    ("mustRegexReplaceAll", &[P::Re, P::Str, P::Str]),
    ("regexReplaceAllLiteral", &[P::Re, P::Str, P::Str]),
    ("mustRegexReplaceAllLiteral", &[P::Re, P::Str, P::Str]),
    ("regexSplit", &[P::Re, P::Str, P::Int]),
    ("mustRegexSplit", &[P::Re, P::Str, P::Int]),
    ("regexQuoteMeta", &[P::Str]),
    ("urlParse", &[P::Url]),
    ("urlJoin", &[P::UrlDict]),
];

fn url_string() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop::sample::select(vec![
        "",
        "http://",
        "HTTPS://",
        "https://user:pa%20ss@",
        "https://u@",
        "mailto:",
        "//",
        "/",
        "s3://[::1]:80",
        "http://h:8x",
        "http://[fe80::1%25en0]:8/",
        "x:y",
        "a:b/c",
        "1a://",
        ":",
        "http://ho%41st/",
        "http://a b/",
    ]);
    (
        prefix,
        string(),
        prop::sample::select(vec!["", "?q=1", "?", "#frag", "?a=b#c%2", "#x y"]),
    )
        .prop_map(|(p, s, t)| [p.as_bytes(), &s, t.as_bytes()].concat())
}

fn url_dict() -> impl Strategy<Value = Arg> {
    let field = prop::sample::select(vec![
        "scheme", "host", "path", "query", "opaque", "fragment", "userinfo",
    ]);
    let value = prop_oneof![
        8 => url_string().prop_map(Arg::S),
        4 => string().prop_map(Arg::S),
        1 => int().prop_map(Arg::I),
    ];
    prop::collection::btree_map(field.prop_map(str::to_owned), value, 0..5).prop_map(Arg::M)
}

/// Pieces strings are made of: ASCII of every class, separators, JSON and path syntax,
/// non-ASCII letters with case, CJK, emoji, Unicode spaces, U+FFFD and invalid UTF-8.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => "[a-zA-Z0-9]{1,4}".prop_map(String::into_bytes),
        3 => prop::sample::select(vec![
            " ", "  ", "\n", "\t", "\r\n", "_", "-", ".", "..", "/", "//", ",", ":", "@", "?", "#",
            "=", "&", "<", ">", "\"", "'", "\\", "$", "$1", "${1}", "%", "{", "}", "[", "]",
            "(", ")", "*", "+", "|", "^", "~", "0", "00", "0x1f", "0o17", "0b101", "1_000",
            "12.0", "-7", "+3", "1e3", "inf", "NaN", "true", "null", "{\"a\":1}", "[1,\"x\"]",
            "é", "É", "ß", "ǅ", "İ", "Σ", "ω", "Ж", "ж", "日本", "😀", "\u{a0}", "\u{2028}",
            "\u{3000}", "\u{fffd}", "ⅰ", "Ⓐ", "ǈ", "ᾳ",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::sample::select(vec![b"\xff".to_vec(), b"\xc3".to_vec(), b"\xe2\x82".to_vec(), b"\x80".to_vec()]),
        1 => "[A-Za-z0-9+/]{2,8}={0,2}".prop_map(String::into_bytes),
        1 => "[A-Z2-7]{2,8}={0,6}".prop_map(String::into_bytes),
    ]
}

fn string() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(piece(), 0..6).prop_map(|ps| ps.concat())
}

fn regex_pattern() -> impl Strategy<Value = Vec<u8>> {
    let frag = prop::sample::select(vec![
        "a",
        "b*",
        "[a-c]+",
        r"\d",
        r"\w+",
        r"\s",
        "^",
        "$",
        "(a|b)",
        "x?",
        ".",
        "(?i)A",
        "[^a]",
        r"\b",
        "[0-9]{2}",
        "(?P<n>[a-z])",
        "é",
        "日",
        r"\.",
        "a*?",
        "(",
        "[",
        r"\Qa.b\E",
        "{",
        "(?s).",
        r"\p{L}",
        r"\W",
        r"[\d_]",
        "[[:alpha:]]",
        r"\<",
        "(?m)^a",
    ]);
    prop::collection::vec(frag, 0..4).prop_map(|fs| fs.concat().into_bytes())
}

fn int() -> impl Strategy<Value = i64> {
    prop_oneof![8 => -3i64..13, 1 => -100i64..100, 1 => prop::sample::select(vec![i64::MIN, i64::MAX, 1000, 4096])]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::sample::select(vec![
            0.0, 1.5, -2.25, 1e6, 123456.0, 1234567.0, 1e21, 1e-7, 0.0001, 3.0
        ]),
        -1e9f64..1e9,
    ]
}

fn scalar() -> impl Strategy<Value = Arg> {
    prop_oneof![
        4 => string().prop_map(Arg::S),
        2 => int().prop_map(Arg::I),
        1 => int().prop_map(Arg::L),
        1 => float().prop_map(Arg::X),
        1 => any::<bool>().prop_map(Arg::B),
        1 => Just(Arg::N),
    ]
}

fn any_arg() -> impl Strategy<Value = Arg> {
    scalar().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Arg::La),
            prop::collection::vec(string(), 0..4).prop_map(Arg::Ls),
            prop::collection::btree_map("[a-c_]{0,3}", inner, 0..3).prop_map(Arg::M),
        ]
    })
}

fn param(p: P) -> BoxedStrategy<Arg> {
    let typed = match p {
        P::Str => string().prop_map(Arg::S).boxed(),
        P::Int => int().prop_map(Arg::I).boxed(),
        P::Any => any_arg().boxed(),
        P::Bool => any::<bool>().prop_map(Arg::B).boxed(),
        P::Re => regex_pattern().prop_map(Arg::S).boxed(),
        P::Url => url_string().prop_map(Arg::S).boxed(),
        P::UrlDict => url_dict().boxed(),
    };
    // One argument in twenty has a random type, to check that Go's type errors are ours.
    prop_oneof![19 => typed, 1 => any_arg()].boxed()
}

fn call_case() -> impl Strategy<Value = (&'static str, Vec<Arg>)> {
    prop::sample::select(SIGNATURES).prop_flat_map(|(name, params)| {
        let args: Vec<BoxedStrategy<Arg>> = params.iter().map(|p| param(*p)).collect();
        // Sometimes one argument too few or too many.
        (args, 0..40u8).prop_map(move |(mut args, arity)| {
            match arity {
                0 => {
                    args.pop();
                }
                1 => args.push(Arg::S(b"x".to_vec())),
                _ => {}
            }
            (name, args)
        })
    })
}

/// At least this many generated calls per run (more with `SPRIG_DIFF_CASES=n`).
const GENERATED: usize = 3_000;

#[test]
fn generated_calls_match_go() {
    let mut runner = TestRunner::default();
    let strategy = call_case();
    let count = std::env::var("SPRIG_DIFF_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(GENERATED)
        .max(GENERATED);
    let cases: Vec<_> = (0..count)
        .map(|_| strategy.new_tree(&mut runner).expect("generate").current())
        .collect();
    compare(&cases);
}
