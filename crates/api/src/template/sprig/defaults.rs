//! sprig's defaults and flow control: `default`, `empty`, `coalesce`, `all`, `any`,
//! `ternary`, `fail`.

use super::super::error::CallError;
use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::args::{self, at_least, reason};

pub(super) fn register(table: &mut FuncTable) {
    table.register("default", default);
    table.register("empty", empty);
    table.register("coalesce", coalesce);
    table.register("all", all);
    table.register("any", any);
    table.register("ternary", ternary);
    table.register("fail", fail);
}

use super::Res;

/// sprig's `empty`: nil, false, 0, and empty strings, lists and maps (Go's zero values).
fn is_empty(v: &Value<'_>) -> bool {
    !v.truth()
}

/// `default DEFAULT GIVEN`: GIVEN unless it is empty (or missing).
fn default<'c, 'v>(call: &Call<'c, 'v>, mut args: Vec<Value<'v>>) -> Res<'v> {
    at_least(call, &args, 1)?;
    if args.len() >= 2 && !is_empty(&args[1]) {
        return Ok(args.swap_remove(1));
    }
    Ok(args.swap_remove(0))
}

fn empty<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    Ok(Value::Bool(is_empty(&args[0])))
}

fn coalesce<'c, 'v>(_call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    Ok(args
        .into_iter()
        .find(|v| !is_empty(v))
        .unwrap_or(Value::Nil))
}

fn all<'c, 'v>(_call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    Ok(Value::Bool(args.iter().all(|v| !is_empty(v))))
}

fn any<'c, 'v>(_call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    Ok(Value::Bool(args.iter().any(|v| !is_empty(v))))
}

/// `ternary TRUE FALSE COND`: COND must be a bool.
fn ternary<'c, 'v>(call: &Call<'c, 'v>, mut args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 3)?;
    let Value::Bool(cond) = args[2] else {
        return Err(call.error(CallError::ArgType {
            index: 3,
            want: "bool",
            got: args[2].type_name(),
        }));
    };
    Ok(args.swap_remove(if cond { 0 } else { 1 }))
}

/// `fail MSG` always fails. The message may be computed from a value, so the error never
/// shows it: only that `fail` was called.
fn fail<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    args::string(call, &args, 0)?;
    Err(reason(
        call,
        "the template called fail (its message is not shown: it may hold a value)",
    ))
}
