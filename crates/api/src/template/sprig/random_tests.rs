#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::super::test_call::{call_with, rendered, s};
use crate::template::RenderLimits;
use crate::template::value::Value;
use base64::Engine;

#[test]
fn random_strings_have_the_length_and_alphabet() {
    type Alphabet = fn(u8) -> bool;
    let cases: [(&str, Alphabet); 4] = [
        ("randAlphaNum", |c| c.is_ascii_alphanumeric()),
        ("randAlpha", |c| c.is_ascii_alphabetic()),
        ("randNumeric", |c| c.is_ascii_digit()),
        ("randAscii", |c| (32..127).contains(&c)),
    ];
    for (f, ok) in cases {
        let out = rendered(f, vec![Value::Int(500)]).unwrap();
        assert_eq!(out.len(), 500, "{f}");
        assert!(out.bytes().all(ok), "{f}");
        assert_ne!(
            out,
            rendered(f, vec![Value::Int(500)]).unwrap(),
            "{f} repeats"
        );
        assert_eq!(rendered(f, vec![Value::Int(-1)]).unwrap(), "", "{f}");
    }
}

#[test]
fn rand_bytes_is_base64_of_n_bytes() {
    let out = rendered("randBytes", vec![Value::Int(33)]).unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(out)
        .unwrap();
    assert_eq!(raw.len(), 33);
    assert!(rendered("randBytes", vec![Value::Int(-1)]).is_none());
}

#[test]
fn uuidv4_is_version_4() {
    let u = rendered("uuidv4", vec![]).unwrap();
    let parts: Vec<&str> = u.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(parts[2].starts_with('4'));
    assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
    assert!(
        u.bytes()
            .all(|c| c == b'-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[test]
fn shuffle_permutes_runes_and_replaces_invalid_bytes_like_go() {
    let out = rendered("shuffle", vec![s("héllo wörld")]).unwrap();
    let mut a: Vec<char> = out.chars().collect();
    let mut b: Vec<char> = "héllo wörld".chars().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let bad = Value::borrowed(b"\xe2\x82");
    assert_eq!(rendered("shuffle", vec![bad]).unwrap(), "\u{fffd}\u{fffd}");
}

#[test]
fn huge_random_strings_stop_at_the_cap() {
    let err = call_with(
        "randAlphaNum",
        vec![Value::Int(1 << 40)],
        &RenderLimits::default(),
    )
    .err()
    .unwrap();
    assert!(err.cap().is_some());
}
