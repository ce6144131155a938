//! The check after the textual rewrite: the rewritten text, parsed again, must mean exactly
//! what the file meant before, except that each replaced field now holds its new string.
//!
//! A textual swap can hit the wrong place. When the real value is a quoted scalar continued
//! over two lines and the same ciphertext also sits in a comment, the comment is the only
//! plain occurrence: it gets rewritten, the value stays under the old key, and the run would
//! report success. This is where that is caught and the file refused.

use super::rewrite::Replacement;
use sealant_api::{Document, parse_documents};
use serde_json::Value;

/// The replacements made in one document, by its position in the parsed file.
pub struct Changed<'a> {
    pub position: usize,
    pub replacements: &'a [Replacement],
}

/// `Ok` when `rewritten` means `original` with exactly the replaced fields changed to their
/// new strings. The reason names the object and field, or the document; never a value (a
/// parser's message about the text is not repeated either).
pub fn check(original: &[Document], rewritten: &str, changed: &[Changed]) -> Result<(), String> {
    let Ok(after) = parse_documents(rewritten) else {
        return Err("the rewritten text would no longer parse".into());
    };
    if after.len() != original.len() {
        return Err("the rewrite would change the number of documents".into());
    }
    // Each replaced field first, so the report names the value that would be left behind.
    for object in changed {
        let document = after[object.position].as_value();
        for r in object.replacements {
            if lookup(document, &r.field.path()) != Some(r.new.as_str()) {
                return Err(format!(
                    "{} is not written as one plain string where the object holds it, and its \
                     old string also appears elsewhere in the file (e.g. in a comment); it would \
                     stay as it was",
                    r.what
                ));
            }
        }
    }
    for (position, (before, after)) in original.iter().zip(&after).enumerate() {
        let replacements = changed
            .iter()
            .find(|c| c.position == position)
            .map_or(&[][..], |c| c.replacements);
        if !same(
            before.as_value(),
            after.as_value(),
            &mut Vec::new(),
            replacements,
        ) {
            return Err(format!(
                "{}: the rewrite would change more than its ciphertexts",
                before.describe()
            ));
        }
    }
    Ok(())
}

fn lookup<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
}

/// Structural equality, except at a replaced field: there `before` holds the old string and
/// `after` the new one.
fn same<'v>(
    before: &'v Value,
    after: &Value,
    path: &mut Vec<&'v str>,
    replacements: &[Replacement],
) -> bool {
    if let Some(r) = replacements.iter().find(|r| r.field.path() == *path) {
        return before.as_str() == Some(r.old.as_str()) && after.as_str() == Some(r.new.as_str());
    }
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter().all(|(key, x)| {
                    b.get(key).is_some_and(|y| {
                        path.push(key);
                        let equal = same(x, y, path, replacements);
                        path.pop();
                        equal
                    })
                })
        }
        // No replaced field lives inside an array, so arrays compare whole.
        _ => before == after,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::commands::reencrypt::rewrite::Field;

    fn replacement(key: &str, old: &str, new: &str) -> Replacement {
        Replacement {
            what: format!("ns/x key {key:?}"),
            field: Field::EncryptedData(key.into()),
            old: old.into(),
            new: new.into(),
        }
    }

    const SEALED: &str = "kind: SealedSecret\nmetadata: {name: x}\nspec:\n  encryptedData:\n    a: OLD\n    b: KEEP\n";

    fn check_text(rewritten: &str, replacements: &[Replacement]) -> Result<(), String> {
        let original = parse_documents(SEALED).unwrap();
        let changed = [Changed {
            position: 0,
            replacements,
        }];
        check(&original, rewritten, &changed)
    }

    #[test]
    fn exactly_the_replaced_fields_may_change() {
        let r = [replacement("a", "OLD", "NEW")];
        assert_eq!(check_text(&SEALED.replace("OLD", "NEW"), &r), Ok(()));
        let kept = check_text(SEALED, &r).unwrap_err();
        assert!(kept.contains("ns/x key \"a\""), "{kept}");
        let other = SEALED.replace("OLD", "NEW").replace("KEEP", "SWAPPED");
        assert!(check_text(&other, &r).unwrap_err().contains("more than"));
        let broken = check_text("kind: [", &r).unwrap_err();
        assert!(broken.contains("no longer parse"), "{broken}");
    }
}
