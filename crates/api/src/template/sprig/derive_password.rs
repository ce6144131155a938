//! sprig's `derivePassword COUNTER TYPE PASSWORD USER SITE`: the Master Password algorithm
//! (scrypt N=32768, r=8, p=2 of the password salted with the user, then HMAC-SHA256 of the
//! site and counter, read through the template of TYPE). Deterministic, so the Secret does
//! not change between renders.
//!
//! One call allocates 32 MiB and costs around a hundred milliseconds of CPU, so each is
//! charged [`DERIVE_WORK`] from the render's work budget: at most 4 per Secret with the
//! default 32 MiB. An unknown TYPE renders sprig's text "cannot find password template
//! TYPE" (output, not an error, as in sprig).

use super::super::error::{CallError, TemplateError};
use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::typed_args::str_arg;
use hmac::{KeyInit, Mac};
use zeroize::Zeroizing;

pub(super) fn register(table: &mut FuncTable) {
    table.register("derivePassword", derive_password);
}

/// Work charged per call: 8 MiB, a quarter of the default budget.
pub(super) const DERIVE_WORK: usize = 8 * 1024 * 1024;

const SEED: &[u8] = b"com.lyndir.masterpassword";

/// The Master Password templates of each password type.
fn templates(kind: &[u8]) -> Option<&'static [&'static [u8]]> {
    Some(match kind {
        b"maximum" => &[b"anoxxxxxxxxxxxxxxxxx", b"axxxxxxxxxxxxxxxxxno"],
        b"long" => &[
            b"CvcvnoCvcvCvcv",
            b"CvcvCvcvnoCvcv",
            b"CvcvCvcvCvcvno",
            b"CvccnoCvcvCvcv",
            b"CvccCvcvnoCvcv",
            b"CvccCvcvCvcvno",
            b"CvcvnoCvccCvcv",
            b"CvcvCvccnoCvcv",
            b"CvcvCvccCvcvno",
            b"CvcvnoCvcvCvcc",
            b"CvcvCvcvnoCvcc",
            b"CvcvCvcvCvccno",
            b"CvccnoCvccCvcv",
            b"CvccCvccnoCvcv",
            b"CvccCvccCvcvno",
            b"CvcvnoCvccCvcc",
            b"CvcvCvccnoCvcc",
            b"CvcvCvccCvccno",
            b"CvccnoCvcvCvcc",
            b"CvccCvcvnoCvcc",
            b"CvccCvcvCvccno",
        ],
        b"medium" => &[b"CvcnoCvc", b"CvcCvcno"],
        b"short" => &[b"Cvcn"],
        b"basic" => &[b"aaanaaan", b"aannaaan", b"aaannaaa"],
        b"pin" => &[b"nnnn"],
        _ => return None,
    })
}

/// The characters a template letter stands for.
fn characters(class: u8) -> &'static [u8] {
    match class {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// A Go `uint32` parameter: a non-negative int, truncated to 32 bits as Go's
/// `reflect.Value.SetUint` does for a literal.
fn counter_arg(call: &Call<'_, '_>, v: &Value<'_>) -> Result<u32, TemplateError> {
    match v {
        Value::Int(i) if *i >= 0 => Ok(*i as u32),
        other => Err(call.error(CallError::ArgType {
            index: 1,
            want: "uint32",
            got: other.type_name(),
        })),
    }
}

fn derive_password<'c, 'v>(
    call: &Call<'c, 'v>,
    args: Vec<Value<'v>>,
) -> Result<Value<'v>, TemplateError> {
    call.arity(&args, 5)?;
    let counter = counter_arg(call, &args[0])?;
    let kind = str_arg(call, &args[1], 1)?;
    let password = str_arg(call, &args[2], 2)?;
    let user = str_arg(call, &args[3], 3)?;
    let site = str_arg(call, &args[4], 4)?;
    let Some(templates) = templates(kind) else {
        let mut out = call.buf_with_capacity(32 + kind.len())?;
        out.extend(b"cannot find password template ")?;
        out.extend(kind)?;
        return Ok(call.string(out));
    };
    call.work(DERIVE_WORK)?;
    call.work(password.len() + user.len() + site.len())?;
    let failed = || call.error(CallError::Reason("the key derivation failed"));
    let mut salt = Zeroizing::new(Vec::with_capacity(SEED.len() + 4 + user.len()));
    salt.extend_from_slice(SEED);
    salt.extend_from_slice(
        &u32::try_from(user.len())
            .map_err(|_| failed())?
            .to_be_bytes(),
    );
    salt.extend_from_slice(user);
    let params = scrypt::Params::new(15, 8, 2).map_err(|_| failed())?;
    let mut key = Zeroizing::new([0u8; 64]);
    scrypt::scrypt(password, &salt, &params, key.as_mut_slice()).map_err(|_| failed())?;
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_slice()).map_err(|_| failed())?;
    mac.update(SEED);
    mac.update(
        &u32::try_from(site.len())
            .map_err(|_| failed())?
            .to_be_bytes(),
    );
    mac.update(site);
    mac.update(&counter.to_be_bytes());
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&mac.finalize().into_bytes());
    let template = templates[usize::from(seed[0]) % templates.len()];
    let mut out = call.buf_with_capacity(template.len())?;
    for (i, &class) in template.iter().enumerate() {
        let chars = characters(class);
        let pick = seed.get(i + 1).copied().unwrap_or(0);
        out.extend(&[chars[usize::from(pick) % chars.len()]])?;
    }
    Ok(call.string(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::test_call::{rendered, s};
    use crate::template::value::Value;

    #[test]
    fn matches_go_sprig() {
        // Outputs of Go's sprig for the same calls.
        assert_eq!(
            rendered(
                "derivePassword",
                vec![
                    Value::Int(1),
                    s("long"),
                    s("password"),
                    s("user"),
                    s("example.com")
                ]
            )
            .unwrap(),
            "ZedaFaxcZaso9*"
        );
        assert_eq!(
            rendered(
                "derivePassword",
                vec![Value::Int(4_294_967_296), s("pin"), s("p"), s("u"), s("s")]
            )
            .unwrap(),
            "9426"
        );
        assert_eq!(
            rendered(
                "derivePassword",
                vec![Value::Int(3), s("nope"), s("p"), s("u"), s("s")]
            )
            .unwrap(),
            "cannot find password template nope"
        );
        assert!(
            rendered(
                "derivePassword",
                vec![Value::Int(-1), s("pin"), s("p"), s("u"), s("s")]
            )
            .is_none()
        );
    }
}
