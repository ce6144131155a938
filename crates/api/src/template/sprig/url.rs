//! sprig's `urlParse` and `urlJoin` (Go's `net/url`).

use super::super::func::FuncTable;

pub(super) fn register(_table: &mut FuncTable) {}
