//! Parsing the template subset into a small syntax tree, and every check that needs only
//! the template's text: everything but what depends on the values is refused here, so
//! `check_template` catches it offline and the render-time errors are few and fixed.

use super::{
    Function, RenderCap, TemplateError, TemplateText,
    lex::{Token, is_space, lex_action},
};

#[derive(Debug)]
pub(super) enum Node<'a> {
    Text(&'a str),
    Action(Vec<Command>),
}

/// One command of a pipeline: a function with its explicit arguments, or a lone operand.
#[derive(Debug)]
pub(super) enum Command {
    Call(Function, Vec<Operand>),
    Operand(Operand),
}

#[derive(Debug)]
pub(super) enum Operand {
    /// `.name`: the decrypted value of a key written in the template.
    Field(TemplateText),
    Dot,
    /// `"text"` or `` `text` ``.
    Literal(TemplateText),
}

const KEYWORDS: &[&str] = &[
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
];

fn keyword(name: &TemplateText) -> Option<&'static str> {
    KEYWORDS.iter().copied().find(|k| *k == name.as_str())
}

/// Parse `src`, refusing it past `max_actions` actions before parsing any further.
pub(super) fn parse(src: &str, max_actions: usize) -> Result<Vec<Node<'_>>, TemplateError> {
    let mut nodes = Vec::new();
    let mut rest = src;
    let mut trim_next_text = false;
    let mut actions = 0usize;
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
        actions += 1;
        if actions > max_actions {
            return Err(TemplateError::Limit {
                cap: RenderCap::Actions,
                limit: max_actions,
            });
        }
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
            check_pipeline(&cmds)?;
            nodes.push(Node::Action(cmds));
        }
        rest = &body[consumed..];
    }
}

/// Tokens → commands. `None` for an action with nothing in it (only a comment).
fn parse_pipeline(tokens: Vec<Token>) -> Result<Option<Vec<Command>>, TemplateError> {
    if tokens.is_empty() {
        return Ok(None);
    }
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
    let mut cmds = Vec::with_capacity(groups.len());
    for (i, group) in groups.into_iter().enumerate() {
        let mut it = group.into_iter();
        let Some(first) = it.next() else {
            return Err(TemplateError::MissingCommand);
        };
        let args = it.map(operand).collect::<Result<Vec<_>, _>>()?;
        let cmd = match first {
            Token::Ident(name) => {
                if let Some(k) = keyword(&name) {
                    return Err(TemplateError::Keyword(k));
                }
                let f = Function::from_name(name.as_str())
                    .ok_or(TemplateError::UnknownFunction(name))?;
                Command::Call(f, args)
            }
            other => {
                if !args.is_empty() {
                    return Err(TemplateError::OperandWithArguments);
                }
                if i > 0 {
                    return Err(TemplateError::PipeIntoOperand);
                }
                Command::Operand(operand(other)?)
            }
        };
        cmds.push(cmd);
    }
    Ok(Some(cmds))
}

fn operand(t: Token) -> Result<Operand, TemplateError> {
    Ok(match t {
        Token::Field(f) => Operand::Field(f),
        Token::Dot => Operand::Dot,
        Token::Str(s) => Operand::Literal(s),
        Token::Ident(name) => {
            if let Some(k) = keyword(&name) {
                return Err(TemplateError::Keyword(k));
            }
            return Err(TemplateError::FunctionAsArgument(name));
        }
        Token::Pipe => return Err(TemplateError::MissingCommand),
    })
}

/// Shape checks: where `.` may stand, how many arguments each function gets (explicit ones
/// plus the piped value), and literal printf formats.
fn check_pipeline(cmds: &[Command]) -> Result<(), TemplateError> {
    // Only a lone `.` command yields the data map; every function yields a string.
    let mut piped_dot = false;
    for (i, cmd) in cmds.iter().enumerate() {
        let piped = i > 0;
        match cmd {
            Command::Operand(op) => piped_dot = matches!(op, Operand::Dot),
            Command::Call(f, args) => {
                let got = args.len() + usize::from(piped);
                let dot_at = |n: usize| {
                    if n < args.len() {
                        matches!(args[n], Operand::Dot)
                    } else {
                        piped_dot
                    }
                };
                let key_dot = (0..got).any(|n| dot_at(n) && !(*f == Function::Index && n == 0));
                if key_dot {
                    return Err(TemplateError::DotArgument(*f));
                }
                match f {
                    Function::Index if got != 2 => {
                        return Err(TemplateError::IndexArguments { got });
                    }
                    Function::Index if !dot_at(0) => return Err(TemplateError::IndexNotDot),
                    Function::Printf => {
                        let previous = match i.checked_sub(1).and_then(|p| cmds.get(p)) {
                            Some(Command::Operand(op)) => Some(op),
                            _ => None,
                        };
                        check_printf(args, piped, previous)?;
                    }
                    f if f.takes_one() && got != 1 => {
                        return Err(TemplateError::OneArgument { func: *f, got });
                    }
                    _ => {}
                }
                piped_dot = false;
            }
        }
    }
    if piped_dot {
        return Err(TemplateError::PrintDot);
    }
    Ok(())
}

/// `printf`: a format is needed; a literal one is checked here, verbs and argument count.
/// The format is the first explicit argument, or the piped value when there is none;
/// `previous` is the command before this one when it is a lone operand (a piped literal).
/// A format computed from a value is checked at render time, with a fixed message.
fn check_printf(
    args: &[Operand],
    piped: bool,
    previous: Option<&Operand>,
) -> Result<(), TemplateError> {
    let (format, given) = match (args.first(), piped) {
        (Some(format), _) => (format, args.len() - 1 + usize::from(piped)),
        (None, true) => match previous {
            Some(format) => (format, 0),
            // The piped value is a function's result: computed.
            None => return Ok(()),
        },
        (None, false) => return Err(TemplateError::PrintfNoFormat),
    };
    let Operand::Literal(format) = format else {
        return Ok(());
    };
    let mut verbs = 0usize;
    let mut chars = format.as_str().char_indices();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            continue;
        }
        match chars.next() {
            Some((_, '%')) => {}
            Some((_, 's' | 'v' | 'q')) => verbs += 1,
            Some((at, other)) => {
                return Err(match format.part(at..at + other.len_utf8()) {
                    Some(verb) => TemplateError::PrintfVerb(verb),
                    None => TemplateError::Internal(Function::Printf),
                });
            }
            None => return Err(TemplateError::PrintfLonePercent),
        }
    }
    if verbs != given {
        return Err(TemplateError::PrintfArgumentCount { verbs, args: given });
    }
    Ok(())
}
