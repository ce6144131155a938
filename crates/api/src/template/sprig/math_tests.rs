#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::super::test_call::{rendered, s};
use crate::template::value::Value;

#[test]
fn integer_math_casts_like_spf13_cast() {
    assert_eq!(
        rendered(
            "add",
            vec![Value::Int(1), s("2"), Value::Float(3.9), Value::Bool(true)]
        )
        .unwrap(),
        "7"
    );
    assert_eq!(rendered("add", vec![]).unwrap(), "0");
    assert_eq!(
        rendered("add", vec![s("x"), s("0x10"), s("2.0")]).unwrap(),
        "18"
    );
    assert_eq!(rendered("add1", vec![s("041")]).unwrap(), "34");
    assert_eq!(
        rendered("sub", vec![Value::Int(3), Value::Int(5)]).unwrap(),
        "-2"
    );
    assert_eq!(
        rendered("mul", vec![Value::Int(3), Value::Int(5), s("2")]).unwrap(),
        "30"
    );
    assert_eq!(
        rendered("div", vec![Value::Int(7), Value::Int(-2)]).unwrap(),
        "-3"
    );
    assert_eq!(
        rendered("mod", vec![Value::Int(-7), Value::Int(2)]).unwrap(),
        "-1"
    );
    assert_eq!(
        rendered("max", vec![Value::Int(1), s("9"), Value::Int(3)]).unwrap(),
        "9"
    );
    assert_eq!(
        rendered("min", vec![Value::Int(1), s("-9"), Value::Int(3)]).unwrap(),
        "-9"
    );
    assert_eq!(rendered("biggest", vec![Value::Int(4)]).unwrap(), "4");
    assert_eq!(
        rendered("add", vec![Value::Int(i64::MAX), Value::Int(1)]).unwrap(),
        i64::MIN.to_string(),
        "overflow wraps as in Go"
    );
    assert_eq!(
        rendered("div", vec![Value::Int(i64::MIN), Value::Int(-1)]).unwrap(),
        i64::MIN.to_string()
    );
}

#[test]
fn division_by_zero_fails_as_go_panics() {
    assert!(rendered("div", vec![Value::Int(1), Value::Int(0)]).is_none());
    assert!(rendered("mod", vec![Value::Int(1), s("zero")]).is_none());
    assert!(rendered("divf", vec![Value::Int(1), Value::Int(0)]).is_none());
    assert!(rendered("sub", vec![Value::Int(1)]).is_none());
    assert!(rendered("max", vec![]).is_none());
}

#[test]
fn float_math_is_decimal() {
    assert_eq!(
        rendered("addf", vec![Value::Float(0.1), Value::Float(0.2)]).unwrap(),
        "0.3"
    );
    assert_eq!(rendered("add1f", vec![s("1.5")]).unwrap(), "2.5");
    assert_eq!(
        rendered("subf", vec![Value::Float(1.5), Value::Int(2)]).unwrap(),
        "-0.5"
    );
    assert_eq!(
        rendered("mulf", vec![Value::Float(1.1), Value::Int(3)]).unwrap(),
        "3.3"
    );
    assert_eq!(
        rendered("divf", vec![Value::Int(10), Value::Int(3)]).unwrap(),
        "3.3333333333333335"
    );
    assert_eq!(
        rendered("maxf", vec![Value::Int(1), Value::Float(2.5), s("-3")]).unwrap(),
        "2.5"
    );
    assert_eq!(
        rendered("minf", vec![Value::Int(1), Value::Float(2.5), s("-3")]).unwrap(),
        "-3"
    );
    assert_eq!(rendered("ceil", vec![s("1.2")]).unwrap(), "2");
    assert_eq!(rendered("floor", vec![Value::Float(-1.2)]).unwrap(), "-2");
}

#[test]
fn round_follows_sprig() {
    // sprig docs/math.md: round 123.555555 3 → 123.556
    assert_eq!(
        rendered("round", vec![Value::Float(123.555555), Value::Int(3)]).unwrap(),
        "123.556"
    );
    assert_eq!(
        rendered(
            "round",
            vec![Value::Float(123.5555), Value::Int(3), Value::Float(0.6)]
        )
        .unwrap(),
        "123.555"
    );
    assert_eq!(
        rendered("round", vec![Value::Float(-2.5), Value::Int(0)]).unwrap(),
        "-3"
    );
    assert!(rendered("round", vec![Value::Float(1.0), s("2")]).is_none());
}

#[test]
fn rand_int_stays_in_range_and_refuses_empty_ranges() {
    for _ in 0..200 {
        let v: i64 = rendered("randInt", vec![Value::Int(-3), Value::Int(4)])
            .unwrap()
            .parse()
            .unwrap();
        assert!((-3..4).contains(&v));
    }
    assert!(rendered("randInt", vec![Value::Int(4), Value::Int(4)]).is_none());
}
