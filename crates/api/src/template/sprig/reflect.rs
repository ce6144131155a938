//! sprig's reflection functions: `typeOf`, `typeIs`, `typeIsLike`, `kindOf`, `kindIs`,
//! `deepEqual`, on the Go types a template can meet.

use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::args;

pub(super) fn register(table: &mut FuncTable) {
    table.register("typeOf", type_of);
    table.register("typeIs", type_is);
    table.register("typeIsLike", type_is_like);
    table.register("kindOf", kind_of);
    table.register("kindIs", kind_is);
    table.register("deepEqual", deep_equal);
}

use super::Res;

/// Go's `reflect.Kind` name of a value (`invalid` for nil).
fn kind(v: &Value<'_>) -> &'static str {
    match v {
        Value::Missing | Value::Nil => "invalid",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        // A scalar's kind has its type's name (Go's predeclared types).
        Value::Bool(_)
        | Value::Int(_)
        | Value::Int64(_)
        | Value::Uint8(_)
        | Value::Float(_)
        | Value::Str(_) => v.type_name(),
    }
}

fn type_of<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(Value::borrowed(args[0].type_name().as_bytes()))
}

fn type_is<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let target = args::string(call, &args, 0)?;
    Ok(Value::Bool(target == args[1].type_name().as_bytes()))
}

/// `typeIsLike T v`: the type of `v` is `T` or `*T`; no value here is a pointer.
fn type_is_like<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    type_is(call, args)
}

fn kind_of<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(Value::borrowed(kind(&args[0]).as_bytes()))
}

fn kind_is<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let target = args::string(call, &args, 0)?;
    Ok(Value::Bool(target == kind(&args[1]).as_bytes()))
}

/// Go's `reflect.DeepEqual`: same type, and equal contents.
pub(super) fn deep_eq(a: &Value<'_>, b: &Value<'_>) -> bool {
    if a.type_name() != b.type_name() {
        return false;
    }
    match (a, b) {
        (Value::Missing | Value::Nil, Value::Missing | Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Uint8(x), Value::Uint8(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x.as_bytes() == y.as_bytes(),
        (Value::List(x), Value::List(y)) => {
            x.items.len() == y.items.len()
                && x.items.iter().zip(&y.items).all(|(a, b)| deep_eq(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.entries()
                    .iter()
                    .all(|(k, v)| y.get(k.as_bytes()).is_some_and(|w| deep_eq(v, &w)))
        }
        _ => false,
    }
}

fn deep_equal<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    call.work(32)?;
    Ok(Value::Bool(deep_eq(&args[0], &args[1])))
}
