//! sprig's `b64enc`, `b64dec`, `b32enc`, `b32dec` (standard alphabets, padded).
//!
//! sprig's decoders do not fail: on invalid input they return Go's error text as the value
//! (`illegal base64 data at input byte 4`), and so do these, byte for byte, with the offset Go
//! reports. That text goes into the Secret, like any rendered value, never into an error.

use super::super::budget::SecureBuf;
use super::super::error::TemplateError;
use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::args;
use super::gofmt::int;

pub(super) fn register(table: &mut FuncTable) {
    table.register("b64enc", b64enc);
    table.register("b64dec", b64dec);
    table.register("b32enc", b32enc);
    table.register("b32dec", b32dec);
}

use super::Res;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const PAD: u8 = b'=';

fn decode_map(alphabet: &[u8], b: u8) -> Option<u8> {
    alphabet
        .iter()
        .position(|a| *a == b)
        .and_then(|p| u8::try_from(p).ok())
}

fn b64enc<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = args::one_string(call, &args)?;
    let mut out = call.buf_with_capacity(s.len().div_ceil(3).saturating_mul(4))?;
    for chunk in s.chunks(3) {
        let mut q = [0u8; 3];
        q[..chunk.len()].copy_from_slice(chunk);
        let v = u32::from(q[0]) << 16 | u32::from(q[1]) << 8 | u32::from(q[2]);
        let mut enc = [PAD; 4];
        for (i, slot) in enc.iter_mut().enumerate().take(chunk.len() + 1) {
            *slot = B64[((v >> (18 - 6 * i)) & 63) as usize];
        }
        out.extend(&enc)?;
    }
    Ok(call.string(out))
}

fn b32enc<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = args::one_string(call, &args)?;
    let mut out = call.buf_with_capacity(s.len().div_ceil(5).saturating_mul(8))?;
    for chunk in s.chunks(5) {
        let mut q = [0u8; 5];
        q[..chunk.len()].copy_from_slice(chunk);
        let v = q.iter().fold(0u64, |v, b| v << 8 | u64::from(*b));
        // characters carrying data for 1..5 input bytes
        let used = [0, 2, 4, 5, 7, 8][chunk.len()];
        let mut enc = [PAD; 8];
        for (i, slot) in enc.iter_mut().enumerate().take(used) {
            *slot = B32[((v >> (35 - 5 * i)) & 31) as usize];
        }
        out.extend(&enc)?;
    }
    Ok(call.string(out))
}

/// Go's `CorruptInputError` text, as the result.
fn corrupt<'v>(call: &Call<'_, 'v>, kind: &[u8], at: usize) -> Res<'v> {
    let mut out = call.buf();
    out.extend(b"illegal ")?;
    out.extend(kind)?;
    out.extend(b" data at input byte ")?;
    int(i64::try_from(at).unwrap_or(i64::MAX), &mut out)?;
    Ok(call.string(out))
}

fn b64dec<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = args::one_string(call, &args)?;
    let mut out = call.buf_with_capacity(s.len() / 4 * 3 + 3)?;
    match b64_decode(s, &mut out)? {
        None => Ok(call.string(out)),
        Some(at) => corrupt(call, b"base64", at),
    }
}

fn is_newline(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// Go's `base64.StdEncoding.Decode`: `Some(offset)` of the first corrupt byte, as Go reports it.
fn b64_decode(
    src: &[u8],
    out: &mut SecureBuf<'_>,
) -> std::result::Result<Option<usize>, TemplateError> {
    let mut si = 0;
    while si < src.len() {
        let mut dbuf = [0u8; 4];
        let mut dlen = 4;
        let mut trailing = None;
        let mut j = 0;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(None);
                }
                // padding is required
                return Ok(Some(si - j));
            }
            let c = src[si];
            si += 1;
            if let Some(v) = decode_map(B64, c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if is_newline(c) {
                continue;
            }
            if c != PAD {
                return Ok(Some(si - 1));
            }
            match j {
                0 | 1 => return Ok(Some(si - 1)),
                2 => {
                    while si < src.len() && is_newline(src[si]) {
                        si += 1;
                    }
                    if si == src.len() {
                        return Ok(Some(src.len()));
                    }
                    if src[si] != PAD {
                        return Ok(Some(si - 1));
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && is_newline(src[si]) {
                si += 1;
            }
            if si < src.len() {
                trailing = Some(si);
            }
            dlen = j;
            break;
        }
        let v = u32::from(dbuf[0]) << 18
            | u32::from(dbuf[1]) << 12
            | u32::from(dbuf[2]) << 6
            | u32::from(dbuf[3]);
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend(&bytes[..dlen - 1])?;
        if trailing.is_some() {
            return Ok(trailing);
        }
        if dlen < 4 {
            return Ok(None);
        }
    }
    Ok(None)
}

fn b32dec<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = args::one_string(call, &args)?;
    // Go strips newlines first; offsets count in the stripped text.
    let mut stripped = call.buf_with_capacity(s.len())?;
    for b in s.iter().filter(|b| !is_newline(**b)) {
        stripped.extend(&[*b])?;
    }
    let mut out = call.buf_with_capacity(s.len() / 8 * 5 + 5)?;
    match b32_decode(stripped.as_slice(), &mut out)? {
        None => Ok(call.string(out)),
        Some(at) => corrupt(call, b"base32", at),
    }
}

/// Go's `base32.StdEncoding` decoding of newline-free `src`.
fn b32_decode(
    src: &[u8],
    out: &mut SecureBuf<'_>,
) -> std::result::Result<Option<usize>, TemplateError> {
    let olen = src.len();
    let mut rest = src;
    let mut end = false;
    while !rest.is_empty() && !end {
        let mut dbuf = [0u8; 8];
        let mut dlen = 8;
        let mut j = 0;
        while j < 8 {
            if rest.is_empty() {
                return Ok(Some(olen - j));
            }
            let c = rest[0];
            rest = &rest[1..];
            if c == PAD && j >= 2 && rest.len() < 8 {
                if rest.len() + j < 7 {
                    return Ok(Some(olen));
                }
                for k in 0..(7 - j) {
                    if rest.len() > k && rest[k] != PAD {
                        return Ok(Some(olen - rest.len() + k - 1));
                    }
                }
                dlen = j;
                end = true;
                if matches!(dlen, 1 | 3 | 6) {
                    return Ok(Some(olen - rest.len() - 1));
                }
                break;
            }
            match decode_map(B32, c) {
                Some(v) => dbuf[j] = v,
                None => return Ok(Some(olen - rest.len() - 1)),
            }
            j += 1;
        }
        let b = [
            dbuf[0] << 3 | dbuf[1] >> 2,
            dbuf[1] << 6 | dbuf[2] << 1 | dbuf[3] >> 4,
            dbuf[3] << 4 | dbuf[4] >> 1,
            dbuf[4] << 7 | dbuf[5] << 2 | dbuf[6] >> 3,
            dbuf[6] << 5 | dbuf[7],
        ];
        let n = match dlen {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => 0,
        };
        out.extend(&b[..n])?;
    }
    Ok(None)
}
