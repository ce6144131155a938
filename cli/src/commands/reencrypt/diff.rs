//! Old object vs re-encrypted object → the strings to swap in the file text: each changed
//! ciphertext, and the fingerprint in a `sealant.dev/sealed-for` hint that is present.

use super::rewrite::{Field, Replacement};
use sealant_api::{SEALED_FOR, SealedFor, SealedSecret};

/// The replacements for one object (empty when it is already under the newest key).
pub fn replacements(
    label: &str,
    old: &SealedSecret,
    new: &SealedSecret,
) -> Result<Vec<Replacement>, String> {
    let mut out = Vec::new();
    for (key, value) in &old.spec.encrypted_data {
        let Some(fresh) = new.spec.encrypted_data.get(key) else {
            return Err(format!("the re-encrypted object has no key {key:?}"));
        };
        if fresh != value {
            out.push(Replacement {
                what: format!("{label} key {key:?}"),
                field: Field::EncryptedData(key.clone()),
                old: value.clone(),
                new: fresh.clone(),
            });
        }
    }
    if let Some(value) = old.spec.data.as_deref().filter(|d| !d.is_empty()) {
        match new.spec.data.as_deref() {
            Some(fresh) if fresh != value => out.push(Replacement {
                what: format!("{label} legacy spec.data"),
                field: Field::LegacyData,
                old: value.to_owned(),
                new: fresh.to_owned(),
            }),
            Some(_) => {}
            None => return Err("the re-encrypted object has no spec.data".into()),
        }
    }
    if !out.is_empty()
        && let Some(hint) = hint(label, old, new)
    {
        out.push(hint);
    }
    Ok(out)
}

/// The refreshed hint: only its fingerprint changes, keeping the file's own spelling of the
/// rest. An absent or unparsable hint is left alone.
fn hint(label: &str, old: &SealedSecret, new: &SealedSecret) -> Option<Replacement> {
    let value = |ss: &SealedSecret| {
        ss.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(SEALED_FOR))
            .cloned()
    };
    let (before, after) = (value(old)?, value(new)?);
    let (old_fp, new_fp) = (
        SealedFor::parse(&before).ok()?.fingerprint,
        SealedFor::parse(&after).ok()?.fingerprint,
    );
    if old_fp == new_fp {
        return None;
    }
    let refreshed = if before.matches(&old_fp.to_hex()).count() == 1 {
        before.replacen(&old_fp.to_hex(), &new_fp.to_hex(), 1)
    } else {
        after
    };
    Some(Replacement {
        what: format!("{label} annotation {SEALED_FOR}"),
        field: Field::Hint,
        old: before,
        new: refreshed,
    })
}
