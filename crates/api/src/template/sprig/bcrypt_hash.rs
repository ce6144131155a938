//! sprig's `bcrypt PASSWORD` and `htpasswd USER PASSWORD`: a `$2a$` bcrypt hash at sprig's
//! fixed cost 10 with a random salt (so, as under Bitnami, the Secret changes on every
//! render), and `USER:HASH` for an htpasswd file.
//!
//! One hash at cost 10 takes tens of milliseconds of CPU: far more than any byte-sized
//! work, so each call is charged [`BCRYPT_WORK`] from the render's work budget. With the
//! default 32 MiB budget a Secret can hold at most 16 hashes; a template that loops over
//! `bcrypt` stops at the cap instead of burning the controller's CPU.
//!
//! Like sprig, failures are returned as text, not errors: a password over 72 bytes gives
//! "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes" (the
//! golang.org/x/crypto that Bitnami v0.40 builds with refuses such passwords; older ones,
//! like Debian's, silently truncate), and a user name with a colon gives
//! "invalid username: USER".

use super::super::error::TemplateError;
use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::stack_text::StackText;
use super::typed_args::str_arg;

pub(super) fn register(table: &mut FuncTable) {
    table.register("bcrypt", bcrypt);
    table.register("htpasswd", htpasswd);
}

use super::Res;

/// sprig's cost (golang.org/x/crypto's `DefaultCost`).
const COST: u32 = 10;

/// Work charged per hash: 2 MiB, so 16 hashes use the whole default work budget.
pub(super) const BCRYPT_WORK: usize = 2 * 1024 * 1024;

/// bcrypt's input limit.
const MAX_PASSWORD: usize = 72;

const TOO_LONG: &[u8] =
    b"failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes";

/// A bcrypt hash is 60 ASCII bytes; written on the stack.
type HashText = StackText<64>;

/// Append sprig's `bcrypt(password)` to `out`.
fn hash_into(
    call: &Call<'_, '_>,
    password: &[u8],
    out: &mut super::super::budget::SecureBuf<'_>,
) -> Result<(), TemplateError> {
    if password.len() > MAX_PASSWORD {
        return out.extend(TOO_LONG);
    }
    call.work(BCRYPT_WORK)?;
    let mut text = HashText::new();
    let parts = bcrypt::hash_with_result(password, COST).map_err(|_| {
        call.error(super::super::error::CallError::Reason(
            "the system random source failed",
        ))
    })?;
    parts
        .write_for_version(bcrypt::Version::TwoA, &mut text)
        .map_err(|_| call.error(super::super::error::CallError::Reason("internal error")))?;
    out.extend(text.as_bytes())
}

fn bcrypt<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 1)?;
    let password = str_arg(call, &args[0], 0)?;
    let mut out = call.buf_with_capacity(TOO_LONG.len())?;
    hash_into(call, password, &mut out)?;
    Ok(call.string(out))
}

fn htpasswd<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    call.arity(&args, 2)?;
    let user = str_arg(call, &args[0], 0)?;
    let password = str_arg(call, &args[1], 1)?;
    let mut out = call.buf_with_capacity(user.len().saturating_add(1 + TOO_LONG.len()))?;
    if user.contains(&b':') {
        out.extend(b"invalid username: ")?;
        out.extend(user)?;
        return Ok(call.string(out));
    }
    out.extend(user)?;
    out.extend(b":")?;
    hash_into(call, password, &mut out)?;
    Ok(call.string(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::test_call::{call_with, rendered, s};
    use crate::template::RenderLimits;

    #[test]
    fn hashes_verify_and_go_hashes_verify_here() {
        let h = rendered("bcrypt", vec![s("hunter2")]).unwrap();
        assert!(h.starts_with("$2a$10$") && h.len() == 60, "{h}");
        assert!(bcrypt::verify("hunter2", &h).unwrap());
        assert_ne!(
            h,
            rendered("bcrypt", vec![s("hunter2")]).unwrap(),
            "fresh salt"
        );
        // Made by Go's sprig ({{ bcrypt "hunter2" }}, {{ htpasswd "user" "pässword" }}):
        // the same algorithm on both sides.
        assert!(
            bcrypt::verify(
                "hunter2",
                "$2a$10$GrYs0P8A5LJvUT7wbj3JH.DBzGpW/tZudBXWUqiw.Mx9TQ2xXGxxG"
            )
            .unwrap()
        );
        assert!(
            bcrypt::verify(
                "pässword",
                "$2a$10$fdm4XcDIyGo2a5r1Dp6nJuhnrLJ1bqgyyh7R0IfJLcsNNRGN2WUHS"
            )
            .unwrap()
        );
        assert!(
            bcrypt::verify(
                "",
                "$2a$10$Sg25/ou.Up5XLW6B33bYC.NzwDl.66LbLO9ZUhTLY63of/xnv/a8i"
            )
            .unwrap()
        );
    }

    #[test]
    fn htpasswd_lines() {
        let line = rendered("htpasswd", vec![s("user"), s("pässword")]).unwrap();
        let (user, hash) = line.split_once(':').unwrap();
        assert_eq!(user, "user");
        assert!(bcrypt::verify("pässword", hash).unwrap());
        assert_eq!(
            rendered("htpasswd", vec![s("a:b"), s("x")]).unwrap(),
            "invalid username: a:b"
        );
    }

    #[test]
    fn long_passwords_give_sprig_text_not_a_hash() {
        let long = "x".repeat(73);
        assert_eq!(
            rendered("bcrypt", vec![s(&long)]).unwrap(),
            "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
        );
        assert!(
            rendered("bcrypt", vec![s(&"x".repeat(72))])
                .unwrap()
                .starts_with("$2a$10$")
        );
    }

    #[test]
    fn hashing_is_capped_per_render() {
        let limits = RenderLimits {
            max_work_bytes: 3 * super::BCRYPT_WORK,
            ..RenderLimits::default()
        };
        // One call within the budget works; the budget of one render is shared, so the
        // cap is what bounds a loop (checked on the real render path in the integration test).
        assert!(call_with("bcrypt", vec![s("p")], &limits).is_ok());
        let tight = RenderLimits {
            max_work_bytes: super::BCRYPT_WORK - 1,
            ..RenderLimits::default()
        };
        let err = call_with("bcrypt", vec![s("p")], &tight).err().unwrap();
        assert!(err.cap().is_some());
    }
}
