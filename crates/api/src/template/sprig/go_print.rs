//! Go's `fmt.Sprint` of one value (`%v`), into a metered buffer: what sprig's `strval`
//! makes of a non-string (`dict 1 "x"` has the key "1", `dict (list 1 2) "x"` the key
//! "[1 2]"). Lists print as `[a b]`, maps as `map[k:v]` in sorted key order, nil inside a
//! collection as `<nil>`.

use super::super::budget::SecureBuf;
use super::super::error::TemplateError;
use super::super::value::Value;
use super::float_text::FloatText;
use super::sequences::itoa;

/// Append `%v` of `v` to `out`.
pub(super) fn sprint(v: &Value<'_>, out: &mut SecureBuf<'_>) -> Result<(), TemplateError> {
    match v {
        Value::Missing | Value::Nil => out.extend(b"<nil>"),
        Value::Bool(b) => out.extend(if *b { b"true" } else { b"false" }),
        Value::Int(i) | Value::Int64(i) => {
            let mut digits = [0u8; 20];
            out.extend(itoa(*i, &mut digits))
        }
        Value::Float(f) => out.extend(FloatText::new(*f).as_bytes()),
        Value::Str(s) => out.extend(s.as_bytes()),
        Value::List(l) => {
            out.extend(b"[")?;
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.extend(b" ")?;
                }
                sprint(item, out)?;
            }
            out.extend(b"]")
        }
        Value::Map(m) => {
            out.extend(b"map[")?;
            for (i, (k, item)) in m.entries().iter().enumerate() {
                if i > 0 {
                    out.extend(b" ")?;
                }
                out.extend(k.as_bytes())?;
                out.extend(b":")?;
                sprint(item, out)?;
            }
            out.extend(b"]")
        }
    }
}
