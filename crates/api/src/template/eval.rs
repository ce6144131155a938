//! Evaluation of parsed pipelines against the decrypted values.
//!
//! Errors here carry no text of their own making: a key that is not found is quoted only
//! when it is [`TemplateText`] (written in the template); a key or printf format computed from
//! a value gets a fixed message.

use super::{
    Function, Meter, SecureBuf, TemplateError, TemplateText,
    go_format::{go_json_string, go_quote},
    parse::{Command, Operand},
};
use crate::SecretBytes;
use base64::{Engine, engine::general_purpose::STANDARD};
use std::collections::BTreeMap;

/// A value in a pipeline. Values and literals are borrowed, not copied; only function
/// results own (metered) memory.
pub(super) enum Val<'a, 'm> {
    /// The data map itself: only `index .` takes it.
    Dot,
    /// A string literal written in the template.
    Literal(&'a TemplateText),
    /// A decrypted value, or a part of one (`trim`).
    Ref(&'a [u8]),
    /// A function's result.
    Owned(SecureBuf<'m>),
}

impl Val<'_, '_> {
    /// The bytes of a string value; `.` is refused, naming the function it was given to.
    fn bytes(&self, f: Function) -> Result<&[u8], TemplateError> {
        match self {
            Val::Dot => Err(TemplateError::DotArgument(f)),
            Val::Literal(t) => Ok(t.as_str().as_bytes()),
            Val::Ref(b) => Ok(b),
            Val::Owned(b) => Ok(b.as_slice()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Val::Dot => 0,
            Val::Literal(t) => t.as_str().len(),
            Val::Ref(b) => b.len(),
            Val::Owned(b) => b.as_slice().len(),
        }
    }
}

type Values = BTreeMap<String, SecretBytes>;

pub(super) fn eval_pipeline<'a, 'm>(
    cmds: &'a [Command],
    values: &'a Values,
    meter: &'m Meter,
) -> Result<Val<'a, 'm>, TemplateError> {
    let mut piped: Option<Val<'a, 'm>> = None;
    for cmd in cmds {
        piped = Some(match cmd {
            Command::Operand(op) => eval_operand(op, values)?,
            Command::Call(f, args) => {
                let mut vals = args
                    .iter()
                    .map(|a| eval_operand(a, values))
                    .collect::<Result<Vec<_>, _>>()?;
                vals.extend(piped.take());
                call(*f, vals, values, meter)?
            }
        });
    }
    piped.ok_or(TemplateError::MissingCommand)
}

fn eval_operand<'a, 'm>(op: &'a Operand, values: &'a Values) -> Result<Val<'a, 'm>, TemplateError> {
    Ok(match op {
        Operand::Dot => Val::Dot,
        Operand::Literal(t) => Val::Literal(t),
        Operand::Field(name) => Val::Ref(literal_key(values, name)?),
    })
}

/// The value of a key written in the template: not secret, so a miss may name it.
fn literal_key<'a>(values: &'a Values, key: &TemplateText) -> Result<&'a [u8], TemplateError> {
    values
        .get(key.as_str())
        .map(SecretBytes::as_bytes)
        .ok_or_else(|| TemplateError::NoSuchKey(key.clone()))
}

/// The value of a key computed from a value: a miss says nothing about the key, not even
/// whether it was UTF-8.
fn computed_key<'a>(values: &'a Values, key: &[u8]) -> Result<&'a [u8], TemplateError> {
    std::str::from_utf8(key)
        .ok()
        .and_then(|k| values.get(k))
        .map(SecretBytes::as_bytes)
        .ok_or(TemplateError::NoSuchComputedKey)
}

fn one<'a, 'm>(f: Function, args: Vec<Val<'a, 'm>>) -> Result<Val<'a, 'm>, TemplateError> {
    let got = args.len();
    let mut it = args.into_iter();
    match (it.next(), got) {
        (Some(v), 1) => Ok(v),
        _ => Err(TemplateError::OneArgument { func: f, got }),
    }
}

fn call<'a, 'm>(
    f: Function,
    mut args: Vec<Val<'a, 'm>>,
    values: &'a Values,
    meter: &'m Meter,
) -> Result<Val<'a, 'm>, TemplateError> {
    // Reading the arguments is work too, whether or not the function allocates.
    meter.work(args.iter().map(Val::len).sum())?;
    Ok(match f {
        Function::Index => {
            if args.len() != 2 {
                return Err(TemplateError::IndexArguments { got: args.len() });
            }
            if !matches!(args.first(), Some(Val::Dot)) {
                return Err(TemplateError::IndexNotDot);
            }
            Val::Ref(match args.pop() {
                Some(Val::Literal(key)) => literal_key(values, key)?,
                Some(key) => computed_key(values, key.bytes(f)?)?,
                None => return Err(TemplateError::IndexArguments { got: 0 }),
            })
        }
        Function::Quote | Function::Squote => {
            let mut out = SecureBuf::new(meter);
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.extend(b" ")?;
                }
                let a = a.bytes(f)?;
                if f == Function::Quote {
                    go_quote(a, &mut out)?;
                } else {
                    out.extend(b"'")?;
                    out.extend(a)?;
                    out.extend(b"'")?;
                }
            }
            Val::Owned(out)
        }
        Function::Upper | Function::Lower => {
            let v = one(f, args)?;
            let s = std::str::from_utf8(v.bytes(f)?).map_err(|_| TemplateError::NotUtf8(f))?;
            Val::Owned(change_case(f == Function::Upper, s, meter)?)
        }
        Function::Trim => match one(f, args)? {
            Val::Dot => return Err(TemplateError::DotArgument(f)),
            Val::Literal(t) => Val::Ref(trim(t.as_str().as_bytes())),
            Val::Ref(b) => Val::Ref(trim(b)),
            Val::Owned(b) => {
                let trimmed = trim(b.as_slice());
                let mut out = SecureBuf::with_capacity(meter, trimmed.len())?;
                out.extend(trimmed)?;
                Val::Owned(out)
            }
        },
        Function::B64enc => {
            let v = one(f, args)?;
            let v = v.bytes(f)?;
            let len = base64::encoded_len(v.len(), true).ok_or(TemplateError::Internal(f))?;
            let mut out = SecureBuf::zeroed(meter, len)?;
            let n = STANDARD
                .encode_slice(v, out.as_mut_slice())
                .map_err(|_| TemplateError::Internal(f))?;
            out.truncate(n);
            Val::Owned(out)
        }
        Function::B64dec => {
            let v = one(f, args)?;
            let v = v.bytes(f)?;
            let mut out = SecureBuf::zeroed(meter, base64::decoded_len_estimate(v.len()))?;
            let n = STANDARD
                .decode_slice(v, out.as_mut_slice())
                .map_err(|_| TemplateError::InvalidBase64)?;
            out.truncate(n);
            Val::Owned(out)
        }
        Function::ToJson => {
            let v = one(f, args)?;
            let v = v.bytes(f)?;
            let mut out = SecureBuf::with_capacity(meter, v.len().saturating_add(2))?;
            go_json_string(v, &mut out)?;
            Val::Owned(out)
        }
        Function::Printf => {
            let mut it = args.iter();
            let format = it.next().ok_or(TemplateError::PrintfNoFormat)?;
            let literal = matches!(format, Val::Literal(_));
            let rest = it.map(|a| a.bytes(f)).collect::<Result<Vec<_>, _>>()?;
            match printf(format.bytes(f)?, &rest, meter) {
                // Literal formats were checked while parsing; only a computed one gets here.
                Err(TemplateError::PrintfValueFormat) if literal => {
                    return Err(TemplateError::Internal(f));
                }
                result => Val::Owned(result?),
            }
        }
    })
}

/// What mapping the case of one non-ASCII rune costs, in bytes of work: about as much as
/// copying 32 bytes (`cargo bench -p sealant-api --bench render` measured a 16-fold gap per
/// byte between the ASCII and the non-ASCII path). Charged so that the work cap bounds time.
const CASE_MAPPING_WORK: usize = 32;

/// Go's `strings.ToUpper`/`ToLower`: rune by rune, keeping runes without a single-rune case
/// mapping. ASCII runs are mapped in place, a byte at a time.
fn change_case<'m>(upper: bool, s: &str, meter: &'m Meter) -> Result<SecureBuf<'m>, TemplateError> {
    let mut out = SecureBuf::with_capacity(meter, s.len())?;
    let mut rest = s;
    let mut tmp = [0u8; 4];
    while !rest.is_empty() {
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(ascii);
        let start = out.as_slice().len();
        out.extend(run.as_bytes())?;
        if let Some(written) = out.as_mut_slice().get_mut(start..) {
            if upper {
                written.make_ascii_uppercase();
            } else {
                written.make_ascii_lowercase();
            }
        }
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            meter.work(CASE_MAPPING_WORK)?;
            let mapped = if upper {
                single(c.to_uppercase()).unwrap_or(c)
            } else {
                single(c.to_lowercase()).unwrap_or(c)
            };
            out.extend(mapped.encode_utf8(&mut tmp).as_bytes())?;
        }
        rest = chars.as_str();
    }
    Ok(out)
}

fn trim(v: &[u8]) -> &[u8] {
    match std::str::from_utf8(v) {
        Ok(s) => s.trim().as_bytes(),
        Err(_) => v.trim_ascii(),
    }
}

fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

/// `printf` with `%s`, `%v`, `%q` and `%%`. Any mismatch between format and arguments is
/// [`TemplateError::PrintfValueFormat`], one fixed error: the format may be a value, and
/// which way it failed (the verb, a lone `%`, the count) would tell something about it.
fn printf<'m>(
    format: &[u8],
    args: &[&[u8]],
    meter: &'m Meter,
) -> Result<SecureBuf<'m>, TemplateError> {
    let mut out = SecureBuf::new(meter);
    let mut args = args.iter();
    let mut rest = format;
    while let Some(at) = rest.iter().position(|b| *b == b'%') {
        out.extend(&rest[..at])?;
        let verb = rest.get(at + 1).copied();
        rest = rest.get(at + 2..).unwrap_or_default();
        match verb {
            Some(b'%') => out.extend(b"%")?,
            Some(v @ (b's' | b'v' | b'q')) => {
                let arg = args.next().ok_or(TemplateError::PrintfValueFormat)?;
                if v == b'q' {
                    go_quote(arg, &mut out)?;
                } else {
                    out.extend(arg)?;
                }
            }
            _ => return Err(TemplateError::PrintfValueFormat),
        }
    }
    out.extend(rest)?;
    if args.next().is_some() {
        return Err(TemplateError::PrintfValueFormat);
    }
    Ok(out)
}

/// Append the pipeline's result to the rendered value of the key.
pub(super) fn print(val: &Val<'_, '_>, out: &mut SecureBuf<'_>) -> Result<(), TemplateError> {
    match val {
        Val::Dot => Err(TemplateError::PrintDot),
        Val::Literal(t) => out.extend(t.as_str().as_bytes()),
        Val::Ref(b) => out.extend(b),
        Val::Owned(b) => out.extend(b.as_slice()),
    }
}
