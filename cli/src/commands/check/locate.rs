//! Best-effort line numbers below the document start: the parsers report where a document
//! begins, not where a List item or a data key is. A text search inside the document's
//! line range refines the line; when it finds nothing the document's line stands, so a
//! finding always points into the right document.

pub struct Lines<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            lines: text.lines().collect(),
        }
    }

    /// First 1-based line in `from..end` (1-based `from`, exclusive 1-based `end`) that
    /// declares `key`, optionally with the scalar `value`.
    pub fn find_key(&self, from: u64, end: u64, key: &str, value: Option<&str>) -> Option<u64> {
        let start = usize::try_from(from.saturating_sub(1)).ok()?;
        let stop = usize::try_from(end.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .min(self.lines.len());
        (start..stop)
            .find(|&i| {
                self.lines
                    .get(i)
                    .and_then(|l| declared_value(l, key))
                    .is_some_and(|rest| value.is_none_or(|v| unquote(rest) == v))
            })
            .and_then(|i| u64::try_from(i + 1).ok())
    }
}

/// The text after `key:` when `line` declares `key` (YAML block style, or one JSON member
/// per line), after any `- ` list markers.
fn declared_value<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    let mut rest = line.trim_start();
    while let Some(r) = rest.strip_prefix("- ") {
        rest = r.trim_start();
    }
    let after = [('"', '"'), ('\'', '\'')]
        .iter()
        .find_map(|(open, close)| {
            rest.strip_prefix(*open)?
                .strip_prefix(key)?
                .strip_prefix(*close)
        })
        .or_else(|| rest.strip_prefix(key))?;
    after.trim_start().strip_prefix(':')
}

fn unquote(rest: &str) -> &str {
    let v = rest.trim().trim_end_matches(',').trim_end();
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_yaml_and_json_keys() {
        let text = "kind: List\nitems:\n- kind: Secret\n  metadata:\n    name: a\n- kind: Secret\n  metadata: {name: b}\n  data:\n    \"pw\": x\n";
        let lines = Lines::new(text);
        assert_eq!(lines.find_key(1, 100, "name", Some("a")), Some(5));
        assert_eq!(lines.find_key(1, 100, "name", Some("b")), None);
        assert_eq!(lines.find_key(6, 100, "pw", None), Some(9));
        assert_eq!(lines.find_key(1, 5, "pw", None), None);
        let json = Lines::new("{\n  \"metadata\": {\n    \"name\": \"db\",\n");
        assert_eq!(json.find_key(1, 10, "name", Some("db")), Some(3));
        assert_eq!(json.find_key(1, 10, "metadata", None), Some(2));
    }
}
