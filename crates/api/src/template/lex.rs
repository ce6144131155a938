//! The lexer: template text → items, following Go's `text/template/parse/lex.go` state by
//! state (delimiters `{{ }}`, trim markers, comments, strings, numbers, keywords), so that
//! exactly the templates Go lexes are lexed here.

use super::TemplateError;
use std::fmt;

/// Text taken from the template's own source: a key written as `.name`, a function name, a
/// literal. The template is not secret, so errors may quote it. Only the lexer and parser
/// make one, from the source: nothing computed at render time can become a `TemplateText`.
#[derive(Clone, PartialEq, Eq)]
pub struct TemplateText(String);

impl TemplateText {
    pub(super) fn from_source(text: &str) -> Self {
        Self(text.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    LeftDelim,
    RightDelim,
    Space,
    Pipe,
    Assign,
    Declare,
    LeftParen,
    RightParen,
    /// A printable ASCII character with no meaning of its own (`,` matters to `range`).
    Char,
    Bool,
    CharConstant,
    Number,
    Complex,
    Identifier,
    Field,
    Variable,
    Dot,
    Str,
    RawStr,
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
    Eof,
}

/// One lexed item: its kind and where its text is in the template.
#[derive(Debug, Clone, Copy)]
pub(super) struct Item {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Go's `isAlphaNumeric`: `_`, `unicode.IsLetter` or `unicode.IsDigit`.
fn is_alnum(c: char) -> bool {
    use super::unicode_tables::{DIGIT, LETTER, contains};
    c == '_' || contains(LETTER, c) || contains(DIGIT, c)
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

fn trim_right_len(s: &str) -> usize {
    s.len() - s.trim_end_matches(is_space).len()
}

fn trim_left_len(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_space).len()
}

struct Lexer<'a> {
    input: &'a str,
    start: usize,
    pos: usize,
    items: Vec<Item>,
    paren_depth: usize,
    /// `{{` seen so far: capped while lexing, so a huge template costs nothing more.
    actions: usize,
    max_actions: usize,
}

/// Lex the whole template. Any lexing error fails the parse, as in Go.
pub(super) fn lex(input: &str, max_actions: usize) -> Result<Vec<Item>, TemplateError> {
    let mut l = Lexer {
        input,
        start: 0,
        pos: 0,
        items: Vec::new(),
        paren_depth: 0,
        actions: 0,
        max_actions,
    };
    l.run()?;
    Ok(l.items)
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn emit(&mut self, kind: Kind) {
        self.items.push(Item {
            kind,
            start: self.start,
            end: self.pos,
        });
        self.start = self.pos;
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn run(&mut self) -> Result<(), TemplateError> {
        loop {
            // lexText
            let Some(x) = self.rest().find(LEFT) else {
                self.pos = self.input.len();
                if self.pos > self.start {
                    self.emit(Kind::Text);
                }
                self.emit(Kind::Eof);
                return Ok(());
            };
            self.actions += 1;
            if self.actions > self.max_actions {
                return Err(TemplateError::Limit {
                    cap: super::RenderCap::Actions,
                    limit: self.max_actions,
                });
            }
            self.pos += x;
            let after = self.input.get(self.pos + LEFT.len()..).unwrap_or("");
            let trim = if has_left_trim(after) {
                trim_right_len(&self.input[self.start..self.pos])
            } else {
                0
            };
            self.pos -= trim;
            if self.pos > self.start {
                self.emit(Kind::Text);
            }
            self.pos += trim;
            self.ignore();
            self.left_delim()?;
        }
    }

    /// Whether the input is at `}}` (`trim` tells whether ` -}}`).
    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim(rest) && rest[2..].starts_with(RIGHT) {
            return (true, true);
        }
        (rest.starts_with(RIGHT), false)
    }

    fn left_delim(&mut self) -> Result<(), TemplateError> {
        self.pos += LEFT.len();
        let trim = has_left_trim(self.rest());
        let after_marker = if trim { 2 } else { 0 };
        if self.rest()[after_marker..].starts_with("/*") {
            self.pos += after_marker;
            self.ignore();
            return self.comment();
        }
        self.emit(Kind::LeftDelim);
        self.pos += after_marker;
        self.ignore();
        self.paren_depth = 0;
        self.inside_action()
    }

    fn comment(&mut self) -> Result<(), TemplateError> {
        self.pos += 2;
        let Some(i) = self.rest().find("*/") else {
            return Err(TemplateError::UnclosedComment);
        };
        self.pos += i + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return Err(TemplateError::CommentNotLast);
        }
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            self.pos += trim_left_len(self.rest());
        }
        self.ignore();
        Ok(())
    }

    fn right_delim(&mut self) {
        let trim = has_right_trim(self.rest());
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += RIGHT.len();
        self.emit(Kind::RightDelim);
        if trim {
            self.pos += trim_left_len(self.rest());
            self.ignore();
        }
    }

    fn inside_action(&mut self) -> Result<(), TemplateError> {
        loop {
            let (delim, _) = self.at_right_delim();
            if delim {
                if self.paren_depth == 0 {
                    self.right_delim();
                    return Ok(());
                }
                return Err(TemplateError::UnclosedParen);
            }
            let Some(c) = self.next() else {
                return Err(TemplateError::UnclosedAction);
            };
            match c {
                c if is_space(c) => {
                    self.pos -= 1;
                    if self.space() {
                        self.right_delim();
                        return Ok(());
                    }
                }
                '=' => self.emit(Kind::Assign),
                ':' => {
                    if self.next() != Some('=') {
                        return Err(TemplateError::ExpectedDeclare);
                    }
                    self.emit(Kind::Declare);
                }
                '|' => self.emit(Kind::Pipe),
                '"' => self.quote()?,
                '`' => self.raw_quote()?,
                '$' => self.variable()?,
                '\'' => self.char_constant()?,
                '.' if self.peek().is_some_and(|c| !c.is_ascii_digit()) => {
                    self.field_or_variable(Kind::Field)?
                }
                '.' | '+' | '-' | '0'..='9' => {
                    self.pos -= 1;
                    self.number()?;
                }
                c if is_alnum(c) => {
                    self.pos -= c.len_utf8();
                    self.identifier()?;
                }
                '(' => {
                    self.emit(Kind::LeftParen);
                    self.paren_depth += 1;
                }
                ')' => {
                    self.emit(Kind::RightParen);
                    if self.paren_depth == 0 {
                        return Err(TemplateError::UnexpectedRightParen);
                    }
                    self.paren_depth -= 1;
                }
                c if (' '..='~').contains(&c) => self.emit(Kind::Char),
                _ => return Err(TemplateError::UnrecognizedCharacter),
            }
        }
    }

    /// A run of spaces; true when it is the single space of a ` -}}` (then at the delimiter).
    fn space(&mut self) -> bool {
        let mut n = 0;
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
            n += 1;
        }
        let back = &self.input[self.pos - 1..];
        if has_right_trim(back) && back[2..].starts_with(RIGHT) {
            self.pos -= 1;
            if n == 1 {
                return true;
            }
        }
        self.emit(Kind::Space);
        false
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(RIGHT),
        }
    }

    fn identifier(&mut self) -> Result<(), TemplateError> {
        while self.peek().is_some_and(is_alnum) {
            self.next();
        }
        if !self.at_terminator() {
            return Err(TemplateError::BadCharacter);
        }
        let kind = match &self.input[self.start..self.pos] {
            "block" => Kind::Block,
            "break" => Kind::Break,
            "continue" => Kind::Continue,
            "define" => Kind::Define,
            "else" => Kind::Else,
            "end" => Kind::End,
            "if" => Kind::If,
            "nil" => Kind::Nil,
            "range" => Kind::Range,
            "template" => Kind::Template,
            "with" => Kind::With,
            "true" | "false" => Kind::Bool,
            _ => Kind::Identifier,
        };
        self.emit(kind);
        Ok(())
    }

    fn variable(&mut self) -> Result<(), TemplateError> {
        if self.at_terminator() {
            self.emit(Kind::Variable);
            return Ok(());
        }
        self.field_or_variable(Kind::Variable)
    }

    fn field_or_variable(&mut self, kind: Kind) -> Result<(), TemplateError> {
        if self.at_terminator() {
            self.emit(if kind == Kind::Variable {
                Kind::Variable
            } else {
                Kind::Dot
            });
            return Ok(());
        }
        while self.peek().is_some_and(is_alnum) {
            self.next();
        }
        if !self.at_terminator() {
            return Err(TemplateError::BadCharacter);
        }
        self.emit(kind);
        Ok(())
    }

    fn char_constant(&mut self) -> Result<(), TemplateError> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    None | Some('\n') => return Err(TemplateError::UnterminatedCharConstant),
                    Some(_) => {}
                },
                None | Some('\n') => return Err(TemplateError::UnterminatedCharConstant),
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(Kind::CharConstant);
        Ok(())
    }

    fn number(&mut self) -> Result<(), TemplateError> {
        if !self.scan_number() {
            return Err(TemplateError::BadNumber);
        }
        if matches!(self.peek(), Some('+' | '-')) {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                return Err(TemplateError::BadNumber);
            }
            self.emit(Kind::Complex);
        } else {
            self.emit(Kind::Number);
        }
        Ok(())
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next();
            return false;
        }
        true
    }

    fn quote(&mut self) -> Result<(), TemplateError> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    None | Some('\n') => return Err(TemplateError::UnterminatedString),
                    Some(_) => {}
                },
                None | Some('\n') => return Err(TemplateError::UnterminatedString),
                Some('"') => break,
                Some(_) => {}
            }
        }
        self.emit(Kind::Str);
        Ok(())
    }

    fn raw_quote(&mut self) -> Result<(), TemplateError> {
        loop {
            match self.next() {
                None => return Err(TemplateError::UnterminatedRawString),
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.emit(Kind::RawStr);
        Ok(())
    }
}
