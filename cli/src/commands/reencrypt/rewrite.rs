//! The textual rewrite that keeps a file byte-identical apart from its re-encrypted values:
//! every old ciphertext (or hint) string must occur exactly once in the file text, and is
//! replaced in place. Anything else (a value folded over several lines, a duplicated value)
//! means the file cannot be preserved exactly, and nothing is written. "Exactly once" is
//! about the text, not the meaning: the one occurrence may be a comment while the value is
//! folded, which `verify.rs` catches after the swap.

/// One string to swap: an old ciphertext for the new one, or an old hint for the refreshed one.
pub struct Replacement {
    /// What the string is, for the report: `ns/name key "password"` (never the value).
    pub what: String,
    /// Where the string sits in its object, so the rewritten file can be checked.
    pub field: Field,
    pub old: String,
    pub new: String,
}

/// The place in a SealedSecret that a replacement changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `spec.encryptedData.<key>`.
    EncryptedData(String),
    /// The legacy `spec.data` blob.
    LegacyData,
    /// The `sealant.dev/sealed-for` annotation.
    Hint,
}

impl Field {
    /// A ciphertext (counted as a re-encrypted value), not the hint.
    pub fn is_value(&self) -> bool {
        !matches!(self, Field::Hint)
    }

    /// The JSON path of the field inside its object.
    pub fn path(&self) -> Vec<&str> {
        match self {
            Field::EncryptedData(key) => vec!["spec", "encryptedData", key],
            Field::LegacyData => vec!["spec", "data"],
            Field::Hint => vec!["metadata", "annotations", sealant_api::SEALED_FOR],
        }
    }
}

/// Why a file cannot be rewritten textually.
#[derive(Debug, PartialEq, Eq)]
pub enum NotPreserved {
    /// The old string is not in the text as one plain run (e.g. a folded YAML scalar).
    Missing(String),
    /// The old string occurs more than once, so which one to replace is ambiguous.
    Repeated(String),
}

impl std::fmt::Display for NotPreserved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotPreserved::Missing(what) => {
                write!(f, "{what} is not written as one plain string in the file")
            }
            NotPreserved::Repeated(what) => write!(f, "{what} occurs more than once in the file"),
        }
    }
}

/// `text` with every replacement applied, or why it cannot be done exactly.
pub fn apply(text: &str, replacements: &[Replacement]) -> Result<String, NotPreserved> {
    let mut spans = Vec::with_capacity(replacements.len());
    for r in replacements.iter().filter(|r| r.old != r.new) {
        let mut found = text.match_indices(r.old.as_str());
        let Some((start, _)) = found.next() else {
            return Err(NotPreserved::Missing(r.what.clone()));
        };
        if r.old.is_empty() || found.next().is_some() {
            return Err(NotPreserved::Repeated(r.what.clone()));
        }
        spans.push((start, start + r.old.len(), r));
    }
    spans.sort_by_key(|(start, _, _)| *start);
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut at = 0;
    for (start, end, r) in spans {
        if start < at {
            // Two old strings overlap: cannot happen with distinct random ciphertexts.
            return Err(NotPreserved::Repeated(r.what.clone()));
        }
        out.push_str(&text[at..start]);
        out.push_str(&r.new);
        at = end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(old: &str, new: &str) -> Replacement {
        Replacement {
            what: format!("value {old}"),
            field: Field::LegacyData,
            old: old.into(),
            new: new.into(),
        }
    }

    #[test]
    fn replaces_each_unique_string_and_nothing_else() {
        let text = "# c\na: AAAA\n---\nb: \"BBBB\" # keep\n";
        let out = apply(text, &[r("BBBB", "bbbbbb"), r("AAAA", "aa")]);
        assert_eq!(
            out,
            Ok("# c\na: aa\n---\nb: \"bbbbbb\" # keep\n".to_owned())
        );
    }

    #[test]
    fn missing_or_repeated_strings_refuse() {
        assert_eq!(
            apply("a: AA\n  AA\n", &[r("AA\nAA", "x")]),
            Err(NotPreserved::Missing("value AA\nAA".into()))
        );
        assert_eq!(
            apply("a: AA\nb: AA\n", &[r("AA", "x")]),
            Err(NotPreserved::Repeated("value AA".into()))
        );
    }
}
