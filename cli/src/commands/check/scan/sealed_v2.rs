//! Envelope v2 structure, checked without any private key (docs/envelope-v2.md §1, §4, §5):
//! every header parses, every v2 value names a header that is present, no header is left
//! unreferenced, and an object mixing v1 and v2 values is reported. With a creation rule for
//! the file, the recipients of every header must be the rule's (`recipients.rs`).
//!
//! Messages name data keys, header keys and recipients' key ids; never a value's bytes.

use super::Ctx;
use crate::commands::check::report::{Finding, Rule};
use sealant_crypto::v2::{
    Header, HeaderId, format::HEADER_KEY_PREFIX, is_header_key, is_v2_string, parse_header,
    value_header_id,
};
use std::collections::{BTreeMap, BTreeSet};

/// The v2 part of an object's `encryptedData`, after [`check`].
#[derive(Default)]
pub struct V2Part {
    /// Parsed headers by id, with their key names.
    pub headers: BTreeMap<HeaderId, (String, Header)>,
}

/// Whether `key`/`value` belong to the v2 checker rather than v1's.
pub fn is_v2_entry(key: &str, value: &str) -> bool {
    is_header_key(key) || is_v2_string(value)
}

/// Checks the v2 entries among `values` (key, string); `v1_keys` are the data keys holding
/// v1 values, for the mixed-format report.
pub fn check(
    values: &[(String, &str)],
    v1_keys: &[String],
    ctx: &Ctx,
    out: &mut Vec<Finding>,
) -> V2Part {
    let mut part = V2Part::default();
    let mut value_keys: Vec<(&str, HeaderId)> = Vec::new();
    for (key, text) in values {
        if is_header_key(key) {
            if !is_v2_string(text) {
                out.push(ctx.key_finding(
                    Rule::SealedV2Structure,
                    key,
                    format!("v2 header {key:?} does not hold a v2 string (sealant:v2:…)"),
                ));
                continue;
            }
            match parse_header(key, text) {
                Ok(header) => {
                    part.headers.insert(header.id, (key.clone(), header));
                }
                Err(e) => out.push(ctx.key_finding(
                    Rule::SealedV2Structure,
                    key,
                    format!("v2 header {key:?} is malformed: {e}"),
                )),
            }
        } else if key.starts_with(HEADER_KEY_PREFIX.trim_end_matches('/')) || key.contains('/') {
            out.push(ctx.key_finding(
                Rule::SealedV2Structure,
                key,
                format!("key {key:?} is neither a Secret data key nor a v2 header key"),
            ));
        } else {
            match value_header_id(text) {
                Ok(id) => value_keys.push((key.as_str(), id)),
                Err(e) => out.push(ctx.key_finding(
                    Rule::SealedV2Structure,
                    key,
                    format!("v2 value of key {key:?} is malformed: {e}"),
                )),
            }
        }
    }
    let mut referenced = BTreeSet::new();
    for (key, id) in &value_keys {
        if part.headers.contains_key(id) {
            referenced.insert(*id);
        } else {
            out.push(ctx.key_finding(
                Rule::SealedV2Structure,
                key,
                format!(
                    "v2 value of key {key:?} names header {} which the object does not hold \
                     (or which is malformed); it cannot be opened",
                    id.key_name()
                ),
            ));
        }
    }
    for (id, (header_key, _)) in &part.headers {
        if !referenced.contains(id) {
            out.push(ctx.key_finding(
                Rule::SealedV2Structure,
                header_key,
                format!("v2 header {header_key:?} is named by no value; remove it"),
            ));
        }
    }
    if !value_keys.is_empty() && !v1_keys.is_empty() {
        let v2_keys: Vec<String> = value_keys.iter().map(|(k, _)| (*k).to_owned()).collect();
        out.push(ctx.finding(
            Rule::SealedV2Mixed,
            v1_keys.iter().chain(&v2_keys).cloned().collect(),
            format!(
                "mixes v1 values ({}) and v2 values ({}); `sealant reencrypt \
                 --update-recipients` seals them all as v2",
                v1_keys.join(", "),
                v2_keys.join(", ")
            ),
        ));
    }
    part
}
