//! Lexing and parsing of the template subset into a small syntax tree.

#[derive(Debug)]
pub(super) enum Node<'a> {
    Text(&'a str),
    Action(Vec<Command>),
}

/// One command of a pipeline: a function with its arguments, or a lone operand.
#[derive(Debug)]
pub(super) enum Command {
    Call(Func, Vec<Operand>),
    Operand(Operand),
}

#[derive(Debug)]
pub(super) enum Operand {
    Field(String),
    Dot,
    Str(String),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Func {
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

impl Func {
    pub(super) fn name(self) -> &'static str {
        match self {
            Func::Index => "index",
            Func::Quote => "quote",
            Func::Squote => "squote",
            Func::Upper => "upper",
            Func::Lower => "lower",
            Func::Trim => "trim",
            Func::B64enc => "b64enc",
            Func::B64dec => "b64dec",
            Func::ToJson => "toJson",
            Func::Printf => "printf",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "index" => Func::Index,
            "quote" => Func::Quote,
            "squote" => Func::Squote,
            "upper" => Func::Upper,
            "lower" => Func::Lower,
            "trim" => Func::Trim,
            "b64enc" => Func::B64enc,
            "b64dec" => Func::B64dec,
            "toJson" => Func::ToJson,
            "printf" => Func::Printf,
            _ => return None,
        })
    }
}

#[derive(Debug)]
pub(super) enum Token {
    Pipe,
    Ident(String),
    Field(String),
    Dot,
    Str(String),
}

pub(super) const KEYWORDS: &[&str] = &[
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
];

pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

pub(super) fn parse(src: &str) -> Result<Vec<Node<'_>>, String> {
    let mut nodes = Vec::new();
    let mut rest = src;
    let mut trim_next_text = false;
    loop {
        let Some(open) = rest.find("{{") else {
            let text = if trim_next_text {
                rest.trim_start_matches(is_space)
            } else {
                rest
            };
            if !text.is_empty() {
                nodes.push(Node::Text(text));
            }
            return Ok(nodes);
        };
        let mut text = &rest[..open];
        if trim_next_text {
            text = text.trim_start_matches(is_space);
        }
        let mut body = &rest[open + 2..];
        // `{{- ` trims the whitespace before the action; the dash must be followed by a space.
        if let Some(after) = body.strip_prefix('-')
            && after.starts_with(is_space)
        {
            text = text.trim_end_matches(is_space);
            body = after;
        }
        if !text.is_empty() {
            nodes.push(Node::Text(text));
        }
        let (tokens, trim_right, consumed) = lex_action(body)?;
        trim_next_text = trim_right;
        if let Some(cmds) = parse_pipeline(tokens)? {
            nodes.push(Node::Action(cmds));
        }
        rest = &body[consumed..];
    }
}

/// Lex one action body (after `{{` and any left trim marker). Returns the tokens, whether a
/// right trim marker was present, and how many bytes were consumed including `}}`.
pub(super) fn lex_action(body: &str) -> Result<(Vec<Token>, bool, usize), String> {
    // Comments: `{{/* ... */}}`, optionally with trim markers around.
    let lead = body.len() - body.trim_start_matches(is_space).len();
    if body[lead..].starts_with("/*") {
        let Some(end) = body[lead + 2..].find("*/") else {
            return Err("unclosed comment".to_owned());
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
        return Err("comment must end the action (`*/}}`)".to_owned());
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
                        '\n' => return Err("unterminated string literal".to_owned()),
                        '\\' => s.push(unescape(&mut chars)?),
                        c => s.push(c),
                    }
                }
                if !closed {
                    return Err("unterminated string literal".to_owned());
                }
                tokens.push(Token::Str(s));
            }
            '`' => {
                let Some(end) = body[i + 1..].find('`') else {
                    return Err("unterminated raw string".to_owned());
                };
                tokens.push(Token::Str(body[i + 1..i + 1 + end].to_owned()));
                while chars.peek().is_some_and(|(j, _)| *j <= i + 1 + end) {
                    chars.next();
                }
            }
            '.' => {
                let name: String = take_ident(&mut chars);
                if name.is_empty() {
                    tokens.push(Token::Dot);
                } else if chars.peek().is_some_and(|(_, c)| *c == '.') {
                    return Err(format!(
                        "chained field `.{name}.…` is not supported: values are strings"
                    ));
                } else {
                    tokens.push(Token::Field(name));
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut name = String::from(c);
                name.push_str(&take_ident(&mut chars));
                tokens.push(Token::Ident(name));
            }
            '$' => return Err("variables (`$`) are not supported".to_owned()),
            '(' | ')' => return Err("parenthesized pipelines are not supported".to_owned()),
            ':' | '=' => return Err("variable assignment is not supported".to_owned()),
            '\'' => return Err("character constants are not supported".to_owned()),
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                return Err("number literals are not supported".to_owned());
            }
            c => return Err(format!("unexpected character {c:?} in action")),
        }
    }
    Err("unclosed action (missing `}}`)".to_owned())
}

pub(super) fn take_ident(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> String {
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
pub(super) fn unescape(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) -> Result<char, String> {
    let Some((_, c)) = chars.next() else {
        return Err("unterminated string literal".to_owned());
    };
    let hex = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, n: usize| {
        let mut v: u32 = 0;
        for _ in 0..n {
            let d = chars
                .next()
                .and_then(|(_, c)| c.to_digit(16))
                .ok_or_else(|| "invalid escape in string literal".to_owned())?;
            v = v * 16 + d;
        }
        char::from_u32(v).ok_or_else(|| "invalid escape in string literal".to_owned())
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
        other => return Err(format!("unknown escape `\\{other}` in string literal")),
    })
}

/// Tokens → commands. `None` for an action with nothing in it (only a comment).
pub(super) fn parse_pipeline(tokens: Vec<Token>) -> Result<Option<Vec<Command>>, String> {
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut cmds = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let mut groups = Vec::new();
    for t in tokens {
        if matches!(t, Token::Pipe) {
            groups.push(std::mem::take(&mut current));
        } else {
            current.push(t);
        }
    }
    groups.push(current);
    let n = groups.len();
    for (i, group) in groups.into_iter().enumerate() {
        let mut it = group.into_iter();
        let Some(first) = it.next() else {
            return Err("missing command in pipeline".to_owned());
        };
        let args = it.map(operand).collect::<Result<Vec<_>, _>>()?;
        let cmd = match first {
            Token::Ident(name) => {
                if KEYWORDS.contains(&name.as_str()) {
                    return Err(format!("`{name}` actions are not supported"));
                }
                let f = Func::from_name(&name)
                    .ok_or_else(|| format!("function {name:?} is not supported"))?;
                Command::Call(f, args)
            }
            other => {
                if !args.is_empty() {
                    return Err("only functions take arguments".to_owned());
                }
                if i > 0 {
                    return Err("cannot pipe into a non-function".to_owned());
                }
                Command::Operand(operand(other)?)
            }
        };
        cmds.push(cmd);
    }
    debug_assert_eq!(cmds.len(), n);
    Ok(Some(cmds))
}

pub(super) fn operand(t: Token) -> Result<Operand, String> {
    Ok(match t {
        Token::Field(f) => Operand::Field(f),
        Token::Dot => Operand::Dot,
        Token::Str(s) => Operand::Str(s),
        Token::Ident(name) if KEYWORDS.contains(&name.as_str()) => {
            return Err(format!("`{name}` actions are not supported"));
        }
        Token::Ident(name) => {
            return Err(format!(
                "function {name:?} used as an argument (parenthesized calls are not supported)"
            ));
        }
        Token::Pipe => return Err("missing command in pipeline".to_owned()),
    })
}
