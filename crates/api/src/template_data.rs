//! How `spec.template.data` and the decrypted `encryptedData` values become the Secret's
//! data: Bitnami v0.40's rules, in one place.
//!
//! * **Context** (#1940, v0.37, fixing #1607): templates see every decrypted value, and,
//!   for keys not in `encryptedData`, the plaintext `template.data` text of their siblings
//!   as written (not rendered). A value that failed to decrypt is in the context as an
//!   empty string, as in Bitnami, so a template reading it is not reported a second time.
//! * **Collision** (#1940): a key in both `encryptedData` and `template.data` keeps the
//!   decrypted value, in the context and in the Secret. Its template still runs and its
//!   error still counts, as in Bitnami.
//! * **Null** (#1871, v0.40, closing #1870): a `null` in `template.data` drops that key
//!   from the Secret, a decrypted one included (keys only needed as template inputs). The
//!   decrypted value stays in the context: it is an input. A null key that is not in
//!   `encryptedData` is nowhere: not in the context, not in the Secret.
//! * **Errors**: Bitnami gathers every decrypt and template error and reports them all.
//!   Ours are gathered too, in a fixed order: decrypt errors by key, then template errors
//!   by key (see [`ApiError::Several`]). They name keys, never values.
//!
//! The templates of one Secret render within one budget ([`RenderLimits`]). When one fails,
//! the others are rendered once more, each on its own, to find their errors too: a failing
//! object costs at most twice its rendering, once.

use crate::{ApiError, RenderLimits, SealedSecret, SecretBytes, template};
use std::collections::BTreeMap;

/// What opening `encryptedData` gave: the values that opened, and the failures by key.
pub(crate) struct Opened {
    pub values: BTreeMap<String, SecretBytes>,
    /// (key, error), in key order.
    pub failed: Vec<(String, ApiError)>,
}

/// The Secret's data from `opened` and the SealedSecret's templates, or every failure.
pub(crate) fn secret_data(
    ss: &SealedSecret,
    opened: Opened,
    limits: &RenderLimits,
    object: &str,
) -> Result<BTreeMap<String, SecretBytes>, ApiError> {
    let Opened { values, failed } = opened;
    let templates: BTreeMap<String, String> = ss
        .spec
        .template
        .data
        .iter()
        .filter_map(|(key, text)| Some((key.clone(), text.clone()?)))
        .collect();

    let mut context = values;
    for (key, _) in &failed {
        context.insert(key.clone(), SecretBytes::copy_from_slice(b""));
    }
    for (key, text) in &templates {
        if !ss.spec.encrypted_data.contains_key(key) {
            context.insert(key.clone(), SecretBytes::copy_from_slice(text.as_bytes()));
        }
    }

    let (rendered, template_errors) = render(&templates, &context, limits, object);
    let mut errors: Vec<ApiError> = failed.into_iter().map(|(_, e)| e).collect();
    errors.extend(template_errors);
    match errors.len() {
        0 => {}
        1 => return Err(errors.remove(0)),
        _ => {
            return Err(ApiError::Several {
                object: object.to_owned(),
                errors,
            });
        }
    }

    // Decrypted values first; a template only adds keys encryptedData does not have.
    let mut data: BTreeMap<String, SecretBytes> = context
        .into_iter()
        .filter(|(key, _)| ss.spec.encrypted_data.contains_key(key))
        .collect();
    for (key, value) in rendered {
        if !ss.spec.encrypted_data.contains_key(&key) {
            data.insert(key, value);
        }
    }
    for (key, text) in &ss.spec.template.data {
        if text.is_none() {
            data.remove(key);
        }
    }
    Ok(data)
}

/// Render every template within one budget; on failure, every template's error, by key.
fn render(
    templates: &BTreeMap<String, String>,
    context: &BTreeMap<String, SecretBytes>,
    limits: &RenderLimits,
    object: &str,
) -> (BTreeMap<String, SecretBytes>, Vec<ApiError>) {
    match template::render_all(templates, context, limits) {
        Ok(rendered) => (rendered, Vec::new()),
        Err(errors) => (
            BTreeMap::new(),
            errors
                .into_iter()
                .map(|(key, reason)| ApiError::Template {
                    object: object.to_owned(),
                    key: key.to_owned(),
                    reason: Box::new(reason),
                })
                .collect(),
        ),
    }
}
