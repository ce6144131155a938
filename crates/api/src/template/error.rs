//! [`TemplateError`]: why a template did not parse or render.
//!
//! Any string derived from plaintext is plaintext, so this type is built to hold none: its
//! variants carry only a [`FuncName`], a [`RenderCap`], counts, Go type names, fixed
//! reasons, and [`TemplateText`], which only the lexer and parser make, from the template's
//! own source. A value, a key computed from a value, a printf format read from a value, or a
//! position inside a value has no way in.

use super::func_name::FuncName;
use super::{RenderCap, TemplateText};
use std::fmt;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    // ---- parsing: the template's text (not secret, so it may be quoted) -----------------
    #[error("unclosed action")]
    UnclosedAction,
    #[error("unclosed left paren")]
    UnclosedParen,
    #[error("unexpected right paren")]
    UnexpectedRightParen,
    #[error("unclosed comment")]
    UnclosedComment,
    #[error("comment ends before closing delimiter")]
    CommentNotLast,
    #[error("expected :=")]
    ExpectedDeclare,
    #[error("unterminated quoted string")]
    UnterminatedString,
    #[error("unterminated raw quoted string")]
    UnterminatedRawString,
    #[error("unterminated character constant")]
    UnterminatedCharConstant,
    #[error("invalid string literal")]
    BadString,
    #[error("malformed character constant")]
    BadCharConstant,
    #[error("bad number syntax")]
    BadNumber,
    #[error("bad character in identifier, field or variable")]
    BadCharacter,
    #[error("unrecognized character in action")]
    UnrecognizedCharacter,
    #[error("unexpected {found:?} in {context}")]
    Unexpected {
        found: TemplateText,
        context: &'static str,
    },
    #[error("unexpected {0}")]
    UnexpectedEnd(&'static str),
    #[error("unexpected EOF")]
    UnexpectedEof,
    #[error("expected end")]
    ExpectedEnd,
    #[error("{0} outside {{{{range}}}}")]
    OutsideRange(&'static str),
    #[error("range can only initialize variables")]
    RangeVariables,
    #[error("too many declarations in {0}")]
    TooManyDeclarations(&'static str),
    #[error("missing value for {0}")]
    MissingValue(&'static str),
    #[error("non executable command in pipeline")]
    NonExecutableCommand,
    #[error("empty command")]
    EmptyCommand,
    #[error("unexpected . after a literal")]
    FieldOfLiteral,
    #[error("function {0:?} not defined")]
    UndefinedFunction(TemplateText),
    #[error("undefined variable {0:?}")]
    UndefinedVariable(TemplateText),
    #[error("multiple definition of template {0:?}")]
    MultipleDefinition(TemplateText),
    #[error("template name is not valid UTF-8")]
    TemplateNameNotUtf8,

    // ---- execution (fixed reasons only) --------------------------------------------------
    #[error("template {0:?} not defined")]
    NoSuchTemplate(TemplateText),
    #[error("can't give argument to non-function")]
    ArgumentsToNonFunction,
    #[error("nil is not a command")]
    NilCommand,
    #[error("number constant overflows int")]
    IntOverflow,
    #[error("complex number constants are not supported")]
    ComplexNumber,
    #[error("range can't iterate over a {0}")]
    RangeOver(&'static str),
    #[error("nil pointer evaluating field {0:?}")]
    NilField(TemplateText),
    #[error("field {0:?} is not a method but has arguments")]
    FieldWithArguments(TemplateText),
    #[error("can't evaluate field {field:?} in type {type_name}")]
    NoField {
        field: TemplateText,
        type_name: &'static str,
    },
    #[error("call is not supported: templates have no function values")]
    CallRefused,
    #[error("{0} is not supported")]
    Unsupported(&'static str),
    /// A function refused its arguments, for a fixed reason.
    #[error("error calling {func}: {reason}")]
    Call { func: FuncName, reason: CallError },

    /// A check that an earlier stage guarantees failed: a bug, reported without detail.
    #[error("internal error")]
    Internal,

    // ---- caps -------------------------------------------------------------------------
    #[error("nesting deeper than {limit} levels (actions, parentheses, template calls)")]
    TooDeep { limit: usize },
    #[error("{}", LimitText(*.cap, *.limit))]
    Limit { cap: RenderCap, limit: usize },
}

impl TemplateError {
    /// The cap this error is about, if it is one: callers count those apart.
    pub fn cap(&self) -> Option<RenderCap> {
        match self {
            TemplateError::Limit { cap, .. } => Some(*cap),
            _ => None,
        }
    }
}

struct LimitText(RenderCap, usize);

impl fmt::Display for LimitText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stopped at ")?;
        self.0.describe(self.1, f)
    }
}

/// Why a function refused its arguments: fixed reasons, argument counts, argument positions
/// and Go type names only. A function that needs another reason writes it as a
/// `&'static str` in code ([`CallError::Reason`]), never text made at render time.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CallError {
    #[error("wrong number of args: want {want} got {got}")]
    ArgCount { want: usize, got: usize },
    #[error("wrong number of args: want at least {min} got {got}")]
    ArgCountAtLeast { min: usize, got: usize },
    /// Argument `index` (1-based, the piped value counts last) has the wrong type.
    #[error("argument {index}: expected {want}, got {got}")]
    ArgType {
        index: usize,
        want: &'static str,
        got: &'static str,
    },
    #[error("value is not valid UTF-8")]
    NotUtf8,
    #[error("{0}")]
    Reason(&'static str),
}
