//! [`TemplateError`]: why a template did not parse or render.
//!
//! Any string derived from plaintext is plaintext, so this type is built to hold none: its
//! variants carry only a [`Function`], a [`RenderCap`], counts taken from the template's text,
//! fixed reasons, and [`TemplateText`], which only the lexer makes, from the template's own
//! source. A value, a key computed from a value, a printf verb read from a value, or a position
//! inside a value has no way in.

use super::func::FuncName;
use super::{Function, RenderCap, TemplateText};
use std::fmt;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    // ---- the template's text (not secret, so it may be quoted) ------------------------
    #[error("unclosed action (missing `}}}}`)")]
    UnclosedAction,
    #[error("unclosed comment")]
    UnclosedComment,
    #[error("comment must end the action (`*/}}}}`)")]
    CommentNotLast,
    #[error("unterminated string literal")]
    UnterminatedString,
    #[error("unterminated raw string")]
    UnterminatedRawString,
    #[error("invalid escape in string literal")]
    InvalidEscape,
    #[error("unknown escape `\\{0}` in string literal")]
    UnknownEscape(TemplateText),
    #[error("unexpected character {0:?} in action")]
    UnexpectedCharacter(TemplateText),
    #[error("chained field `.{0}.…` is not supported: values are strings")]
    ChainedField(TemplateText),
    #[error("variables (`$`) are not supported")]
    Variables,
    #[error("parenthesized pipelines are not supported")]
    Parenthesized,
    #[error("variable assignment is not supported")]
    Assignment,
    #[error("character constants are not supported")]
    CharacterConstant,
    #[error("number literals are not supported")]
    NumberLiteral,
    #[error("`{0}` actions are not supported")]
    Keyword(&'static str),
    #[error("function {0:?} is not supported")]
    UnknownFunction(TemplateText),
    #[error("function {0:?} used as an argument (parenthesized calls are not supported)")]
    FunctionAsArgument(TemplateText),
    #[error("missing command in pipeline")]
    MissingCommand,
    #[error("only functions take arguments")]
    OperandWithArguments,
    #[error("cannot pipe into a non-function")]
    PipeIntoOperand,
    #[error("cannot print `.` (the whole data map); use .key")]
    PrintDot,
    #[error("{0}: `.` is only allowed as `index .`")]
    DotArgument(Function),
    #[error("{func} takes exactly one argument, got {got}")]
    OneArgument { func: Function, got: usize },
    #[error("index supports only `index . \"key\"`, got {got} argument(s)")]
    IndexArguments { got: usize },
    #[error("index supports only `index . \"key\"`")]
    IndexNotDot,
    #[error("printf needs a format string")]
    PrintfNoFormat,
    #[error("printf: verb %{0} is not supported (only %s, %v, %q, %%)")]
    PrintfVerb(TemplateText),
    #[error("printf: the format has {verbs} verb(s) but {args} argument(s)")]
    PrintfArgumentCount { verbs: usize, args: usize },
    #[error("printf: format ends with a lone %")]
    PrintfLonePercent,

    // ---- evaluation against the values (fixed reasons only) ---------------------------
    #[error("no data key {0:?} (Go would print \"<no value>\")")]
    NoSuchKey(TemplateText),
    #[error(
        "index: no data key matches the key computed by the pipeline \
         (not shown: it came from a value)"
    )]
    NoSuchComputedKey,
    #[error(
        "printf: the format, taken from a value (not shown), is not usable: \
         only %s, %v, %q and %% are, with one argument per verb"
    )]
    PrintfValueFormat,
    #[error("{0}: value is not UTF-8")]
    NotUtf8(Function),
    #[error("b64dec: value is not valid base64")]
    InvalidBase64,

    /// A function refused its arguments, for a fixed reason.
    #[error("error calling {func}: {reason}")]
    Call { func: FuncName, reason: CallError },

    /// A check that an earlier stage guarantees failed: a bug, reported without detail.
    #[error("{0}: internal error")]
    Internal(Function),

    // ---- caps -------------------------------------------------------------------------
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
