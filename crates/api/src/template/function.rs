//! The template functions we support, by name.

use std::fmt;

/// A function of the template subset. Errors name the function with this type, never with
/// a string, so a message can only ever say one of these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Index,
    Quote,
    Squote,
    Upper,
    Lower,
    Trim,
    B64enc,
    B64dec,
    ToJson,
    Printf,
}

impl Function {
    /// The name as written in a template.
    pub fn name(self) -> &'static str {
        match self {
            Function::Index => "index",
            Function::Quote => "quote",
            Function::Squote => "squote",
            Function::Upper => "upper",
            Function::Lower => "lower",
            Function::Trim => "trim",
            Function::B64enc => "b64enc",
            Function::B64dec => "b64dec",
            Function::ToJson => "toJson",
            Function::Printf => "printf",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "index" => Function::Index,
            "quote" => Function::Quote,
            "squote" => Function::Squote,
            "upper" => Function::Upper,
            "lower" => Function::Lower,
            "trim" => Function::Trim,
            "b64enc" => Function::B64enc,
            "b64dec" => Function::B64dec,
            "toJson" => Function::ToJson,
            "printf" => Function::Printf,
            _ => return None,
        })
    }

    /// Functions of exactly one argument (explicit or piped).
    pub(super) fn takes_one(self) -> bool {
        matches!(
            self,
            Function::Upper
                | Function::Lower
                | Function::Trim
                | Function::B64enc
                | Function::B64dec
                | Function::ToJson
        )
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
