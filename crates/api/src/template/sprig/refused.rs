//! sprig functions Sealant refuses, each with an error naming the function (the table's
//! name) and why. Documented in docs/compatibility.md.
//!
//! * Key and certificate generators: one RSA or ECDSA key generation per render turns a
//!   template into a CPU amplifier against the controller (every retry renders again), and
//!   a key made at unseal time changes on every render, so nothing could rely on it.
//! * `semver`, `semverCompare` and the date functions (all but `duration` and
//!   `durationRound`, which need no clock): not implemented yet.

use super::super::error::{CallError, TemplateError};
use super::super::func::{Call, FuncTable};
use super::super::value::Value;

pub(super) fn register(table: &mut FuncTable) {
    for name in [
        "genPrivateKey",
        "buildCustomCert",
        "genCA",
        "genCAWithKey",
        "genSelfSignedCert",
        "genSelfSignedCertWithKey",
        "genSignedCert",
        "genSignedCertWithKey",
    ] {
        table.register(name, key_generation);
    }
    for name in [
        "semver",
        "semverCompare",
        "ago",
        "date",
        "date_in_zone",
        "dateInZone",
        "date_modify",
        "dateModify",
        "must_date_modify",
        "mustDateModify",
        "htmlDate",
        "htmlDateInZone",
        "now",
        "toDate",
        "mustToDate",
        "unixEpoch",
    ] {
        table.register(name, not_implemented);
    }
}

fn key_generation<'c, 'v>(
    call: &Call<'c, 'v>,
    _args: Vec<Value<'v>>,
) -> Result<Value<'v>, TemplateError> {
    Err(call.error(CallError::Reason(
        "refused by Sealant: generating keys or certificates while unsealing costs the \
         controller seconds of CPU per render and changes the Secret on every render",
    )))
}

fn not_implemented<'c, 'v>(
    call: &Call<'c, 'v>,
    _args: Vec<Value<'v>>,
) -> Result<Value<'v>, TemplateError> {
    Err(call.error(CallError::Reason("not supported by Sealant yet")))
}
