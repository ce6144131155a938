//! sprig's functions, as Bitnami exposes them (every sprig function except `env`,
//! `expandenv` and `getHostByName`). Registered after Go's builtins, so a sprig function
//! shadows a builtin of the same name (sprig's `slice` takes only lists).
//!
//! One file per family; each adds its own names with one `register` line below.

use super::func::FuncTable;

mod args;
mod casing;
mod convert;
mod defaults;
mod encoding;
mod gofmt;
mod json;
mod lists;
mod paths;
mod reflect;
mod regex;
mod regex_syntax;
mod strings;
mod unicode;
mod url;

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod differential;
#[cfg(test)]
mod harness;

/// Add sprig's functions to `table`.
pub(super) fn register(table: &mut FuncTable) {
    strings::register(table);
    casing::register(table);
    convert::register(table);
    encoding::register(table);
    json::register(table);
    lists::register(table);
    defaults::register(table);
    reflect::register(table);
    paths::register(table);
    url::register(table);
    regex::register(table);
}
