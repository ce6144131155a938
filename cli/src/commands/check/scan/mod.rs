//! Per-file scanning: decode, split, parse, and hand each document to the rule that fits
//! its kind.

mod fast_yaml;
mod hint;
pub mod kustomize;
mod object;
mod plaintext;
mod sealed;
mod sealed_v2;
pub mod template;
mod v2_recipients;

use super::{
    certs::KnownCerts,
    decode::{Lossy, decode},
    locate::Lines,
    report::{Finding, Rule},
    source::Candidate,
    split::{Chunk, chunks},
};
use object::Object;
use sealant_api::{ApiError, annotations::ALLOW_PLAINTEXT, parse_documents};

/// Where a document sits, for findings about it, and how opt-outs are treated.
pub struct Ctx<'a> {
    file: &'a str,
    lines: &'a Lines<'a>,
    /// 1-based line of the object (its List item line when it came from a List).
    line: u64,
    /// 1-based exclusive end of the document's lines, bounding line searches.
    end: u64,
    object: String,
    /// `--strict`: opt-out annotations are ignored.
    strict: bool,
    /// The recipients the file's creation rule names, for v2 objects.
    expected: Option<&'a v2_recipients::Expected>,
}

impl Ctx<'_> {
    pub fn finding(&self, rule: Rule, keys: Vec<String>, message: String) -> Finding {
        Finding {
            file: self.file.to_owned(),
            line: self.line,
            rule,
            severity: rule.severity(),
            object: Some(self.object.clone()),
            keys,
            message,
        }
    }

    /// A finding about one data key, pointed at the key's line when it can be found.
    pub fn key_finding(&self, rule: Rule, key: &str, message: String) -> Finding {
        let mut f = self.finding(rule, vec![key.to_owned()], message);
        if let Some(line) = self.lines.find_key(self.line, self.end, key, None) {
            f.line = line;
        }
        f
    }

    /// Whether an opt-out annotation may hide `keys`; when it does, the opt-out itself is
    /// reported (listed, never a failure) in place of the finding it hides.
    pub fn opted_out(
        &self,
        annotated: bool,
        keys: &[String],
        what: &str,
        out: &mut Vec<Finding>,
    ) -> bool {
        if !annotated || self.strict {
            return false;
        }
        out.push(self.finding(
            Rule::OptOutAnnotation,
            keys.to_vec(),
            format!(
                "{what} not reported: annotated {ALLOW_PLAINTEXT}: \"true\" (--strict reports it)"
            ),
        ));
        true
    }
}

/// What one file yields: findings, and the files its kustomizations make Secrets of.
#[derive(Default)]
pub struct FileScan {
    pub findings: Vec<Finding>,
    pub references: Vec<kustomize::Reference>,
}

/// All findings for one file. Never fails: what cannot be parsed is a warning at most.
pub fn file(candidate: &Candidate, bytes: &[u8], known: &KnownCerts, strict: bool) -> FileScan {
    let mut scan = FileScan::default();
    let decoded = decode(bytes);
    let text: &str = &decoded.text;
    // Neither a Secret, a SealedSecret nor a secretGenerator can be spelled without these
    // words unless escapes are used; skipping the parse for the rest is what makes large
    // trees fast. The text is decoded first, so UTF-16 files are not skipped unread.
    if !might_matter(text) {
        return scan;
    }
    let file = candidate.display.as_str();
    match decoded.lossy {
        Some(Lossy::Nul) => {
            scan.findings.push(unparsable(
                file,
                1,
                "holds NUL characters and mentions Secret; not scanned, check it by hand",
            ));
            return scan;
        }
        Some(Lossy::InvalidUtf8) => scan.findings.push(unparsable(
            file,
            1,
            "is not valid UTF-8; scanned with the invalid bytes replaced, check its encoding",
        )),
        None => {}
    }
    let lines = Lines::new(text);
    let expected = v2_recipients::expected_for(candidate);
    let mut ctx = ScanCtx {
        file,
        lines: &lines,
        known,
        strict,
        expected: expected.as_deref(),
        scan: &mut scan,
    };
    for chunk in chunks(text) {
        if might_matter(chunk.text) {
            scan_chunk(&mut ctx, &chunk);
        }
    }
    scan
}

/// Everything `scan_chunk` needs about the file it is in.
struct ScanCtx<'a> {
    file: &'a str,
    lines: &'a Lines<'a>,
    known: &'a KnownCerts,
    strict: bool,
    expected: Option<&'a v2_recipients::Expected>,
    scan: &'a mut FileScan,
}

fn might_matter(text: &str) -> bool {
    text.contains("Secret") || text.contains("secretGenerator") || text.contains('\\')
}

fn scan_chunk(file_ctx: &mut ScanCtx, chunk: &Chunk) {
    let parsed = match parse_chunk(chunk.text) {
        // A Helm template does not parse as YAML until its actions are neutralized.
        Err(e) if !matches!(e, ApiError::NoDocuments) => template::neutralize(chunk.text)
            .and_then(|text| parse_chunk(&text).ok())
            .ok_or(e),
        other => other,
    };
    let (docs, shift) = match parsed {
        Ok(parsed) => parsed,
        Err(ApiError::NoDocuments) => return,
        Err(e) => {
            // Non-manifest YAML lands here. Only files that look like they hold a Secret
            // are worth a warning; the parser's message is not repeated because some quote
            // the input.
            if chunk.text.contains("kind") || chunk.text.contains("secretGenerator") {
                let line = chunk.first_line + error_line(&e).unwrap_or(1);
                file_ctx.scan.findings.push(unparsable(
                    file_ctx.file,
                    line,
                    "could not be parsed as YAML or JSON, even with template actions set \
                     aside, and mentions Secret; not scanned, check it by hand",
                ));
            }
            return;
        }
    };
    let chunk_end = chunk.end_line + 1;
    let line_of = |d: &Object| {
        (chunk.first_line + d.line().unwrap_or(1))
            .saturating_sub(shift)
            .max(1)
    };
    for (i, doc) in docs.iter().enumerate() {
        let start = line_of(doc);
        // The next document that starts later bounds this one's lines.
        let end = docs[i + 1..]
            .iter()
            .map(line_of)
            .find(|l| *l > start)
            .unwrap_or(chunk_end);
        let mut line = start;
        if doc.item().is_some()
            && let Some(name) = doc.name()
            && let Some(found) = file_ctx.lines.find_key(start, end, "name", Some(name))
        {
            line = found;
        }
        let ctx = Ctx {
            file: file_ctx.file,
            lines: file_ctx.lines,
            line,
            end,
            object: describe(doc.namespace(), doc.name()),
            strict: file_ctx.strict,
            expected: file_ctx.expected,
        };
        let out = &mut file_ctx.scan.findings;
        if doc.is_secret() {
            plaintext::check(doc, &ctx, out);
        } else if doc.kind() == Some("SealedSecret") {
            sealed::check(doc, &ctx, file_ctx.known, out);
        } else if kustomize::is_kustomization(doc, file_ctx.file) {
            kustomize::check(doc, &ctx, out, &mut file_ctx.scan.references);
        }
    }
}

/// Plain block YAML goes to the fast reader; the rest to the full parser. Text starting
/// with `{` is read as JSON, but a YAML flow mapping starts the same way: if JSON fails,
/// retry as YAML (a `---` line forces that; it shifts lines by one, undone here).
fn parse_chunk(text: &str) -> Result<(Vec<Object>, u64), ApiError> {
    if let Some(parsed) = fast_yaml::parse(text) {
        return Ok((vec![parsed.into()], 0));
    }
    let full = |docs: Vec<sealant_api::Document>| docs.into_iter().map(Object::Full).collect();
    match parse_documents(text) {
        Err(e @ ApiError::Json { .. }) => {
            // A copy of possibly plaintext text: keep it in a wiped buffer.
            let yaml = zeroize::Zeroizing::new(format!("---\n{text}"));
            match parse_documents(&yaml) {
                Ok(docs) => Ok((full(docs), 1)),
                Err(ApiError::NoDocuments) => Err(ApiError::NoDocuments),
                Err(_) => Err(e),
            }
        }
        other => other.map(|docs| (full(docs), 0)),
    }
}

fn error_line(e: &ApiError) -> Option<u64> {
    match e {
        ApiError::Yaml { line, .. } => *line,
        ApiError::Json { line, .. } => u64::try_from(*line).ok(),
        _ => None,
    }
}

fn unparsable(file: &str, line: u64, message: &str) -> Finding {
    Finding {
        file: file.to_owned(),
        line,
        rule: Rule::Unparsable,
        severity: Rule::Unparsable.severity(),
        object: None,
        keys: Vec::new(),
        message: message.to_owned(),
    }
}

/// `namespace/name`; in a Helm template, actions in them show as `{{…}}`.
pub fn describe(namespace: Option<&str>, name: Option<&str>) -> String {
    let described = match (
        namespace.filter(|n| !n.is_empty()),
        name.filter(|n| !n.is_empty()),
    ) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        (Some(ns), None) => format!("{ns}/<unnamed>"),
        (None, Some(n)) => n.to_owned(),
        (None, None) => "<unnamed>".to_owned(),
    };
    described.replace(template::ACTION_PLACEHOLDER, "{{…}}")
}

/// The string-valued entries of an object field (annotations and the like).
pub fn string_map(value: Option<&serde_json::Value>) -> std::collections::BTreeMap<String, String> {
    value
        .and_then(serde_json::Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// `metadata.annotations` of an object.
pub fn annotations(object: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    string_map(object.get("metadata").and_then(|m| m.get("annotations")))
}
