//! A fast reader for the YAML most Secret and SealedSecret files are written in: block
//! mappings of plain, single-line, unambiguously-string scalars (`kind: Secret`,
//! `password: <base64>`). The full parser spends most of a large scan on exactly these
//! files; this reads them at line speed.
//!
//! It is an optimization only. Anything outside the subset (sequences, flow collections,
//! quotes, block scalars, anchors, tags, tabs, CR, non-ASCII, a scalar that could resolve
//! to anything but a string, a duplicate key) returns `None` and the full parser decides.
//! For every text it accepts it must build exactly the value the full parser builds: the
//! differential tests below hold it to that, so it can never cause a false negative.

use serde_json::{Map, Value};

/// The object of a one-document text, and the 1-based line its first key is on.
pub struct Parsed {
    pub value: Value,
    pub line: u64,
}

/// One `key: value` or `key:` line.
struct Entry<'a> {
    line: u64,
    indent: usize,
    key: &'a str,
    /// `None` for `key:` (a nested mapping follows, or the value is null).
    value: Option<&'a str>,
}

pub fn parse(text: &str) -> Option<Parsed> {
    // Two memchr passes over the text are cheaper than a test on every line.
    if !text.is_ascii() || text.contains('\r') || text.contains('\t') {
        return None;
    }
    let entries = entries(text)?;
    let first = entries.first()?;
    if first.indent != 0 {
        return None;
    }
    let line = first.line;
    let (map, next) = mapping(&entries, 0, 0)?;
    (next == entries.len()).then_some(Parsed {
        value: Value::Object(map),
        line,
    })
}

fn entries(text: &str) -> Option<Vec<Entry<'_>>> {
    let mut out = Vec::new();
    let mut started = false;
    for (line, raw) in (1u64..).zip(text.split('\n')) {
        let trimmed = raw.trim_end_matches(' ');
        let content = trimmed.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = trimmed.len() - content.len();
        // One document marker, before any content; anything else of the kind (`...`,
        // `--- !tag`, directives) goes to the full parser.
        if indent == 0 && content == "---" && !started && out.is_empty() {
            started = true;
            continue;
        }
        out.push(entry(line, indent, content)?);
    }
    Some(out)
}

fn entry(line: u64, indent: usize, content: &str) -> Option<Entry<'_>> {
    let colon = content.find(':')?;
    let key = &content[..colon];
    let rest = &content[colon + 1..];
    if !key.bytes().all(is_key_byte) || !is_string_scalar(key) {
        return None;
    }
    let value = match rest.strip_prefix(' ') {
        None if rest.is_empty() => None,
        None => return None,
        Some(v) => {
            let v = v.trim_start_matches(' ');
            if v.is_empty() {
                None
            } else if v.bytes().all(is_value_byte) && is_string_scalar(v) {
                Some(v)
            } else {
                return None;
            }
        }
    };
    Some(Entry {
        line,
        indent,
        key,
        value,
    })
}

/// The entries at `indent` from `pos` on, as a map, and the position after them.
fn mapping(entries: &[Entry], pos: usize, indent: usize) -> Option<(Map<String, Value>, usize)> {
    let mut map = Map::new();
    let mut pos = pos;
    while let Some(entry) = entries.get(pos).filter(|e| e.indent == indent) {
        pos += 1;
        if map.contains_key(entry.key) {
            return None;
        }
        let deeper = entries.get(pos).filter(|e| e.indent > indent);
        let value = match (entry.value, deeper) {
            (Some(_), Some(_)) => return None,
            (Some(v), None) => Value::String(v.to_owned()),
            (None, None) => Value::Null,
            (None, Some(child)) => {
                let (child, next) = mapping(entries, pos, child.indent)?;
                pos = next;
                Value::Object(child)
            }
        };
        map.insert(entry.key.to_owned(), value);
    }
    // A line indented deeper than this mapping but shallower than the one it closed.
    if entries.get(pos).is_some_and(|e| e.indent > indent) {
        return None;
    }
    Some((map, pos))
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-')
}

/// No `:` (`key: a: b` is an error), `#` (comments), quotes or other indicators.
fn is_value_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'.' | b'_' | b'/' | b'-' | b'+' | b'=' | b'@' | b',' | b' '
        )
}

/// A plain scalar that every YAML schema reads as this very string. The first byte must
/// not be an indicator; numbers, booleans, nulls and their look-alikes are refused rather
/// than resolved (the full parser resolves them).
fn is_string_scalar(s: &str) -> bool {
    let Some(&first) = s.as_bytes().first() else {
        return false;
    };
    if s.contains("  ") || !(first.is_ascii_alphanumeric() || matches!(first, b'_' | b'/' | b'.')) {
        return false;
    }
    const WORDS: [&str; 11] = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "inf", "nan",
    ];
    let word = s.trim_start_matches('.');
    if WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
        || s.parse::<f64>().is_ok()
        || word.eq_ignore_ascii_case("infinity")
    {
        return false;
    }
    // Numbers (decimal, 0x, 0o, 0b, exponents, `_` separators, 1.1 sexagesimal, .inf,
    // .nan) and timestamps are spelled from these bytes only: a scalar that starts like a
    // number must hold some other byte to be certainly a string.
    if first.is_ascii_digit() || first == b'.' {
        return s
            .bytes()
            .any(|b| !(b.is_ascii_hexdigit() || b"xXoO_.+-:iInN tT".contains(&b)));
    }
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The full parser's reading of a one-document text.
    fn full(text: &str) -> Option<(Value, u64)> {
        let docs = sealant_api::parse_documents(text).ok()?;
        let [doc] = docs.as_slice() else {
            return None;
        };
        Some((doc.as_value().clone(), doc.line()?))
    }

    /// Where the fast reader accepts, it agrees with the full parser, value and line.
    fn agrees(text: &str) -> bool {
        match parse(text) {
            None => false,
            Some(fast) => {
                let (value, line) =
                    full(text).unwrap_or_else(|| panic!("fast accepted, full refused: {text:?}"));
                assert_eq!(fast.value, value, "{text:?}");
                assert_eq!(fast.line, line, "{text:?}");
                true
            }
        }
    }

    #[test]
    fn reads_what_secret_files_look_like() {
        for text in [
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s1\n  namespace: ns1\ntype: Opaque\nstringData:\n  user: bench-user\n  password: bench-value-1\n",
            "# c\n---\n# d\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: a\n  annotations:\n    sealant.dev/sealed-for: fingerprint=ab, scope=strict\nspec:\n  encryptedData:\n    k: AgB+/x==\n    j: 5hB/x\n  template:\n    metadata:\n      name: a\n\n    type: Opaque\n",
            "a:\nb:\n  c:\nd: e f\n",
            "kind: Secret\ndata:\n    deep: x\nother: z\n",
            ".dockerconfigjson: x\n_k: /path\n",
        ] {
            assert!(agrees(text), "refused: {text:?}");
        }
    }

    #[test]
    fn refuses_all_it_cannot_read_exactly() {
        for text in [
            "a: 1\n",
            "a: 5A\n",
            "a: 0x1F\n",
            "a: 1e5\n",
            "a: .5\n",
            "a: .inf\n",
            "a: NaN\n",
            "a: infinity\n",
            "a: true\n",
            "a: Null\n",
            "a: yes\n",
            "a: 12:30\n",
            "a: 2001-12-14\n",
            "a: 1_000\n",
            "a: \"q\"\n",
            "a: 'q'\n",
            "a: |\n  x\n",
            "a: >\n  x\n",
            "a: [x]\n",
            "a: {x: y}\n",
            "a: &x y\n",
            "a: *x\n",
            "a: !!str y\n",
            "a: b # c\n",
            "a: b: c\n",
            "a: b\n  c\n",
            "a: b\n  c: d\n",
            "a:\n    b: c\n  d: e\n",
            "a: x\na: y\n",
            "- a\n",
            "a:\n- b\n",
            "  a: b\n",
            "a: b\r\n",
            "a:\tb\n",
            "a: caf\u{e9}\n",
            "<<: x\n",
            "? a\n",
            "a: b\n---\nc: d\n",
            "a: b\n...\n",
            "%YAML 1.2\n---\na: b\n",
            "--- !tag\na: b\n",
            "a: -b\n",
            "a: b  c\n",
            "",
            "# only\n",
        ] {
            assert!(parse(text).is_none(), "accepted: {text:?}");
        }
    }

    /// Random documents of the subset's alphabet, with scalars chosen to sit on the edges
    /// of YAML's type resolution: whatever the fast reader accepts, the full parser reads
    /// the same.
    #[test]
    fn agrees_with_the_full_parser_on_generated_documents() {
        const SCALARS: [&str; 40] = [
            "x", "Secret", "v1", "0", "07", "1a", "1g", "1/2", "2=", "9+", "0o17", "0b11", "0x1g",
            "1e", "1e+", "1.2.3", "1-2", "1:2", "1_2", ".a", ".5a", ".Inf", "=x", "/x", "_x",
            "ab+/cd==", "AgB9", "5hB", "n", "N", "Y", "On", "tRUE", "nULL", "x y", "a,b", "a@b",
            "12t", "1T2", "i",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % n as u64).unwrap()
        };
        let mut accepted = 0;
        for _ in 0..20000 {
            let mut text = String::new();
            if next(4) == 0 {
                text.push_str(["---\n", "--- \n", "# head\n---\n"][next(3)]);
            }
            // Indentation steps of 1 to 4 spaces, sometimes uneven.
            let step = 1 + next(4);
            let mut indents = vec![0usize];
            for i in 0..1 + next(8) {
                match next(6) {
                    0 => text.push_str(&format!("{}# c: {{x}}\n", " ".repeat(next(6)))),
                    1 => text.push_str(&format!("{}\n", " ".repeat(next(4)))),
                    _ => {}
                }
                if next(8) == 0 {
                    text.push('\n');
                }
                if next(3) == 0 && indents.len() > 1 {
                    indents.truncate(1 + next(indents.len()));
                }
                let mut indent = *indents.last().unwrap_or(&0);
                if next(25) == 0 {
                    indent += 1;
                }
                let key = format!(
                    "{}{i}",
                    SCALARS[next(SCALARS.len())].replace([' ', ','], "")
                );
                let trailing = " ".repeat(next(2) * next(3));
                text.push_str(&" ".repeat(indent));
                if next(3) == 0 {
                    text.push_str(&format!("{key}:{trailing}\n"));
                    indents.push(indent + step + usize::from(next(6) == 0));
                } else {
                    let gap = " ".repeat(1 + usize::from(next(6) == 0));
                    let value = SCALARS[next(SCALARS.len())];
                    text.push_str(&format!("{key}:{gap}{value}{trailing}\n"));
                }
            }
            if next(6) == 0 {
                text.pop();
            }
            if agrees(&text) {
                accepted += 1;
            }
        }
        println!("generated documents the fast reader accepted: {accepted}");
        assert!(accepted > 500, "the subset is exercised: {accepted}");
    }

    #[test]
    fn agrees_on_every_corpus_document() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/check_corpus");
        let mut files = vec![std::path::PathBuf::from(root)];
        let mut accepted = 0;
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for chunk in crate::commands::check::split::chunks(&text) {
                if agrees(chunk.text) {
                    accepted += 1;
                }
            }
        }
        assert!(accepted >= 10, "{accepted}");
    }
}
