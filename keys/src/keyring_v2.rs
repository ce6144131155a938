//! Envelope v2 in the key ring: X-Wing keys beside the RSA ones, and opening a v2 header.
//! A header's stanzas name their keys, so the ring unwraps with exactly the key a stanza
//! names (preferring X-Wing, which is far cheaper than an RSA private operation) and
//! never tries keys blindly: a header naming no held key costs nothing.

use crate::{KeyRing, KeysError};
use sealant_crypto::{
    Backend, Fingerprint, XWingPrivateKey,
    v2::{Header, OpenedHeader, RecipientKey, RecipientKind},
};
use std::sync::{Arc, atomic::Ordering};
use time::OffsetDateTime;

/// One X-Wing key, with the time it was made when known (key Secrets carry it).
#[derive(Debug)]
pub struct HybridEntry {
    key: XWingPrivateKey,
    created: Option<OffsetDateTime>,
}

impl HybridEntry {
    pub fn new(key: XWingPrivateKey, created: Option<OffsetDateTime>) -> Self {
        Self { key, created }
    }

    pub fn key(&self) -> &XWingPrivateKey {
        &self.key
    }

    pub fn key_id(&self) -> Fingerprint {
        self.key.key_id()
    }

    pub fn created(&self) -> Option<OffsetDateTime> {
        self.created
    }
}

/// An opened v2 header and what it cost.
#[derive(Debug)]
pub struct OpenedV2 {
    pub header: OpenedHeader,
    /// The held key that opened it (an RSA fingerprint or an X-Wing key id).
    pub key_id: Fingerprint,
    pub kind: RecipientKind,
}

impl KeyRing {
    /// Add an X-Wing key; false when already present.
    pub fn insert_hybrid(&mut self, entry: impl Into<Arc<HybridEntry>>) -> bool {
        let entry = entry.into();
        if self.hybrid.iter().any(|e| e.key_id() == entry.key_id()) {
            return false;
        }
        self.hybrid.push(entry);
        // Newest first, keys without a time last, ties by id: independent of insertion order.
        self.hybrid.sort_by(|a, b| {
            b.created
                .cmp(&a.created)
                .then_with(|| a.key_id().cmp(&b.key_id()))
        });
        true
    }

    pub fn remove_hybrid(&mut self, key_id: &Fingerprint) -> Option<Arc<HybridEntry>> {
        let index = self.hybrid.iter().position(|e| e.key_id() == *key_id)?;
        Some(self.hybrid.remove(index))
    }

    /// X-Wing keys, newest first.
    pub fn hybrid_keys(&self) -> impl Iterator<Item = &HybridEntry> {
        self.hybrid.iter().map(|e| &**e)
    }

    /// The X-Wing key that new v2 seals go to.
    pub fn newest_hybrid(&self) -> Option<&HybridEntry> {
        self.hybrid.first().map(|e| &**e)
    }

    pub fn find_hybrid(&self, key_id: &Fingerprint) -> Option<&HybridEntry> {
        self.hybrid_keys().find(|e| e.key_id() == *key_id)
    }

    /// X-Wing decapsulations performed by [`KeyRing::open_v2_header`] over the ring's life.
    pub fn kem_operations(&self) -> u64 {
        self.kem_operations.load(Ordering::Relaxed)
    }

    /// The held key a stanza of `header` names, X-Wing first; `None` when none is held.
    pub fn v2_key_for<'a>(&'a self, header: &Header) -> Option<RecipientKey<'a>> {
        let recipients = header.recipients();
        let hybrid = recipients.iter().find_map(|r| match r.kind {
            RecipientKind::XWing => self
                .find_hybrid(&r.key_id)
                .map(|e| RecipientKey::XWing(e.key())),
            RecipientKind::Rsa => None,
        });
        hybrid.or_else(|| {
            recipients.iter().find_map(|r| match r.kind {
                RecipientKind::Rsa => self.find(&r.key_id).map(|e| RecipientKey::Rsa(e.key())),
                RecipientKind::XWing => None,
            })
        })
    }

    /// Unwrap `header`'s data key with the held key a stanza names: one key operation, counted
    /// (RSA or KEM) whether it succeeds or not.
    pub fn open_v2_header(&self, header: &Header) -> Result<OpenedV2, KeysError> {
        let key = self.v2_key_for(header).ok_or(KeysError::V2NoHeldKey)?;
        let id = key.id();
        match id.kind {
            RecipientKind::Rsa => self.count_rsa_operation(),
            RecipientKind::XWing => {
                self.kem_operations.fetch_add(1, Ordering::Relaxed);
            }
        }
        let opened = OpenedHeader::unwrap(Backend::preferred(), header, key)
            .map_err(|_| KeysError::V2CannotOpen)?
            .ok_or(KeysError::V2NoHeldKey)?;
        Ok(OpenedV2 {
            header: opened,
            key_id: id.key_id,
            kind: id.kind,
        })
    }
}
