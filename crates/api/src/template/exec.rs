//! The executor: walks the parsed trees against the data, following Go's
//! `text/template/exec.go` (variables and their scopes, `range` with `break`/`continue`,
//! `with`, template calls, field chains, how arguments reach functions).
//!
//! Every step is charged to the [`Meter`] before it runs, and nesting is capped, so a
//! template that loops, recurses or nests stops with a cap error.

use super::budget::{Meter, SecureBuf};
use super::error::TemplateError;
use super::fmt::print_value;
use super::func::{Call, Entry};
use super::func_name::FuncName;
use super::lex::TemplateText;
use super::literal::Number;
use super::parse::{Arg, Command, Control, Node, Pipe, TreeSet};
use super::value::{GoMap, Value};

/// Work charged for each node walked and each command evaluated: a loop that prints nothing
/// still spends its budget.
const STEP_WORK: usize = 16;

/// How deeply execution may nest: control structures, parenthesized pipelines and template
/// calls together. Go stops template calls at 100,000 levels; we stop far earlier, as a
/// render runs on a thread with an ordinary stack.
pub const MAX_EXEC_DEPTH: usize = 200;

/// What walking a node asks of the enclosing `range`.
enum Flow {
    Normal,
    Break,
    Continue,
}

pub(super) struct Exec<'t, 'm, 'o> {
    pub trees: &'t TreeSet,
    pub meter: &'m Meter,
    pub out: &'o mut SecureBuf<'m>,
    vars: Vec<(&'t str, Value<'t>)>,
    depth: usize,
}

impl<'t, 'm, 'o> Exec<'t, 'm, 'o> {
    pub(super) fn new(trees: &'t TreeSet, meter: &'m Meter, out: &'o mut SecureBuf<'m>) -> Self {
        Self {
            trees,
            meter,
            out,
            vars: Vec::new(),
            depth: 0,
        }
    }

    /// Execute the template `name` with `dot` as data.
    pub(super) fn run(&mut self, name: &str, dot: Value<'t>) -> Result<(), TemplateError> {
        let trees = self.trees;
        let Some(root) = trees.get(name) else {
            return Err(TemplateError::Internal);
        };
        self.vars = vec![("$", dot.clone())];
        self.walk_list(&dot, root).map(drop)
    }

    fn enter(&mut self) -> Result<(), TemplateError> {
        self.depth += 1;
        if self.depth > MAX_EXEC_DEPTH {
            return Err(TemplateError::TooDeep {
                limit: MAX_EXEC_DEPTH,
            });
        }
        Ok(())
    }

    fn walk_list(&mut self, dot: &Value<'t>, nodes: &'t [Node]) -> Result<Flow, TemplateError> {
        for node in nodes {
            match self.walk(dot, node)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value<'t>, node: &'t Node) -> Result<Flow, TemplateError> {
        self.meter.work(STEP_WORK)?;
        match node {
            Node::Text(t) => self.out.extend(t)?,
            Node::Action(pipe) => {
                let val = self.pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    print_value(&val, self.out)?;
                }
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
            Node::If(c) => return self.if_or_with(dot, c, false),
            Node::With(c) => return self.if_or_with(dot, c, true),
            Node::Range(c) => {
                self.enter()?;
                let mark = self.vars.len();
                let r = self.range(dot, c);
                self.vars.truncate(mark);
                self.depth -= 1;
                r?;
            }
            Node::Template { name, pipe } => self.template(dot, name, pipe.as_ref())?,
        }
        Ok(Flow::Normal)
    }

    fn if_or_with(
        &mut self,
        dot: &Value<'t>,
        c: &'t Control,
        with: bool,
    ) -> Result<Flow, TemplateError> {
        self.enter()?;
        let mark = self.vars.len();
        let result = (|| {
            let val = self.pipeline(dot, &c.pipe)?;
            if val.truth() {
                if with {
                    self.walk_list(&val, &c.list)
                } else {
                    self.walk_list(dot, &c.list)
                }
            } else if let Some(else_list) = &c.else_list {
                self.walk_list(dot, else_list)
            } else {
                Ok(Flow::Normal)
            }
        })();
        self.vars.truncate(mark);
        self.depth -= 1;
        result
    }

    fn range(&mut self, dot: &Value<'t>, c: &'t Control) -> Result<(), TemplateError> {
        let val = self.pipeline(dot, &c.pipe)?;
        let mark = self.vars.len();
        let decls = c.pipe.decl.len();
        let mut iterated = false;
        match &val {
            Value::List(list) => {
                for (i, elem) in list.items.iter().enumerate() {
                    iterated = true;
                    let index = Value::Int(i64::try_from(i).unwrap_or(i64::MAX));
                    if self.iteration(index, elem.clone(), decls, mark, &c.list)? {
                        break;
                    }
                }
            }
            Value::Map(map) => {
                self.meter
                    .work(map.len().saturating_mul(super::func::ELEMENT_WORK))?;
                for (key, elem) in map.entries() {
                    iterated = true;
                    if self.iteration(Value::Str(key), elem, decls, mark, &c.list)? {
                        break;
                    }
                }
            }
            Value::Missing | Value::Nil => {}
            _ => return Err(TemplateError::RangeOver(val.type_name())),
        }
        if !iterated && let Some(else_list) = &c.else_list {
            self.walk_list(dot, else_list)?;
        }
        Ok(())
    }

    /// One iteration of a range; true when the body broke out of the loop.
    fn iteration(
        &mut self,
        index: Value<'t>,
        elem: Value<'t>,
        decls: usize,
        mark: usize,
        body: &'t [Node],
    ) -> Result<bool, TemplateError> {
        self.meter.work(super::func::ELEMENT_WORK)?;
        if decls > 0 {
            self.set_top_var(1, elem.clone())?;
        }
        if decls > 1 {
            self.set_top_var(2, index)?;
        }
        let flow = self.walk_list(&elem, body);
        self.vars.truncate(mark);
        Ok(matches!(flow?, Flow::Break))
    }

    fn set_top_var(&mut self, n: usize, value: Value<'t>) -> Result<(), TemplateError> {
        let len = self.vars.len();
        let slot = len
            .checked_sub(n)
            .and_then(|i| self.vars.get_mut(i))
            .ok_or(TemplateError::Internal)?;
        slot.1 = value;
        Ok(())
    }

    fn template(
        &mut self,
        dot: &Value<'t>,
        name: &'t str,
        pipe: Option<&'t Pipe>,
    ) -> Result<(), TemplateError> {
        let trees = self.trees;
        let Some(root) = trees.get(name) else {
            return Err(TemplateError::NoSuchTemplate(TemplateText::from_source(
                name,
            )));
        };
        self.enter()?;
        let result = (|| {
            let new_dot = match pipe {
                Some(p) => self.pipeline(dot, p)?,
                None => Value::Missing,
            };
            let saved = std::mem::replace(&mut self.vars, vec![("$", new_dot.clone())]);
            let r = self.walk_list(&new_dot, root);
            self.vars = saved;
            r.map(drop)
        })();
        self.depth -= 1;
        result
    }

    fn var_value(&self, name: &str) -> Result<Value<'t>, TemplateError> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| TemplateError::UndefinedVariable(TemplateText::from_source(name)))
    }

    fn set_var(&mut self, name: &str, value: Value<'t>) -> Result<(), TemplateError> {
        match self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = value;
                Ok(())
            }
            None => Err(TemplateError::UndefinedVariable(TemplateText::from_source(
                name,
            ))),
        }
    }

    fn pipeline(&mut self, dot: &Value<'t>, pipe: &'t Pipe) -> Result<Value<'t>, TemplateError> {
        let mut value: Option<Value<'t>> = None;
        for cmd in &pipe.cmds {
            self.meter.work(STEP_WORK)?;
            let v = self.command(dot, cmd, value.take())?;
            // Go unwraps an interface result: a nil one becomes "no value".
            value = Some(match v {
                Value::Nil => Value::Missing,
                v => v,
            });
        }
        let value = value.unwrap_or(Value::Missing);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name.as_str(), value.clone()));
            }
        }
        Ok(value)
    }

    /// A non-function first word of a command may take neither arguments nor a piped value.
    fn not_a_function(args: &[Arg], fin: &Option<Value<'t>>) -> Result<(), TemplateError> {
        if args.len() > 1 || fin.is_some() {
            return Err(TemplateError::ArgumentsToNonFunction);
        }
        Ok(())
    }

    fn command(
        &mut self,
        dot: &Value<'t>,
        cmd: &'t Command,
        fin: Option<Value<'t>>,
    ) -> Result<Value<'t>, TemplateError> {
        let Some(first) = cmd.args.first() else {
            return Err(TemplateError::EmptyCommand);
        };
        match first {
            Arg::Field(fields) => self.field_chain(dot.clone(), fields, &cmd.args, fin),
            Arg::Chain(head, fields) => {
                let receiver = self.chain_head(dot, head)?;
                self.field_chain(receiver, fields, &cmd.args, fin)
            }
            Arg::Identifier(name, entry) => self.call(dot, *name, *entry, &cmd.args[1..], fin),
            Arg::Pipe(p) => {
                Self::not_a_function(&cmd.args, &fin)?;
                self.nested_pipeline(dot, p)
            }
            Arg::Variable(name, fields) => {
                let value = self.var_value(name)?;
                if fields.is_empty() {
                    Self::not_a_function(&cmd.args, &fin)?;
                    return Ok(value);
                }
                self.field_chain(value, fields, &cmd.args, fin)
            }
            other => {
                Self::not_a_function(&cmd.args, &fin)?;
                match other {
                    Arg::Nil => Err(TemplateError::NilCommand),
                    _ => self.literal(dot, other),
                }
            }
        }
    }

    fn nested_pipeline(
        &mut self,
        dot: &Value<'t>,
        p: &'t Pipe,
    ) -> Result<Value<'t>, TemplateError> {
        self.enter()?;
        let r = self.pipeline(dot, p);
        self.depth -= 1;
        r
    }

    fn chain_head(&mut self, dot: &Value<'t>, head: &'t Arg) -> Result<Value<'t>, TemplateError> {
        if matches!(head, Arg::Nil) {
            return Err(TemplateError::NilCommand);
        }
        self.arg(dot, head)
    }

    fn literal(&self, dot: &Value<'t>, arg: &'t Arg) -> Result<Value<'t>, TemplateError> {
        Ok(match arg {
            Arg::Bool(b) => Value::Bool(*b),
            Arg::Dot => dot.clone(),
            Arg::Str(s) => Value::borrowed(s),
            Arg::Number(n) => match n {
                Number::Int(i) => Value::Int(*i),
                Number::Float(f) => Value::Float(*f),
                Number::Overflow => return Err(TemplateError::IntOverflow),
                Number::Complex => return Err(TemplateError::ComplexNumber),
            },
            _ => return Err(TemplateError::Internal),
        })
    }

    /// Evaluate one argument as Go does for a parameter of type `reflect.Value` or
    /// `interface{}`: no value stays [`Value::Missing`], `nil` is [`Value::Nil`].
    fn arg(&mut self, dot: &Value<'t>, arg: &'t Arg) -> Result<Value<'t>, TemplateError> {
        self.meter.work(STEP_WORK)?;
        match arg {
            Arg::Nil => Ok(Value::Nil),
            Arg::Field(fields) => self.field_chain(dot.clone(), fields, &[], None),
            Arg::Variable(name, fields) => {
                let value = self.var_value(name)?;
                if fields.is_empty() {
                    return Ok(value);
                }
                self.field_chain(value, fields, &[], None)
            }
            Arg::Pipe(p) => self.nested_pipeline(dot, p),
            Arg::Identifier(name, entry) => self.call(dot, *name, *entry, &[], None),
            Arg::Chain(head, fields) => {
                let receiver = self.chain_head(dot, head)?;
                self.field_chain(receiver, fields, &[], None)
            }
            other => self.literal(dot, other),
        }
    }

    /// `.a.b.c` on `receiver`; only the last field sees the command's arguments.
    fn field_chain(
        &mut self,
        mut receiver: Value<'t>,
        fields: &'t [TemplateText],
        args: &[Arg],
        fin: Option<Value<'t>>,
    ) -> Result<Value<'t>, TemplateError> {
        let has_args = args.len() > 1 || fin.is_some();
        for (i, name) in fields.iter().enumerate() {
            let last = i + 1 == fields.len();
            receiver = field(receiver, name, last && has_args)?;
        }
        Ok(receiver)
    }

    fn call(
        &mut self,
        dot: &Value<'t>,
        name: FuncName,
        entry: Entry,
        args: &'t [Arg],
        fin: Option<Value<'t>>,
    ) -> Result<Value<'t>, TemplateError> {
        let count = args.len() + usize::from(fin.is_some());
        let call = Call::new(self.meter, name);
        match entry {
            Entry::ShortCircuit(is_and) => {
                if count == 0 {
                    return Err(
                        call.error(super::error::CallError::ArgCountAtLeast { min: 1, got: 0 })
                    );
                }
                let mut v = Value::Missing;
                for a in args {
                    v = self.arg(dot, a)?;
                    if v.truth() != is_and {
                        return Ok(v);
                    }
                }
                if let Some(f) = fin {
                    v = f;
                }
                Ok(v)
            }
            Entry::CallRefused => Err(TemplateError::CallRefused),
            Entry::Func(f) => {
                let mut values = Vec::with_capacity(count);
                for a in args {
                    values.push(as_interface(self.arg(dot, a)?));
                }
                if let Some(v) = fin {
                    values.push(as_interface(v));
                }
                f(&call, values)
            }
        }
    }
}

/// A value handed to a function parameter: Go turns "no value" into a nil interface.
fn as_interface(v: Value<'_>) -> Value<'_> {
    match v {
        Value::Missing => Value::Nil,
        v => v,
    }
}

/// Go's `evalField` on a map (missingkey=default): a missing key is no value; anything but a
/// map has no fields.
fn field<'t>(
    receiver: Value<'t>,
    name: &TemplateText,
    has_args: bool,
) -> Result<Value<'t>, TemplateError> {
    match receiver {
        Value::Missing => Ok(Value::Missing),
        Value::Nil => Err(TemplateError::NilField(name.clone())),
        Value::Map(map) => {
            if has_args {
                return Err(TemplateError::FieldWithArguments(name.clone()));
            }
            Ok(map_field(&map, name))
        }
        other => Err(TemplateError::NoField {
            field: name.clone(),
            type_name: other.type_name(),
        }),
    }
}

/// A field of a map: Go's default `missingkey` gives no value for a missing key, whatever
/// the element type (unlike `index`, which gives the element type's zero value).
fn map_field<'t>(map: &GoMap<'t>, name: &TemplateText) -> Value<'t> {
    map.get(name.as_str().as_bytes()).unwrap_or(Value::Missing)
}
