//! Per-file scanning: split, parse, and hand each document to the rule that fits its kind.

mod hint;
mod plaintext;
mod sealed;

use super::{
    certs::KnownCerts,
    locate::Lines,
    report::{Finding, Rule},
    source::Candidate,
    split::{Chunk, chunks},
};
use sealant_api::{ApiError, parse_documents};

/// Where a document sits, for findings about it.
pub struct Ctx<'a> {
    file: &'a str,
    lines: &'a Lines<'a>,
    /// 1-based line of the object (its List item line when it came from a List).
    line: u64,
    /// 1-based exclusive end of the document's lines, bounding line searches.
    end: u64,
    object: String,
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
}

/// All findings for one file. Never fails: what cannot be parsed is a warning at most.
pub fn file(candidate: &Candidate, bytes: &[u8], known: &KnownCerts) -> Vec<Finding> {
    // Neither a Secret nor a SealedSecret can be spelled without "Secret" unless escapes
    // are used; skipping the parse for the rest is what makes large trees fast.
    if !might_matter(bytes) {
        return Vec::new();
    }
    let file = candidate.display.as_str();
    let text = match std::str::from_utf8(bytes) {
        Ok(t) if !t.contains('\0') => t,
        _ => return vec![unparsable(file, 1, "is not UTF-8 text")],
    };
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for chunk in chunks(text) {
        if might_matter(chunk.text.as_bytes()) {
            scan_chunk(file, &lines, &chunk, known, &mut out);
        }
    }
    out
}

fn might_matter(bytes: &[u8]) -> bool {
    contains(bytes, b"Secret") || bytes.contains(&b'\\')
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn scan_chunk(
    file: &str,
    lines: &Lines,
    chunk: &Chunk,
    known: &KnownCerts,
    out: &mut Vec<Finding>,
) {
    let (docs, shift) = match parse_chunk(chunk.text) {
        Ok(parsed) => parsed,
        Err(ApiError::NoDocuments) => return,
        Err(e) => {
            // Templates (Helm) and non-manifest YAML land here. Only files that look like
            // they hold a Secret are worth a warning; the parser's message is not repeated
            // because some quote the input.
            if chunk.text.contains("kind") {
                let line = chunk.first_line + error_line(&e).unwrap_or(1);
                out.push(unparsable(
                    file,
                    line,
                    "could not be parsed as YAML or JSON",
                ));
            }
            return;
        }
    };
    let chunk_end = chunk.end_line + 1;
    let line_of = |d: &sealant_api::Document| {
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
            && let Some(found) = lines.find_key(start, end, "name", Some(name))
        {
            line = found;
        }
        let ctx = Ctx {
            file,
            lines,
            line,
            end,
            object: describe(doc.namespace(), doc.name()),
        };
        if doc.is_secret() {
            plaintext::check(doc, &ctx, out);
        } else if doc.kind() == Some("SealedSecret") {
            sealed::check(doc, &ctx, known, out);
        }
    }
}

/// Text starting with `{` is read as JSON, but a YAML flow mapping starts the same way: if
/// JSON fails, retry as YAML (a `---` line forces that; it shifts lines by one, undone here).
fn parse_chunk(text: &str) -> Result<(Vec<sealant_api::Document>, u64), ApiError> {
    match parse_documents(text) {
        Err(e @ ApiError::Json { .. }) => {
            // A copy of possibly plaintext text: keep it in a wiped buffer.
            let yaml = zeroize::Zeroizing::new(format!("---\n{text}"));
            match parse_documents(&yaml) {
                Ok(docs) => Ok((docs, 1)),
                Err(_) => Err(e),
            }
        }
        other => other.map(|docs| (docs, 0)),
    }
}

fn error_line(e: &ApiError) -> Option<u64> {
    match e {
        ApiError::Yaml { line, .. } => *line,
        ApiError::Json { line, .. } => u64::try_from(*line).ok(),
        _ => None,
    }
}

fn unparsable(file: &str, line: u64, what: &str) -> Finding {
    Finding {
        file: file.to_owned(),
        line,
        rule: Rule::Unparsable,
        severity: Rule::Unparsable.severity(),
        object: None,
        keys: Vec::new(),
        message: format!(
            "{what} and mentions Secret; skipped (a Helm template?), check it by hand"
        ),
    }
}

fn describe(namespace: Option<&str>, name: Option<&str>) -> String {
    match (
        namespace.filter(|n| !n.is_empty()),
        name.filter(|n| !n.is_empty()),
    ) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        (Some(ns), None) => format!("{ns}/<unnamed>"),
        (None, Some(n)) => n.to_owned(),
        (None, None) => "<unnamed>".to_owned(),
    }
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
