//! sprig's digests of a string: `sha1sum`, `sha256sum`, `sha512sum` (sprig 3.3.0; absent
//! from Debian's 3.2.3) as lowercase hex, and `adler32sum` as a decimal number. The input
//! is charged as work, the output as a metered string.

use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::sequences::itoa;
use super::typed_args::str_arg;
use sha2::Digest;

pub(super) fn register(table: &mut FuncTable) {
    table.register("sha1sum", sha1sum);
    table.register("sha256sum", sha256sum);
    table.register("sha512sum", sha512sum);
    table.register("adler32sum", adler32sum);
}

use super::Res;

/// Hash the one string argument with `D` and return the digest in hex.
fn hex_digest<'v, D: Digest>(call: &Call<'_, 'v>, args: &[Value<'v>]) -> Res<'v> {
    call.arity(args, 1)?;
    let input = str_arg(call, &args[0], 0)?;
    call.work(input.len())?;
    let digest = D::digest(input);
    let mut out = call.buf_with_capacity(digest.len() * 2)?;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in digest.iter() {
        out.extend(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])?;
    }
    Ok(call.string(out))
}

fn sha1sum<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    hex_digest::<sha1::Sha1>(call, &args)
}

fn sha256sum<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    hex_digest::<sha2::Sha256>(call, &args)
}

fn sha512sum<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    hex_digest::<sha2::Sha512>(call, &args)
}

/// Adler-32 (RFC 1950) of `data`.
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the longest run before `b` could overflow a u32.
    for block in data.chunks(5552) {
        for &byte in block {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

fn adler32sum<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let input = str_arg(call, &args[0], 0)?;
    call.work(input.len())?;
    let mut digits = [0u8; 20];
    call.copy_str(itoa(i64::from(adler32(input)), &mut digits))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::test_call::{rendered, s};
    use super::adler32;

    #[test]
    fn digests_match_known_vectors() {
        // sprig's own test table (crypto_test.go) and FIPS 180 vectors.
        assert_eq!(
            rendered("sha256sum", vec![s("abc")]).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            rendered("sha1sum", vec![s("abc")]).unwrap(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            rendered("sha512sum", vec![s("abc")]).unwrap(),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(rendered("adler32sum", vec![s("abc")]).unwrap(), "38600999");
        assert_eq!(rendered("adler32sum", vec![s("")]).unwrap(), "1");
    }

    #[test]
    fn adler32_survives_long_input_without_overflow() {
        let data = vec![0xffu8; 100_000];
        let (mut a, mut b) = (1u64, 0u64);
        for &x in &data {
            a = (a + u64::from(x)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(u64::from(adler32(&data)), (b << 16) | a);
    }

    #[test]
    fn digests_take_only_strings() {
        assert!(rendered("sha256sum", vec![super::Value::Int(1)]).is_none());
        assert!(rendered("sha256sum", vec![]).is_none());
    }
}
