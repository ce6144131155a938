//! The parser: items → the template's trees, following Go's `text/template/parse/parse.go`
//! (pipelines, declarations and their scopes, control structures, `define`/`block`, the
//! checks Go makes while parsing).

use super::TemplateError;
use super::func::{Entry, FuncTable};
use super::func_name::FuncName;
use super::lex::{Item, Kind, TemplateText, lex};
use super::literal::{Number, parse_number, unquote, unquote_char};
use std::collections::BTreeMap;

/// How deeply actions, parentheses and control structures may nest. Go has no such limit;
/// ours keeps the recursive parser and executor far from the thread's stack limit.
pub const MAX_NESTING: usize = 100;

pub(super) enum Node {
    Text(Vec<u8>),
    /// `{{ pipeline }}`; prints unless the pipeline declares variables.
    Action(Pipe),
    If(Control),
    Range(Control),
    With(Control),
    Template {
        name: String,
        pipe: Option<Pipe>,
    },
    Break,
    Continue,
}

pub(super) struct Control {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

pub(super) struct Pipe {
    pub is_assign: bool,
    pub decl: Vec<String>,
    pub cmds: Vec<Command>,
}

pub(super) struct Command {
    pub args: Vec<Arg>,
}

pub(super) enum Arg {
    /// `.a.b.c`
    Field(Vec<TemplateText>),
    /// `(pipeline).a.b` or `f.a`: fields of another operand.
    Chain(Box<Arg>, Vec<TemplateText>),
    Identifier(FuncName, Entry),
    Dot,
    Nil,
    /// `$x.a.b`: the variable's name, then fields.
    Variable(String, Vec<TemplateText>),
    Bool(bool),
    Number(Number),
    Str(Vec<u8>),
    Pipe(Pipe),
}

/// Every template of one text: the main one under its name, and those of `define`/`block`.
pub(super) type TreeSet = BTreeMap<String, Vec<Node>>;

struct Parser<'a> {
    text: &'a str,
    items: Vec<Item>,
    at: usize,
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    funcs: &'static FuncTable,
    trees: TreeSet,
}

/// Parse `text` as the template named `name`: all its trees. The main one is `trees[name]`.
pub(super) fn parse(name: &str, text: &str, max_actions: usize) -> Result<TreeSet, TemplateError> {
    let items = lex(text, max_actions)?;
    let mut p = Parser {
        text,
        items,
        at: 0,
        vars: vec!["$".to_owned()],
        range_depth: 0,
        depth: 0,
        funcs: super::standard::functions(),
        trees: TreeSet::new(),
    };
    let root = p.parse_top()?;
    p.add(name.to_owned(), root)?;
    Ok(p.trees)
}

/// Go's `IsEmptyTree`: only whitespace text and comments.
fn is_empty_tree(nodes: &[Node]) -> bool {
    nodes.iter().all(|n| match n {
        Node::Text(t) => t.trim_ascii().is_empty(),
        _ => false,
    })
}

impl Parser<'_> {
    fn text_of(&self, item: Item) -> &str {
        self.text.get(item.start..item.end).unwrap_or("")
    }

    fn next(&mut self) -> Item {
        let item = self.peek();
        if self.at < self.items.len() {
            self.at += 1;
        }
        item
    }

    fn peek(&self) -> Item {
        self.items.get(self.at).copied().unwrap_or(Item {
            kind: Kind::Eof,
            start: self.text.len(),
            end: self.text.len(),
        })
    }

    fn backup(&mut self) {
        self.at = self.at.saturating_sub(1);
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let item = self.next();
            if item.kind != Kind::Space {
                return item;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let item = self.next_non_space();
        self.backup();
        item
    }

    fn unexpected(&self, item: Item, context: &'static str) -> TemplateError {
        TemplateError::Unexpected {
            found: TemplateText::from_source(self.text_of(item)),
            context,
        }
    }

    fn expect(&mut self, kind: Kind, context: &'static str) -> Result<Item, TemplateError> {
        let item = self.next_non_space();
        if item.kind != kind {
            return Err(self.unexpected(item, context));
        }
        Ok(item)
    }

    fn nest(&mut self) -> Result<(), TemplateError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(TemplateError::TooDeep { limit: MAX_NESTING });
        }
        Ok(())
    }

    /// Go's `Tree.add`: a later non-empty definition of a name is an error; an empty one
    /// never replaces a non-empty one.
    fn add(&mut self, name: String, root: Vec<Node>) -> Result<(), TemplateError> {
        match self.trees.get(&name) {
            Some(old) if !is_empty_tree(old) => {
                if !is_empty_tree(&root) {
                    return Err(TemplateError::MultipleDefinition(
                        TemplateText::from_source(&name),
                    ));
                }
            }
            _ => {
                self.trees.insert(name, root);
            }
        }
        Ok(())
    }

    fn parse_top(&mut self) -> Result<Vec<Node>, TemplateError> {
        let mut root = Vec::new();
        while self.peek().kind != Kind::Eof {
            if self.peek().kind == Kind::LeftDelim {
                let mark = self.at;
                self.next();
                if self.next_non_space().kind == Kind::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.at = mark;
            }
            match self.text_or_action()? {
                Parsed::Node(n) => root.extend(n),
                Parsed::End => return Err(TemplateError::UnexpectedEnd("{{end}}")),
                Parsed::Else(_) => return Err(TemplateError::UnexpectedEnd("{{else}}")),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> Result<(), TemplateError> {
        let item = self.next_non_space();
        let name = match item.kind {
            Kind::Str | Kind::RawStr => self.template_name(item)?,
            _ => return Err(self.unexpected(item, "define clause")),
        };
        self.expect(Kind::RightDelim, "define clause")?;
        // A definition starts with a fresh variable scope, as Go's new tree does.
        let vars = std::mem::replace(&mut self.vars, vec!["$".to_owned()]);
        let range_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = vars;
        self.range_depth = range_depth;
        if !matches!(end, Parsed::End) {
            return Err(TemplateError::UnexpectedEnd("{{else}}"));
        }
        self.add(name, list)
    }

    fn template_name(&self, item: Item) -> Result<String, TemplateError> {
        let bytes = unquote(self.text_of(item))?;
        String::from_utf8(bytes).map_err(|_| TemplateError::TemplateNameNotUtf8)
    }

    fn item_list(&mut self) -> Result<(Vec<Node>, Parsed), TemplateError> {
        let mut list = Vec::new();
        while self.peek_non_space().kind != Kind::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.extend(n),
                other => return Ok((list, other)),
            }
        }
        Err(TemplateError::UnexpectedEof)
    }

    fn text_or_action(&mut self) -> Result<Parsed, TemplateError> {
        let item = self.next_non_space();
        match item.kind {
            Kind::Text => Ok(Parsed::Node(Some(Node::Text(
                self.text_of(item).as_bytes().to_vec(),
            )))),
            Kind::LeftDelim => {
                self.nest()?;
                let parsed = self.action();
                self.depth -= 1;
                parsed
            }
            _ => Err(self.unexpected(item, "input")),
        }
    }

    fn action(&mut self) -> Result<Parsed, TemplateError> {
        let item = self.next_non_space();
        let node = match item.kind {
            Kind::Block => self.block_control()?,
            Kind::Break | Kind::Continue => {
                let next = self.next_non_space();
                let context = if item.kind == Kind::Break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                if next.kind != Kind::RightDelim {
                    return Err(self.unexpected(next, context));
                }
                if self.range_depth == 0 {
                    return Err(TemplateError::OutsideRange(context));
                }
                if item.kind == Kind::Break {
                    Node::Break
                } else {
                    Node::Continue
                }
            }
            Kind::Else => {
                let peek = self.peek_non_space();
                if peek.kind == Kind::If {
                    return Ok(Parsed::Else(true));
                }
                self.expect(Kind::RightDelim, "else")?;
                return Ok(Parsed::Else(false));
            }
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            Kind::If => Node::If(self.control(true, "if")?),
            Kind::Range => Node::Range(self.control(false, "range")?),
            Kind::With => Node::With(self.control(false, "with")?),
            Kind::Template => self.template_control()?,
            _ => {
                self.backup();
                Node::Action(self.pipeline("command", Kind::RightDelim)?)
            }
        };
        Ok(Parsed::Node(Some(node)))
    }

    fn control(
        &mut self,
        allow_else_if: bool,
        context: &'static str,
    ) -> Result<Control, TemplateError> {
        let mark = self.vars.len();
        let result = self.control_inner(allow_else_if, context);
        self.vars.truncate(mark);
        result
    }

    fn control_inner(
        &mut self,
        allow_else_if: bool,
        context: &'static str,
    ) -> Result<Control, TemplateError> {
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let else_list = match next {
            Parsed::End => None,
            Parsed::Else(else_if) => {
                if allow_else_if && else_if {
                    // `{{else if …}}`: the `if` token is next (after spaces).
                    self.next_non_space();
                    self.nest()?;
                    let nested = self.control(true, "if");
                    self.depth -= 1;
                    Some(vec![Node::If(nested?)])
                } else {
                    if else_if {
                        // `{{else if}}` in range/with: Go parses `if` as a pipeline start.
                        return Err(TemplateError::UnexpectedEnd("{{else if}}"));
                    }
                    let (list, next) = self.item_list()?;
                    if !matches!(next, Parsed::End) {
                        return Err(TemplateError::ExpectedEnd);
                    }
                    Some(list)
                }
            }
            Parsed::Node(_) => return Err(TemplateError::ExpectedEnd),
        };
        Ok(Control {
            pipe,
            list,
            else_list,
        })
    }

    fn block_control(&mut self) -> Result<Node, TemplateError> {
        let item = self.next_non_space();
        let name = match item.kind {
            Kind::Str | Kind::RawStr => self.template_name(item)?,
            _ => return Err(self.unexpected(item, "block clause")),
        };
        let pipe = self.pipeline("block clause", Kind::RightDelim)?;
        let vars = std::mem::replace(&mut self.vars, vec!["$".to_owned()]);
        let range_depth = std::mem::replace(&mut self.range_depth, 0);
        let listed = self.item_list();
        self.vars = vars;
        self.range_depth = range_depth;
        let (list, end) = listed?;
        if !matches!(end, Parsed::End) {
            return Err(TemplateError::UnexpectedEnd("{{else}}"));
        }
        self.add(name.clone(), list)?;
        Ok(Node::Template {
            name,
            pipe: Some(pipe),
        })
    }

    fn template_control(&mut self) -> Result<Node, TemplateError> {
        let item = self.next_non_space();
        let name = match item.kind {
            Kind::Str | Kind::RawStr => self.template_name(item)?,
            _ => return Err(self.unexpected(item, "template clause")),
        };
        let pipe = if self.next_non_space().kind != Kind::RightDelim {
            self.backup();
            Some(self.pipeline("template clause", Kind::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template { name, pipe })
    }

    fn pipeline(&mut self, context: &'static str, end: Kind) -> Result<Pipe, TemplateError> {
        let mut pipe = Pipe {
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        'decls: loop {
            let v = self.peek_non_space();
            if v.kind != Kind::Variable {
                break;
            }
            let mark = self.at;
            self.next_non_space();
            let after_variable = self.peek();
            let next = self.peek_non_space();
            let name = self.text_of(v).to_owned();
            match next.kind {
                Kind::Assign | Kind::Declare => {
                    pipe.is_assign = next.kind == Kind::Assign;
                    self.next_non_space();
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                }
                Kind::Char if self.text_of(next) == "," => {
                    self.next_non_space();
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().kind {
                            Kind::Variable | Kind::RightDelim | Kind::RightParen => continue 'decls,
                            _ => return Err(TemplateError::RangeVariables),
                        }
                    }
                    return Err(TemplateError::TooManyDeclarations(context));
                }
                _ if after_variable.kind == Kind::Space => self.at = mark,
                _ => self.at = mark,
            }
            break;
        }
        loop {
            let item = self.next_non_space();
            match item.kind {
                k if k == end => {
                    if pipe.cmds.is_empty() {
                        return Err(TemplateError::MissingValue(context));
                    }
                    for c in pipe.cmds.iter().skip(1) {
                        if matches!(
                            c.args.first(),
                            Some(Arg::Bool(_) | Arg::Dot | Arg::Nil | Arg::Number(_) | Arg::Str(_))
                        ) {
                            return Err(TemplateError::NonExecutableCommand);
                        }
                    }
                    return Ok(pipe);
                }
                Kind::Bool
                | Kind::CharConstant
                | Kind::Complex
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawStr
                | Kind::Str
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(item, context)),
            }
        }
    }

    fn command(&mut self) -> Result<Command, TemplateError> {
        let mut args = Vec::new();
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                args.push(operand);
            }
            let item = self.next();
            match item.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup(),
                Kind::Pipe => {}
                _ => return Err(self.unexpected(item, "operand")),
            }
            break;
        }
        if args.is_empty() {
            return Err(TemplateError::EmptyCommand);
        }
        Ok(Command { args })
    }

    fn operand(&mut self) -> Result<Option<Arg>, TemplateError> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some(node));
        }
        let mut fields = Vec::new();
        while self.peek().kind == Kind::Field {
            let item = self.next();
            let text = self.text_of(item);
            fields.push(TemplateText::from_source(text.get(1..).unwrap_or("")));
        }
        Ok(Some(match node {
            Arg::Field(mut head) => {
                head.extend(fields);
                Arg::Field(head)
            }
            Arg::Variable(name, mut head) => {
                head.extend(fields);
                Arg::Variable(name, head)
            }
            Arg::Bool(_) | Arg::Str(_) | Arg::Number(_) | Arg::Nil | Arg::Dot => {
                return Err(TemplateError::FieldOfLiteral);
            }
            other => Arg::Chain(Box::new(other), fields),
        }))
    }

    fn term(&mut self) -> Result<Option<Arg>, TemplateError> {
        let item = self.next_non_space();
        let text = self.text_of(item);
        Ok(Some(match item.kind {
            Kind::Identifier => match self.funcs.get(text) {
                Some((name, entry)) => Arg::Identifier(name, entry),
                None => {
                    return Err(TemplateError::UndefinedFunction(TemplateText::from_source(
                        text,
                    )));
                }
            },
            Kind::Dot => Arg::Dot,
            Kind::Nil => Arg::Nil,
            Kind::Variable => {
                let mut parts = text.split('.');
                let name = parts.next().unwrap_or("$").to_owned();
                if !self.vars.contains(&name) {
                    return Err(TemplateError::UndefinedVariable(TemplateText::from_source(
                        &name,
                    )));
                }
                Arg::Variable(name, parts.map(TemplateText::from_source).collect())
            }
            Kind::Field => Arg::Field(vec![TemplateText::from_source(text.get(1..).unwrap_or(""))]),
            Kind::Bool => Arg::Bool(text == "true"),
            Kind::CharConstant => Arg::Number(unquote_char(text)?),
            Kind::Number | Kind::Complex => Arg::Number(parse_number(text, item.kind)?),
            Kind::LeftParen => {
                self.nest()?;
                let pipe = self.pipeline("parenthesized pipeline", Kind::RightParen);
                self.depth -= 1;
                Arg::Pipe(pipe?)
            }
            Kind::Str | Kind::RawStr => Arg::Str(unquote(text)?),
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

/// What one `{{ … }}` or text item turned out to be.
enum Parsed {
    Node(Option<Node>),
    End,
    /// `{{else}}`, or `{{else if …}}` (true; the `if` not yet consumed).
    Else(bool),
}
