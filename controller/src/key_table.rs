//! The key fingerprints the per-object memos name, each stored once: a memo holds a 4-byte
//! [`KeyIndex`] instead of a 33-byte fingerprint (issue 18's memory budget).
//!
//! The fingerprints come from the target Secret's annotation, which anyone who may write the
//! Secret can set, so the table must stay bounded: an unbounded one grows with every forged
//! value. It must also never forget a fingerprint a memo still names: an object that no
//! longer counted could let its key be retired while in use. So when the table has grown to
//! twice what the memos named at the last rebuild, it is rebuilt from the memos themselves.

use sealant_crypto::Fingerprint;
use std::{collections::HashMap, num::NonZeroU32};

/// A fingerprint's place in the table, plus one (so `Option<KeyIndex>` is four bytes).
pub type KeyIndex = NonZeroU32;

pub struct KeyTable {
    fingerprints: Vec<Fingerprint>,
    indices: HashMap<Fingerprint, KeyIndex>,
    rebuild_at: usize,
}

impl Default for KeyTable {
    fn default() -> Self {
        Self {
            fingerprints: Vec::new(),
            indices: HashMap::new(),
            rebuild_at: Self::MIN_REBUILD_AT,
        }
    }
}

impl KeyTable {
    /// Below this size the table is never rebuilt: a cluster has a handful of keys.
    const MIN_REBUILD_AT: usize = 1024;

    /// `fingerprint`'s index, added when new. `None` only past four billion entries, which
    /// the rebuilds keep out of reach.
    pub fn index(&mut self, fingerprint: Fingerprint) -> Option<KeyIndex> {
        if let Some(index) = self.indices.get(&fingerprint) {
            return Some(*index);
        }
        let index = u32::try_from(self.fingerprints.len() + 1)
            .ok()
            .and_then(NonZeroU32::new)?;
        self.fingerprints.push(fingerprint);
        self.indices.insert(fingerprint, index);
        Some(index)
    }

    pub fn fingerprint(&self, index: KeyIndex) -> Option<Fingerprint> {
        let at = usize::try_from(index.get()).ok()?.checked_sub(1)?;
        self.fingerprints.get(at).copied()
    }

    pub fn needs_rebuild(&self) -> bool {
        self.fingerprints.len() >= self.rebuild_at
    }

    /// A table of only the fingerprints `named` still name, with every one of those indices
    /// rewritten to its place in the new table.
    pub fn rebuilt<'a>(&self, named: impl Iterator<Item = &'a mut Option<KeyIndex>>) -> Self {
        let mut fresh = Self::default();
        for key in named {
            *key = key
                .and_then(|index| self.fingerprint(index))
                .and_then(|fingerprint| fresh.index(fingerprint));
        }
        fresh.rebuild_at = Self::MIN_REBUILD_AT.max(2 * fresh.fingerprints.len());
        fresh
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fingerprint(n: u32) -> Fingerprint {
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(&n.to_be_bytes());
        Fingerprint::from_bytes(bytes)
    }

    #[test]
    fn one_fingerprint_one_index() {
        let mut table = KeyTable::default();
        let a = table.index(fingerprint(1)).unwrap();
        let b = table.index(fingerprint(2)).unwrap();
        assert_ne!(a, b);
        assert_eq!(table.index(fingerprint(1)), Some(a));
        assert_eq!(table.fingerprint(b), Some(fingerprint(2)));
    }

    /// Forged fingerprints, one after another, for an object whose memo names only the
    /// latest: the table stays bounded, and a fingerprint still named survives every rebuild.
    #[test]
    fn forged_fingerprints_keep_the_table_bounded_and_lose_no_named_one() {
        let mut table = KeyTable::default();
        let mut real = table.index(fingerprint(0));
        let mut forged = None;
        for n in 1..10_000 {
            forged = table.index(fingerprint(n));
            if table.needs_rebuild() {
                table = table.rebuilt([&mut real, &mut forged].into_iter());
            }
            assert!(table.fingerprints.len() <= KeyTable::MIN_REBUILD_AT);
        }
        assert_eq!(table.fingerprint(real.unwrap()), Some(fingerprint(0)));
        assert_eq!(table.fingerprint(forged.unwrap()), Some(fingerprint(9_999)));
    }
}
