//! sprig's random functions: `randAlphaNum`, `randAlpha`, `randAscii`, `randNumeric`,
//! `randBytes`, `shuffle`, `uuidv4`. They draw from the thread CSPRNG, so, as under
//! Bitnami, a template that uses one renders a different Secret every time the controller
//! unseals it. Each reserves its whole output from the meter before drawing a byte.

use super::super::error::CallError;
use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::typed_args::{int_arg, str_arg};
use base64::Engine;
use rand::{Rng, RngExt};
use zeroize::Zeroizing;

pub(super) fn register(table: &mut FuncTable) {
    table.register("randAlphaNum", rand_alpha_num);
    table.register("randAlpha", rand_alpha);
    table.register("randAscii", rand_ascii);
    table.register("randNumeric", rand_numeric);
    table.register("randBytes", rand_bytes);
    table.register("shuffle", shuffle);
    table.register("uuidv4", uuidv4);
}

use super::Res;

const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALPHA_NUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const DIGITS: &[u8] = b"0123456789";

/// `count` characters drawn uniformly from `alphabet`. A negative count gives "" (sprig
/// ignores goutils' error).
fn random_text<'v>(
    call: &Call<'_, 'v>,
    args: &[Value<'v>],
    pick: impl Fn(&mut rand::rngs::ThreadRng) -> u8,
) -> Res<'v> {
    call.arity(args, 1)?;
    let count = usize::try_from(int_arg(call, &args[0], 0)?).unwrap_or(0);
    let mut out = call.buf_with_capacity(count)?;
    let mut rng = rand::rng();
    for _ in 0..count {
        out.extend(&[pick(&mut rng)])?;
    }
    Ok(call.string(out))
}

fn from(alphabet: &'static [u8]) -> impl Fn(&mut rand::rngs::ThreadRng) -> u8 {
    move |rng| alphabet[rng.random_range(0..alphabet.len())]
}

fn rand_alpha_num<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    random_text(call, &args, from(ALPHA_NUM))
}

fn rand_alpha<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    random_text(call, &args, from(ALPHA))
}

fn rand_numeric<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    random_text(call, &args, from(DIGITS))
}

/// Printable ASCII, space (32) to tilde (126), as goutils' `CryptoRandomAscii`.
fn rand_ascii<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    random_text(call, &args, |rng| rng.random_range(32u8..127))
}

/// `randBytes N`: N random bytes, base64-encoded. A negative N fails (Go's `make` panics).
fn rand_bytes<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let Ok(count) = usize::try_from(int_arg(call, &args[0], 0)?) else {
        return Err(call.error(CallError::Reason("the count must not be negative")));
    };
    let encoded_len = count.div_ceil(3).saturating_mul(4);
    let mut out = call.buf_with_capacity(encoded_len)?;
    call.work(count)?;
    let mut raw = Zeroizing::new(vec![0u8; count]);
    rand::rng().fill_bytes(&mut raw);
    let mut encoded = Zeroizing::new(vec![0u8; encoded_len]);
    let n = base64::engine::general_purpose::STANDARD
        .encode_slice(raw.as_slice(), encoded.as_mut_slice())
        .map_err(|_| call.error(CallError::Reason("internal error")))?;
    out.extend(&encoded[..n])?;
    Ok(call.string(out))
}

/// The runes of `bytes` as Go's `[]rune(s)` reads them: each byte of an invalid sequence
/// is one U+FFFD.
fn go_runes(bytes: &[u8]) -> Zeroizing<Vec<char>> {
    let mut runes = Zeroizing::new(Vec::with_capacity(bytes.len()));
    for chunk in bytes.utf8_chunks() {
        runes.extend(chunk.valid().chars());
        runes.extend(std::iter::repeat_n(
            char::REPLACEMENT_CHARACTER,
            chunk.invalid().len(),
        ));
    }
    runes
}

/// `shuffle S`: the characters of S in random order (xstrings.Shuffle).
fn shuffle<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let input = str_arg(call, &args[0], 0)?;
    // A rune takes 4 bytes here and up to 3 (U+FFFD) in the output per input byte.
    call.work(input.len().saturating_mul(4))?;
    let mut runes = go_runes(input);
    let mut rng = rand::rng();
    for i in (1..runes.len()).rev() {
        let j = rng.random_range(0..=i);
        runes.swap(i, j);
    }
    let out_len = runes.iter().map(|c| c.len_utf8()).sum();
    let mut out = call.buf_with_capacity(out_len)?;
    for c in runes.iter() {
        let mut utf8 = [0u8; 4];
        out.extend(c.encode_utf8(&mut utf8).as_bytes())?;
    }
    Ok(call.string(out))
}

/// A random (version 4, RFC 4122 variant) UUID in lowercase hex, as google/uuid prints it.
fn uuidv4<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 0)?;
    let mut u = [0u8; 16];
    rand::rng().fill_bytes(&mut u);
    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = call.buf_with_capacity(36)?;
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.extend(b"-")?;
        }
        out.extend(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])?;
    }
    Ok(call.string(out))
}

#[cfg(test)]
#[path = "random_tests.rs"]
mod tests;
