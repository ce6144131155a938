//! Hand-written cases: sprig's documented examples with their documented results (checked
//! here directly), and edge cases compared with Go (see `differential.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::differential::{Arg, compare, s};
use super::harness::{self, show};
use std::collections::BTreeMap;

fn b(bytes: &[u8]) -> Arg {
    Arg::S(bytes.to_vec())
}

fn ls(items: &[&str]) -> Arg {
    Arg::Ls(items.iter().map(|t| t.as_bytes().to_vec()).collect())
}

fn m(entries: &[(&str, Arg)]) -> Arg {
    Arg::M(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn call(f: &str, args: &[Arg]) -> String {
    show(
        f,
        args.iter()
            .map(|a| match a {
                Arg::S(b) => harness::b(Box::leak(b.clone().into_boxed_slice())),
                other => differential_value(other),
            })
            .collect(),
    )
}

fn differential_value(a: &Arg) -> super::super::value::Value<'static> {
    // Arg::value is private to differential; rebuild through JSON-free path.
    match a {
        Arg::I(i) => harness::i(*i),
        Arg::L(i) => super::super::value::Value::Int64(*i),
        Arg::X(f) => super::super::value::Value::Float(*f),
        Arg::B(v) => super::super::value::Value::Bool(*v),
        Arg::N => super::super::value::Value::Nil,
        Arg::La(items) => harness::list(items.iter().map(differential_value).collect()),
        Arg::Ls(items) => super::super::value::Value::list(
            super::super::value::Elem::Str,
            items
                .iter()
                .map(|b| harness::b(Box::leak(b.clone().into_boxed_slice())))
                .collect(),
        ),
        Arg::M(map) => harness::dict(
            map.iter()
                .map(|(k, v)| (k.as_str(), differential_value(v)))
                .collect(),
        ),
        Arg::S(bytes) => harness::b(Box::leak(bytes.clone().into_boxed_slice())),
    }
}

/// sprig's documentation examples, with the results its docs state.
#[test]
fn documented_examples() {
    let cases: &[(&str, Vec<Arg>, &str)] = &[
        ("trim", vec![s("   hello    ")], "string|hello"),
        ("trimAll", vec![s("$"), s("$5.00")], "string|5.00"),
        ("trimSuffix", vec![s("-"), s("hello-")], "string|hello"),
        ("trimPrefix", vec![s("-"), s("-hello")], "string|hello"),
        ("upper", vec![s("hello")], "string|HELLO"),
        ("lower", vec![s("HELLO")], "string|hello"),
        ("title", vec![s("hello world")], "string|Hello World"),
        ("untitle", vec![s("Hello World")], "string|hello world"),
        (
            "repeat",
            vec![Arg::I(3), s("hello")],
            "string|hellohellohello",
        ),
        (
            "substr",
            vec![Arg::I(0), Arg::I(5), s("hello world")],
            "string|hello",
        ),
        ("nospace", vec![s("hello w o r l d")], "string|helloworld"),
        ("trunc", vec![Arg::I(5), s("hello world")], "string|hello"),
        ("trunc", vec![Arg::I(-5), s("hello world")], "string|world"),
        ("abbrev", vec![Arg::I(5), s("hello world")], "string|he..."),
        (
            "abbrevboth",
            vec![Arg::I(5), Arg::I(10), s("1234 5678 9123")],
            "string|...5678...",
        ),
        ("initials", vec![s("First Try")], "string|FT"),
        (
            "swapcase",
            vec![s("This Is A.Test")],
            "string|tHIS iS a.tEST",
        ),
        ("snakecase", vec![s("FirstName")], "string|first_name"),
        ("camelcase", vec![s("http_server")], "string|HttpServer"),
        ("kebabcase", vec![s("FirstName")], "string|first-name"),
        ("wrap", vec![Arg::I(80), s("short")], "string|short"),
        (
            "wrapWith",
            vec![Arg::I(5), s("\t"), s("Hello World")],
            "string|Hello\tWorld",
        ),
        ("contains", vec![s("cat"), s("catch")], "bool|true"),
        ("hasPrefix", vec![s("cat"), s("catch")], "bool|true"),
        ("hasSuffix", vec![s("cat"), s("catch")], "bool|false"),
        (
            "cat",
            vec![s("hello"), s("beautiful"), s("world")],
            "string|hello beautiful world",
        ),
        ("indent", vec![Arg::I(4), s("a\nb")], "string|    a\n    b"),
        (
            "nindent",
            vec![Arg::I(4), s("a\nb")],
            "string|\n    a\n    b",
        ),
        (
            "replace",
            vec![s(" "), s("-"), s("I Am Henry VIII")],
            "string|I-Am-Henry-VIII",
        ),
        (
            "plural",
            vec![s("anchovy"), s("anchovies"), Arg::I(1)],
            "string|anchovy",
        ),
        (
            "plural",
            vec![s("anchovy"), s("anchovies"), Arg::I(2)],
            "string|anchovies",
        ),
        (
            "quote",
            vec![s("a\"b"), Arg::N, Arg::I(3)],
            "string|\"a\\\"b\" \"3\"",
        ),
        ("squote", vec![s("x"), Arg::B(true)], "string|'x' 'true'"),
        ("toString", vec![Arg::X(1.5)], "string|1.5"),
        (
            "toStrings",
            vec![Arg::La(vec![Arg::I(1), Arg::N, s("x")])],
            "[]string|[1 x]",
        ),
        (
            "splitList",
            vec![s("$"), s("foo$bar$baz")],
            "[]string|[foo bar baz]",
        ),
        (
            "split",
            vec![s("$"), s("foo$bar$baz")],
            "map[string]interface {}|map[_0:foo _1:bar _2:baz]",
        ),
        (
            "splitn",
            vec![s("$"), Arg::I(2), s("foo$bar$baz")],
            "map[string]interface {}|map[_0:foo _1:bar$baz]",
        ),
        ("join", vec![s("-"), ls(&["a", "b", "c"])], "string|a-b-c"),
        ("sortAlpha", vec![ls(&["b", "c", "a"])], "[]string|[a b c]"),
        ("atoi", vec![s("42")], "int|42"),
        ("int64", vec![s("0x10")], "int64|16"),
        ("float64", vec![s("1.25")], "float64|1.25"),
        ("toDecimal", vec![s("0777")], "int64|511"),
        ("b64enc", vec![s("hello")], "string|aGVsbG8="),
        ("b64dec", vec![s("aGVsbG8=")], "string|hello"),
        (
            "b64dec",
            vec![s("aGVsbG8")],
            "string|illegal base64 data at input byte 4",
        ),
        ("b32enc", vec![s("hello")], "string|NBSWY3DP"),
        ("b32dec", vec![s("NBSWY3DP")], "string|hello"),
        (
            "toJson",
            vec![m(&[("a", s("<&>"))])],
            "string|{\"a\":\"\\u003c\\u0026\\u003e\"}",
        ),
        (
            "toRawJson",
            vec![m(&[("a", s("<&>"))])],
            "string|{\"a\":\"<&>\"}",
        ),
        (
            "toPrettyJson",
            vec![m(&[("a", Arg::I(1))])],
            "string|{\n  \"a\": 1\n}",
        ),
        (
            "fromJson",
            vec![s("{\"a\":[1,\"x\"]}")],
            "map[string]interface {}|map[a:[1 x]]",
        ),
        ("fromJson", vec![s("{")], "<nil>|<no value>"),
        ("mustFromJson", vec![s("{")], "ERR"),
        ("default", vec![s("foo"), s("")], "string|foo"),
        ("default", vec![s("foo"), s("bar")], "string|bar"),
        ("empty", vec![Arg::I(0)], "bool|true"),
        ("coalesce", vec![Arg::N, s(""), s("x")], "string|x"),
        (
            "ternary",
            vec![s("yes"), s("no"), Arg::B(false)],
            "string|no",
        ),
        ("fail", vec![s("secret message")], "ERR"),
        ("typeOf", vec![Arg::L(1)], "string|int64"),
        ("kindOf", vec![ls(&[])], "string|slice"),
        ("kindIs", vec![s("map"), m(&[])], "bool|true"),
        ("deepEqual", vec![Arg::I(1), Arg::L(1)], "bool|false"),
        ("base", vec![s("foo/bar/baz")], "string|baz"),
        ("dir", vec![s("foo/bar/baz")], "string|foo/bar"),
        ("clean", vec![s("foo/bar/../baz")], "string|foo/baz"),
        ("ext", vec![s("foo.bar")], "string|.bar"),
        ("isAbs", vec![s("/foo")], "bool|true"),
        (
            "regexMatch",
            vec![s("^[a-z]+@[a-z]+\\.com$"), s("test@acme.com")],
            "bool|true",
        ),
        (
            "regexFindAll",
            vec![s("[2,4,6,8]"), s("123456789"), Arg::I(-1)],
            "[]string|[2 4 6 8]",
        ),
        (
            "regexFind",
            vec![s("[a-zA-Z][1-9]"), s("abcd1234")],
            "string|d1",
        ),
        (
            "regexReplaceAll",
            vec![s("a(x*)b"), s("-ab-axxb-"), s("${1}W")],
            "string|-W-xxW-",
        ),
        (
            "regexReplaceAllLiteral",
            vec![s("a(x*)b"), s("-ab-axxb-"), s("${1}")],
            "string|-${1}-${1}-",
        ),
        (
            "regexSplit",
            vec![s("z+"), s("pizza"), Arg::I(-1)],
            "[]string|[pi a]",
        ),
        ("regexQuoteMeta", vec![s("1.2.3")], "string|1\\.2\\.3"),
        (
            "urlParse",
            vec![s("proto://auth@host:80/path?query#fragment")],
            "map[string]interface {}|map[fragment:fragment host:host:80 hostname:host opaque: path:/path query:query scheme:proto userinfo:auth]",
        ),
        (
            "urlJoin",
            vec![m(&[
                ("host", s("host:80")),
                ("path", s("/path")),
                ("query", s("query")),
                ("scheme", s("proto")),
            ])],
            "string|proto://host:80/path?query",
        ),
    ];
    for (f, args, want) in cases {
        assert_eq!(call(f, args), *want, "{f} {args:?}");
    }
    // And Go agrees with every one of them (split/splitn: map[string]string in Go).
    compare(
        &cases
            .iter()
            .map(|(f, a, _)| (static_name(f), a.clone()))
            .collect::<Vec<_>>(),
    );
}

fn static_name(f: &str) -> &'static str {
    Box::leak(f.to_owned().into_boxed_str())
}

/// Edge cases: empty, unicode, invalid UTF-8, wrong types, wrong argument counts.
#[test]
fn edge_cases_match_go() {
    let inv = b(b"a\xffb\xc3");
    let mut cases: Vec<(&'static str, Vec<Arg>)> = vec![
        ("upper", vec![inv.clone()]),
        ("lower", vec![s("İSTANBUL ǅ")]),
        ("title", vec![s("ǆemal ᾳ ß hello_world o'neil")]),
        ("swapcase", vec![s("ǅ ǈx Ⓐb")]),
        ("nospace", vec![b(b"a \xe9b")]),
        ("initials", vec![b(b"\xe9a b")]),
        ("trim", vec![s("\u{3000} x \u{a0}")]),
        ("trimAll", vec![b(b"\xff"), b(b"\xffab\xff")]),
        ("substr", vec![Arg::I(2), Arg::I(1), s("hello")]),
        ("substr", vec![Arg::I(-1), Arg::I(9), s("hello")]),
        ("trunc", vec![Arg::I(2), s("äb")]),
        ("repeat", vec![Arg::I(-1), s("x")]),
        ("repeat", vec![Arg::L(2), s("x")]),
        ("indent", vec![Arg::I(-1), s("x")]),
        ("replace", vec![s(""), s("-"), b(b"a\xff\xc3\xa9")]),
        ("wrap", vec![Arg::I(3), s("  aaaa bb cccccc d")]),
        ("wrapWith", vec![Arg::I(0), s(""), s("abc def")]),
        (
            "abbrevboth",
            vec![Arg::I(6), Arg::I(8), s("abcdefghijklmnop")],
        ),
        ("quote", vec![]),
        ("quote", vec![b(b"\x01\xff\xe2\x80\xa8")]),
        (
            "cat",
            vec![
                Arg::N,
                Arg::La(vec![Arg::N, Arg::X(1e6)]),
                m(&[("k", Arg::B(false))]),
            ],
        ),
        ("toString", vec![Arg::N]),
        ("toStrings", vec![Arg::N]),
        ("toStrings", vec![m(&[("a", s("b"))])]),
        ("sortAlpha", vec![Arg::N]),
        ("sortAlpha", vec![s("x")]),
        ("join", vec![s(","), Arg::I(5)]),
        ("splitn", vec![s(","), Arg::I(0), s("a,b")]),
        ("split", vec![s(""), b(b"a\xff\xc3\xa9")]),
        ("atoi", vec![s("99999999999999999999")]),
        ("atoi", vec![s("1_0")]),
        ("int", vec![s("1_000")]),
        ("int", vec![s("0b_1")]),
        ("int", vec![s("12.000")]),
        ("int", vec![Arg::X(-1e30)]),
        ("int64", vec![s("0o17")]),
        ("float64", vec![s("1e400")]),
        ("float64", vec![s("-Infinity")]),
        ("float64", vec![s("+nan")]),
        ("toDecimal", vec![Arg::I(17)]),
        ("b64dec", vec![s("aGVs\nbG8=")]),
        ("b64dec", vec![s("aGVsbG8=x")]),
        ("b64dec", vec![s("a===")]),
        ("b64dec", vec![s("aGVsbA=")]),
        ("b32dec", vec![s("NBSWY3D=")]),
        ("b32dec", vec![s("MY======MY")]),
        ("b32dec", vec![s("M")]),
        ("toJson", vec![Arg::X(f64::MAX)]),
        ("toJson", vec![b(b"\x00\x1f\xff\xe2\x80\xa9")]),
        ("toPrettyJson", vec![Arg::La(vec![])]),
        (
            "toPrettyJson",
            vec![m(&[("a", Arg::La(vec![Arg::I(1), m(&[])]))])],
        ),
        ("fromJson", vec![s("[1e400, 2]")]),
        ("mustFromJson", vec![s("[1e400, 2]")]),
        ("fromJson", vec![s("\"\\ud800\\u0041 \\udc00\"")]),
        ("fromJson", vec![b(b"\"\xff\"")]),
        ("fromJson", vec![s("01")]),
        ("fromJson", vec![s("{\"a\":1,\"a\":2} ")]),
        ("default", vec![s("d")]),
        ("default", vec![]),
        ("ternary", vec![s("a"), s("b"), s("true")]),
        ("typeOf", vec![Arg::N]),
        ("kindOf", vec![Arg::N]),
        ("typeIsLike", vec![s("int"), Arg::I(1)]),
        ("deepEqual", vec![ls(&["a"]), Arg::La(vec![s("a")])]),
        (
            "deepEqual",
            vec![m(&[("a", Arg::La(vec![]))]), m(&[("a", Arg::La(vec![]))])],
        ),
        ("base", vec![s("")]),
        ("base", vec![s("///")]),
        ("dir", vec![s("a")]),
        ("clean", vec![s("../../a/./b/..//")]),
        ("ext", vec![s("a.b/c")]),
        ("regexMatch", vec![s("("), s("x")]),
        ("mustRegexMatch", vec![s("("), s("x")]),
        ("regexMatch", vec![s(r"\d"), s("٣")]),
        ("regexMatch", vec![s(r"\w"), s("é")]),
        ("regexMatch", vec![s("[[]"), s("[")]),
        ("regexMatch", vec![s(r"a\<"), s("a<")]),
        ("regexMatch", vec![s("(?x)a"), s("a")]),
        ("regexMatch", vec![s("a{1001}"), s("a")]),
        ("regexMatch", vec![s("a{,2}"), s("a{,2}")]),
        ("regexFindAll", vec![s("a*"), s("baaac"), Arg::I(-1)]),
        ("regexFindAll", vec![s(""), s("日本"), Arg::I(-1)]),
        ("regexReplaceAll", vec![s("a*"), s("baaac"), s("<$0>")]),
        (
            "regexReplaceAll",
            vec![s("(?P<x>b)"), s("abc"), s("$x$1$$ $ $2 ${x}y $01")],
        ),
        ("regexSplit", vec![s(""), s("abc"), Arg::I(2)]),
        ("regexSplit", vec![s("x*"), s(""), Arg::I(-1)]),
        ("regexSplit", vec![s("a"), s("a"), Arg::I(0)]),
        ("regexQuoteMeta", vec![s(r"\.+*?()|[]{}^$")]),
        (
            "regexFindAll",
            vec![s("."), b(b"a\xff\xe2\x82b"), Arg::I(-1)],
        ),
        (
            "regexReplaceAll",
            vec![s("[^a]"), b(b"a\xffa\xef\xbf\xbd"), s("<$0>")],
        ),
        ("regexSplit", vec![s(""), b(b"\xff\xfe"), Arg::I(-1)]),
        ("regexFind", vec![s("\u{fffd}+"), b(b"x\xff\xfey")]),
    ];
    // Wrong argument counts and types for every function of the share.
    for f in [
        "upper",
        "b64enc",
        "toJson",
        "trunc",
        "contains",
        "regexFind",
        "hello",
    ] {
        cases.push((f, vec![s("a"), s("b"), s("c"), s("d")]));
        cases.push((f, vec![Arg::I(1)]));
        cases.push((f, vec![Arg::N]));
    }
    compare(&cases);
}

/// Errors never show an argument: not a `fail` message, not a pattern, not JSON.
#[test]
fn errors_hold_no_plaintext() {
    let secret = "hunter2-SECRET";
    let cases: Vec<(&str, Vec<Arg>)> = vec![
        ("fail", vec![s(secret)]),
        ("mustFromJson", vec![s("{\"hunter2-SECRET\"")]),
        ("mustRegexFind", vec![s("(hunter2-SECRET"), s("x")]),
        (
            "regexReplaceAll",
            vec![s("[hunter2-SECRET"), s("x"), s("y")],
        ),
        ("repeat", vec![Arg::I(-1), s(secret)]),
        ("substr", vec![Arg::I(50), Arg::I(60), s(secret)]),
        ("toRawJson", vec![Arg::X(f64::NAN)]),
    ];
    for (f, args) in cases {
        let values = args.iter().map(differential_value).collect();
        let err = harness::call(f, values).expect_err(f);
        let text = format!("{err} {err:?}");
        assert!(!text.contains("hunter2"), "{f}: {text}");
        assert!(
            text.contains(f),
            "{f}: the error names the function: {text}"
        );
    }
}

/// Output is bounded by the render caps before it is allocated.
#[test]
fn caps_bound_output() {
    let limits = super::super::RenderLimits {
        max_key_bytes: 1000,
        ..super::super::RenderLimits::default()
    };
    let big = |f: &str, args: Vec<Arg>| {
        let values = args.iter().map(differential_value).collect();
        harness::call_with(f, values, &limits)
            .expect_err(f)
            .cap()
            .is_some()
    };
    assert!(big("repeat", vec![Arg::I(1001), s("x")]));
    assert!(big("indent", vec![Arg::I(2000), s("x")]));
    assert!(big(
        "wrapWith",
        vec![Arg::I(1), b(&[b'x'; 600]), s("a b c d")]
    ));
    assert!(big("replace", vec![s(""), b(&[b'x'; 100]), b(&[b'y'; 20])]));
}
