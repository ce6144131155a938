//! sprig's functions, as Bitnami exposes them (every sprig function except `env`,
//! `expandenv` and `getHostByName`). Registered after Go's builtins, so a sprig function
//! shadows a builtin of the same name (sprig's `slice` takes only lists).

use super::func::FuncTable;

mod aes_cbc;
mod bcrypt_hash;
mod decimal;
mod deep_equal;
mod derive_password;
mod dicts;
#[cfg(test)]
mod differential_tests;
mod durations;
mod hashes;
mod lists;
mod math;
mod numeric_cast;
mod random;
mod refused;
mod sequences;
#[cfg(test)]
mod test_call;
mod typed_args;
mod value_depth;

/// Add sprig's functions to `table`.
pub(super) fn register(table: &mut FuncTable) {
    lists::register(table);
    sequences::register(table);
    dicts::register(table);
    math::register(table);
    hashes::register(table);
    random::register(table);
    aes_cbc::register(table);
    bcrypt_hash::register(table);
    derive_password::register(table);
    durations::register(table);
    refused::register(table);
}
