#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::super::test_call::{call_fn, dict, list, rendered, s};
use crate::template::value::{GoMap, Value};
use std::collections::BTreeMap;

#[test]
fn documented_examples() {
    let d = || dict(vec![("name1", s("value1")), ("name2", s("value2"))]);
    assert_eq!(
        rendered(
            "dict",
            vec![s("name1"), s("value1"), s("name2"), s("value2")]
        )
        .unwrap(),
        "map[name1:value1 name2:value2]"
    );
    assert_eq!(rendered("get", vec![d(), s("name1")]).unwrap(), "value1");
    assert_eq!(rendered("get", vec![d(), s("missing")]).unwrap(), "");
    assert_eq!(
        rendered("set", vec![d(), s("name3"), s("value3")]).unwrap(),
        "map[name1:value1 name2:value2 name3:value3]"
    );
    assert_eq!(
        rendered("unset", vec![d(), s("name1")]).unwrap(),
        "map[name2:value2]"
    );
    assert_eq!(rendered("hasKey", vec![d(), s("name1")]).unwrap(), "true");
    assert_eq!(
        rendered(
            "pluck",
            vec![s("name1"), d(), dict(vec![("name1", s("other"))])]
        )
        .unwrap(),
        "[value1 other]"
    );
    assert_eq!(rendered("keys", vec![d()]).unwrap(), "[name1 name2]");
    assert_eq!(
        rendered("pick", vec![d(), s("name1"), s("name3")]).unwrap(),
        "map[name1:value1]"
    );
    assert_eq!(
        rendered("omit", vec![d(), s("name1"), s("name3")]).unwrap(),
        "map[name2:value2]"
    );
    assert_eq!(rendered("values", vec![d()]).unwrap(), "[value1 value2]");
    let nested = dict(vec![(
        "a",
        dict(vec![("b", dict(vec![("c", s("found"))]))]),
    )]);
    assert_eq!(
        rendered(
            "dig",
            vec![s("a"), s("b"), s("c"), s("default"), nested.clone()]
        )
        .unwrap(),
        "found"
    );
    assert_eq!(
        rendered(
            "dig",
            vec![s("a"), s("x"), s("c"), s("default"), nested.clone()]
        )
        .unwrap(),
        "default"
    );
    assert!(
        rendered(
            "dig",
            vec![s("a"), s("b"), s("c"), s("d"), s("default"), nested]
        )
        .is_none()
    );
}

#[test]
fn dict_keys_are_printed_like_go_and_odd_counts_pad() {
    assert_eq!(
        rendered("dict", vec![Value::Int(1), s("x"), Value::Bool(true)]).unwrap(),
        "map[1:x true:]"
    );
    assert_eq!(
        rendered("dict", vec![Value::Float(1.5), Value::Nil]).unwrap(),
        "map[1.5:<nil>]"
    );
    let l = super::super::test_call::list(vec![Value::Int(1), s("a")]);
    assert_eq!(rendered("dict", vec![l, s("x")]).unwrap(), "map[[1 a]:x]");
}

#[test]
fn the_data_map_is_not_a_dict() {
    let data: BTreeMap<String, crate::SecretBytes> = BTreeMap::new();
    let dot = Value::Map(GoMap::Data(&data));
    assert!(rendered("get", vec![dot.clone(), s("k")]).is_none());
    assert!(rendered("hasKey", vec![dot.clone(), s("k")]).is_none());
    assert!(rendered("keys", vec![dot]).is_none());
    assert!(
        rendered("get", vec![dict(vec![]), Value::Int(1)]).is_none(),
        "string param"
    );
}

#[test]
fn nil_maps_read_as_empty_but_cannot_be_set() {
    assert_eq!(rendered("get", vec![Value::Nil, s("a")]).unwrap(), "");
    assert_eq!(
        rendered("hasKey", vec![Value::Nil, s("a")]).unwrap(),
        "false"
    );
    assert!(rendered("set", vec![Value::Nil, s("a"), s("b")]).is_none());
}

#[test]
fn merge_keeps_dst_and_overwrite_replaces() {
    // sprig docs/dicts.md, mergeOverwrite.
    let dst = || {
        dict(vec![
            ("default", s("default")),
            ("overwrite", s("me")),
            ("key", Value::Bool(true)),
        ])
    };
    let src = || {
        dict(vec![
            ("overwrite", s("overwritten")),
            ("key", Value::Bool(false)),
        ])
    };
    assert_eq!(
        rendered("mergeOverwrite", vec![dst(), src()]).unwrap(),
        "map[default:default key:false overwrite:overwritten]"
    );
    assert_eq!(
        rendered("merge", vec![dst(), src()]).unwrap(),
        "map[default:default key:true overwrite:me]"
    );
    let a = dict(vec![("n", dict(vec![("x", Value::Int(1))])), ("e", s(""))]);
    let b = dict(vec![
        ("n", dict(vec![("y", Value::Int(2)), ("x", Value::Int(9))])),
        ("e", s("filled")),
    ]);
    assert_eq!(
        rendered("merge", vec![a.clone(), b.clone()]).unwrap(),
        "map[e:filled n:map[x:1 y:2]]"
    );
    assert_eq!(
        rendered("mergeOverwrite", vec![a, b]).unwrap(),
        "map[e:filled n:map[x:9 y:2]]"
    );
    assert!(call_fn("merge", vec![list(vec![])]).is_err());
}
