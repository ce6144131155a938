//! sprig's functions, as Bitnami exposes them (every sprig function except `env`,
//! `expandenv` and `getHostByName`). Registered after Go's builtins, so a sprig function
//! shadows a builtin of the same name (sprig's `slice` takes only lists).
//!
//! One file per family; each adds its own names with one `register` line below.

use super::func::FuncTable;

/// What every sprig function returns: a value, or the error that fails the template.
type Res<'v> = std::result::Result<super::value::Value<'v>, super::error::TemplateError>;

mod args;
mod casing;
mod convert;
mod defaults;
mod encoding;
mod gofmt;
mod json;
mod paths;
mod reflect;
mod regex;
mod regex_syntax;
mod string_lists;
mod strings;
mod unicode;
mod url;

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod differential;
#[cfg(test)]
mod harness;

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
mod stack_text;
#[cfg(test)]
mod test_call;
mod typed_args;
mod value_depth;

/// Add sprig's functions to `table`.
pub(super) fn register(table: &mut FuncTable) {
    strings::register(table);
    casing::register(table);
    convert::register(table);
    encoding::register(table);
    json::register(table);
    string_lists::register(table);
    defaults::register(table);
    reflect::register(table);
    paths::register(table);
    url::register(table);
    regex::register(table);
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
