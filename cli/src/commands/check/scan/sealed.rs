//! SealedSecret structure, checked without any private key: what would otherwise surface at
//! deploy time as the controller's opaque "no key could decrypt".

use super::{
    Ctx, annotations, hint,
    object::Object,
    plaintext::{LAST_APPLIED, annotations_of, in_clear, is_allowed, last_applied_keys},
    string_map,
};
use crate::commands::check::{
    certs::KnownCerts,
    report::{Finding, Rule},
};
use sealant_api::{
    ApiError, SEALED_SECRET_API_VERSION,
    annotations::{ALLOW_PLAINTEXT, is_scope_annotation, scope_from_annotations},
    check_template,
};
use sealant_crypto::{Envelope, Scope, decode_base64};
use serde_json::Value;
use std::collections::BTreeMap;

pub fn check(doc: &Object, ctx: &Ctx, known: &KnownCerts, out: &mut Vec<Finding>) {
    let object = doc.as_value();
    if doc.api_version() != Some(SEALED_SECRET_API_VERSION) {
        let found: String = doc
            .api_version()
            .unwrap_or("<none>")
            .chars()
            .take(64)
            .collect();
        out.push(ctx.finding(
            Rule::SealedInvalid,
            Vec::new(),
            format!(
                "apiVersion is {found:?}, not {SEALED_SECRET_API_VERSION}; the controller \
                 ignores it"
            ),
        ));
        return;
    }
    let top = annotations(object);
    let scope = scope_from_annotations(&top);
    let name = doc.name().unwrap_or_default();
    let namespace = doc.namespace().unwrap_or_default();
    check_target(name, namespace, scope, ctx, out);

    let Some(spec) = object.get("spec").and_then(Value::as_object) else {
        out.push(ctx.finding(Rule::SealedInvalid, Vec::new(), "has no spec map".into()));
        return;
    };
    let sizes = check_values(spec, ctx, out);
    let hint = hint::read(&top, ctx, out);
    check_key_sizes(&sizes, hint.as_ref(), known, ctx, out);
    check_template_spec(spec.get("template"), scope, ctx, out);
    check_template_plaintext(object, spec.get("template"), ctx, out);
    if let Some(hint) = &hint {
        hint::check(hint, scope, namespace, name, known, ctx, out);
    }
}

fn check_target(name: &str, namespace: &str, scope: Scope, ctx: &Ctx, out: &mut Vec<Finding>) {
    if name.is_empty() {
        out.push(ctx.finding(
            Rule::SealedMissingTarget,
            Vec::new(),
            "metadata.name is missing; a SealedSecret cannot be applied without one".into(),
        ));
    }
    if namespace.is_empty() && scope != Scope::ClusterWide {
        out.push(ctx.finding(
            Rule::SealedMissingTarget,
            Vec::new(),
            format!(
                "metadata.namespace is missing, but {scope} scope binds the values to a \
                 namespace; set the namespace it was sealed for"
            ),
        ));
    }
}

/// Checks every sealed value; returns data keys grouped by RSA block length (bytes).
fn check_values(
    spec: &serde_json::Map<String, Value>,
    ctx: &Ctx,
    out: &mut Vec<Finding>,
) -> BTreeMap<usize, Vec<String>> {
    let mut sizes: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut values: Vec<(String, &str)> = Vec::new();
    match spec.get("encryptedData") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                match v.as_str() {
                    Some(s) => values.push((k.clone(), s)),
                    None => out.push(ctx.key_finding(
                        Rule::SealedInvalid,
                        k,
                        format!("encryptedData key {k:?} is not a string"),
                    )),
                }
            }
        }
        Some(_) => out.push(ctx.finding(
            Rule::SealedInvalid,
            Vec::new(),
            "spec.encryptedData is not a map".into(),
        )),
    }
    match spec.get("data") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.is_empty() => {}
        Some(Value::String(s)) => {
            if !values.is_empty() {
                out.push(
                    ctx.finding(
                        Rule::SealedInvalid,
                        Vec::new(),
                        "uses both spec.encryptedData and the deprecated spec.data; the \
                     controller rejects that"
                            .into(),
                    ),
                );
            }
            values.push(("spec.data".to_owned(), s));
        }
        Some(_) => out.push(ctx.finding(
            Rule::SealedInvalid,
            Vec::new(),
            "spec.data is not a string".into(),
        )),
    }
    // v2 headers and values have their own structure (`sealed_v2.rs`); the rest is v1.
    let (v2_values, values): (Vec<_>, Vec<_>) = values
        .into_iter()
        .partition(|(k, v)| super::sealed_v2::is_v2_entry(k, v));
    if !v2_values.is_empty() {
        let v1_keys: Vec<String> = values.iter().map(|(k, _)| k.clone()).collect();
        let part = super::sealed_v2::check(&v2_values, &v1_keys, ctx, out);
        super::v2_recipients::compare(&part, ctx, out);
    }
    for (key, text) in values {
        if text.trim().is_empty() {
            out.push(ctx.key_finding(
                Rule::SealedEmptyValue,
                &key,
                format!("sealed value of key {key:?} is empty"),
            ));
            continue;
        }
        let Ok(bytes) = decode_base64(text) else {
            out.push(ctx.key_finding(
                Rule::SealedBase64,
                &key,
                format!("sealed value of key {key:?} is not valid base64"),
            ));
            continue;
        };
        match Envelope::parse(&bytes) {
            Ok(envelope) => sizes.entry(envelope.rsa_len()).or_default().push(key),
            Err(_) => out.push(ctx.key_finding(
                Rule::SealedEnvelope,
                &key,
                format!(
                    "sealed value of key {key:?} is truncated or not a sealed value (bad \
                     envelope framing)"
                ),
            )),
        }
    }
    sizes
}

/// With known certificates, every value's RSA block must match one of their key sizes (the
/// hinted one when the hint names a known key); without, the values must at least agree.
fn check_key_sizes(
    sizes: &BTreeMap<usize, Vec<String>>,
    hint: Option<&sealant_api::SealedFor>,
    known: &KnownCerts,
    ctx: &Ctx,
    out: &mut Vec<Finding>,
) {
    let bits = |bytes: usize| bytes * 8;
    if !known.is_empty() {
        let expected = match hint.and_then(|h| known.size_of(&h.fingerprint)) {
            Some(size) => vec![size],
            None => known.sizes(),
        };
        let expected_text = expected
            .iter()
            .map(|s| format!("{}-bit", bits(*s)))
            .collect::<Vec<_>>()
            .join(" or ");
        for (size, keys) in sizes.iter().filter(|(s, _)| !expected.contains(s)) {
            out.push(ctx.finding(
                Rule::SealedKeySize,
                keys.clone(),
                format!(
                    "keys {} were sealed for a {}-bit key, but the known certificate is \
                     {expected_text}; no known key can open them",
                    keys.join(", "),
                    bits(*size)
                ),
            ));
        }
    } else if sizes.len() > 1 {
        let groups = sizes
            .iter()
            .map(|(s, keys)| format!("{}-bit ({})", bits(*s), keys.join(", ")))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(ctx.finding(
            Rule::SealedKeySize,
            sizes.values().flatten().cloned().collect(),
            format!("values were sealed for keys of different sizes: {groups}"),
        ));
    }
}

fn check_template_spec(template: Option<&Value>, scope: Scope, ctx: &Ctx, out: &mut Vec<Finding>) {
    let Some(template) = template else { return };
    let template_annotations =
        string_map(template.get("metadata").and_then(|m| m.get("annotations")));
    // A template without scope annotations claims nothing; one that has them must agree,
    // because readers (and Bitnami before CVE-2026-22728) take them at their word.
    if template_annotations.keys().any(|k| is_scope_annotation(k)) {
        let template_scope = scope_from_annotations(&template_annotations);
        if template_scope != scope {
            out.push(ctx.finding(
                Rule::SealedScopeMismatch,
                Vec::new(),
                format!(
                    "top-level scope annotations say {scope} but spec.template's say \
                     {template_scope}; the controller decrypts with the top-level scope"
                ),
            ));
        }
    }
    match template.get("data") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, text) in map {
                // null drops the key from the Secret (Bitnami v0.40, #1871).
                if text.is_null() {
                    continue;
                }
                let Some(text) = text.as_str() else {
                    out.push(ctx.key_finding(
                        Rule::SealedInvalid,
                        key,
                        format!("template.data key {key:?} is not a string"),
                    ));
                    continue;
                };
                if let Err(e) = check_template(key, text) {
                    let reason = match e {
                        ApiError::Template { reason, .. } => reason.to_string(),
                        other => other.to_string(),
                    };
                    out.push(ctx.key_finding(
                        Rule::SealedTemplate,
                        key,
                        format!("template.data key {key:?} does not parse: {reason}"),
                    ));
                }
            }
        }
        Some(_) => out.push(ctx.finding(
            Rule::SealedInvalid,
            Vec::new(),
            "spec.template.data is not a map".into(),
        )),
    }
}

/// Plaintext committed next to the ciphertexts: `spec.template` is copied into the Secret
/// as written, so a literal `template.data` value, a `template.stringData` (not part of the
/// API, but in the clear all the same) or a kubectl last-applied copy of the Secret is
/// plaintext in git. A `template.data` value that uses the sealed values (`{{ index .
/// "k" }}`) is the intended use and is not reported, whatever text surrounds the actions.
fn check_template_plaintext(
    object: &Value,
    template: Option<&Value>,
    ctx: &Ctx,
    out: &mut Vec<Finding>,
) {
    let mut literal = Vec::new();
    if let Some(template) = template {
        if let Some(data) = template.get("data").and_then(Value::as_object) {
            literal.extend(
                data.iter()
                    .filter(|(_, v)| v.as_str().is_some_and(is_literal))
                    .map(|(k, _)| k.clone()),
            );
        }
        if let Some(data) = template.get("stringData").and_then(Value::as_object) {
            literal.extend(
                data.iter()
                    .filter(|(_, v)| in_clear(v))
                    .map(|(k, _)| k.clone()),
            );
        }
    }
    literal.sort();
    literal.dedup();
    let mut applied = last_applied_keys(template.and_then(annotations_of));
    applied.extend(last_applied_keys(annotations_of(object)));
    applied.sort();
    applied.dedup();
    let allowed = is_allowed(object);
    if !literal.is_empty() && !ctx.opted_out(allowed, &literal, "literal spec.template.data", out) {
        out.push(ctx.finding(
            Rule::SealedTemplatePlaintext,
            literal.clone(),
            format!(
                "spec.template.data keys {} are literal text, committed in the clear; seal \
                 them into encryptedData (`sealant merge-into`), or annotate the \
                 SealedSecret {ALLOW_PLAINTEXT}: \"true\" if they hold no secret",
                literal.join(", ")
            ),
        ));
    }
    if !applied.is_empty()
        && !ctx.opted_out(allowed, &applied, "last-applied plaintext Secret", out)
    {
        out.push(ctx.finding(
            Rule::SealedTemplatePlaintext,
            applied.clone(),
            format!(
                "annotation {LAST_APPLIED} holds the plaintext Secret (data keys {}); \
                 remove the annotation",
                applied.join(", ")
            ),
        ));
    }
}

/// Text with no template action at all: rendered as written. A value with an unclosed
/// `{{` does not parse as a template and is a `sealed-template` finding already.
fn is_literal(text: &str) -> bool {
    !text.trim().is_empty() && !text.contains("{{")
}
