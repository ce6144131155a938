//! Go's `text/template` language for `spec.template.data`, as Bitnami renders it: Go 1.19's
//! `text/template` with sprig's functions, against the data as a `map[string]string`,
//! with the default `missingkey` option.
//!
//! The whole language is here, and the differential test (`tests/go_template.rs`) runs the
//! same templates through Go itself and requires identical bytes, and failure exactly where
//! Go fails:
//!
//! * text, actions `{{ … }}`, trim markers `{{- ` and ` -}}`, comments `{{/* … */}}`;
//! * pipelines, parenthesized pipelines, field chains `.a.b` and `$x.a`, `.` and `$`,
//!   variables declared with `:=` and assigned with `=`, scoped as in Go;
//! * `if`/`else if`/`else`, `range` (lists and maps, one or two variables, `else`,
//!   `break`, `continue`), `with`/`else`, `define`, `template`, `block`;
//! * literals: strings (interpreted and raw), characters, every Go number form, `true`,
//!   `false`, `nil`;
//! * Go's builtins (`and`, `or`, `not`, `len`, `index`, `slice`, `print`, `printf`,
//!   `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `html`, `js`, `urlquery`) in
//!   [`builtins`], Go's `fmt` in [`fmt`](self::fmt), and sprig's functions in `sprig`, which
//!   shadow builtins of the same name as in Bitnami (sprig's `slice`).
//!
//! Where we differ, we fail where Go would not: `call` (there are no function values),
//! complex number constants, `%#v` of lists and maps, `%b`/`%x` of floats, nesting deeper
//! than [`MAX_NESTING`] levels in the text or [`MAX_EXEC_DEPTH`] while running (Go allows
//! 100,000 nested template calls), and the caps of [`RenderLimits`].
//!
//! Three rules hold whatever the template:
//!
//! * **No plaintext in errors.** Whoever may update a SealedSecret writes its templates, and
//!   errors reach statuses, Events and logs that more people read. [`TemplateError`] can hold
//!   only the template's own text, function names, counts and fixed reasons (see there). Go
//!   writes values into its error messages; we do not. (Go's `fmt` error forms such as
//!   `%!d(string=…)` are output, not errors: they land in the Secret, as in Bitnami.)
//! * **Bounded cost.** [`RenderLimits`] caps bytes per key, bytes per Secret, actions per
//!   template and work per Secret; every buffer asks before it grows, and every step, loop
//!   iteration and template call is charged to the work budget before it runs.
//! * Rendering never panics on any input, and every buffer that holds plaintext zeroizes
//!   itself.

mod budget;
mod builtins;
mod error;
mod exec;
mod fmt;
pub mod func;
mod func_name;
mod lex;
mod limits;
mod literal;
mod parse;
mod sprig;
mod standard;
mod unicode_tables;
pub mod value;

pub use error::{CallError, TemplateError};
pub use exec::MAX_EXEC_DEPTH;
pub use func_name::FuncName;
pub use lex::TemplateText;
pub use limits::{RenderCap, RenderLimits};
pub use parse::MAX_NESTING;

use crate::{ApiError, SecretBytes};
use budget::{Meter, SecureBuf};
use exec::Exec;
use parse::parse;
use std::collections::BTreeMap;
use value::{GoMap, Value};

/// Render `template` (the value of `spec.template.data[key]`) against decrypted `values`,
/// within the default [`RenderLimits`].
pub fn render_template(
    key: &str,
    template: &str,
    values: &BTreeMap<String, SecretBytes>,
) -> Result<SecretBytes, ApiError> {
    render_template_with_limits(key, template, values, &RenderLimits::default())
}

/// [`render_template`] within `limits`; the per-Secret cap counts this one key only.
pub fn render_template_with_limits(
    key: &str,
    template: &str,
    values: &BTreeMap<String, SecretBytes>,
    limits: &RenderLimits,
) -> Result<SecretBytes, ApiError> {
    let meter = Meter::new(limits, 0);
    render(key, template, values, &meter).map_err(|reason| template_error(key, reason))
}

/// Parse `template` without evaluating it: for offline checks and the HTTP API, which have
/// no plaintext. Every error that does not depend on the values shows here.
pub fn check_template(key: &str, template: &str) -> Result<(), ApiError> {
    check_template_with_limits(key, template, &RenderLimits::default())
}

/// [`check_template`] with `limits` (only `max_actions` applies before rendering).
pub fn check_template_with_limits(
    key: &str,
    template: &str,
    limits: &RenderLimits,
) -> Result<(), ApiError> {
    parse(key, template, limits.max_actions)
        .map(drop)
        .map_err(|reason| template_error(key, reason))
}

fn template_error(key: &str, reason: TemplateError) -> ApiError {
    ApiError::Template {
        object: "template".to_owned(),
        key: key.to_owned(),
        reason: Box::new(reason),
    }
}

/// Render every template of one Secret against the decrypted `values`, all of them within
/// one budget of `limits`. Every template sees the decrypted values only, never another
/// template's output (Bitnami renders all of them against the same map). On failure, every
/// template's error, by key (Bitnami reports them all): rendering goes on after an error,
/// from the same budget, and stops at the first cap that budget shares (work, Secret bytes),
/// since nothing after it could render.
pub(crate) fn render_all<'t>(
    templates: &'t BTreeMap<String, String>,
    values: &BTreeMap<String, SecretBytes>,
    limits: &RenderLimits,
) -> Result<BTreeMap<String, SecretBytes>, Vec<(&'t str, TemplateError)>> {
    // Values a template replaces leave the Secret; the others stay and count.
    let base = values
        .iter()
        .filter(|(k, _)| !templates.contains_key(*k))
        .fold(0usize, |sum, (_, v)| sum.saturating_add(v.len()));
    let meter = Meter::new(limits, base);
    let mut rendered = BTreeMap::new();
    let mut errors = Vec::new();
    for (key, template) in templates {
        match render(key, template, values, &meter) {
            Ok(value) => {
                rendered.insert(key.clone(), value);
            }
            Err(reason) => {
                let shared_budget_spent = matches!(
                    reason.cap(),
                    Some(RenderCap::WorkBytes | RenderCap::SecretBytes)
                );
                errors.push((key.as_str(), reason));
                if shared_budget_spent {
                    break;
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(rendered)
    } else {
        Err(errors)
    }
}

/// Render one template, named `name` as Bitnami names it (after its key), spending from
/// `meter`.
fn render(
    name: &str,
    template: &str,
    values: &BTreeMap<String, SecretBytes>,
    meter: &Meter,
) -> Result<SecretBytes, TemplateError> {
    let trees = parse(name, template, meter.limits().max_actions)?;
    let mut out = SecureBuf::output(meter);
    let dot = Value::Map(GoMap::Data(values));
    Exec::new(&trees, meter, &mut out).run(name, dot)?;
    Ok(out.into_secret())
}

#[cfg(test)]
mod tests;
