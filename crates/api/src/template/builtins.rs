//! Go's builtin template functions (`text/template`'s `builtins()`).

use super::func::FuncTable;

/// Add Go's builtins to `table`.
pub(super) fn register(_table: &mut FuncTable) {}
