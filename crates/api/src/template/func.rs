//! The function table: every function a template may call, by name. A later registration
//! replaces an earlier one (see `standard.rs` for why that order matters).
//!
//! A function gets its evaluated arguments (a piped value comes last, as in Go) and a
//! [`Call`], through which it allocates metered, zeroizing strings and reports errors that
//! name the function but never a value.

use super::budget::{Meter, SecureBuf};
use super::error::{CallError, TemplateError};
use super::func_name::FuncName;
use super::value::{Elem, GoStr, Value};
use std::collections::HashMap;

use std::marker::PhantomData;
use std::rc::Rc;

/// A template function: `(call, args) -> value`. Arguments arrive in template order, the
/// piped value (if any) last. Check the argument count and types yourself, with
/// [`Call::arity`] and [`Call::error`].
pub type Func = for<'c, 'v> fn(&Call<'c, 'v>, Vec<Value<'v>>) -> Result<Value<'v>, TemplateError>;

/// What a name in the table stands for.
#[derive(Clone, Copy)]
pub(super) enum Entry {
    /// An ordinary function: its arguments are evaluated first.
    Func(Func),
    /// Go's `and` (true) or `or` (false): evaluated by the executor, which stops at the first
    /// operand that decides the result.
    ShortCircuit(bool),
    /// Go's `call`: refused, as there are no function values to call.
    CallRefused,
}

/// Name → function.
pub struct FuncTable {
    funcs: HashMap<&'static str, Entry>,
}

impl FuncTable {
    pub(super) fn empty() -> Self {
        Self {
            funcs: HashMap::new(),
        }
    }

    /// Add `func` under `name`, replacing any earlier function of that name.
    pub fn register(&mut self, name: &'static str, func: Func) {
        self.funcs.insert(name, Entry::Func(func));
    }

    pub(super) fn register_entry(&mut self, name: &'static str, entry: Entry) {
        self.funcs.insert(name, entry);
    }

    pub(super) fn get(&self, name: &str) -> Option<(FuncName, Entry)> {
        self.funcs
            .get_key_value(name)
            .map(|(k, e)| (FuncName::from_table(k), *e))
    }
}

/// What a function may use while it runs: the render's budget, and its own name for errors.
pub struct Call<'c, 'v> {
    meter: &'c Meter,
    name: FuncName,
    _values: PhantomData<fn() -> Value<'v>>,
}

/// Bytes charged as work for each element of a list or map a function builds, so that
/// building collections is bounded like building strings.
pub const ELEMENT_WORK: usize = 32;

impl<'c, 'v> Call<'c, 'v> {
    pub(super) fn new(meter: &'c Meter, name: FuncName) -> Self {
        Self {
            meter,
            name,
            _values: PhantomData,
        }
    }

    /// The function being called.
    #[allow(
        dead_code,
        reason = "for sprig's functions (template/sprig), which land separately"
    )]
    pub fn name(&self) -> FuncName {
        self.name
    }

    /// An error of this function, for one of the fixed reasons.
    pub fn error(&self, reason: CallError) -> TemplateError {
        TemplateError::Call {
            func: self.name,
            reason,
        }
    }

    /// Fail unless exactly `want` arguments were given.
    pub fn arity(&self, args: &[Value<'v>], want: usize) -> Result<(), TemplateError> {
        if args.len() == want {
            Ok(())
        } else {
            Err(self.error(CallError::ArgCount {
                want,
                got: args.len(),
            }))
        }
    }

    /// Spend `n` bytes of work (what the function reads or computes without allocating).
    pub fn work(&self, n: usize) -> Result<(), TemplateError> {
        self.meter.work(n)
    }

    /// A new, empty, metered and zeroizing buffer: build a string in it, then [`Self::string`].
    pub fn buf(&self) -> SecureBuf<'c> {
        SecureBuf::new(self.meter)
    }

    /// A buffer with room for `n` bytes reserved up front (charged now).
    pub fn buf_with_capacity(&self, n: usize) -> Result<SecureBuf<'c>, TemplateError> {
        SecureBuf::with_capacity(self.meter, n)
    }

    /// The string built in `buf`. The bytes move; nothing is copied.
    pub fn string(&self, buf: SecureBuf<'c>) -> Value<'v> {
        Value::Str(GoStr::Owned(Rc::new(buf.into_zeroizing())))
    }

    /// A metered copy of `bytes` as a string value.
    pub fn copy_str(&self, bytes: &[u8]) -> Result<Value<'v>, TemplateError> {
        let mut buf = SecureBuf::with_capacity(self.meter, bytes.len())?;
        buf.extend(bytes)?;
        Ok(self.string(buf))
    }

    /// A list value; each element is charged [`ELEMENT_WORK`] bytes of work.
    pub fn list(&self, elem: Elem, items: Vec<Value<'v>>) -> Result<Value<'v>, TemplateError> {
        self.meter.work(items.len().saturating_mul(ELEMENT_WORK))?;
        Ok(Value::list(elem, items))
    }

    #[allow(
        dead_code,
        reason = "for sprig's functions (template/sprig), which land separately"
    )]
    /// Charge the work of building a collection of `n` elements before building it.
    pub fn elements(&self, n: usize) -> Result<(), TemplateError> {
        self.meter.work(n.saturating_mul(ELEMENT_WORK))
    }

    #[allow(
        dead_code,
        reason = "for sprig's functions (template/sprig), which land separately"
    )]
    pub(super) fn meter(&self) -> &'c Meter {
        self.meter
    }
}
