//! [`Value`]: what a pipeline computes, modelled on the Go values `text/template` sees when
//! Bitnami renders `spec.template.data` (the data is a `map[string]string`; sprig adds
//! `[]interface{}`, `map[string]interface{}`, `int64` and `float64`).
//!
//! Values are cheap to clone: strings and collections are shared, never copied, so a
//! variable or a `range` element costs nothing and leaves no extra plaintext copy. Every
//! owned string is zeroized when its last holder drops it, and was metered when it was made
//! (see [`super::func::Call::string`]).
//!
//! `'v` is the lifetime of the render: the decrypted data and the parsed template, which
//! values borrow instead of copying.

use crate::SecretBytes;
use std::collections::BTreeMap;
use std::rc::Rc;
use zeroize::{Zeroize, Zeroizing};

/// One Go value.
#[derive(Clone)]
pub enum Value<'v> {
    /// No value at all (Go's invalid `reflect.Value`): a missing map key read as a field
    /// (`.missing`) or a nil interface at the end of a pipeline. Printed as `<no value>`.
    Missing,
    /// A nil interface (`nil` passed as an argument, a nil element of a list): printed `<nil>`.
    Nil,
    Bool(bool),
    /// Go's `int` (number literals, `len`).
    Int(i64),
    /// Go's `uint8`: a byte of a string (`index "abc" 1`). Compares and prints like
    /// [`Value::Int`]; only its type name differs.
    Uint8(u8),
    /// Go's `int64` (sprig's arithmetic). Compares and prints like [`Value::Int`].
    #[allow(
        dead_code,
        reason = "for sprig's functions (template/sprig), which land separately"
    )]
    Int64(i64),
    /// Go's `float64`.
    Float(f64),
    /// A Go `string`: bytes, not necessarily UTF-8. Plaintext unless proven otherwise.
    Str(GoStr<'v>),
    /// A Go slice.
    List(Rc<List<'v>>),
    /// A Go map with string keys.
    Map(GoMap<'v>),
}

/// The element type of a Go slice or map, which decides its zero value and its type name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    /// `interface{}`: the zero value is nil.
    Any,
    /// `string`: the zero value is `""`.
    Str,
}

/// A Go slice (`[]interface{}` or `[]string`).
pub struct List<'v> {
    pub elem: Elem,
    pub items: Vec<Value<'v>>,
}

/// A Go map with string keys.
#[derive(Clone)]
pub enum GoMap<'v> {
    /// The decrypted data, Go's `map[string]string` (what `.` is).
    Data(&'v BTreeMap<String, SecretBytes>),
    #[allow(
        dead_code,
        reason = "for sprig's functions (template/sprig), which land separately"
    )]
    /// A map built by a function (sprig's `dict`): `map[string]interface{}`.
    Dict(Rc<BTreeMap<GoKey, Value<'v>>>),
}

/// A map key built at render time: plaintext, zeroized on drop, never shown in errors.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoKey(pub Vec<u8>);

impl std::borrow::Borrow<[u8]> for GoKey {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for GoKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The bytes of a Go string.
#[derive(Clone)]
pub enum GoStr<'v> {
    /// Borrowed from the decrypted data or from the template's own text.
    Borrowed(&'v [u8]),
    /// Made at render time (a function's result), metered when built, zeroized on drop.
    Owned(Rc<Zeroizing<Vec<u8>>>),
}

impl<'v> GoStr<'v> {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            GoStr::Borrowed(b) => b,
            GoStr::Owned(b) => b.as_slice(),
        }
    }
}

impl<'v> GoMap<'v> {
    /// The map's element type (`string` for the data, `interface{}` for a dict).
    pub fn elem(&self) -> Elem {
        match self {
            GoMap::Data(_) => Elem::Str,
            GoMap::Dict(_) => Elem::Any,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            GoMap::Data(m) => m.len(),
            GoMap::Dict(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value under `key`, or `None` when the key is absent.
    pub fn get(&self, key: &[u8]) -> Option<Value<'v>> {
        match self {
            GoMap::Data(m) => {
                let k = std::str::from_utf8(key).ok()?;
                m.get_key_value(k)
                    .map(|(_, v)| Value::Str(GoStr::Borrowed(v.as_bytes())))
            }
            GoMap::Dict(m) => m.get(key).cloned(),
        }
    }

    /// Every entry, in Go's sorted key order (bytewise, as `range` and `fmt` sort).
    pub fn entries(&self) -> Vec<(GoStr<'v>, Value<'v>)> {
        match self {
            GoMap::Data(m) => m
                .iter()
                .map(|(k, v)| {
                    (
                        GoStr::Borrowed(k.as_bytes()),
                        Value::Str(GoStr::Borrowed(v.as_bytes())),
                    )
                })
                .collect(),
            GoMap::Dict(m) => m
                .iter()
                .map(|(k, v)| {
                    (
                        GoStr::Owned(Rc::new(Zeroizing::new(k.0.clone()))),
                        v.clone(),
                    )
                })
                .collect(),
        }
    }
}

impl<'v> Value<'v> {
    /// A string borrowed for the whole render (the data, or the template's own text).
    pub fn borrowed(bytes: &'v [u8]) -> Self {
        Value::Str(GoStr::Borrowed(bytes))
    }

    /// The zero value of an element type: what `index` returns for a missing map key.
    pub fn zero(elem: Elem) -> Self {
        match elem {
            Elem::Any => Value::Nil,
            Elem::Str => Value::borrowed(b""),
        }
    }

    /// The bytes when this is a string.
    pub fn as_str(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// The integer when this is any Go integer type.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::Int64(i) => Some(*i),
            Value::Uint8(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// Go's `truth` (`if`, `with`, `and`, `or`, `not`): false for the zero value of its type
    /// and for empty strings, lists and maps, and for no value at all.
    pub fn truth(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Uint8(b) => *b != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.as_bytes().is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.is_empty(),
        }
    }

    /// The Go type name, as `printf "%T"` writes it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Missing | Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Uint8(_) => "uint8",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(l) => match l.elem {
                Elem::Any => "[]interface {}",
                Elem::Str => "[]string",
            },
            Value::Map(m) => match m.elem() {
                Elem::Any => "map[string]interface {}",
                Elem::Str => "map[string]string",
            },
        }
    }

    /// A list value.
    pub fn list(elem: Elem, items: Vec<Value<'v>>) -> Self {
        Value::List(Rc::new(List { elem, items }))
    }

    #[allow(
        dead_code,
        reason = "for sprig's functions (template/sprig), which land separately"
    )]
    /// A `map[string]interface{}` value.
    pub fn dict(entries: BTreeMap<GoKey, Value<'v>>) -> Self {
        Value::Map(GoMap::Dict(Rc::new(entries)))
    }
}
