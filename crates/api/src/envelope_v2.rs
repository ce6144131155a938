//! Envelope v2 at the object level (docs/envelope-v2.md): what a SealedSecret binds its v2
//! values to, sealing an object's values under one header, and opening every header of an
//! object once. v1 values in the same object are left to the v1 code in `unseal`.
//!
//! Every v2 failure (a header that does not parse or names no held key, a bad mac, a value
//! whose tag fails because a bound field changed) surfaces as the same [`ApiError::Open`]
//! as a v1 value that no key opened: nothing tells an attacker which check failed.

use crate::{ApiError, Opener, SealedSecret, annotations::is_scope_annotation};
use sealant_crypto::{
    Backend, Plaintext, PublicKey, XWingPublicKey,
    v2::{
        Binding, Header, HeaderId, OpenedHeader, Recipient, RecipientId, RecipientKind, Sealer,
        TemplateMeaning, is_header_key, is_v2_string, parse_header, value_header_id,
    },
};
use std::collections::BTreeMap;

/// The meaning-bearing template fields of `ss` (docs/envelope-v2.md §5.1): type, `template.data`,
/// and the scope annotations of the template's metadata.
pub fn template_meaning(ss: &SealedSecret) -> TemplateMeaning<'_> {
    let template = &ss.spec.template;
    TemplateMeaning {
        secret_type: template.type_.as_deref(),
        data: template
            .data
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect(),
        scope_annotations: template
            .metadata
            .annotations
            .iter()
            .flatten()
            .filter(|(k, _)| is_scope_annotation(k))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
    }
}

/// What every v2 value of `ss` is bound to: its top-level scope, namespace and name (never
/// the template's), and its template's meaning.
pub fn binding(ss: &SealedSecret) -> Result<Binding, ApiError> {
    let scope = ss.scope();
    Binding::new(
        scope,
        ss.namespace_str(),
        ss.name_str(),
        template_meaning(ss).digest(),
    )
    .map_err(|source| ApiError::Label {
        object: ss.describe(),
        scope,
        source,
    })
}

/// True when `ss` holds any v2 header or value.
pub fn is_v2_object(ss: &SealedSecret) -> bool {
    ss.spec
        .encrypted_data
        .iter()
        .any(|(k, v)| is_header_key(k) || is_v2_string(v))
}

/// Every header of `ss`, parsed (or why not), by key.
pub fn headers(ss: &SealedSecret) -> BTreeMap<&str, Result<Header, sealant_crypto::CryptoError>> {
    ss.spec
        .encrypted_data
        .iter()
        .filter(|(k, _)| is_header_key(k))
        .map(|(k, v)| (k.as_str(), parse_header(k, v)))
        .collect()
}

/// The recipients of every header that parses, in first-seen order without repeats.
pub fn recipients(ss: &SealedSecret) -> Vec<RecipientId> {
    let mut out: Vec<RecipientId> = Vec::new();
    for header in headers(ss).into_values().flatten() {
        for r in header.recipients() {
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

/// Seal `values` of the object `ss` describes (its metadata and template must be final: they
/// are bound) under one new header for `recipients`. Returns the header entry and the values,
/// ready to insert into `encryptedData`.
pub fn seal_values<'v>(
    ss: &SealedSecret,
    recipients: &[Recipient<'_>],
    values: impl IntoIterator<Item = (&'v str, &'v [u8])>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let object = ss.describe();
    let binding = binding(ss)?;
    let failed = |key: &str, source| ApiError::Seal {
        object: object.clone(),
        key: key.to_owned(),
        scope: ss.scope(),
        source,
    };
    let sealer = Sealer::new(Backend::preferred(), recipients)
        .map_err(|e| failed("envelope v2 header", e))?;
    let mut out = BTreeMap::new();
    for (key, plaintext) in values {
        let sealed = sealer
            .seal(&binding, key, plaintext)
            .map_err(|e| failed(key, e))?;
        out.insert(key.to_owned(), sealed);
    }
    out.insert(sealer.header_key(), sealer.header_string());
    Ok(out)
}

/// Every header of an object, opened once each (one key operation per header).
pub(crate) struct OpenedHeaders {
    binding: Option<Binding>,
    opened: BTreeMap<HeaderId, OpenedHeader>,
    /// Header keys that no value names and that did not open, each reported as a failed
    /// value (a header its values name fails through them).
    pub failed_headers: Vec<String>,
}

impl OpenedHeaders {
    /// Open every header of `ss` that some v2 value or nothing names. A header no value
    /// names still has to open: an object carries nothing it cannot account for.
    pub fn open<O: Opener + ?Sized>(ss: &SealedSecret, opener: &mut O) -> Self {
        let mut values_per_header: BTreeMap<HeaderId, usize> = BTreeMap::new();
        for (k, v) in &ss.spec.encrypted_data {
            if !is_header_key(k)
                && is_v2_string(v)
                && let Ok(id) = value_header_id(v)
            {
                *values_per_header.entry(id).or_default() += 1;
            }
        }
        let mut opened = BTreeMap::new();
        let mut failed_headers = Vec::new();
        for (key, header) in headers(ss) {
            let named = header
                .as_ref()
                .ok()
                .and_then(|h| values_per_header.get(&h.id).copied())
                .unwrap_or(0);
            let result = header
                .ok()
                .and_then(|header| opener.open_v2_header(&header, named).ok().flatten());
            match result {
                Some(header) => {
                    opened.insert(header.id(), header);
                }
                // A header its values name fails through them alone, so a wrong key and a
                // changed bound field (header opens, values do not) read exactly the same.
                None if named > 0 => {}
                None => failed_headers.push(key.to_owned()),
            }
        }
        Self {
            binding: binding(ss).ok(),
            opened,
            failed_headers,
        }
    }

    /// Open the v2 value stored under `key`; `None` on any failure (reported uniformly).
    pub fn open_value(&self, key: &str, text: &str) -> Option<Plaintext> {
        let binding = self.binding.as_ref()?;
        let header = self.opened.get(&value_header_id(text).ok()?)?;
        header.open(binding, key, text).ok()
    }
}

/// How a re-encryption re-wraps a v2 header's data key. Values never change: they are bound
/// to the data key, not to who can unwrap it.
#[derive(Clone, Copy, Debug)]
pub enum Rewrap<'a> {
    /// `/v1/rotate` and `reencrypt`: the stanza of the held key that opened the header is
    /// replaced by one for the newest key of the same kind; every other stanza (other
    /// clusters, an escrow key) is kept as it is. With no newest hybrid key, X-Wing stanzas
    /// stay.
    Rotate {
        rsa: &'a PublicKey,
        hybrid: Option<&'a XWingPublicKey>,
    },
    /// `reencrypt --update-recipients`: exactly these recipients.
    Recipients(&'a [Recipient<'a>]),
}

impl OpenedHeaders {
    /// The header stored under `key` (string `text`), re-wrapped as `rewrap` says; `None` when
    /// it did not open (reported like any failure to open).
    pub fn rewrap(&self, key: &str, text: &str, rewrap: &Rewrap<'_>) -> Option<String> {
        let header = parse_header(key, text).ok()?;
        let opened = self.opened.get(&header.id)?;
        let new_header = match rewrap {
            Rewrap::Rotate { rsa, hybrid } => {
                let by = opened.opened_by();
                let newest = match by.kind {
                    RecipientKind::Rsa => Recipient::Rsa(rsa),
                    RecipientKind::XWing => match hybrid {
                        Some(key) => Recipient::XWing(key),
                        None => return Some(text.to_owned()),
                    },
                };
                if newest.id() == by {
                    return Some(text.to_owned());
                }
                let kept: Vec<_> = header
                    .stanzas
                    .iter()
                    .filter(|s| s.key_id != by.key_id && s.key_id != newest.id().key_id)
                    .cloned()
                    .collect();
                opened.rewrap(Backend::preferred(), &kept, &[newest])
            }
            Rewrap::Recipients(recipients) => opened.rewrap(Backend::preferred(), &[], recipients),
        };
        new_header.ok().map(|h| h.to_v2_string())
    }
}
