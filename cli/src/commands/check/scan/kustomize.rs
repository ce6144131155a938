//! Kustomize `secretGenerator`: `kustomize build` makes a Secret of its `literals`, of the
//! `KEY=VALUE` lines of its `envs` files and of the contents of its `files`, so all three are
//! plaintext in the repository. Literals are checked where they stand; referenced files are
//! returned as [`Reference`]s and checked once read ([`check_referenced`]).
//!
//! Opt-out: `sealant.dev/allow-plaintext: "true"` in the generator's `options.annotations`
//! or the kustomization's `generatorOptions.annotations`, which kustomize puts on the
//! generated Secret, the same annotation as on a Secret manifest.

use super::{Ctx, describe, object::Object};
use crate::commands::check::{
    decode::decode,
    report::{Finding, Rule},
};
use sealant_api::annotations::ALLOW_PLAINTEXT;
use serde_json::Value;

/// The names kustomize reads a kustomization from.
const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// A file a secretGenerator turns into Secret data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    /// As written, relative to the kustomization's directory.
    pub path: String,
    /// `None` for an env file (its keys are its lines), else the data key of the file.
    pub key: Option<String>,
    /// `namespace/name` of the generated Secret.
    pub object: String,
    /// The kustomization that references it, as shown in the report.
    pub from: String,
    pub allowed: bool,
}

/// A document that declares secretGenerators: a kustomization by kind or by file name
/// (most kustomization files have no `kind`).
pub fn is_kustomization(doc: &Object, file: &str) -> bool {
    let value = doc.as_value();
    value.get("secretGenerator").is_some_and(Value::is_array)
        && (matches!(doc.kind(), Some("Kustomization" | "Component"))
            || FILE_NAMES
                .iter()
                .any(|n| file.rsplit(['/', '\\']).next() == Some(*n)))
}

pub fn check(doc: &Object, ctx: &Ctx, out: &mut Vec<Finding>, refs: &mut Vec<Reference>) {
    let kustomization = doc.as_value();
    let namespace = kustomization.get("namespace").and_then(Value::as_str);
    let all_allowed = allows(kustomization.get("generatorOptions"));
    let generators = kustomization
        .get("secretGenerator")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for generator in generators {
        let name = generator.get("name").and_then(Value::as_str);
        let object = describe(
            generator
                .get("namespace")
                .and_then(Value::as_str)
                .or(namespace),
            name,
        );
        let allowed = all_allowed || allows(generator.get("options"));
        let line = name
            .and_then(|n| ctx.lines.find_key(ctx.line, ctx.end, "name", Some(n)))
            .unwrap_or(ctx.line);
        let generator_ctx = Ctx {
            file: ctx.file,
            lines: ctx.lines,
            line,
            end: ctx.end,
            object: object.clone(),
            strict: ctx.strict,
            expected: ctx.expected,
        };
        let literals = literal_keys(generator.get("literals"));
        if !literals.is_empty()
            && !generator_ctx.opted_out(allowed, &literals, "secretGenerator literals", out)
        {
            let message = format!(
                "kustomize secretGenerator literals {} are plaintext; seal the Secret with \
                 `sealant seal` instead, or set {ALLOW_PLAINTEXT}: \"true\" in the \
                 generator's options.annotations if they hold no real secret",
                literals.join(", ")
            );
            out.push(generator_ctx.finding(Rule::PlaintextSecret, literals, message));
        }
        let reference = |path: &str, key: Option<String>| Reference {
            path: path.to_owned(),
            key,
            object: object.clone(),
            from: ctx.file.to_owned(),
            allowed,
        };
        // `env` (one file) is the older spelling of `envs`.
        let envs =
            strings(generator.get("envs")).chain(generator.get("env").and_then(Value::as_str));
        refs.extend(envs.map(|path| reference(path, None)));
        for entry in strings(generator.get("files")) {
            // `key=path`, or `path` whose file name is the key.
            let (key, path) = entry.split_once('=').unwrap_or_else(|| {
                let name = entry.rsplit('/').next().unwrap_or(entry);
                (name, entry)
            });
            refs.push(reference(path.trim(), Some(key.trim().to_owned())));
        }
    }
}

fn strings(value: Option<&Value>) -> impl Iterator<Item = &str> {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
}

fn allows(options: Option<&Value>) -> bool {
    options
        .and_then(|o| o.get("annotations"))
        .and_then(|a| a.get(ALLOW_PLAINTEXT))
        .and_then(Value::as_str)
        == Some("true")
}

/// Keys of `KEY=VALUE` literals with a value.
fn literal_keys(literals: Option<&Value>) -> Vec<String> {
    let mut keys: Vec<String> = strings(literals)
        .filter_map(|l| {
            let (key, value) = l.split_once('=')?;
            has_value(value).then(|| key.trim().to_owned())
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn has_value(value: &str) -> bool {
    let v = value.trim();
    let unquoted = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v);
    !unquoted.is_empty()
}

/// Findings for one referenced file, read from `bytes`, shown as `display`.
pub fn check_referenced(
    reference: &Reference,
    display: &str,
    bytes: &[u8],
    strict: bool,
    out: &mut Vec<Finding>,
) {
    let text = decode(bytes).text;
    let (keys, line, what) = match &reference.key {
        None => {
            let (keys, line) = env_keys(&text);
            (keys, line, "env file")
        }
        Some(key) if has_secret_content(&text) => (vec![key.clone()], 1, "file"),
        Some(_) => return,
    };
    if keys.is_empty() {
        return;
    }
    let (rule, message) = if reference.allowed && !strict {
        (
            Rule::OptOutAnnotation,
            format!(
                "secretGenerator {what} not reported: the generator in {} is annotated \
                 {ALLOW_PLAINTEXT}: \"true\" (--strict reports it)",
                reference.from
            ),
        )
    } else {
        (
            Rule::PlaintextSecret,
            format!(
                "plaintext {what} of kustomize secretGenerator {} (in {}), data keys {}; seal \
                 the Secret with `sealant seal` instead",
                reference.object,
                reference.from,
                keys.join(", ")
            ),
        )
    };
    out.push(Finding {
        file: display.to_owned(),
        line,
        rule,
        severity: rule.severity(),
        object: Some(reference.object.clone()),
        keys,
        message,
    });
}

/// Keys of an env file's `KEY=VALUE` lines with a value, and the line of the first. A
/// line without `=` takes its value from the environment of `kustomize build`.
fn env_keys(text: &str) -> (Vec<String>, u64) {
    let mut keys = Vec::new();
    let mut first = None;
    for (number, line) in (1u64..).zip(text.lines()) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((key, value)) = line.split_once('=')
            && has_value(value)
        {
            keys.push(key.trim().to_owned());
            first.get_or_insert(number);
        }
    }
    keys.sort();
    keys.dedup();
    (keys, first.unwrap_or(1))
}

/// Anything but whitespace and PEM certificates (which are public).
fn has_secret_content(text: &str) -> bool {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let Some(block) = rest.strip_prefix(BEGIN) else {
            return true;
        };
        let Some(end) = block.find(END) else {
            return true;
        };
        if block[..end].contains("-----") {
            return true;
        }
        rest = block[end + END.len()..].trim_start();
    }
    false
}

// TEST-ONLY: the PEM blocks below are fake (bodies such as `x`, `MIIB`); none is real key
// material.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_and_literals() {
        let (keys, line) = env_keys("# c\n\nA=1\nB=\nC\n D = \"x\" \nE=''\n");
        assert_eq!(keys, ["A", "D"]);
        assert_eq!(line, 3);
        let literals = serde_json::json!(["X=1", "Y=", "Z=\"\"", "no-equals", "W= v "]);
        assert_eq!(literal_keys(Some(&literals)), ["W", "X"]);
    }

    #[test]
    fn certificates_are_public() {
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert!(!has_secret_content(cert));
        assert!(!has_secret_content(&format!("{cert}\n{cert}")));
        assert!(!has_secret_content(" \n"));
        // A key block after the certificate (built from its label: no key material here).
        let label = "PRIVATE KEY";
        assert!(has_secret_content(&format!(
            "{cert}-----BEGIN {label}-----\nx\n-----END {label}-----\n"
        )));
        assert!(has_secret_content("-----BEGIN CERTIFICATE-----\nno end"));
        assert!(has_secret_content("hunter2"));
    }
}
