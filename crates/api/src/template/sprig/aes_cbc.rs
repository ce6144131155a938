//! sprig's `encryptAES PASSWORD TEXT` and `decryptAES PASSWORD BASE64`: AES-256-CBC with
//! the password's first 32 bytes as the key (zero-padded), PKCS#7-style padding, a random
//! IV in front, base64 (standard, padded) around. `decryptAES` reads the padding length
//! from the last byte without checking the other padding bytes, as sprig does; input that
//! sprig would panic on (too short, not whole blocks, a padding length beyond the text)
//! fails with a fixed reason.
//!
//! Every buffer holding the key or the plaintext is zeroizing; `encryptAES` output changes
//! on every render (random IV), as under Bitnami.

use super::super::error::{CallError, TemplateError};
use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::typed_args::str_arg;
use aes::Aes256;
use aes::cipher::{Block, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use base64::Engine;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use rand::Rng;
use zeroize::Zeroizing;

pub(super) fn register(table: &mut FuncTable) {
    table.register("encryptAES", encrypt_aes);
    table.register("decryptAES", decrypt_aes);
}

use super::Res;

const BLOCK: usize = 16;

/// Go's `base64.StdEncoding` for decoding: padding required, non-zero trailing bits
/// accepted (Go's non-strict mode); Go also skips `\r` and `\n`, done by the caller.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

fn cipher(password: &[u8]) -> Aes256 {
    let mut key = Zeroizing::new([0u8; 32]);
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password[..n]);
    Aes256::new(&(*key).into())
}

fn reason(call: &Call<'_, '_>, why: &'static str) -> TemplateError {
    call.error(CallError::Reason(why))
}

fn encrypt_aes<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let password = str_arg(call, &args[0], 0)?;
    let plain = str_arg(call, &args[1], 1)?;
    if plain.is_empty() {
        return call.copy_str(b"");
    }
    let padding = BLOCK - plain.len() % BLOCK;
    let total = BLOCK + plain.len() + padding;
    let encoded_len = total.div_ceil(3).saturating_mul(4);
    call.work(total)?;
    let mut out = call.buf_with_capacity(encoded_len)?;
    let mut data = Zeroizing::new(Vec::with_capacity(total));
    data.resize(BLOCK, 0);
    rand::rng().fill_bytes(&mut data[..BLOCK]);
    data.extend_from_slice(plain);
    data.resize(total, padding as u8);
    let aes = cipher(password);
    let mut prev = Block::<Aes256>::default();
    prev.copy_from_slice(&data[..BLOCK]);
    for chunk in data[BLOCK..].chunks_exact_mut(BLOCK) {
        let mut block = Block::<Aes256>::default();
        for ((b, c), p) in block.iter_mut().zip(chunk.iter()).zip(prev.iter()) {
            *b = c ^ p;
        }
        aes.encrypt_block(&mut block);
        chunk.copy_from_slice(&block);
        prev = block;
    }
    let mut encoded = Zeroizing::new(vec![0u8; encoded_len]);
    let n = base64::engine::general_purpose::STANDARD
        .encode_slice(data.as_slice(), encoded.as_mut_slice())
        .map_err(|_| reason(call, "internal error"))?;
    out.extend(&encoded[..n])?;
    Ok(call.string(out))
}

fn decrypt_aes<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let password = str_arg(call, &args[0], 0)?;
    let text = str_arg(call, &args[1], 1)?;
    if text.is_empty() {
        return call.copy_str(b"");
    }
    call.work(text.len().saturating_mul(2))?;
    let cleaned: Zeroizing<Vec<u8>> = Zeroizing::new(
        text.iter()
            .copied()
            .filter(|c| !matches!(c, b'\r' | b'\n'))
            .collect(),
    );
    let mut crypt = Zeroizing::new(vec![0u8; cleaned.len().div_ceil(4) * 3]);
    let n = GO_STD
        .decode_slice(cleaned.as_slice(), crypt.as_mut_slice())
        .map_err(|_| reason(call, "the ciphertext is not valid base64"))?;
    crypt.truncate(n);
    if crypt.len() <= BLOCK {
        return Err(reason(call, "the ciphertext is too short"));
    }
    if !crypt.len().is_multiple_of(BLOCK) {
        return Err(reason(
            call,
            "the ciphertext is not a whole number of blocks",
        ));
    }
    let aes = cipher(password);
    let mut prev = Block::<Aes256>::default();
    prev.copy_from_slice(&crypt[..BLOCK]);
    let body_len = crypt.len() - BLOCK;
    let mut plain = Zeroizing::new(vec![0u8; body_len]);
    for (chunk, dst) in crypt[BLOCK..]
        .chunks_exact(BLOCK)
        .zip(plain.chunks_exact_mut(BLOCK))
    {
        let mut block = Block::<Aes256>::default();
        block.copy_from_slice(chunk);
        aes.decrypt_block(&mut block);
        for ((d, b), p) in dst.iter_mut().zip(block.iter()).zip(prev.iter()) {
            *d = b ^ p;
        }
        prev.copy_from_slice(chunk);
    }
    let pad = usize::from(plain[body_len - 1]);
    let Some(keep) = body_len.checked_sub(pad) else {
        return Err(reason(call, "the padding is longer than the text"));
    };
    call.copy_str(&plain[..keep])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::test_call::{rendered, s};

    #[test]
    fn decrypts_what_sprig_encrypted() {
        // Produced by Go's sprig: {{ encryptAES "password" "hello world" }}.
        assert_eq!(
            rendered(
                "decryptAES",
                vec![
                    s("password"),
                    s("dcUKL4hx1hA8RqGSxoftGWWw4Udcssh9TY7FrHmWKTU=")
                ]
            )
            .unwrap(),
            "hello world"
        );
        // A password longer than 32 bytes (only the first 32 count) and a full padding block.
        assert_eq!(
            rendered(
                "decryptAES",
                vec![
                    s("a-very-long-password-longer-than-32-bytes!!"),
                    s("RcSfcJlpxnO+I0dsIpkrMTZ2zejKapqDPCuDIoSnjaNm039M37/Ko5R8zuDARqJE")
                ]
            )
            .unwrap(),
            "exactly16bytes!!"
        );
    }

    #[test]
    fn round_trips_with_a_fresh_iv() {
        let a = rendered("encryptAES", vec![s("k"), s("secret value")]).unwrap();
        let b = rendered("encryptAES", vec![s("k"), s("secret value")]).unwrap();
        assert_ne!(a, b);
        assert_eq!(
            rendered("decryptAES", vec![s("k"), s(&a)]).unwrap(),
            "secret value"
        );
        assert_eq!(rendered("encryptAES", vec![s("k"), s("")]).unwrap(), "");
        assert_eq!(rendered("decryptAES", vec![s("k"), s("")]).unwrap(), "");
    }

    #[test]
    fn malformed_ciphertexts_fail() {
        for bad in [
            "not base64!",
            "AAAA",
            "AAAAAAAAAAAAAAAAAAAAAA==",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ] {
            assert!(
                rendered("decryptAES", vec![s("k"), s(bad)]).is_none(),
                "{bad}"
            );
        }
    }
}
