//! The function table every template renders with.
//!
//! Lookup follows Bitnami, which hands sprig's `FuncMap` to Go's `Template.Funcs`: a name in
//! the map shadows a Go builtin of the same name. So Go's builtins are registered first and
//! sprig's functions after them, and the later registration wins.

use super::func::FuncTable;
use std::sync::LazyLock;

/// Go's builtins, then sprig's functions (which win on a shared name), built once.
pub(super) fn functions() -> &'static FuncTable {
    static TABLE: LazyLock<FuncTable> = LazyLock::new(|| {
        let mut table = FuncTable::empty();
        super::builtins::register(&mut table);
        super::sprig::register(&mut table);
        table
    });
    &TABLE
}
