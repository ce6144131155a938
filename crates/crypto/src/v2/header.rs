//! The header (docs/envelope-v2.md §4): the data key wrapped once per recipient, under a mac that
//! commits every stanza to the data key. Parsing checks only framing; the mac is checked after a
//! stanza has been unwrapped ([`super::open`]).

use super::format::{
    HEADER_ID_LEN, HeaderId, KEY_ID_LEN, MAC_LEN, MAX_STANZAS, RecipientId, RecipientKind, VERSION,
};
use crate::{CryptoError, Fingerprint};
use std::collections::HashSet;

/// One recipient's wrapped data key. `kind` is `None` for a type this reader does not know:
/// the stanza is kept (it is under the mac) but never unwrapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stanza {
    pub kind: Option<RecipientKind>,
    pub type_byte: u8,
    pub key_id: Fingerprint,
    pub body: Vec<u8>,
}

impl Stanza {
    pub fn recipient(&self) -> Option<RecipientId> {
        Some(RecipientId {
            kind: self.kind?,
            key_id: self.key_id,
        })
    }
}

/// A parsed header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub id: HeaderId,
    pub stanzas: Vec<Stanza>,
    pub mac: [u8; MAC_LEN],
}

impl Header {
    /// Every byte the mac covers: all but the mac itself.
    pub(crate) fn authenticated_bytes(id: HeaderId, stanzas: &[Stanza]) -> Vec<u8> {
        let mut out = vec![VERSION];
        out.extend_from_slice(&id.0);
        // At most MAX_STANZAS, checked by the writer and the parser.
        out.push(u8::try_from(stanzas.len()).unwrap_or(u8::MAX));
        for stanza in stanzas {
            out.push(stanza.type_byte);
            out.extend_from_slice(stanza.key_id.as_bytes());
            let len = u16::try_from(stanza.body.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&stanza.body);
        }
        out
    }

    /// The header's value in `encryptedData` (`sealant:v2:` + base64).
    pub fn to_v2_string(&self) -> String {
        super::value::to_v2_string(&self.to_bytes())
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Self::authenticated_bytes(self.id, &self.stanzas);
        out.extend_from_slice(&self.mac);
        out
    }

    /// Parse a header's binary form, enforcing every framing rule of docs/envelope-v2.md §4.
    pub fn parse(bytes: &[u8]) -> Result<Self, CryptoError> {
        let mut reader = Reader(bytes);
        if reader.u8()? != VERSION {
            return Err(CryptoError::V2Format("unknown header version"));
        }
        let id = HeaderId(reader.array::<HEADER_ID_LEN>()?);
        let count = usize::from(reader.u8()?);
        if count == 0 || count > MAX_STANZAS {
            return Err(CryptoError::V2Format("header stanza count out of range"));
        }
        let mut stanzas = Vec::with_capacity(count);
        let mut seen = HashSet::with_capacity(count);
        for _ in 0..count {
            let type_byte = reader.u8()?;
            let key_id = Fingerprint::from_bytes(reader.array::<KEY_ID_LEN>()?);
            if !seen.insert(key_id) {
                return Err(CryptoError::V2Format("header names one key id twice"));
            }
            let len = usize::from(u16::from_be_bytes(reader.array::<2>()?));
            let body = reader.take(len)?.to_vec();
            stanzas.push(Stanza {
                kind: RecipientKind::from_type_byte(type_byte),
                type_byte,
                key_id,
                body,
            });
        }
        let mac = reader.array::<MAC_LEN>()?;
        if !reader.0.is_empty() {
            return Err(CryptoError::V2Format("bytes after the header mac"));
        }
        Ok(Self { id, stanzas, mac })
    }

    /// The recipients this header was sealed for, in stanza order (unknown types left out).
    pub fn recipients(&self) -> Vec<RecipientId> {
        self.stanzas.iter().filter_map(Stanza::recipient).collect()
    }
}

/// A cursor that fails with "truncated" instead of panicking.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CryptoError> {
        let (head, rest) = self
            .0
            .split_at_checked(n)
            .ok_or(CryptoError::V2Format("header is truncated"))?;
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, CryptoError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CryptoError> {
        self.take(N)?
            .try_into()
            .map_err(|_| CryptoError::V2Format("header is truncated"))
    }
}
