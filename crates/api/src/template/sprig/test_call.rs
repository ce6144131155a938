//! Test support: call a registered function directly, and print its result as Go's
//! `fmt.Sprint` would (what `{{ f args }}` writes), so unit tests and the differential test
//! against Go compare text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::super::budget::{Meter, SecureBuf};
use super::super::error::TemplateError;
use super::super::fmt::print_value;
use super::super::func::{Call, Entry};
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
    let Some((fname, Entry::Func(f))) = crate::template::standard::functions().get(name) else {
        panic!("{name} is not a registered function");
    };
    let call = Call::new(&meter, fname);
    f(&call, args)
}

/// The text `{{ name args }}` renders, or `None` when the call fails.
pub(crate) fn rendered(name: &str, args: Vec<Value<'_>>) -> Option<String> {
    call_fn(name, args).ok().map(|v| go_sprint(&v))
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

/// What `{{ f args }}` prints for the result `v`: Go's `fmt.Sprint`, with a nil at the end
/// of a pipeline shown as `<no value>` (the executor's rule).
pub(crate) fn go_sprint(v: &Value<'_>) -> String {
    let meter = Meter::new(&RenderLimits::default(), 0);
    let mut out = SecureBuf::new(&meter);
    let top = match v {
        Value::Nil => &Value::Missing,
        other => other,
    };
    print_value(top, &mut out).unwrap();
    String::from_utf8_lossy(out.as_slice()).into_owned()
}
