//! Evaluation of parsed pipelines against the decrypted values.

use super::go_format::{SecureBuf, go_json_string, go_quote};
use super::parse::{Command, Func, Operand};
use crate::{SecretBytes, secret_bytes::encode_base64_zeroizing};
use base64::{Engine, engine::general_purpose::STANDARD};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

pub(super) enum Val {
    Bytes(Zeroizing<Vec<u8>>),
    Dot,
}

pub(super) fn eval_pipeline(
    cmds: &[Command],
    values: &BTreeMap<String, SecretBytes>,
) -> Result<Val, String> {
    let mut piped: Option<Val> = None;
    for cmd in cmds {
        piped = Some(match cmd {
            Command::Operand(op) => eval_operand(op, values)?,
            Command::Call(f, args) => {
                let mut vals = args
                    .iter()
                    .map(|a| eval_operand(a, values))
                    .collect::<Result<Vec<_>, _>>()?;
                vals.extend(piped.take());
                call(*f, vals, values)?
            }
        });
    }
    piped.ok_or_else(|| "empty pipeline".to_owned())
}

pub(super) fn eval_operand(
    op: &Operand,
    values: &BTreeMap<String, SecretBytes>,
) -> Result<Val, String> {
    Ok(match op {
        Operand::Dot => Val::Dot,
        Operand::Str(s) => Val::Bytes(Zeroizing::new(s.as_bytes().to_vec())),
        Operand::Field(k) => Val::Bytes(lookup(values, k)?),
    })
}

pub(super) fn lookup(
    values: &BTreeMap<String, SecretBytes>,
    key: &str,
) -> Result<Zeroizing<Vec<u8>>, String> {
    values
        .get(key)
        .map(|v| Zeroizing::new(v.as_bytes().to_vec()))
        .ok_or_else(|| format!("no data key {key:?} (Go would print \"<no value>\")"))
}

pub(super) fn call(
    f: Func,
    mut args: Vec<Val>,
    values: &BTreeMap<String, SecretBytes>,
) -> Result<Val, String> {
    let name = f.name();
    let bytes = |v: Val| match v {
        Val::Bytes(b) => Ok(b),
        Val::Dot => Err(format!("{name}: `.` is only allowed as `index .`")),
    };
    let one = |args: Vec<Val>| -> Result<Zeroizing<Vec<u8>>, String> {
        let n = args.len();
        let mut it = args.into_iter();
        match (it.next(), n) {
            (Some(v), 1) => bytes(v),
            _ => Err(format!("{name} takes exactly one argument, got {n}")),
        }
    };
    Ok(Val::Bytes(match f {
        Func::Index => {
            if args.len() != 2 {
                return Err(format!(
                    "index supports only `index . \"key\"`, got {} arguments",
                    args.len()
                ));
            }
            let key = args.pop().map(bytes).transpose()?.unwrap_or_default();
            if !matches!(args.first(), Some(Val::Dot)) {
                return Err("index supports only `index . \"key\"`".to_owned());
            }
            let key = std::str::from_utf8(&key).map_err(|_| "index key is not UTF-8".to_owned())?;
            lookup(values, key)?
        }
        Func::Quote | Func::Squote => {
            let mut out = SecureBuf::default();
            for (i, a) in args.into_iter().enumerate() {
                if i > 0 {
                    out.extend(b" ");
                }
                let a = bytes(a)?;
                if matches!(f, Func::Quote) {
                    go_quote(&a, &mut out);
                } else {
                    out.extend(b"'");
                    out.extend(&a);
                    out.extend(b"'");
                }
            }
            out.0
        }
        Func::Upper | Func::Lower => {
            let v = one(args)?;
            let s = std::str::from_utf8(&v).map_err(|_| format!("{name}: value is not UTF-8"))?;
            let mut out = SecureBuf::with_capacity(s.len());
            let mut tmp = [0u8; 4];
            for c in s.chars() {
                // Go maps rune by rune and keeps runes without a single-rune case mapping.
                let mapped = if matches!(f, Func::Upper) {
                    single(c.to_uppercase()).unwrap_or(c)
                } else {
                    single(c.to_lowercase()).unwrap_or(c)
                };
                out.extend(mapped.encode_utf8(&mut tmp).as_bytes());
            }
            out.0
        }
        Func::Trim => {
            let v = one(args)?;
            let trimmed = match std::str::from_utf8(&v) {
                Ok(s) => s.trim().as_bytes(),
                Err(_) => v.trim_ascii(),
            };
            Zeroizing::new(trimmed.to_vec())
        }
        Func::B64enc => {
            let v = one(args)?;
            let s = encode_base64_zeroizing(&v);
            Zeroizing::new(s.as_bytes().to_vec())
        }
        Func::B64dec => {
            let v = one(args)?;
            let mut out = Zeroizing::new(vec![0u8; base64::decoded_len_estimate(v.len())]);
            let n = STANDARD
                .decode_slice(v.as_slice(), out.as_mut_slice())
                .map_err(|_| "b64dec: value is not valid base64".to_owned())?;
            out.truncate(n);
            out
        }
        Func::ToJson => {
            let v = one(args)?;
            let mut out = SecureBuf::with_capacity(v.len() + 2);
            go_json_string(&v, &mut out);
            out.0
        }
        Func::Printf => {
            let mut it = args.into_iter();
            let format = it
                .next()
                .ok_or_else(|| "printf needs a format string".to_owned())
                .and_then(bytes)?;
            let rest = it.map(bytes).collect::<Result<Vec<_>, _>>()?;
            printf(&format, rest)?
        }
    }))
}

pub(super) fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

pub(super) fn printf(
    format: &[u8],
    args: Vec<Zeroizing<Vec<u8>>>,
) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut out = SecureBuf::default();
    let mut args = args.into_iter();
    let mut i = 0;
    while i < format.len() {
        let b = format[i];
        if b != b'%' {
            out.extend(&format[i..=i]);
            i += 1;
            continue;
        }
        let verb = format.get(i + 1).copied();
        i += 2;
        match verb {
            Some(b'%') => out.extend(b"%"),
            Some(v @ (b's' | b'v' | b'q')) => {
                let arg = args
                    .next()
                    .ok_or_else(|| "printf: too few arguments for the format".to_owned())?;
                if v == b'q' {
                    go_quote(&arg, &mut out);
                } else {
                    out.extend(&arg);
                }
            }
            Some(other) => {
                return Err(format!(
                    "printf: verb %{} is not supported (only %s, %v, %q, %%)",
                    char::from(other).escape_default()
                ));
            }
            None => return Err("printf: format ends with a lone %".to_owned()),
        }
    }
    if args.next().is_some() {
        return Err("printf: too many arguments for the format".to_owned());
    }
    Ok(out.0)
}
