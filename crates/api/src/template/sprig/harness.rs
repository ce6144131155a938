//! Calls a function of the table directly, for unit tests: a fresh budget, a `Call`, and
//! the result printed as Go's template would print it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::super::RenderLimits;
use super::super::budget::Meter;
use super::super::error::TemplateError;
use super::super::func::Call;
use super::super::func::ELEMENT_WORK;
use super::super::value::{Elem, GoKey, Value};
use super::gofmt::sprint;
use std::collections::BTreeMap;

/// Call `name` with `args` within `limits`; the result printed with `%v` (a string as is),
/// prefixed by its Go type and `|`.
pub(crate) fn call_with(
    name: &str,
    args: Vec<Value<'static>>,
    limits: &RenderLimits,
) -> Result<Vec<u8>, TemplateError> {
    let meter = Meter::new(limits, 0);
    let table = crate::template::standard::functions();
    let (fname, entry) = table.get(name).expect("function registered");
    let super::super::func::Entry::Func(f) = entry else {
        panic!("{name} is not an ordinary function");
    };
    let call = Call::new(&meter, fname);
    let v = f(&call, args)?;
    let mut out = call.buf();
    out.extend(v.type_name().as_bytes())?;
    out.extend(b"|")?;
    match v {
        Value::Nil | Value::Missing => out.extend(b"<no value>")?,
        v => sprint(&v, &mut out)?,
    }
    let _ = ELEMENT_WORK;
    Ok(out.as_slice().to_vec())
}

/// [`call_with`] within the default limits.
pub(crate) fn call(name: &str, args: Vec<Value<'static>>) -> Result<Vec<u8>, TemplateError> {
    call_with(name, args, &RenderLimits::default())
}

/// The printed result as text, or `ERR`.
pub(crate) fn show(name: &str, args: Vec<Value<'static>>) -> String {
    match call(name, args) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => "ERR".to_owned(),
    }
}

pub(crate) fn b(bytes: &'static [u8]) -> Value<'static> {
    Value::borrowed(bytes)
}

pub(crate) fn i(n: i64) -> Value<'static> {
    Value::Int(n)
}

pub(crate) fn list(items: Vec<Value<'static>>) -> Value<'static> {
    Value::list(Elem::Any, items)
}

pub(crate) fn dict(entries: Vec<(&str, Value<'static>)>) -> Value<'static> {
    Value::dict(
        entries
            .into_iter()
            .map(|(k, v)| (GoKey(k.as_bytes().to_vec()), v))
            .collect::<BTreeMap<_, _>>(),
    )
}
