#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::super::test_call::{call_with, list, rendered, s};
use crate::template::RenderLimits;
use crate::template::value::{Elem, Value};

fn ints(v: &[i64]) -> Value<'static> {
    list(v.iter().map(|&i| Value::Int(i)).collect())
}

#[test]
fn documented_examples() {
    // sprig docs/lists.md
    assert_eq!(rendered("first", vec![ints(&[1, 2, 3])]).unwrap(), "1");
    assert_eq!(rendered("rest", vec![ints(&[1, 2, 3])]).unwrap(), "[2 3]");
    assert_eq!(rendered("last", vec![ints(&[1, 2, 3])]).unwrap(), "3");
    assert_eq!(
        rendered("initial", vec![ints(&[1, 2, 3])]).unwrap(),
        "[1 2]"
    );
    assert_eq!(
        rendered("append", vec![ints(&[1, 2, 3]), Value::Int(6)]).unwrap(),
        "[1 2 3 6]"
    );
    assert_eq!(
        rendered("prepend", vec![ints(&[1, 2, 3]), Value::Int(0)]).unwrap(),
        "[0 1 2 3]"
    );
    assert_eq!(
        rendered("concat", vec![ints(&[1, 2]), ints(&[3]), ints(&[4, 5])]).unwrap(),
        "[1 2 3 4 5]"
    );
    assert_eq!(
        rendered("reverse", vec![ints(&[1, 2, 3])]).unwrap(),
        "[3 2 1]"
    );
    assert_eq!(
        rendered("uniq", vec![ints(&[1, 1, 1, 2])]).unwrap(),
        "[1 2]"
    );
    assert_eq!(
        rendered(
            "without",
            vec![ints(&[1, 2, 3, 4]), Value::Int(1), Value::Int(3)]
        )
        .unwrap(),
        "[2 4]"
    );
    assert_eq!(
        rendered("has", vec![Value::Int(4), ints(&[1, 2, 3, 4])]).unwrap(),
        "true"
    );
    assert_eq!(
        rendered(
            "compact",
            vec![list(vec![Value::Int(1), s("a"), s("foo"), s("")])]
        )
        .unwrap(),
        "[1 a foo]"
    );
    assert_eq!(
        rendered(
            "slice",
            vec![ints(&[1, 2, 3, 4, 5]), Value::Int(1), Value::Int(3)]
        )
        .unwrap(),
        "[2 3]"
    );
    assert_eq!(
        rendered("slice", vec![ints(&[1, 2, 3, 4, 5]), Value::Int(3)]).unwrap(),
        "[4 5]"
    );
    assert_eq!(
        rendered(
            "chunk",
            vec![Value::Int(3), ints(&[1, 2, 3, 4, 5, 6, 7, 8])]
        )
        .unwrap(),
        "[[1 2 3] [4 5 6] [7 8]]"
    );
    assert_eq!(
        rendered("until", vec![Value::Int(5)]).unwrap(),
        "[0 1 2 3 4]"
    );
    assert_eq!(
        rendered(
            "untilStep",
            vec![Value::Int(3), Value::Int(6), Value::Int(2)]
        )
        .unwrap(),
        "[3 5]"
    );
    assert_eq!(rendered("seq", vec![Value::Int(5)]).unwrap(), "1 2 3 4 5");
    assert_eq!(
        rendered("seq", vec![Value::Int(-3)]).unwrap(),
        "1 0 -1 -2 -3"
    );
    assert_eq!(
        rendered("seq", vec![Value::Int(0), Value::Int(2)]).unwrap(),
        "0 1 2"
    );
    assert_eq!(
        rendered("seq", vec![Value::Int(2), Value::Int(-2)]).unwrap(),
        "2 1 0 -1 -2"
    );
    assert_eq!(
        rendered("seq", vec![Value::Int(0), Value::Int(2), Value::Int(10)]).unwrap(),
        "0 2 4 6 8 10"
    );
    assert_eq!(
        rendered("seq", vec![Value::Int(0), Value::Int(-2), Value::Int(-5)]).unwrap(),
        "0 -2 -4"
    );
}

#[test]
fn empty_lists_give_nil_or_empty() {
    assert_eq!(rendered("first", vec![ints(&[])]).unwrap(), "<no value>");
    assert_eq!(rendered("rest", vec![ints(&[])]).unwrap(), "[]");
    assert_eq!(rendered("slice", vec![ints(&[])]).unwrap(), "<no value>");
    assert_eq!(rendered("concat", vec![]).unwrap(), "[]");
}

#[test]
fn non_lists_fail_strings_included() {
    // sprig's slice shadows Go's builtin: {{ slice "abc" 1 2 }} fails under Bitnami.
    assert!(rendered("slice", vec![s("abc"), Value::Int(1), Value::Int(2)]).is_none());
    for f in [
        "first",
        "last",
        "rest",
        "initial",
        "reverse",
        "uniq",
        "compact",
        "mustFirst",
    ] {
        assert!(rendered(f, vec![s("abc")]).is_none(), "{f}");
        assert!(rendered(f, vec![Value::Nil]).is_none(), "{f}");
    }
    assert!(rendered("append", vec![Value::Nil, Value::Int(1)]).is_none());
    assert!(rendered("has", vec![s("a"), s("abc")]).is_none());
    assert_eq!(rendered("has", vec![s("a"), Value::Nil]).unwrap(), "false");
}

#[test]
fn deep_equality_is_type_sensitive() {
    assert_eq!(
        rendered("has", vec![Value::Int64(1), ints(&[1])]).unwrap(),
        "false"
    );
    assert_eq!(
        rendered(
            "uniq",
            vec![list(vec![Value::Int(1), Value::Int64(1), Value::Int(1)])]
        )
        .unwrap(),
        "[1 1]"
    );
    let strs = Value::list(Elem::Str, vec![s("a"), s("b")]);
    assert_eq!(rendered("has", vec![s("b"), strs.clone()]).unwrap(), "true");
    // slice keeps a []string a []string.
    let sliced = super::super::test_call::call_fn("slice", vec![strs, Value::Int(1)]).unwrap();
    assert_eq!(sliced.type_name(), "[]string");
}

#[test]
fn bad_bounds_and_sizes_fail() {
    assert!(rendered("slice", vec![ints(&[1, 2]), Value::Int(1), Value::Int(3)]).is_none());
    assert!(rendered("slice", vec![ints(&[1, 2]), Value::Int(2), Value::Int(1)]).is_none());
    assert!(rendered("slice", vec![ints(&[1, 2]), Value::Int(-1)]).is_none());
    // Indices go through cast: "1" is 1, a bad string is 0.
    assert_eq!(
        rendered("slice", vec![ints(&[1, 2, 3]), s("1"), s("x")]),
        None
    );
    assert_eq!(
        rendered("slice", vec![ints(&[1, 2, 3]), s("x"), s("2")]).unwrap(),
        "[1 2]"
    );
    assert!(rendered("chunk", vec![Value::Int(0), ints(&[1])]).is_none());
    assert!(rendered("chunk", vec![Value::Int(-1), ints(&[])]).is_none());
    assert_eq!(
        rendered("chunk", vec![Value::Int(2), ints(&[])]).unwrap(),
        "[]"
    );
    // sprig's float arithmetic gives a few negative sizes a result (found by the
    // differential test): no chunk for 2..=|size|+1 elements, one for a single element.
    assert_eq!(
        rendered("chunk", vec![Value::Int(-3), ints(&[1, 2])]).unwrap(),
        "[]"
    );
    assert_eq!(
        rendered("chunk", vec![Value::Int(-3), ints(&[1])]).unwrap(),
        "[[1]]"
    );
    assert!(rendered("chunk", vec![Value::Int(-1), ints(&[1])]).is_none());
    assert!(rendered("chunk", vec![Value::Int(-2), ints(&[1, 2, 3, 4])]).is_none());
    assert!(
        rendered("until", vec![Value::Int64(3)]).is_none(),
        "int param takes only int"
    );
}

#[test]
fn huge_sequences_stop_at_the_cap_before_allocating() {
    let limits = RenderLimits::default();
    for (f, args) in [
        ("until", vec![Value::Int(100_000_000)]),
        (
            "untilStep",
            vec![Value::Int(0), Value::Int(i64::MAX), Value::Int(1)],
        ),
        ("seq", vec![Value::Int(100_000_000)]),
        (
            "untilStep",
            vec![
                Value::Int(0),
                Value::Int(i64::MAX),
                Value::Int(i64::MAX / 2 + 1),
            ],
        ),
    ] {
        let err = call_with(f, args, &limits).err().unwrap();
        assert!(err.cap().is_some(), "{f}: {err}");
    }
}

#[test]
fn nested_lists_are_bounded() {
    // Doubling a list by concatenating it with itself: the work cap stops it.
    let limits = RenderLimits::default();
    let mut l = ints(&[1, 2, 3, 4, 5, 6, 7, 8]);
    let mut stopped = false;
    for _ in 0..64 {
        match call_with("concat", vec![l.clone(), l.clone()], &limits) {
            Ok(next) => l = next,
            Err(e) => {
                assert!(e.cap().is_some());
                stopped = true;
                break;
            }
        }
    }
    assert!(stopped);
}
