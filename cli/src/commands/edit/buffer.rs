//! The text the user edits, and what their edit means.
//!
//! The buffer is a plain Secret in YAML: values that are UTF-8 text (no control characters
//! other than newline and tab) go under `stringData` as they are; anything else goes under
//! `data` as base64, so binary values survive a round trip through a text editor. Without
//! private keys every existing value shows as [`PLACEHOLDER`], which means "keep".

use sealant_api::{
    ApiError, OutputFormat, PlainSecret, SealedSecret, SecretBytes, exactly_one, parse_documents,
    write_document,
};
use std::collections::{BTreeMap, BTreeSet};
use zeroize::Zeroizing;

/// Stands for an existing sealed value that the user cannot see and wants kept.
pub const PLACEHOLDER: &str = "<sealed: unchanged>";

/// What the file holds before the edit.
pub enum Originals {
    /// Decrypted values (`--private-key`).
    Plain(BTreeMap<String, SecretBytes>),
    /// No plaintext access: just the key names.
    Sealed(BTreeSet<String>),
}

impl Originals {
    fn contains(&self, key: &str) -> bool {
        match self {
            Originals::Plain(values) => values.contains_key(key),
            Originals::Sealed(keys) => keys.contains(key),
        }
    }

    fn keys(&self) -> Vec<&String> {
        match self {
            Originals::Plain(values) => values.keys().collect(),
            Originals::Sealed(keys) => keys.iter().collect(),
        }
    }
}

/// What to do to `encryptedData`.
#[derive(Default)]
pub struct Plan {
    /// Changed and added keys, with their new plaintext.
    pub reseal: BTreeMap<String, SecretBytes>,
    pub removed: Vec<String>,
    pub unchanged: usize,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.reseal.is_empty() && self.removed.is_empty()
    }
}

/// The buffer for `sealed`, with a comment header explaining the rules.
pub fn render(sealed: &SealedSecret, originals: &Originals) -> Result<Zeroizing<String>, String> {
    let mut secret = PlainSecret::default();
    secret.metadata.name = sealed.metadata.name.clone();
    secret.metadata.namespace = sealed.metadata.namespace.clone();
    match originals {
        Originals::Plain(values) => {
            for (key, value) in values {
                let copy = SecretBytes::copy_from_slice(value.as_bytes());
                if is_text(value.as_bytes()) {
                    secret.string_data.insert(key.clone(), copy);
                } else {
                    secret.data.insert(key.clone(), copy);
                }
            }
        }
        Originals::Sealed(keys) => {
            for key in keys {
                let placeholder = SecretBytes::copy_from_slice(PLACEHOLDER.as_bytes());
                secret.string_data.insert(key.clone(), placeholder);
            }
        }
    }
    let mut yaml = to_yaml(&secret)?;
    // Belt and braces: a text value the YAML writer cannot reproduce exactly (unusual
    // whitespace in block scalars) is shown as base64 instead of being silently altered.
    let reread = parse_values(&yaml, sealed)?;
    let drifted: Vec<String> = secret
        .string_data
        .iter()
        .filter(|(k, v)| reread.get(*k).map(SecretBytes::as_bytes) != Some(v.as_bytes()))
        .map(|(k, _)| k.clone())
        .collect();
    if !drifted.is_empty() {
        for key in drifted {
            if let Some(value) = secret.string_data.remove(&key) {
                secret.data.insert(key, value);
            }
        }
        yaml = to_yaml(&secret)?;
    }
    let mut out = Zeroizing::new(header(sealed, originals));
    out.push_str(&yaml);
    Ok(out)
}

fn header(sealed: &SealedSecret, originals: &Originals) -> String {
    let mut h = format!(
        "# sealant edit: {} ({} scope).\n\
         # Change, add or delete keys under stringData (text) or data (base64, for binary).\n\
         # Only changed and added keys are resealed; deleted keys are removed.\n\
         # Name and namespace cannot change here. To abort, quit the editor with an error\n\
         # (vim: :cq) or delete everything.\n",
        sealed.describe(),
        sealed.scope().as_str()
    );
    if matches!(originals, Originals::Sealed(_)) {
        h.push_str(&format!(
            "# No private key given: {PLACEHOLDER:?} keeps the existing sealed value.\n"
        ));
    }
    h
}

fn to_yaml(secret: &PlainSecret) -> Result<Zeroizing<String>, String> {
    write_document(secret, OutputFormat::Yaml)
        .map(Zeroizing::new)
        .map_err(|e| format!("cannot prepare the edit buffer: {e}"))
}

/// Text that an editor shows and keeps as it is.
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes)
        .is_ok_and(|s| s.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'))
}

/// The key → value map of the edited buffer (`stringData` wins over `data`, as in the API
/// server). The error is a reason for the user; it names lines and keys, never values.
pub fn parse_values(
    text: &str,
    sealed: &SealedSecret,
) -> Result<BTreeMap<String, SecretBytes>, String> {
    let document = parse_documents(text)
        .and_then(exactly_one)
        .map_err(|e| match e {
            ApiError::NoDocuments => "the edited text is empty".to_owned(),
            ApiError::DocumentCount { found } => {
                format!("the edited text must hold one Secret, found {found} documents")
            }
            other => format!("the edited text is not valid: {other}"),
        })?;
    let mut secret = document
        .to_plain_secret()
        .map_err(|e| format!("the edited text is not valid: {e}"))?;
    let same = |a: &Option<String>, b: &Option<String>| {
        a.as_deref().unwrap_or_default() == b.as_deref().unwrap_or_default()
    };
    if !same(&secret.metadata.name, &sealed.metadata.name)
        || !same(&secret.metadata.namespace, &sealed.metadata.namespace)
    {
        return Err(
            "the edit changed metadata.name or metadata.namespace, which edit cannot \
                    do (values are sealed for them); seal the Secret again instead"
                .to_owned(),
        );
    }
    let mut values = std::mem::take(&mut secret.data);
    values.append(&mut secret.string_data);
    Ok(values)
}

/// Compare the edit with the originals. A value equal to the original (or, without keys,
/// the placeholder) is unchanged and keeps its ciphertext byte for byte.
pub fn plan(originals: &Originals, edited: BTreeMap<String, SecretBytes>) -> Result<Plan, String> {
    let mut plan = Plan::default();
    for key in originals.keys() {
        if !edited.contains_key(key.as_str()) {
            plan.removed.push(key.clone());
        }
    }
    for (key, value) in edited {
        let unchanged = match originals {
            Originals::Plain(values) => values
                .get(&key)
                .is_some_and(|old| old.as_bytes() == value.as_bytes()),
            Originals::Sealed(_) if value.as_bytes() == PLACEHOLDER.as_bytes() => {
                if !originals.contains(&key) {
                    return Err(format!(
                        "key {key:?} holds the placeholder but the file has no sealed value \
                         for it; give it a value"
                    ));
                }
                true
            }
            Originals::Sealed(_) => false,
        };
        if unchanged {
            plan.unchanged += 1;
        } else {
            plan.reseal.insert(key, value);
        }
    }
    Ok(plan)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sealed() -> SealedSecret {
        let mut s = SealedSecret::new("db", Default::default());
        s.metadata.namespace = Some("prod".into());
        s
    }

    fn values(pairs: &[(&str, &[u8])]) -> BTreeMap<String, SecretBytes> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), SecretBytes::copy_from_slice(v)))
            .collect()
    }

    #[test]
    fn text_and_binary_round_trip_exactly() {
        let tricky: &[(&str, &[u8])] = &[
            ("plain", b"hunter2"),
            ("multi", b"line one\nline two\n"),
            ("no-final-newline", b"a\nb"),
            ("lead-space", b"  indented\nnext"),
            ("trailing-blank", b"x\n\n\n"),
            ("yaml-ish", b"yes"),
            ("colon", b"key: value # not a comment"),
            ("empty", b""),
            ("binary", &[0, 1, 2, 0xff]),
            ("cr", b"a\r\nb"),
        ];
        let originals = Originals::Plain(values(tricky));
        let text = render(&sealed(), &originals).unwrap();
        assert!(text.contains("stringData:") && text.contains("data:"));
        let back = parse_values(&text, &sealed()).unwrap();
        let plan = plan(&originals, back).unwrap();
        assert!(
            plan.is_empty(),
            "{:?}",
            plan.reseal.keys().collect::<Vec<_>>()
        );
        assert_eq!(plan.unchanged, tricky.len());
    }

    #[test]
    fn placeholders_keep_and_changes_reseal() {
        let originals = Originals::Sealed(["a".into(), "b".into(), "c".into()].into());
        let text = render(&sealed(), &originals).unwrap();
        assert!(text.contains(PLACEHOLDER));
        let edited = values(&[
            ("a", PLACEHOLDER.as_bytes()),
            ("b", b"new"),
            ("d", b"added"),
        ]);
        let plan = plan(&originals, edited).unwrap();
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.reseal.keys().collect::<Vec<_>>(), ["b", "d"]);
        assert_eq!(plan.removed, ["c"]);
        let bogus = values(&[("z", PLACEHOLDER.as_bytes())]);
        assert!(super::plan(&originals, bogus).is_err());
    }

    #[test]
    fn rename_and_bad_yaml_are_refused_without_values() {
        let renamed = "kind: Secret\nmetadata: {name: other, namespace: prod}\n";
        assert!(parse_values(renamed, &sealed()).is_err());
        let broken = "kind: Secret\nstringData:\n  k: \"hunter2\n";
        let err = parse_values(broken, &sealed()).unwrap_err();
        assert!(err.contains("line") && !err.contains("hunter2"), "{err}");
        assert!(parse_values("# nothing\n", &sealed()).is_err());
    }
}
