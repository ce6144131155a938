//! The name of a template function, as errors carry it.

use std::fmt;

/// The name of a function in the table. It holds only a `&'static str`, a name written in
/// code, and only the function table makes one, so an error can name a function without
/// ever holding text from a value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FuncName(&'static str);

impl FuncName {
    /// For the function table's lookup only.
    pub(super) fn from_table(name: &'static str) -> Self {
        Self(name)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for FuncName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for FuncName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}
