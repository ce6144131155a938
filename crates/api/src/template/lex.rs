//! Lexing one action (`{{ … }}`) of the template into tokens.

use super::TemplateError;
use std::{fmt, ops::Range};

/// Text taken from the template's own source: a key written as `.name` or `"name"`, a
/// function name, a character of an action. The template is not secret, so errors may quote
/// it. Only this module makes one, from the source it lexes: nothing computed at render time
/// can become a `TemplateText`, so no error can quote a value through it.
#[derive(Clone, PartialEq, Eq)]
pub struct TemplateText(String);

impl TemplateText {
    fn from_source(text: &str) -> Self {
        Self(text.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A part of this text (still the template's own).
    pub(super) fn part(&self, range: Range<usize>) -> Option<Self> {
        self.0.get(range).map(Self::from_source)
    }
}

impl fmt::Display for TemplateText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TemplateText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[derive(Debug)]
pub(super) enum Token {
    Pipe,
    Ident(TemplateText),
    Field(TemplateText),
    Dot,
    Str(TemplateText),
}

pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Lex one action body (after `{{` and any left trim marker). Returns the tokens, whether a
/// right trim marker was present, and how many bytes were consumed including `}}`.
pub(super) fn lex_action(body: &str) -> Result<(Vec<Token>, bool, usize), TemplateError> {
    // Comments: `{{/* ... */}}`, optionally with trim markers around.
    let lead = body.len() - body.trim_start_matches(is_space).len();
    if body[lead..].starts_with("/*") {
        let Some(end) = body[lead + 2..].find("*/") else {
            return Err(TemplateError::UnclosedComment);
        };
        let after = lead + 2 + end + 2;
        let tail = &body[after..];
        let tail_ws = tail.len() - tail.trim_start_matches(is_space).len();
        if tail[tail_ws..].starts_with("}}") {
            return Ok((Vec::new(), false, after + tail_ws + 2));
        }
        if tail_ws > 0 && tail[tail_ws..].starts_with("-}}") {
            return Ok((Vec::new(), true, after + tail_ws + 3));
        }
        return Err(TemplateError::CommentNotLast);
    }

    let mut tokens = Vec::new();
    let mut chars = body.char_indices().peekable();
    // A right trim marker needs a space before it, even right after `{{`.
    let mut prev_space = false;
    while let Some((i, c)) = chars.next() {
        let rest = &body[i..];
        if is_space(c) {
            prev_space = true;
            continue;
        }
        if rest.starts_with("}}") {
            return Ok((tokens, false, i + 2));
        }
        if prev_space && rest.starts_with("-}}") {
            return Ok((tokens, true, i + 3));
        }
        prev_space = false;
        match c {
            '|' => tokens.push(Token::Pipe),
            '"' => {
                let mut s = String::new();
                let mut closed = false;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\n' => return Err(TemplateError::UnterminatedString),
                        '\\' => s.push(unescape(&mut chars)?),
                        c => s.push(c),
                    }
                }
                if !closed {
                    return Err(TemplateError::UnterminatedString);
                }
                tokens.push(Token::Str(TemplateText(s)));
            }
            '`' => {
                let Some(end) = body[i + 1..].find('`') else {
                    return Err(TemplateError::UnterminatedRawString);
                };
                tokens.push(Token::Str(TemplateText::from_source(
                    &body[i + 1..i + 1 + end],
                )));
                while chars.peek().is_some_and(|(j, _)| *j <= i + 1 + end) {
                    chars.next();
                }
            }
            '.' => {
                let name = take_ident(&mut chars);
                if name.is_empty() {
                    tokens.push(Token::Dot);
                } else if chars.peek().is_some_and(|(_, c)| *c == '.') {
                    return Err(TemplateError::ChainedField(TemplateText(name)));
                } else {
                    tokens.push(Token::Field(TemplateText(name)));
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut name = String::from(c);
                name.push_str(&take_ident(&mut chars));
                tokens.push(Token::Ident(TemplateText(name)));
            }
            '$' => return Err(TemplateError::Variables),
            '(' | ')' => return Err(TemplateError::Parenthesized),
            ':' | '=' => return Err(TemplateError::Assignment),
            '\'' => return Err(TemplateError::CharacterConstant),
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                return Err(TemplateError::NumberLiteral);
            }
            c => {
                return Err(TemplateError::UnexpectedCharacter(
                    TemplateText::from_source(&body[i..i + c.len_utf8()]),
                ));
            }
        }
    }
    Err(TemplateError::UnclosedAction)
}

fn take_ident(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> String {
    let mut name = String::new();
    while let Some((_, c)) = chars.peek().copied() {
        if c.is_alphanumeric() || c == '_' {
            name.push(c);
            chars.next();
        } else {
            break;
        }
    }
    name
}

/// Go string-literal escapes: `\n \t \r \\ \" \a \b \f \v \xNN \uNNNN \UNNNNNNNN`.
fn unescape(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) -> Result<char, TemplateError> {
    let Some((_, c)) = chars.next() else {
        return Err(TemplateError::UnterminatedString);
    };
    let hex = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, n: usize| {
        let mut v: u32 = 0;
        for _ in 0..n {
            let d = chars
                .next()
                .and_then(|(_, c)| c.to_digit(16))
                .ok_or(TemplateError::InvalidEscape)?;
            v = v * 16 + d;
        }
        char::from_u32(v).ok_or(TemplateError::InvalidEscape)
    };
    Ok(match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'v' => '\u{b}',
        '\\' => '\\',
        '"' => '"',
        'x' => hex(chars, 2)?,
        'u' => hex(chars, 4)?,
        'U' => hex(chars, 8)?,
        other => {
            let mut buf = [0u8; 4];
            return Err(TemplateError::UnknownEscape(TemplateText::from_source(
                other.encode_utf8(&mut buf),
            )));
        }
    })
}
