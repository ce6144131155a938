//! A small, documented subset of Go's `text/template` for `spec.template.data`.
//!
//! Bitnami evaluates these templates with Go's engine and the whole sprig library against
//! the decrypted values (a map of key → string). We support what Bitnami users actually write
//! and refuse everything else with an error naming the construct, rather than guess:
//!
//! * literal text;
//! * actions `{{ pipeline }}`, with the trim markers `{{- ` and ` -}}`, and comments
//!   `{{/* ... */}}`;
//! * operands: `.key` (a decrypted value), `.` (only as the first argument of `index`),
//!   string literals `"..."` (Go escapes) and `` `raw` ``;
//! * pipelines `a | f | g`, where the piped value becomes the last argument;
//! * functions: `index . "key"`, `quote`, `squote`, `upper`, `lower`, `trim`, `b64enc`,
//!   `b64dec`, `toJson`, and `printf` with the verbs `%s`, `%v`, `%q` and `%%`.
//!
//! Differences from Go, all of them errors where Go would silently produce something odd:
//! a reference to a key that does not exist (Go prints `<no value>`), `b64dec` of invalid
//! base64 (sprig returns the error text as the value), `printf` argument-count mismatches
//! (Go prints `%!s(MISSING)`), and printing `.` itself. `quote` follows Go's `%q` for ASCII,
//! control characters and invalid UTF-8; for other non-printable Unicode it approximates
//! Go's `unicode.IsPrint` (controls, format characters and non-ASCII spaces are escaped).
//!
//! Three rules hold whatever the template:
//!
//! * **No plaintext in errors.** Whoever may update a SealedSecret writes its templates, and
//!   errors reach statuses, Events and logs that more people read. [`TemplateError`] can hold
//!   only the template's own text, function names, counts and fixed reasons (see there).
//! * **Bounded cost.** [`RenderLimits`] caps bytes per key, bytes per Secret, actions per
//!   template and bytes processed per Secret; every buffer asks before it grows.
//! * Rendering never panics on any input, and every buffer that holds plaintext zeroizes
//!   itself.

mod budget;
mod builtins;
mod error;
mod eval;
pub mod func;
mod function;
mod go_format;
mod lex;
mod limits;
mod parse;
mod sprig;
pub mod value;

pub use error::{CallError, TemplateError};
pub use function::Function;
pub use lex::TemplateText;
pub use limits::{RenderCap, RenderLimits};

use crate::{ApiError, SecretBytes};
use budget::{Meter, SecureBuf};
use eval::{eval_pipeline, print};
use parse::{Node, parse};
use std::collections::BTreeMap;

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
    render(template, values, &meter).map_err(|reason| template_error(key, reason))
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
    parse(template, limits.max_actions)
        .map(drop)
        .map_err(|reason| template_error(key, reason))
}

fn template_error(key: &str, reason: TemplateError) -> ApiError {
    ApiError::Template {
        object: "template".to_owned(),
        key: key.to_owned(),
        reason,
    }
}

/// Render every template of one Secret against the decrypted `values`, all of them within
/// one budget of `limits`. Every template sees the decrypted values only, never another
/// template's output (Bitnami renders all of them against the same map). On failure, the
/// key whose template failed and why.
pub(crate) fn render_all<'t>(
    templates: &'t BTreeMap<String, String>,
    values: &BTreeMap<String, SecretBytes>,
    limits: &RenderLimits,
) -> Result<BTreeMap<String, SecretBytes>, (&'t str, TemplateError)> {
    // Values a template replaces leave the Secret; the others stay and count.
    let base = values
        .iter()
        .filter(|(k, _)| !templates.contains_key(*k))
        .fold(0usize, |sum, (_, v)| sum.saturating_add(v.len()));
    let meter = Meter::new(limits, base);
    templates
        .iter()
        .map(|(key, template)| {
            render(template, values, &meter)
                .map(|value| (key.clone(), value))
                .map_err(|reason| (key.as_str(), reason))
        })
        .collect()
}

/// Render one template, spending from `meter`.
fn render(
    template: &str,
    values: &BTreeMap<String, SecretBytes>,
    meter: &Meter,
) -> Result<SecretBytes, TemplateError> {
    let nodes = parse(template, meter.limits().max_actions)?;
    let mut out = SecureBuf::output(meter);
    for node in &nodes {
        match node {
            Node::Text(t) => out.extend(t.as_bytes())?,
            Node::Action(p) => print(&eval_pipeline(p, values, meter)?, &mut out)?,
        }
    }
    Ok(out.into_secret())
}

#[cfg(test)]
mod tests;
