//! Test support: call a registered function directly, and print its result as Go's
//! `fmt.Sprint` would (what `{{ f args }}` writes), so unit tests and the differential test
//! against Go compare text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::super::budget::Meter;
use super::super::error::TemplateError;
use super::super::func::{Call, Entry, FuncTable};
use super::super::limits::RenderLimits;
use super::super::value::{Elem, GoKey, Value};
use std::collections::BTreeMap;

/// Call the function registered as `name` with `args` and default limits.
pub(crate) fn call_fn<'v>(name: &str, args: Vec<Value<'v>>) -> Result<Value<'v>, TemplateError> {
    call_with(name, args, &RenderLimits::default())
}

/// Call `name` within `limits`.
pub(crate) fn call_with<'v>(
    name: &str,
    args: Vec<Value<'v>>,
    limits: &RenderLimits,
) -> Result<Value<'v>, TemplateError> {
    let meter = Meter::new(limits, 0);
    let Some((fname, Entry::Func(f))) = FuncTable::standard().get(name) else {
        panic!("{name} is not a registered function");
    };
    let call = Call::new(&meter, fname);
    f(&call, args)
}

/// The text `{{ name args }}` renders, or `None` when the call fails.
pub(crate) fn rendered(name: &str, args: Vec<Value<'_>>) -> Option<String> {
    call_fn(name, args).ok().map(|v| go_sprint(&v, true))
}

pub(crate) fn s(text: &str) -> Value<'static> {
    Value::Str(super::super::value::GoStr::Owned(std::rc::Rc::new(
        zeroize::Zeroizing::new(text.as_bytes().to_vec()),
    )))
}

pub(crate) fn list(items: Vec<Value<'static>>) -> Value<'static> {
    Value::list(Elem::Any, items)
}

pub(crate) fn dict(pairs: Vec<(&str, Value<'static>)>) -> Value<'static> {
    let m: BTreeMap<GoKey, Value<'static>> = pairs
        .into_iter()
        .map(|(k, v)| (GoKey(k.as_bytes().to_vec()), v))
        .collect();
    Value::dict(m)
}

/// Go's `fmt.Sprint` of one value (`top`: a nil at the top of a pipeline prints
/// `<no value>`, inside a list `<nil>`).
pub(crate) fn go_sprint(v: &Value<'_>, top: bool) -> String {
    match v {
        Value::Missing => "<no value>".into(),
        Value::Nil if top => "<no value>".into(),
        Value::Nil => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Float(f) => go_float(*f),
        Value::Str(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        Value::List(l) => {
            let parts: Vec<String> = l.items.iter().map(|x| go_sprint(x, false)).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Map(m) => {
            let parts: Vec<String> = m
                .entries()
                .iter()
                .map(|(k, x)| {
                    format!(
                        "{}:{}",
                        String::from_utf8_lossy(k.as_bytes()),
                        go_sprint(x, false)
                    )
                })
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// Go's `%v` of a float64.
pub(crate) fn go_float(f: f64) -> String {
    String::from_utf8_lossy(super::float_text::FloatText::new(f).as_bytes()).into_owned()
}
