//! Differential test of this share's sprig functions against Go itself: each case is one
//! call, `{{ fn args }}`, rendered by Go's text/template with sprig's function map (the
//! oracle in `tests/sprig_oracle/main.go`, built from Debian's sources with no download)
//! and by calling our function directly; the outputs must be identical, and Go must fail
//! exactly where we fail.
//!
//! The function-level form stands in until the new evaluator can render these templates
//! whole; the same oracle then serves the template-level test. The corpus is hand-written
//! (sprig's documented examples and edge cases) plus proptest-generated calls.
//!
//! Skips, saying why, when `go` or Debian's sprig sources are absent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::test_call::rendered;
use crate::template::value::{Elem, GoKey, GoStr, Value};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use sealant_test_support::go_program::{GoImports, GoProgram};
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;

/// One argument, written both as Go template text and as our value.
#[derive(Clone, Debug)]
enum Arg {
    Int(i64),
    Int64(i64),
    Float(f64),
    Str(Vec<u8>),
    Bool(bool),
    Nil,
    List(Vec<Arg>),
    Dict(Vec<(String, Arg)>),
}

impl Arg {
    fn go(&self) -> String {
        match self {
            Arg::Int(i) => i.to_string(),
            Arg::Int64(i) => format!("(int64 {i})"),
            Arg::Float(f) => format!("{f:?}"),
            Arg::Str(b) => go_quote(b),
            Arg::Bool(b) => b.to_string(),
            Arg::Nil => "nil".into(),
            Arg::List(items) => {
                let parts: Vec<String> = items.iter().map(Arg::go).collect();
                format!("(list {})", parts.join(" "))
            }
            Arg::Dict(pairs) => {
                let parts: Vec<String> = pairs
                    .iter()
                    .map(|(k, v)| format!("{} {}", go_quote(k.as_bytes()), v.go()))
                    .collect();
                format!("(dict {})", parts.join(" "))
            }
        }
    }

    fn value(&self) -> Value<'static> {
        match self {
            Arg::Int(i) => Value::Int(*i),
            Arg::Int64(i) => Value::Int64(*i),
            Arg::Float(f) => Value::Float(*f),
            Arg::Str(b) => Value::Str(GoStr::Owned(Rc::new(zeroize::Zeroizing::new(b.clone())))),
            Arg::Bool(b) => Value::Bool(*b),
            Arg::Nil => Value::Nil,
            Arg::List(items) => Value::list(Elem::Any, items.iter().map(Arg::value).collect()),
            Arg::Dict(pairs) => {
                let m: BTreeMap<GoKey, Value<'static>> = pairs
                    .iter()
                    .map(|(k, v)| (GoKey(k.as_bytes().to_vec()), v.value()))
                    .collect();
                Value::dict(m)
            }
        }
    }
}

/// A Go string literal for any bytes.
fn go_quote(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(char::from(c)),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

struct Case {
    func: &'static str,
    args: Vec<Arg>,
}

impl Case {
    fn template(&self) -> String {
        let parts: Vec<String> = self.args.iter().map(Arg::go).collect();
        format!("{{{{ {} {} }}}}", self.func, parts.join(" "))
    }

    fn ours(&self) -> Option<String> {
        rendered(self.func, self.args.iter().map(Arg::value).collect())
    }
}

/// The Go oracle (Bitnami's function map over Debian's sprig); `None`, with the reason
/// printed, without Go or sprig.
fn oracle() -> Option<GoProgram> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sprig_oracle/main.go");
    GoProgram::build(&src, GoImports::Sprig)
}

/// Run `cases` through Go and through our functions; panic listing every difference.
fn compare(cases: &[Case]) {
    let Some(oracle) = oracle() else {
        return;
    };
    let templates: Vec<String> = cases.iter().map(Case::template).collect();
    let theirs: Vec<Option<String>> = oracle
        .render_hex_lines(&templates)
        .into_iter()
        .map(|v| v.map(|b| String::from_utf8_lossy(&b).into_owned()))
        .collect();
    let mut diffs = Vec::new();
    for ((case, t), go) in cases.iter().zip(&templates).zip(theirs) {
        let ours = case.ours();
        if ours != go {
            diffs.push(format!("{t}\n    go:   {go:?}\n    ours: {ours:?}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {} differ:\n{}",
        diffs.len(),
        cases.len(),
        diffs.join("\n")
    );
}

fn i(v: i64) -> Arg {
    Arg::Int(v)
}
fn st(v: &str) -> Arg {
    Arg::Str(v.as_bytes().to_vec())
}
fn l(v: Vec<Arg>) -> Arg {
    Arg::List(v)
}
fn d(v: Vec<(&str, Arg)>) -> Arg {
    Arg::Dict(v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
fn c(func: &'static str, args: Vec<Arg>) -> Case {
    Case { func, args }
}

#[test]
fn hand_written_corpus_matches_go() {
    let l123 = || l(vec![i(1), i(2), i(3)]);
    let cases = vec![
        c("slice", vec![st("abc"), i(1), i(2)]),
        c("slice", vec![l123(), i(1), i(2)]),
        c("slice", vec![l123(), st("1")]),
        c("slice", vec![l123(), i(2), i(1)]),
        c("slice", vec![l123(), i(0), i(4)]),
        c("slice", vec![l(vec![])]),
        c("slice", vec![l123(), i(1), i(2), i(3)]),
        c("list", vec![]),
        c(
            "list",
            vec![i(1), st("a"), Arg::Nil, Arg::Float(1.5), Arg::Bool(true)],
        ),
        c("tuple", vec![i(1)]),
        c("first", vec![l(vec![])]),
        c("first", vec![Arg::Nil]),
        c("first", vec![st("abc")]),
        c("first", vec![l123(), l123()]),
        c("last", vec![l123()]),
        c("rest", vec![l(vec![])]),
        c("initial", vec![l123()]),
        c("append", vec![l123(), l123()]),
        c("mustAppend", vec![st("x"), i(1)]),
        c("push", vec![l(vec![]), Arg::Nil]),
        c("prepend", vec![l123(), i(0)]),
        c("reverse", vec![l(vec![])]),
        c(
            "uniq",
            vec![l(vec![
                i(1),
                Arg::Int64(1),
                st("1"),
                i(1),
                Arg::Float(1.0),
                st("1"),
            ])],
        ),
        c(
            "uniq",
            vec![l(vec![
                l123(),
                l123(),
                d(vec![("a", i(1))]),
                d(vec![("a", i(1))]),
            ])],
        ),
        c("without", vec![l123(), i(2)]),
        c("without", vec![l123()]),
        c("without", vec![st("x"), i(2)]),
        c("has", vec![i(2), l123()]),
        c("has", vec![Arg::Int64(2), l123()]),
        c("has", vec![i(2), Arg::Nil]),
        c("has", vec![i(2), st("2")]),
        c("mustHas", vec![Arg::Nil, l(vec![Arg::Nil])]),
        c("concat", vec![]),
        c("concat", vec![l123(), l(vec![st("a")])]),
        c("concat", vec![l123(), st("a")]),
        c(
            "compact",
            vec![l(vec![
                i(0),
                st(""),
                Arg::Nil,
                Arg::Bool(false),
                l(vec![]),
                d(vec![]),
                i(1),
                st("x"),
                Arg::Float(0.0),
            ])],
        ),
        c("chunk", vec![i(2), l123()]),
        c("chunk", vec![i(3), l123()]),
        c("chunk", vec![i(5), l123()]),
        c("chunk", vec![i(0), l123()]),
        c("chunk", vec![i(-1), l123()]),
        c("chunk", vec![i(2), l(vec![])]),
        c("chunk", vec![i(-3), l(vec![i(1), i(2)])]),
        c("chunk", vec![i(-3), l(vec![i(1)])]),
        c("chunk", vec![i(-3), l(vec![])]),
        c("chunk", vec![i(-1), l(vec![i(1)])]),
        c("chunk", vec![i(-2), l(vec![i(1), i(2), i(3), i(4)])]),
        c("chunk", vec![i(0), l(vec![i(1)])]),
        c("chunk", vec![i(0), l(vec![])]),
        c("chunk", vec![Arg::Int64(2), l123()]),
        c("until", vec![i(0)]),
        c("until", vec![i(-3)]),
        c("until", vec![st("3")]),
        c("untilStep", vec![i(0), i(10), i(3)]),
        c("untilStep", vec![i(10), i(0), i(-3)]),
        c("untilStep", vec![i(10), i(0), i(3)]),
        c("untilStep", vec![i(0), i(10), i(0)]),
        c("seq", vec![]),
        c("seq", vec![i(0)]),
        c("seq", vec![i(1)]),
        c("seq", vec![i(3), i(3)]),
        c("seq", vec![i(1), i(2), i(3), i(4)]),
        c("seq", vec![i(5), i(1), i(1)]),
        c("seq", vec![i(5), i(0), i(1)]),
        c("seq", vec![i(1), i(-1), i(5)]),
        c("seq", vec![st("1")]),
        // dicts
        c("dict", vec![]),
        c("dict", vec![st("a")]),
        c(
            "dict",
            vec![
                i(1),
                i(2),
                Arg::Bool(false),
                Arg::Nil,
                Arg::Float(2.5),
                st("f"),
                Arg::Float(1e21),
                i(0),
            ],
        ),
        c("dict", vec![Arg::Nil, i(1)]),
        c("get", vec![d(vec![("a", i(1))]), st("a")]),
        c("get", vec![d(vec![("a", i(1))]), st("b")]),
        c("get", vec![Arg::Nil, st("b")]),
        c("get", vec![d(vec![]), i(1)]),
        c("get", vec![st("x"), st("a")]),
        c("set", vec![d(vec![("a", i(1))]), st("b"), l123()]),
        c("set", vec![Arg::Nil, st("b"), i(1)]),
        c("unset", vec![d(vec![("a", i(1))]), st("a")]),
        c("unset", vec![Arg::Nil, st("a")]),
        c("hasKey", vec![d(vec![("a", Arg::Nil)]), st("a")]),
        c(
            "pluck",
            vec![
                st("a"),
                d(vec![("a", i(1))]),
                d(vec![("b", i(2))]),
                d(vec![("a", i(3))]),
            ],
        ),
        c("pluck", vec![st("a")]),
        c("pluck", vec![st("a"), l123()]),
        c("keys", vec![d(vec![("a", i(1))]), d(vec![("b", i(1))])]),
        c("keys", vec![]),
        c("values", vec![d(vec![("a", i(1))])]),
        c(
            "pick",
            vec![d(vec![("a", i(1)), ("b", i(2))]), st("b"), st("c")],
        ),
        c("pick", vec![d(vec![("a", i(1))]), i(1)]),
        c(
            "omit",
            vec![d(vec![("a", i(1)), ("b", i(2))]), st("b"), st("c")],
        ),
        c(
            "dig",
            vec![
                st("a"),
                st("b"),
                st("def"),
                d(vec![("a", d(vec![("b", st("v"))]))]),
            ],
        ),
        c(
            "dig",
            vec![st("a"), st("b"), st("def"), d(vec![("a", st("notmap"))])],
        ),
        c("dig", vec![st("a"), st("def"), Arg::Nil]),
        c("dig", vec![st("a"), st("def")]),
        c("dig", vec![i(1), st("def"), d(vec![])]),
        c("deepCopy", vec![d(vec![("a", l123())])]),
        c("mustDeepCopy", vec![l123()]),
        c(
            "merge",
            vec![
                d(vec![("a", i(1)), ("z", st(""))]),
                d(vec![("a", i(2)), ("b", i(3)), ("z", st("filled"))]),
            ],
        ),
        c(
            "merge",
            vec![
                d(vec![("n", d(vec![("x", i(1))]))]),
                d(vec![("n", d(vec![("x", i(2)), ("y", i(3))]))]),
            ],
        ),
        c(
            "merge",
            vec![
                d(vec![("a", st("x"))]),
                d(vec![("a", d(vec![("q", i(1))]))]),
            ],
        ),
        c(
            "merge",
            vec![d(vec![("a", l123())]), d(vec![("a", l(vec![]))])],
        ),
        c("merge", vec![d(vec![("a", i(0))]), d(vec![("a", l123())])]),
        c(
            "merge",
            vec![d(vec![("a", i(1))]), d(vec![("a", Arg::Nil)])],
        ),
        c("merge", vec![Arg::Nil, d(vec![("a", i(1))])]),
        c(
            "mergeOverwrite",
            vec![
                d(vec![("a", i(1)), ("k", Arg::Bool(true))]),
                d(vec![("a", i(2)), ("k", Arg::Bool(false))]),
            ],
        ),
        c(
            "mergeOverwrite",
            vec![
                d(vec![("a", st("x"))]),
                d(vec![("a", d(vec![("q", i(1))]))]),
            ],
        ),
        c(
            "mergeOverwrite",
            vec![d(vec![("a", d(vec![("q", i(1))]))]), d(vec![("a", st(""))])],
        ),
        c(
            "mergeOverwrite",
            vec![d(vec![("a", l123())]), d(vec![("a", l(vec![]))])],
        ),
        c(
            "mergeOverwrite",
            vec![d(vec![("a", i(1))]), d(vec![("a", Arg::Nil)])],
        ),
        c(
            "mustMergeOverwrite",
            vec![
                d(vec![("n", d(vec![("x", i(1))]))]),
                d(vec![("n", d(vec![("x", i(2))]))]),
                d(vec![("n", d(vec![("y", i(3))]))]),
            ],
        ),
        c("merge", vec![d(vec![]), st("x")]),
        // math
        c("add", vec![]),
        c(
            "add",
            vec![
                i(1),
                st("2"),
                Arg::Float(2.9),
                Arg::Bool(true),
                Arg::Nil,
                l123(),
            ],
        ),
        c(
            "add",
            vec![
                st("0x1f"),
                st("017"),
                st("0b11"),
                st("1_000"),
                st("5.00"),
                st("5.5"),
                st(" 5"),
            ],
        ),
        c("add", vec![Arg::Float(-2.9), Arg::Float(1e30)]),
        c("add", vec![i(i64::MAX), i(1)]),
        c("add1", vec![st("-8")]),
        c("sub", vec![i(1), Arg::Float(0.5)]),
        c("mul", vec![i(6)]),
        c("mul", vec![i(6), st("7"), Arg::Int64(-1)]),
        c("div", vec![i(7), i(2)]),
        c("div", vec![i(-7), i(2)]),
        c("div", vec![i(7), i(0)]),
        c("div", vec![i(7), st("x")]),
        c("div", vec![i(i64::MIN), i(-1)]),
        c("mod", vec![i(-7), i(3)]),
        c("mod", vec![i(7), i(0)]),
        c("mod", vec![i(i64::MIN), i(-1)]),
        c("max", vec![i(1), st("3"), Arg::Float(2.5)]),
        c("min", vec![i(1), st("-3"), Arg::Float(-4.5)]),
        c("biggest", vec![]),
        c("addf", vec![]),
        c("addf", vec![Arg::Float(0.1), Arg::Float(0.2)]),
        c("addf", vec![st("1.5"), i(2), Arg::Bool(true)]),
        c("add1f", vec![Arg::Float(-0.5)]),
        c("subf", vec![Arg::Float(1.0), Arg::Float(0.9)]),
        c("mulf", vec![Arg::Float(1.1), Arg::Float(1.1)]),
        c("divf", vec![i(1), i(3)]),
        c("divf", vec![i(2), i(3)]),
        c("divf", vec![i(-2), i(3)]),
        c("divf", vec![i(1), i(0)]),
        c("divf", vec![Arg::Float(1e-20), i(1)]),
        c("divf", vec![i(100), i(8), i(5)]),
        c("maxf", vec![i(1), Arg::Float(-0.0), st("2.5")]),
        c("minf", vec![Arg::Float(0.0), Arg::Float(-0.0)]),
        c("ceil", vec![st("1.1")]),
        c("floor", vec![Arg::Float(-1.1)]),
        c("floor", vec![Arg::Float(1e300)]),
        c("round", vec![Arg::Float(123.555555), i(3)]),
        c("round", vec![Arg::Float(123.5555), i(3), Arg::Float(0.6)]),
        c("round", vec![Arg::Float(-2.5), i(0)]),
        c("round", vec![st("2.345"), i(2)]),
        c("round", vec![Arg::Float(2.5), i(-1)]),
        c("round", vec![Arg::Float(2.5), st("1")]),
        c("randInt", vec![i(5), i(5)]),
        c("randInt", vec![i(5), i(4)]),
        // hashes (sha512sum is sprig 3.3.0 only: tested against fixed vectors instead)
        c("sha1sum", vec![st("")]),
        c("sha256sum", vec![Arg::Str(b"\xff\x00binary".to_vec())]),
        c("adler32sum", vec![st("Wikipedia")]),
        c("sha256sum", vec![i(1)]),
        c("randAlphaNum", vec![i(0)]),
        c("randAlpha", vec![i(-1)]),
        c("randBytes", vec![i(0)]),
        c("randBytes", vec![i(-1)]),
        c("uuidv4", vec![i(1)]),
    ];
    compare(&cases);
}

/// Functions whose result is deterministic, with a weight toward the list functions.
const FUNCS: &[&str] = &[
    "list",
    "append",
    "mustAppend",
    "prepend",
    "first",
    "mustFirst",
    "rest",
    "last",
    "initial",
    "reverse",
    "uniq",
    "without",
    "has",
    "mustHas",
    "slice",
    "concat",
    "compact",
    "chunk",
    "until",
    "untilStep",
    "seq",
    "dict",
    "get",
    "set",
    "unset",
    "hasKey",
    "pluck",
    "pick",
    "omit",
    "dig",
    "merge",
    "mergeOverwrite",
    "add1",
    "add",
    "sub",
    "div",
    "mod",
    "mul",
    "add1f",
    "addf",
    "subf",
    "divf",
    "mulf",
    "max",
    "min",
    "maxf",
    "minf",
    "ceil",
    "floor",
    "round",
    "sha1sum",
    "sha256sum",
    "adler32sum",
];

fn arg_strategy() -> impl Strategy<Value = Arg> {
    let key = prop::sample::select(vec!["a", "b", "c", ""]);
    let leaf = prop_oneof![
        4 => (-6i64..12).prop_map(Arg::Int),
        1 => any::<i64>().prop_map(Arg::Int),
        1 => (-6i64..12).prop_map(Arg::Int64),
        2 => prop::sample::select(vec![0.0, -0.0, 0.5, 1.5, -2.5, 0.1, 3.0, 1e21, 1e-7, 123.456])
            .prop_map(Arg::Float),
        3 => prop::sample::select(vec!["", "a", "b", "1", "-2", "0x10", "2.50", "x y", "1e3", "010", "héllo"])
            .prop_map(st),
        1 => prop::collection::vec(any::<u8>(), 0..4).prop_map(Arg::Str),
        1 => any::<bool>().prop_map(Arg::Bool),
        1 => Just(Arg::Nil),
    ];
    leaf.prop_recursive(2, 12, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Arg::List),
            prop::collection::vec((key.clone(), inner), 0..3).prop_map(|pairs| {
                // One value per key, as Go's dict keeps only the last.
                let mut seen = BTreeMap::new();
                for (k, v) in pairs {
                    seen.insert(k.to_owned(), v);
                }
                Arg::Dict(seen.into_iter().collect())
            }),
        ]
    })
}

#[test]
fn generated_calls_match_go() {
    let strategy = (
        prop::sample::select(FUNCS),
        prop::collection::vec(arg_strategy(), 0..5),
    );
    let mut runner = TestRunner::new(Config {
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..Config::default()
    });
    let mut cases = Vec::new();
    while cases.len() < 3000 {
        let (func, args) = strategy.new_tree(&mut runner).expect("generate").current();
        // Go's until/untilStep/seq allocate the whole range: keep it small there too.
        let huge = matches!(func, "until" | "untilStep" | "seq" | "chunk")
            && args
                .iter()
                .any(|a| matches!(a, Arg::Int(n) if n.unsigned_abs() > 1000));
        // Go takes an integral float *literal* for an `int` parameter (`seq 0.0`), not a
        // computed one; a function sees no difference and follows the computed case.
        let literal_int_float = matches!(func, "until" | "untilStep" | "seq" | "chunk" | "round")
            && args
                .iter()
                .any(|a| matches!(a, Arg::Float(f) if f.fract() == 0.0));
        if !huge && !literal_int_float {
            cases.push(Case { func, args });
        }
    }
    compare(&cases);
}
